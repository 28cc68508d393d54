package transcodetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/servous/servous/transcode/internal/media"
)

func TestStandIn(t *testing.T) {
	for _, size := range []int{0, 1 << 10, 6_250_000} {
		b := StandIn(1280, 720, 10*time.Second, size)
		if size > 0 && len(b) != size {
			t.Errorf("StandIn(…, %d) is %d bytes", size, len(b))
		}
		info, err := media.Probe(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if info.Container != "mp4" || info.Width != 1280 || info.Height != 720 || info.Duration != 10*time.Second {
			t.Errorf("size %d: probed %+v, want a 1280×720 MP4 of 10s", size, info)
		}
	}
}
