package events_test

import (
	"encoding/json"
	"fmt"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"github.com/servous/servous/events"
)

// NewObjectEvent writes the S3 notification S3 would send, key encoded and
// time in milliseconds.
func ExampleNewObjectEvent() {
	e, err := events.NewObjectEvent(events.ObjectEvent{
		Name:      events.ObjectCreatedPut,
		Bucket:    "media",
		Key:       "uploads/u-1/my clip.mp4",
		Size:      1024,
		ETag:      "0123456789abcdef0123456789abcdef",
		Sequencer: "0A1B2C3D4E5F678901",
		Time:      time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC),
		RequestID: "C3D13FE58DE4C810",
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(e.Source, e.Type, e.Key)
	fmt.Println(string(e.Payload))
	// Output:
	// aws.s3 ObjectCreated:Put uploads/u-1/my clip.mp4
	// {"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1","eventTime":"2026-11-27T12:00:00.000Z","eventName":"ObjectCreated:Put","userIdentity":{"principalId":""},"requestParameters":{"sourceIPAddress":""},"responseElements":{"x-amz-request-id":"C3D13FE58DE4C810","x-amz-id-2":""},"s3":{"s3SchemaVersion":"1.0","configurationId":"","bucket":{"name":"media","ownerIdentity":{"principalId":""},"arn":"arn:aws:s3:::media"},"object":{"key":"uploads/u-1/my+clip.mp4","size":1024,"eTag":"0123456789abcdef0123456789abcdef","sequencer":"0A1B2C3D4E5F678901"}}}]}
}

// DecodeObjectEvents reads an S3 notification however it arrived; here
// through an SQS queue.
func ExampleDecodeObjectEvents() {
	s3, err := events.NewObjectEvent(events.ObjectEvent{Name: events.ObjectCreatedPut, Bucket: "media", Key: "a b+c.txt", Size: 3})
	if err != nil {
		panic(err)
	}
	sqs, err := json.Marshal(lambdaevents.SQSEvent{Records: []lambdaevents.SQSMessage{
		{MessageId: "m-1", EventSource: "aws:sqs", Body: string(s3.Payload)},
	}})
	if err != nil {
		panic(err)
	}
	objs, err := events.DecodeObjectEvents(sqs)
	if err != nil {
		panic(err)
	}
	for _, o := range objs {
		fmt.Printf("%s %s/%q %d\n", o.Name, o.Bucket, o.Key, o.Size)
	}
	// Output:
	// ObjectCreated:Put media/"a b+c.txt" 3
}

// DecodeJobStateChange reads the event MediaConvert sends through
// EventBridge.
func ExampleDecodeJobStateChange() {
	payload := []byte(`{"version":"0","id":"1","detail-type":"MediaConvert Job State Change","source":"aws.mediaconvert",
		"account":"111122223333","time":"2018-09-14T21:54:31Z","region":"us-west-2","resources":[],
		"detail":{"status":"COMPLETE","jobId":"1536964333549-opn151","timestamp":1536964380391,"userMetadata":{"video":"v-1"},
		"outputGroupDetails":[{"type":"FILE_GROUP","outputDetails":[{"outputFilePaths":["s3://renditions/v-1.mp4"],
		"durationInMs":180041,"videoDetails":{"widthInPx":1280,"heightInPx":720}}]}]}}`)
	j, err := events.DecodeJobStateChange(payload)
	if err != nil {
		panic(err)
	}
	out := j.OutputGroups[0].Outputs[0]
	fmt.Println(j.Status, j.UserMetadata["video"], out.FilePaths[0], out.Width, out.Height, out.DurationMs)
	// Output:
	// COMPLETE v-1 s3://renditions/v-1.mp4 1280 720 180041
}

// NewCustom writes an application's own event as an EventBridge rule
// delivers it.
func ExampleNewCustom() {
	e, err := events.NewCustom(events.Custom{
		Envelope:   events.Envelope{ID: "6a7e8feb-b491-4cf7-a9f1-bf3703467718", Account: "111122223333", Time: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)},
		Source:     "com.example.petu",
		DetailType: "Video Published",
		Detail:     json.RawMessage(`{"videoId":"v-42"}`),
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(string(e.Payload))
	// Output:
	// {"version":"0","id":"6a7e8feb-b491-4cf7-a9f1-bf3703467718","detail-type":"Video Published","source":"com.example.petu","account":"111122223333","time":"2026-11-27T12:00:00Z","region":"us-east-1","resources":[],"detail":{"videoId":"v-42"}}
}
