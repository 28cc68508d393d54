package transcode_test

import (
	"fmt"

	"github.com/servous/servous/transcode"
)

func ExampleJob_Keys() {
	job := &transcode.Job{
		Input: transcode.Object{Bucket: "uploads", Key: "users/42/cat.mov"},
		Renditions: []transcode.Rendition{
			{Name: "-720p", Height: 720},
			{Name: "-480p", Height: 480, Bitrate: 1_500_000},
		},
		Thumbnail: &transcode.Thumbnail{Name: "-thumb", Width: 320},
		Output:    transcode.Destination{Bucket: "videos", Prefix: "users/42/"},
	}
	if err := job.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	for _, key := range job.Keys() {
		fmt.Println(key)
	}
	// Output:
	// users/42/cat-720p.mp4
	// users/42/cat-480p.mp4
	// users/42/cat-thumb.0000000.jpg
}

func ExampleJob_Validate() {
	job := &transcode.Job{
		Input:      transcode.Object{Bucket: "uploads", Key: "cat.mov"},
		Renditions: []transcode.Rendition{{Name: "-huge", Height: 100000}},
		Output:     transcode.Destination{Bucket: "videos"},
	}
	fmt.Println(job.Validate())
	// Output:
	// transcode: invalid job: rendition 0 ("-huge"): height 100000 out of range 32-8192
}

func ExampleOutputSize() {
	// A 1080p landscape input.
	fmt.Println(transcode.OutputSize(1920, 1080, 0, 480, false))   // a height: the width follows
	fmt.Println(transcode.OutputSize(1920, 1080, 640, 640, false)) // a box: fit inside it
	// A small portrait input, not to be enlarged.
	fmt.Println(transcode.OutputSize(360, 640, 0, 1080, true))
	// Output:
	// 854 480
	// 640 360
	// 360 640
}

func ExampleDecodeEvent() {
	// An EventBridge event a rule on "MediaConvert Job State Change" delivers to a function.
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
	st, err := transcode.DecodeEvent(payload)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(st.ID, st.State, st.ErrorCode, st.ErrorMessage, st.Metadata["video-id"])
	// Output:
	// 1671476818694-phptj0 ERROR 1010 Unable to open input file v-1
}
