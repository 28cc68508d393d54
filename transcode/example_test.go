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
