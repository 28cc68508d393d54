package ffmpeg

import "testing"

func TestMediaConvertContainer(t *testing.T) {
	for format, want := range map[string]bool{
		"mov,mp4,m4a,3gp,3g2,mj2": true,
		"matroska,webm":           true,
		"mpegts":                  true,
		"avi":                     true,
		"asf":                     true,
		"mxf":                     true,
		"flv":                     true,
		"mpeg":                    true,
		"h264":                    true,
		"hevc":                    true,
		"mpegvideo":               true,
		"gif":                     true,
		"wav":                     false,
		"mp3":                     false,
		"hls":                     false,
		"image2":                  false,
		"jpeg_pipe":               false,
		"png_pipe":                false,
		"webp_pipe":               false,
		"apng":                    false,
		"tty":                     false,
		"":                        false,
	} {
		if got := mediaConvertContainer(format); got != want {
			t.Errorf("mediaConvertContainer(%q) = %v, want %v", format, got, want)
		}
	}
}
