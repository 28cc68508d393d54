package batch_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/servous/servous/runtime/batch"
)

// A function consuming an SQS queue reports the messages it could not process; Lambda
// deletes the others. In main: runtime.Start(batch.SQSHandler(process), nil).
func ExampleSQS() {
	process := func(ctx context.Context, m events.SQSMessage) error {
		if m.Body == "" {
			return errors.New("empty message")
		}
		return nil
	}
	ev := events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "m-1", Body: "resize cat.jpg", EventSourceARN: "arn:aws:sqs:us-east-1:123456789012:jobs"},
		{MessageId: "m-2", Body: "", EventSourceARN: "arn:aws:sqs:us-east-1:123456789012:jobs"},
		{MessageId: "m-3", Body: "resize dog.jpg", EventSourceARN: "arn:aws:sqs:us-east-1:123456789012:jobs"},
	}}
	resp, err := batch.SQS(context.Background(), ev, process)
	out, _ := json.Marshal(resp)
	fmt.Println(string(out), err)

	// On a FIFO queue, the failure stops the batch: m-3 is reported without being processed.
	for i := range ev.Records {
		ev.Records[i].EventSourceARN += ".fifo"
	}
	resp, err = batch.SQS(context.Background(), ev, process)
	out, _ = json.Marshal(resp)
	fmt.Println(string(out), err)
	// Output:
	// {"batchItemFailures":[{"itemIdentifier":"m-2"}]} <nil>
	// {"batchItemFailures":[{"itemIdentifier":"m-2"},{"itemIdentifier":"m-3"}]} <nil>
}

// A DynamoDB Streams consumer reports failed records by sequence number; when every record
// fails, the error makes Lambda retry the whole batch.
func ExampleDynamoDB() {
	ev := events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{
		{EventName: "INSERT", Change: events.DynamoDBStreamRecord{SequenceNumber: "100"}},
		{EventName: "REMOVE", Change: events.DynamoDBStreamRecord{SequenceNumber: "200"}},
	}}
	_, err := batch.DynamoDB(context.Background(), ev, func(ctx context.Context, r events.DynamoDBEventRecord) error {
		return errors.New("index unavailable")
	})
	fmt.Println(errors.Is(err, batch.ErrAllFailed))
	fmt.Println(err)
	// Output:
	// true
	// batch: every record failed: 2 dynamodb records, the first: index unavailable
}
