package memevents_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/servous/servous/events"
	"github.com/servous/servous/events/memevents"
	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/memstorage"
)

// A bucket publishes S3 notifications to the bus, which invokes the same
// handler S3 would invoke in AWS.
func Example() {
	ctx := context.Background()
	bus := memevents.New(nil)
	defer bus.Close()

	// The handler is an ordinary Lambda handler for S3 events.
	handler := lambda.NewHandler(func(ctx context.Context, e lambdaevents.S3Event) error {
		for _, r := range e.Records {
			fmt.Printf("%s s3://%s/%s (%d bytes)\n", r.EventName, r.S3.Bucket.Name, r.S3.Object.URLDecodedKey, r.S3.Object.Size)
		}
		return nil
	})
	// Like an S3 notification configuration: created objects under uploads/ ending in .mp4.
	if _, err := bus.Subscribe(memevents.Filter{
		Source: events.SourceS3, Types: []string{"s3:ObjectCreated:*"},
		Bucket: "media", Prefix: "uploads/", Suffix: ".mp4",
	}, handler, nil); err != nil {
		panic(err)
	}

	bucket := memstorage.New("media", &memstorage.Options{Publisher: bus})
	if _, err := storage.PutBytes(ctx, bucket, "uploads/u-1/my clip.mp4", []byte("not really a video"), nil); err != nil {
		panic(err)
	}
	if _, err := storage.PutBytes(ctx, bucket, "uploads/u-1/notes.txt", []byte("filtered out"), nil); err != nil {
		panic(err)
	}
	// Wait for the bucket to hand its events to the bus, then for the bus to deliver them.
	if err := bucket.Flush(ctx); err != nil {
		panic(err)
	}
	if err := bus.Wait(ctx); err != nil {
		panic(err)
	}
	// Output:
	// ObjectCreated:Put s3://media/uploads/u-1/my clip.mp4 (18 bytes)
}

// A failing handler is retried; once its retries are exhausted the event
// lands in the dead-letter queue with the last error.
func ExampleSubscription_DeadLetters() {
	ctx := context.Background()
	bus := memevents.New(&memevents.Options{TimeScale: 0.001}) // Lambda's 1 and 2 minute backoffs take 60 and 120ms
	defer bus.Close()

	attempts := 0
	sub, err := bus.Subscribe(memevents.Filter{}, lambda.NewHandler(func(ctx context.Context, e lambdaevents.EventBridgeEvent) error {
		attempts++
		return errors.New("renditions bucket unavailable")
	}), &memevents.SubscribeOptions{Concurrency: 1})
	if err != nil {
		panic(err)
	}
	e, err := events.NewJobStateChange(events.JobStateChange{JobID: "1671476818694-phptj0", Status: events.JobComplete})
	if err != nil {
		panic(err)
	}
	if err := bus.Publish(ctx, e); err != nil {
		panic(err)
	}
	if err := bus.Wait(ctx); err != nil {
		panic(err)
	}
	for _, f := range sub.DeadLetters() {
		fmt.Printf("%s after %d attempts: %v\n", f.Condition, f.Attempts, f.Err)
	}
	fmt.Println("handler calls:", attempts)
	// Output:
	// RetriesExhausted after 3 attempts: renditions bucket unavailable
	// handler calls: 3
}

// Subscriptions filter EventBridge events by their detail, with a subset of
// EventBridge's pattern syntax.
func ExampleFilter_detail() {
	ctx := context.Background()
	bus := memevents.New(nil)
	defer bus.Close()

	if _, err := bus.Subscribe(memevents.Filter{
		Source: events.SourceMediaConvert,
		Detail: `{"status": ["COMPLETE", "ERROR"], "userMetadata": {"video": [{"prefix": "v-"}]}}`,
	}, lambda.NewHandler(func(ctx context.Context, payload json.RawMessage) error {
		j, err := events.DecodeJobStateChange(payload)
		if err != nil {
			return err
		}
		fmt.Println(j.JobID, j.Status, j.UserMetadata["video"])
		return nil
	}), &memevents.SubscribeOptions{Concurrency: 1}); err != nil {
		panic(err)
	}
	for i, status := range []events.JobStatus{events.JobProgressing, events.JobComplete} {
		e, err := events.NewJobStateChange(events.JobStateChange{
			JobID: fmt.Sprintf("job-%d", i), Status: status, UserMetadata: map[string]string{"video": "v-42"},
			Timestamp: time.Date(2026, 11, 27, 0, 0, i, 0, time.UTC),
		})
		if err != nil {
			panic(err)
		}
		if err := bus.Publish(ctx, e); err != nil {
			panic(err)
		}
	}
	if err := bus.Wait(ctx); err != nil {
		panic(err)
	}
	// Output:
	// job-1 COMPLETE v-42
}
