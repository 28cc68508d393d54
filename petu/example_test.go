package petu_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/servous/servous/events"
	"github.com/servous/servous/identity/memidentity"
	"github.com/servous/servous/petu"
	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/memstorage"
	"github.com/servous/servous/table"
	"github.com/servous/servous/table/memtable"
	"github.com/servous/servous/transcode/memtranscode"
	"github.com/servous/servous/transcode/transcodetest"
)

// The functions are plain methods over the interfaces, so a unit test builds the app on the
// in-memory adapters and calls them with the JSON AWS would send: here the S3 notification of
// an upload, then the MediaConvert event of its job's end.
func ExampleApp_OnUpload() {
	ctx := context.Background()
	uploads := memstorage.New("uploads", nil)
	media := memstorage.New("media", nil)
	videos, err := memtable.New[petu.Video]("videos", nil)
	if err != nil {
		log.Fatal(err)
	}
	pool, err := memidentity.New("us-east-1:00000000-0000-4000-8000-000000000000", nil)
	if err != nil {
		log.Fatal(err)
	}
	jobs := make(chan events.Event, 4) // the transcoder's events, for this example to deliver
	transcoder := memtranscode.New(map[string]storage.Bucket{"uploads": uploads, "media": media},
		&memtranscode.Options{Publisher: publisher(jobs)})
	defer transcoder.Close()
	app, err := petu.New(petu.Deps{
		Uploads: uploads, Media: media, Videos: videos, Identity: pool, Transcoder: transcoder,
	}, petu.Config{UploadsBucket: "uploads", MediaBucket: "media", Provider: "accounts.google.com"})
	if err != nil {
		log.Fatal(err)
	}

	// A browser uploaded a video; S3 notifies on-upload.
	owner := "us-east-1:4f1c2a8e-3b9d-4c6e-9a7f-2d5b8e1c0a3f"
	key := "uploads/" + owner + "/01a2200469bdb4492a99/cat.mp4"
	info, err := storage.PutBytes(ctx, uploads, key, transcodetest.Clip(), &storage.PutOptions{ContentType: "video/mp4"})
	if err != nil {
		log.Fatal(err)
	}
	created, err := events.NewObjectEvent(events.ObjectEvent{
		Name: events.ObjectCreatedPost, Bucket: "uploads", Key: key, Size: info.Size, ETag: info.ETag,
		Sequencer: "0A", Time: info.LastModified,
	})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := app.OnUpload(ctx, created.Payload); err != nil {
		log.Fatal(err)
	}

	// The job ends; EventBridge invokes on-transcoded with MediaConvert's event.
	for e := range jobs {
		if e.Type == events.DetailTypeJobStateChange {
			if j, _ := events.DecodeJobStateChange(e.Payload); j.Status == events.JobComplete {
				if _, err := app.OnTranscoded(ctx, e.Payload); err != nil {
					log.Fatal(err)
				}
				break
			}
		}
	}
	v, err := videos.Get(ctx, table.Key{Partition: table.String(owner), Sort: table.String("01a2200469bdb4492a99")}, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(v.Status, v.FileName, time.Duration(v.DurationMs)*time.Millisecond)
	for _, r := range v.Renditions {
		fmt.Println(r.Name, r.Width, r.Height)
	}
	// Output:
	// ready cat.mp4 1s
	// 240p 320 240
}

type publisher chan events.Event

func (p publisher) Publish(ctx context.Context, e events.Event) error {
	p <- e
	return nil
}
