package eventstest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/google/go-cmp/cmp"

	"github.com/servous/servous/events"
)

// BusTarget is a bus under test and the means to subscribe handlers to it and to wait for
// its deliveries.
type BusTarget struct {
	// Publisher publishes to a new bus with no subscriptions.
	Publisher events.Publisher
	// Subscribe delivers the events sub selects to h, and returns a function that reports
	// the subscription's dead letters so far. Retries after a failure must come quickly
	// (milliseconds) for the suite to run fast.
	Subscribe func(t *testing.T, sub Subscription, h lambda.Handler) (deadLetters func() []DeadLetter)
	// Wait returns when no delivery is in flight, or ctx's error when ctx ends first.
	Wait func(ctx context.Context) error
}

// Subscription is the filter and retry policy of one subscription.
type Subscription struct {
	Source string
	Types  []string // a trailing "*" matches any suffix
	Bucket string
	Prefix string
	Suffix string
	Detail string // EventBridge pattern for the detail
	// MaxRetries is the number of retries after a failed invocation:
	// 0 or more.
	MaxRetries int
}

// DeadLetter is an event a subscription gave up on.
type DeadLetter struct {
	Event    events.Event
	Err      error
	Attempts int
}

// RunBusTests runs the conformance suite of buses that invoke Lambda handlers. newTarget is
// called once per subtest and must return a new bus with no subscriptions.
func RunBusTests(t *testing.T, newTarget func(t *testing.T) BusTarget) {
	tests := []struct {
		name string
		fn   func(t *testing.T, b BusTarget)
	}{
		{"DeliversExactPayload", testDeliversExactPayload},
		{"InvokesAsLambda", testInvokesAsLambda},
		{"FansOut", testFansOut},
		{"RetriesUnderOneRequestID", testRetries},
		{"DeadLettersWithError", testDeadLetters},
		{"PanicNeverLosesEvent", testPanic},
		{"NoRetries", testNoRetries},
		{"WaitCoversInFlight", testWait},
		{"ConcurrentPublishersAtLeastOnce", testConcurrent},
		{"RejectsIncompleteEvent", testRejects},
	}
	newBus := func(t *testing.T) BusTarget {
		t.Helper()
		b := newTarget(t)
		if b.Publisher == nil || b.Subscribe == nil || b.Wait == nil {
			t.Fatal("BusTarget.Publisher, Subscribe and Wait must be set")
		}
		return b
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, newBus(t))
		})
	}
	t.Run("Filters", func(t *testing.T) { testFilters(t, newBus) })
}

// recorder is a handler that records the payloads it receives.
type recorder struct {
	mu       sync.Mutex
	payloads [][]byte
	ctxs     []lambdacontext.LambdaContext
	fail     func(n int, payload []byte) error // n counts calls from 1
	calls    int
}

func (r *recorder) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	r.mu.Lock()
	r.calls++
	n := r.calls
	r.payloads = append(r.payloads, append([]byte(nil), payload...))
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		r.ctxs = append(r.ctxs, *lc)
	} else {
		r.ctxs = append(r.ctxs, lambdacontext.LambdaContext{})
	}
	fail := r.fail
	r.mu.Unlock()
	if fail != nil {
		if err := fail(n, payload); err != nil {
			return nil, err
		}
	}
	return []byte("null"), nil
}

func (r *recorder) got() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.payloads...)
}

func (r *recorder) contexts() []lambdacontext.LambdaContext {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]lambdacontext.LambdaContext(nil), r.ctxs...)
}

func wait(t *testing.T, b BusTarget) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := b.Wait(ctx); err != nil {
		t.Fatalf("Wait: %v", err)
	}
}

func mustPublish(t *testing.T, b BusTarget, e events.Event) {
	t.Helper()
	if err := b.Publisher.Publish(t.Context(), e); err != nil {
		t.Fatalf("Publish(%s %s): %v", e.Source, e.Type, err)
	}
}

func objectEvent(t *testing.T, name, bucket, key string) events.Event {
	t.Helper()
	e, err := events.NewObjectEvent(events.ObjectEvent{
		Name: name, Bucket: bucket, Key: key, Size: 3, ETag: "acbd18db4cc2f85cedef654fccc4a4d8",
		Time: time.Date(2026, 1, 2, 3, 4, 5, 678e6, time.UTC), Region: "eu-west-1",
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func customEvent(t *testing.T, source, detailType, detail string) events.Event {
	t.Helper()
	e, err := events.NewCustom(events.Custom{Source: source, DetailType: detailType, Detail: json.RawMessage(detail)})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func testDeliversExactPayload(t *testing.T, b BusTarget) {
	rec := &recorder{}
	b.Subscribe(t, Subscription{}, rec)
	e := objectEvent(t, events.ObjectCreatedPut, "photos", "albums/red flower.jpg")
	mustPublish(t, b, e)
	wait(t, b)
	got := rec.got()
	if len(got) != 1 || !bytes.Equal(got[0], e.Payload) {
		t.Fatalf("handler received %q, want exactly %q", got, e.Payload)
	}
	// The payload is what aws-lambda-go decodes for an S3-triggered function.
	var s3 lambdaevents.S3Event
	if err := json.Unmarshal(got[0], &s3); err != nil {
		t.Fatal(err)
	}
	if len(s3.Records) != 1 || s3.Records[0].S3.Object.URLDecodedKey != "albums/red flower.jpg" {
		t.Fatalf("decoded S3 event = %+v", s3)
	}
}

func testInvokesAsLambda(t *testing.T, b BusTarget) {
	var (
		mu       sync.Mutex
		deadline time.Time
		hasDL    bool
	)
	rec := &recorder{}
	b.Subscribe(t, Subscription{}, lambda.NewHandler(func(ctx context.Context, e lambdaevents.EventBridgeEvent) error {
		mu.Lock()
		deadline, hasDL = ctx.Deadline()
		mu.Unlock()
		_, err := rec.Invoke(ctx, e.Detail)
		return err
	}))
	mustPublish(t, b, customEvent(t, "com.example.orders", "Order Placed", `{"orderId":"o-1"}`))
	wait(t, b)
	lcs := rec.contexts()
	if len(lcs) != 1 {
		t.Fatalf("%d invocations, want 1", len(lcs))
	}
	if lcs[0].AwsRequestID == "" || !strings.HasPrefix(lcs[0].InvokedFunctionArn, "arn:aws:lambda:") {
		t.Fatalf("LambdaContext = %+v, want a request id and a function ARN", lcs[0])
	}
	mu.Lock()
	defer mu.Unlock()
	if !hasDL || deadline.IsZero() {
		t.Fatal("handler context has no deadline")
	}
	if got := rec.got(); string(got[0]) != `{"orderId":"o-1"}` {
		t.Fatalf("detail = %s", got[0])
	}
}

func testFilters(t *testing.T, newBus func(t *testing.T) BusTarget) {
	put := objectEvent(t, events.ObjectCreatedPut, "uploads", "incoming/clip.mp4")
	copyEv := objectEvent(t, events.ObjectCreatedCopy, "uploads", "incoming/clip.mov")
	del := objectEvent(t, events.ObjectRemovedDelete, "uploads", "incoming/clip.mp4")
	other := objectEvent(t, events.ObjectCreatedPut, "renditions", "incoming/clip.mp4")
	complete, err := events.NewJobStateChange(events.JobStateChange{JobID: "j-1", Status: events.JobComplete,
		UserMetadata: map[string]string{"video": "v-1"}, Progress: &events.JobProgress{Percent: 100}})
	if err != nil {
		t.Fatal(err)
	}
	failed, err := events.NewJobStateChange(events.JobStateChange{JobID: "j-2", Status: events.JobError, ErrorCode: 1040})
	if err != nil {
		t.Fatal(err)
	}
	order := customEvent(t, "com.example.orders", "Order Placed", `{"total":120,"items":[{"sku":"a"}],"region":"eu-west-1"}`)
	all := []events.Event{put, copyEv, del, other, complete, failed, order}

	tests := []struct {
		name string
		sub  Subscription
		want []events.Event
	}{
		{"everything", Subscription{}, all},
		{"source", Subscription{Source: events.SourceS3}, []events.Event{put, copyEv, del, other}},
		{"type wildcard", Subscription{Types: []string{"ObjectCreated:*"}}, []events.Event{put, copyEv, other}},
		{"exact types", Subscription{Types: []string{"ObjectRemoved:Delete", "Order Placed"}}, []events.Event{del, order}},
		{"bucket", Subscription{Bucket: "uploads"}, []events.Event{put, copyEv, del}},
		{"prefix and suffix", Subscription{Bucket: "uploads", Prefix: "incoming/", Suffix: ".mp4"}, []events.Event{put, del}},
		{"prefix misses", Subscription{Prefix: "outgoing/"}, nil},
		{"detail values", Subscription{Source: events.SourceMediaConvert, Detail: `{"status":["COMPLETE","CANCELED"]}`}, []events.Event{complete}},
		{"detail nested", Subscription{Detail: `{"userMetadata":{"video":[{"prefix":"v-"}]}}`}, []events.Event{complete}},
		{"detail numeric", Subscription{Detail: `{"total":[{"numeric":[">",100]}]}`}, []events.Event{order}},
		{"detail array element", Subscription{Detail: `{"items":{"sku":["a"]}}`}, []events.Event{order}},
		{"detail anything-but", Subscription{Source: events.SourceMediaConvert, Detail: `{"status":[{"anything-but":"COMPLETE"}]}`}, []events.Event{failed}},
		{"detail exists", Subscription{Detail: `{"errorCode":[{"exists":true}]}`}, []events.Event{failed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBus(t)
			rec := &recorder{}
			b.Subscribe(t, tt.sub, rec)
			for _, e := range all {
				mustPublish(t, b, e)
			}
			wait(t, b)
			want := map[string]bool{}
			for _, e := range tt.want {
				want[string(e.Payload)] = true
			}
			got := map[string]bool{}
			for _, p := range rec.got() {
				got[string(p)] = true
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("delivered payloads (-want +got):\n%s", diff)
			}
		})
	}
}

func testFansOut(t *testing.T, b BusTarget) {
	recs := []*recorder{{}, {}, {}}
	for _, r := range recs {
		b.Subscribe(t, Subscription{Source: events.SourceS3}, r)
	}
	e := objectEvent(t, events.ObjectCreatedPut, "b", "k")
	mustPublish(t, b, e)
	wait(t, b)
	for i, r := range recs {
		if got := r.got(); len(got) != 1 || !bytes.Equal(got[0], e.Payload) {
			t.Errorf("subscriber %d received %d payloads, want the event once", i, len(got))
		}
	}
}

func testRetries(t *testing.T, b BusTarget) {
	rec := &recorder{fail: func(n int, _ []byte) error {
		if n <= 2 {
			return fmt.Errorf("attempt %d failed", n)
		}
		return nil
	}}
	dead := b.Subscribe(t, Subscription{MaxRetries: 2}, rec)
	mustPublish(t, b, objectEvent(t, events.ObjectCreatedPut, "b", "k"))
	wait(t, b)
	lcs := rec.contexts()
	if len(lcs) != 3 {
		t.Fatalf("%d invocations, want 3 (two failures, one success)", len(lcs))
	}
	for _, lc := range lcs[1:] {
		if lc.AwsRequestID != lcs[0].AwsRequestID {
			t.Fatalf("retries ran under request ids %q and %q; Lambda keeps one", lcs[0].AwsRequestID, lc.AwsRequestID)
		}
	}
	if d := dead(); len(d) != 0 {
		t.Fatalf("dead letters after a successful retry: %v", d)
	}
}

var errHandler = errors.New("handler failed")

func testDeadLetters(t *testing.T, b BusTarget) {
	rec := &recorder{fail: func(n int, _ []byte) error { return fmt.Errorf("call %d: %w", n, errHandler) }}
	dead := b.Subscribe(t, Subscription{MaxRetries: 2}, rec)
	e := objectEvent(t, events.ObjectCreatedPut, "b", "doomed")
	mustPublish(t, b, e)
	wait(t, b)
	if n := len(rec.got()); n != 3 {
		t.Fatalf("%d invocations, want 3", n)
	}
	d := dead()
	if len(d) != 1 {
		t.Fatalf("%d dead letters, want 1", len(d))
	}
	if !bytes.Equal(d[0].Event.Payload, e.Payload) || d[0].Attempts != 3 || d[0].Err == nil || !strings.Contains(d[0].Err.Error(), "call 3") {
		t.Fatalf("dead letter = {payload %s, attempts %d, err %v}, want the event, 3 attempts and the last error", d[0].Event.Payload, d[0].Attempts, d[0].Err)
	}
}

func testPanic(t *testing.T, b BusTarget) {
	rec := &recorder{fail: func(n int, _ []byte) error {
		if n == 1 {
			panic("handler panicked")
		}
		return errHandler
	}}
	dead := b.Subscribe(t, Subscription{MaxRetries: 1}, rec)
	e := objectEvent(t, events.ObjectCreatedPut, "b", "k")
	mustPublish(t, b, e)
	wait(t, b)
	if n := len(rec.got()); n != 2 {
		t.Fatalf("%d invocations, want 2: a panic is retried", n)
	}
	if d := dead(); len(d) != 1 || !bytes.Equal(d[0].Event.Payload, e.Payload) {
		t.Fatalf("dead letters = %v, want the event", d)
	}
	// A handler that panics every time still ends up dead-lettered.
	rec2 := &recorder{fail: func(int, []byte) error { panic("always") }}
	dead2 := b.Subscribe(t, Subscription{MaxRetries: 0, Types: []string{"Order Placed"}}, rec2)
	mustPublish(t, b, customEvent(t, "com.example.orders", "Order Placed", `{}`))
	wait(t, b)
	if d := dead2(); len(d) != 1 || d[0].Err == nil || !strings.Contains(d[0].Err.Error(), "always") {
		t.Fatalf("dead letters = %v, want the panicking event with its panic value", d)
	}
}

func testNoRetries(t *testing.T, b BusTarget) {
	rec := &recorder{fail: func(int, []byte) error { return errHandler }}
	dead := b.Subscribe(t, Subscription{MaxRetries: 0}, rec)
	mustPublish(t, b, objectEvent(t, events.ObjectCreatedPut, "b", "k"))
	wait(t, b)
	if n := len(rec.got()); n != 1 {
		t.Fatalf("%d invocations, want 1", n)
	}
	if d := dead(); len(d) != 1 || !errors.Is(d[0].Err, errHandler) {
		t.Fatalf("dead letters = %v, want one wrapping the handler error", d)
	}
}

func testWait(t *testing.T, b BusTarget) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	rec := &recorder{fail: func(int, []byte) error {
		started <- struct{}{}
		<-release
		return nil
	}}
	b.Subscribe(t, Subscription{}, rec)
	mustPublish(t, b, objectEvent(t, events.ObjectCreatedPut, "b", "k"))
	<-started
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if err := b.Wait(ctx); err == nil {
		t.Fatal("Wait returned while a handler was running")
	}
	close(release)
	wait(t, b)
	if n := len(rec.got()); n != 1 {
		t.Fatalf("%d invocations, want 1", n)
	}
}

func testConcurrent(t *testing.T, b BusTarget) {
	rec := &recorder{}
	b.Subscribe(t, Subscription{Source: events.SourceS3}, rec)
	const publishers, each = 8, 50
	var wg sync.WaitGroup
	want := map[string]bool{}
	var mu sync.Mutex
	for p := range publishers {
		wg.Go(func() {
			for i := range each {
				e := objectEvent(t, events.ObjectCreatedPut, "b", fmt.Sprintf("p%d/%d", p, i))
				mu.Lock()
				want[string(e.Payload)] = true
				mu.Unlock()
				if err := b.Publisher.Publish(t.Context(), e); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	wait(t, b)
	got := map[string]bool{}
	for _, p := range rec.got() {
		got[string(p)] = true
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("delivered (-want +got):\n%s", diff)
	}
}

func testRejects(t *testing.T, b BusTarget) {
	for _, e := range []events.Event{
		{Type: "T", Payload: json.RawMessage(`{}`)},
		{Source: "s", Payload: json.RawMessage(`{}`)},
		{Source: "s", Type: "T"},
	} {
		if err := b.Publisher.Publish(t.Context(), e); !errors.Is(err, events.ErrInvalid) {
			t.Errorf("Publish(%+v) = %v, want events.ErrInvalid", e, err)
		}
	}
}
