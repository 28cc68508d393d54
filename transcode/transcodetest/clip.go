package transcodetest

import (
	"embed"
	"time"
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
