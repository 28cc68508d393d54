package transcodetest

import (
	"embed"
	"encoding/binary"
	"time"

	"github.com/servous/servous/transcode/internal/media"
)

//go:embed testdata/clip.mp4
var clip []byte

// The clip's picture size and length.
const (
	ClipWidth    = 320
	ClipHeight   = 240
	ClipDuration = time.Second
)

// Clip returns a copy of a real MP4: one second of ffmpeg's testsrc pattern at 320×240 and
// 15 frames per second in H.264, with a 440 Hz tone in AAC, the moov box first.
func Clip() []byte { return append([]byte(nil), clip...) }

// containerClips are short real clips, one in each container MediaConvert reads video from,
// made with ffmpeg from its testsrc pattern at 64×48.
//
//go:embed testdata/containers
var containerClips embed.FS

// tone is a tenth of a second of a sine in a WAV file: audio without video.
//
//go:embed testdata/tone.wav
var tone []byte

// StandIn returns an MP4 of size bytes (or the least its headers take, if more) whose headers
// say it is a w×h video lasting d, padded with an mdat of zeros: no media samples. The in-memory
// transcoder reads headers, not samples, so it transcodes a stand-in as the video it says it
// is; a test can upload a video of any size and length without encoding one. ffmpeg cannot.
func StandIn(w, h int, d time.Duration, size int) []byte {
	b := media.MP4(w, h, d, "")
	b = b[:len(b)-8] // the empty mdat box MP4 ends with
	n := max(8, size-len(b))
	b = binary.BigEndian.AppendUint32(b, uint32(n))
	b = append(b, "mdat"...)
	return append(b, make([]byte, n-8)...)
}
