package ffmpeg_test

import (
	"context"
	"fmt"
	"log"

	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/memstorage"
	"github.com/servous/servous/transcode"
	"github.com/servous/servous/transcode/ffmpeg"
)

// This example has no output to check: it needs ffmpeg installed and an input video.
func Example() {
	uploads, videos := memstorage.New("uploads", nil), memstorage.New("videos", nil)
	tr, err := ffmpeg.New(map[string]storage.Bucket{"uploads": uploads, "videos": videos},
		&ffmpeg.Options{Concurrency: 2})
	if err != nil {
		log.Fatal(err) // ffmpeg is not installed
	}
	defer tr.Close()

	id, err := tr.Submit(context.Background(), &transcode.Job{
		Input: transcode.Object{Bucket: "uploads", Key: "cat.mov"},
		Renditions: []transcode.Rendition{
			{Name: "-720p", Height: 720, NoUpscale: true},
			{Name: "-480p", Height: 480, Quality: 6},
		},
		Thumbnail: &transcode.Thumbnail{Name: "-thumb", Width: 320},
		Output:    transcode.Destination{Bucket: "videos", Prefix: "cats/"},
	})
	fmt.Println(id, err)
}
