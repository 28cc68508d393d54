// Package batch processes SQS, DynamoDB Streams and Kinesis batches record by record and
// reports the records that failed, so Lambda retries only those.
//
// # Partial batch responses
//
// The event source mapping must have ReportBatchItemFailures among its
// FunctionResponseTypes; then Lambda reads the batchItemFailures of the response
// (aws-lambda-go's events.SQSEventResponse, DynamoDBEventResponse and KinesisEventResponse):
// SQS makes the listed messages visible again and deletes the rest; a stream retries from
// the lowest listed sequence number.
//
// # Rules
//
//   - Records are processed one at a time, in order. A record fails when its handler returns
//     an error or panics; the failure is logged through runtime.Logger with the record's id.
//   - For a FIFO queue (its ARN ends in ".fifo") processing stops at the first failure, and
//     that record and every one after it are reported, so that order within the queue holds.
//   - When the context ends, the records not yet processed are reported without being
//     processed, so the function answers before Lambda's deadline.
//   - When every record of a non-empty batch failed, the error wraps [ErrAllFailed], as
//     Lambda expects: the whole batch is retried.
package batch

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/servous/servous/runtime"
)

// ErrAllFailed is wrapped by the error returned when every record of a batch failed.
var ErrAllFailed = errors.New("batch: every record failed")

// SQS calls fn for each message of ev and returns the failed messages' ids.
func SQS(ctx context.Context, ev events.SQSEvent, fn func(context.Context, events.SQSMessage) error) (events.SQSEventResponse, error) {
	fifo := len(ev.Records) > 0 && strings.HasSuffix(ev.Records[0].EventSourceARN, ".fifo")
	failed, err := process(ctx, "sqs", ev.Records, func(m events.SQSMessage) string { return m.MessageId }, fn, fifo)
	resp := events.SQSEventResponse{BatchItemFailures: make([]events.SQSBatchItemFailure, 0, len(failed))}
	for _, id := range failed {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: id})
	}
	return resp, err
}

// DynamoDB calls fn for each record of a DynamoDB Streams batch and returns the failed
// records' sequence numbers.
func DynamoDB(ctx context.Context, ev events.DynamoDBEvent, fn func(context.Context, events.DynamoDBEventRecord) error) (events.DynamoDBEventResponse, error) {
	failed, err := process(ctx, "dynamodb", ev.Records, func(r events.DynamoDBEventRecord) string { return r.Change.SequenceNumber }, fn, false)
	resp := events.DynamoDBEventResponse{BatchItemFailures: make([]events.DynamoDBBatchItemFailure, 0, len(failed))}
	for _, id := range failed {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: id})
	}
	return resp, err
}

// Kinesis calls fn for each record of a Kinesis batch and returns the failed records'
// sequence numbers.
func Kinesis(ctx context.Context, ev events.KinesisEvent, fn func(context.Context, events.KinesisEventRecord) error) (events.KinesisEventResponse, error) {
	failed, err := process(ctx, "kinesis", ev.Records, func(r events.KinesisEventRecord) string { return r.Kinesis.SequenceNumber }, fn, false)
	resp := events.KinesisEventResponse{BatchItemFailures: make([]events.KinesisBatchItemFailure, 0, len(failed))}
	for _, id := range failed {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.KinesisBatchItemFailure{ItemIdentifier: id})
	}
	return resp, err
}

// SQSHandler returns a handler for runtime.Start that processes SQS batches with fn.
func SQSHandler(fn func(context.Context, events.SQSMessage) error) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		return SQS(ctx, ev, fn)
	}
}

// DynamoDBHandler returns a handler for runtime.Start that processes DynamoDB Streams
// batches with fn.
func DynamoDBHandler(fn func(context.Context, events.DynamoDBEventRecord) error) func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	return func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		return DynamoDB(ctx, ev, fn)
	}
}

// KinesisHandler returns a handler for runtime.Start that processes Kinesis batches with fn.
func KinesisHandler(fn func(context.Context, events.KinesisEventRecord) error) func(context.Context, events.KinesisEvent) (events.KinesisEventResponse, error) {
	return func(ctx context.Context, ev events.KinesisEvent) (events.KinesisEventResponse, error) {
		return Kinesis(ctx, ev, fn)
	}
}

// process runs fn over records and returns the ids of the failed ones, in order. With
// stopAtFailure, the first failure fails every record after it too.
func process[R any](ctx context.Context, source string, records []R, id func(R) string, fn func(context.Context, R) error, stopAtFailure bool) ([]string, error) {
	var failed []string
	var first error
	for i, r := range records {
		err := ctx.Err()
		if err == nil {
			err = call(ctx, fn, r)
		}
		if err == nil {
			continue
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil || stopAtFailure {
			reason := "not processed: the context ended"
			if ctx.Err() == nil {
				reason = "not processed: an earlier record of the FIFO queue failed"
			}
			logFailure(ctx, source, id(r), err, "notProcessed", len(records)-i-1, "reason", reason)
			for _, rest := range records[i:] {
				failed = append(failed, id(rest))
			}
			break
		}
		logFailure(ctx, source, id(r), err)
		failed = append(failed, id(r))
	}
	if len(records) > 0 && len(failed) == len(records) {
		return failed, fmt.Errorf("%w: %d %s records, the first: %w", ErrAllFailed, len(records), source, first)
	}
	return failed, nil
}

func logFailure(ctx context.Context, source, id string, err error, args ...any) {
	args = append([]any{"source", source, "record", id, "error", err.Error()}, args...)
	if pe, ok := err.(*runtime.PanicError); ok {
		args = append(args, "stack", string(pe.Stack))
	}
	runtime.Logger(ctx).WarnContext(ctx, "batch record failed", args...)
}

// call runs fn on one record, turning a panic into an error so the rest of the batch runs.
func call[R any](ctx context.Context, fn func(context.Context, R) error, r R) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &runtime.PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	return fn(ctx, r)
}
