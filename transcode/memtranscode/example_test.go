package memtranscode_test

import (
	"context"
	"fmt"

	"github.com/servous/servous/events"
	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/memstorage"
	"github.com/servous/servous/transcode"
	"github.com/servous/servous/transcode/memtranscode"
	"github.com/servous/servous/transcode/transcodetest"
)

// printer is a stand-in for an event bus: it prints what a function subscribed to job
// state changes would receive.
type printer struct{ done chan struct{} }

func (p printer) Publish(_ context.Context, e events.Event) error {
	jc, err := events.DecodeJobStateChange(e.Payload)
	if err != nil {
		return err
	}
	fmt.Println(e.Type, jc.Status, jc.UserMetadata["video-id"])
	for _, g := range jc.OutputGroups {
		for _, o := range g.Outputs {
			fmt.Println(" ", o.FilePaths[0], o.Width, o.Height, o.DurationMs)
		}
	}
	if jc.Status == events.JobComplete || jc.Status == events.JobError {
		close(p.done)
	}
	return nil
}

func Example() {
	ctx := context.Background()
	uploads, videos := memstorage.New("uploads", nil), memstorage.New("videos", nil)
	storage.PutBytes(ctx, uploads, "u/7/clip.mp4", transcodetest.Clip(), nil) // 320×240, 1 s

	bus := printer{done: make(chan struct{})}
	tr := memtranscode.New(map[string]storage.Bucket{"uploads": uploads, "videos": videos},
		&memtranscode.Options{Publisher: bus})
	defer tr.Close()

	_, err := tr.Submit(ctx, &transcode.Job{
		Input:      transcode.Object{Bucket: "uploads", Key: "u/7/clip.mp4"},
		Renditions: []transcode.Rendition{{Name: "-180p", Height: 180}},
		Thumbnail:  &transcode.Thumbnail{Name: "-thumb", Width: 160},
		Output:     transcode.Destination{Bucket: "videos", Prefix: "u/7/"},
		Metadata:   map[string]string{"video-id": "v-1"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	<-bus.done
	// Output:
	// MediaConvert Job State Change PROGRESSING v-1
	// MediaConvert Job State Change COMPLETE v-1
	//   s3://videos/u/7/clip-180p.mp4 240 180 1000
	//   s3://videos/u/7/clip-thumb.0000000.jpg 160 120 1000
}
