package transcodetest

import (
	_ "embed"
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
