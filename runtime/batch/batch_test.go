package batch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"

	"github.com/servous/servous/runtime"
	"github.com/servous/servous/runtime/batch"
)

func load[T any](t *testing.T, name string) T {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

var errBad = errors.New("bad record")

// byBody fails records whose body says "fail" and panics on "panic".
func byBody(seen *[]string, body string) error {
	*seen = append(*seen, body)
	switch body {
	case "fail":
		return errBad
	case "panic":
		panic("record handler panicked")
	}
	return nil
}

func TestSQS(t *testing.T) {
	ev := load[events.SQSEvent](t, "sqs.json")
	var seen []string
	resp, err := batch.SQS(t.Context(), ev, func(ctx context.Context, m events.SQSMessage) error {
		return byBody(&seen, m.Body)
	})
	if err != nil {
		t.Fatal(err)
	}
	want := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{{ItemIdentifier: "2e1424d4-f796-459a-8184-9c92662be6da"}}}
	if diff := cmp.Diff(want, resp); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"ok", "fail", "ok"}, seen); diff != "" {
		t.Errorf("processed (-want +got):\n%s", diff)
	}
}

func TestSQSFIFOStopsAtFirstFailure(t *testing.T) {
	ev := load[events.SQSEvent](t, "sqs-fifo.json")
	var seen []string
	resp, err := batch.SQS(t.Context(), ev, func(ctx context.Context, m events.SQSMessage) error {
		return byBody(&seen, m.Body)
	})
	if err != nil {
		t.Fatal(err)
	}
	want := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{
		{ItemIdentifier: "2e1424d4-f796-459a-8184-9c92662be6da"},
		{ItemIdentifier: "b6a0c2a1-9d8f-4b8e-8a66-3d6f3f0f9a11"},
	}}
	if diff := cmp.Diff(want, resp); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"ok", "fail"}, seen); diff != "" {
		t.Errorf("processed (-want +got):\n%s", diff)
	}
}

func TestDynamoDBStream(t *testing.T) {
	ev := load[events.DynamoDBEvent](t, "dynamodb-stream.json")
	var seen []string
	resp, err := batch.DynamoDB(t.Context(), ev, func(ctx context.Context, r events.DynamoDBEventRecord) error {
		img := r.Change.NewImage
		if img == nil {
			img = r.Change.OldImage
		}
		return byBody(&seen, img["Message"].String())
	})
	if err != nil {
		t.Fatal(err)
	}
	want := events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{
		{ItemIdentifier: "4421584500000000017450439092"},
		{ItemIdentifier: "4421584500000000017450439093"},
	}}
	if diff := cmp.Diff(want, resp); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"ok", "fail", "panic"}, seen); diff != "" {
		t.Errorf("processed (-want +got):\n%s", diff)
	}
}

func TestKinesis(t *testing.T) {
	ev := load[events.KinesisEvent](t, "kinesis.json")
	var seen []string
	resp, err := batch.Kinesis(t.Context(), ev, func(ctx context.Context, r events.KinesisEventRecord) error {
		return byBody(&seen, string(r.Kinesis.Data))
	})
	if err != nil {
		t.Fatal(err)
	}
	want := events.KinesisEventResponse{BatchItemFailures: []events.KinesisBatchItemFailure{
		{ItemIdentifier: ev.Records[1].Kinesis.SequenceNumber},
	}}
	if diff := cmp.Diff(want, resp); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"ok", "fail", "ok"}, seen); diff != "" {
		t.Errorf("processed (-want +got):\n%s", diff)
	}
}

func TestAllFailedIsAnError(t *testing.T) {
	ev := load[events.SQSEvent](t, "sqs.json")
	resp, err := batch.SQS(t.Context(), ev, func(ctx context.Context, m events.SQSMessage) error { return errBad })
	if !errors.Is(err, batch.ErrAllFailed) || !errors.Is(err, errBad) {
		t.Errorf("got %v, want an error wrapping ErrAllFailed and the first record's error", err)
	}
	if len(resp.BatchItemFailures) != 3 {
		t.Errorf("%d failures reported, want 3", len(resp.BatchItemFailures))
	}

	kev := load[events.KinesisEvent](t, "kinesis.json")
	if _, err := batch.Kinesis(t.Context(), kev, func(context.Context, events.KinesisEventRecord) error { panic("x") }); !errors.Is(err, batch.ErrAllFailed) {
		t.Errorf("all records panicked: got %v, want ErrAllFailed", err)
	}
}

func TestEmptyBatch(t *testing.T) {
	resp, err := batch.SQS(t.Context(), events.SQSEvent{}, func(context.Context, events.SQSMessage) error {
		t.Error("handler called for an empty batch")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(resp)
	if string(b) != `{"batchItemFailures":[]}` {
		t.Errorf("response %s, want an empty list", b)
	}
}

func TestContextEndsMidBatch(t *testing.T) {
	ev := load[events.SQSEvent](t, "sqs.json")
	ctx, cancel := context.WithCancel(t.Context())
	calls := 0
	resp, err := batch.SQS(ctx, ev, func(ctx context.Context, m events.SQSMessage) error {
		calls++
		cancel() // the deadline margin ends the context while the first record runs
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Errorf("handler called %d times after the context ended, want 1", calls)
	}
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	if diff := cmp.Diff([]string{ev.Records[1].MessageId, ev.Records[2].MessageId}, ids); diff != "" {
		t.Errorf("failures (-want +got):\n%s", diff)
	}
}

// TestHandlerUnderLocal runs a batch handler the way Lambda does, with the runtime's
// middleware, and checks the response's JSON and the failure log.
func TestHandlerUnderLocal(t *testing.T) {
	var logs bytes.Buffer
	h := runtime.NewHandler(batch.DynamoDBHandler(func(ctx context.Context, r events.DynamoDBEventRecord) error {
		if r.EventName == "MODIFY" {
			return errBad
		}
		return nil
	}), &runtime.Options{Logger: slog.New(runtime.NewLogHandler(slog.NewJSONHandler(&logs, nil))), Metrics: &runtime.MetricsOptions{Writer: &bytes.Buffer{}}})
	payload, err := os.ReadFile("testdata/dynamodb-stream.json")
	if err != nil {
		t.Fatal(err)
	}
	out, err := runtime.NewLocal(h, nil).Invoke(t.Context(), payload)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"batchItemFailures":[{"itemIdentifier":"4421584500000000017450439092"}]}`; string(out) != want {
		t.Errorf("response %s, want %s", out, want)
	}
	if !strings.Contains(logs.String(), `"msg":"batch record failed","source":"dynamodb","record":"4421584500000000017450439092","error":"bad record"`) {
		t.Errorf("no failure log line for the record:\n%s", logs.String())
	}
}
