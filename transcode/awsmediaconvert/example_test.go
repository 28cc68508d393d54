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

func ExampleDecodeEvent() {
	// The detail of an EventBridge event a rule on "MediaConvert Job State Change" delivers.
	payload := []byte(`{
	  "version": "0", "id": "3e7a7f4a-6f2c-4b6e-9c1d-7d1c5b2a9e11",
	  "detail-type": "MediaConvert Job State Change", "source": "aws.mediaconvert",
	  "account": "111122223333", "time": "2022-12-19T19:07:12Z", "region": "us-west-2",
	  "resources": ["arn:aws:mediaconvert:us-west-2:111122223333:jobs/1671476818694-phptj0"],
	  "detail": {
	    "timestamp": 1671476832124, "accountId": "111122223333",
	    "queue": "arn:aws:mediaconvert:us-west-2:111122223333:queues/Default",
	    "jobId": "1671476818694-phptj0", "status": "ERROR",
	    "errorCode": 1010, "errorMessage": "Unable to open input file",
	    "userMetadata": {"video-id": "v-1"}
	  }
	}`)
	st, err := awsmediaconvert.DecodeEvent(payload)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(st.ID, st.State, st.ErrorCode, st.ErrorMessage, st.Metadata["video-id"])
	// Output:
	// 1671476818694-phptj0 ERROR 1010 Unable to open input file v-1
}
