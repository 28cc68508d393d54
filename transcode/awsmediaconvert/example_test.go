package awsmediaconvert_test

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/mediaconvert"

	"github.com/servous/servous/transcode"
	"github.com/servous/servous/transcode/awsmediaconvert"
	"github.com/servous/servous/transcode/transcodetest"
)

func Example() {
	// In production: client := mediaconvert.NewFromConfig(cfg), with cfg from
	// config.LoadDefaultConfig. Here the client talks to an in-process MediaConvert.
	srv := transcodetest.NewMediaConvert(nil)
	defer srv.Close()
	client := mediaconvert.New(mediaconvert.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
	})
	tr := awsmediaconvert.New(client, "arn:aws:iam::111122223333:role/MediaConvert", nil)

	ctx := context.Background()
	id, err := tr.Submit(ctx, &transcode.Job{
		Input:            transcode.Object{Bucket: "uploads", Key: "u/7/cat.mov"},
		Renditions:       []transcode.Rendition{{Name: "-720p", Height: 720}},
		Output:           transcode.Destination{Bucket: "videos", Prefix: "u/7/"},
		IdempotencyToken: "upload-u-7-cat",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	srv.Complete(id, transcodetest.VideoInfo{Width: 1920, Height: 1080, Duration: 90_000_000_000})
	st, err := tr.Get(ctx, id)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(st.State)
	for _, o := range st.Outputs {
		fmt.Println(o.Bucket, o.Key, o.Width, o.Height, o.Duration)
	}
	// Output:
	// COMPLETE
	// videos u/7/cat-720p.mp4 1280 720 1m30s
}
