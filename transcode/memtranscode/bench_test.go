package memtranscode_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/servous/servous/events"
	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/memstorage"
	"github.com/servous/servous/transcode"
	"github.com/servous/servous/transcode/memtranscode"
	"github.com/servous/servous/transcode/transcodetest"
)

// completions counts COMPLETE events.
type completions chan struct{}

func (c completions) Publish(_ context.Context, e events.Event) error {
	jc, err := events.DecodeJobStateChange(e.Payload)
	if err != nil {
		return err
	}
	if jc.Status == events.JobComplete {
		c <- struct{}{}
	}
	return nil
}

// BenchmarkJobs measures jobs per second through to the completion event: one at a time
// (serial) and 64 in flight (parallel), each job with two renditions and a thumbnail of the
// 1-second test clip.
func BenchmarkJobs(b *testing.B) {
	for _, inFlight := range []int{1, 64} {
		name := "serial"
		if inFlight > 1 {
			name = fmt.Sprintf("inflight=%d", inFlight)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			in, out := memstorage.New("in", nil), memstorage.New("out", nil)
			if _, err := storage.PutBytes(b.Context(), in, "clip.mp4", transcodetest.Clip(), nil); err != nil {
				b.Fatal(err)
			}
			done := make(completions, inFlight)
			tr := memtranscode.New(map[string]storage.Bucket{"in": in, "out": out}, &memtranscode.Options{Publisher: done})
			defer tr.Close()
			job := &transcode.Job{
				Input:      transcode.Object{Bucket: "in", Key: "clip.mp4"},
				Renditions: []transcode.Rendition{{Name: "-240", Height: 240}, {Name: "-120", Height: 120}},
				Thumbnail:  &transcode.Thumbnail{Name: "-t", Width: 160},
				Output:     transcode.Destination{Bucket: "out", Prefix: "bench/"},
			}
			pending := 0
			for b.Loop() {
				if pending == inFlight {
					<-done
					pending--
				}
				if _, err := tr.Submit(b.Context(), job); err != nil {
					b.Fatal(err)
				}
				pending++
			}
			for ; pending > 0; pending-- {
				<-done
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
		})
	}
}
