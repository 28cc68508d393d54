package memevents_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/google/go-cmp/cmp"

	"github.com/servous/servous/events"
	"github.com/servous/servous/events/memevents"
	"github.com/servous/servous/runtime"
)

func newBus(t *testing.T, opts *memevents.Options) *memevents.Bus {
	t.Helper()
	b := memevents.New(opts)
	t.Cleanup(func() { b.Close() })
	return b
}

func subscribe(t *testing.T, b *memevents.Bus, f memevents.Filter, h lambda.Handler, opts *memevents.SubscribeOptions) *memevents.Subscription {
	t.Helper()
	s, err := b.Subscribe(f, h, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func waitBus(t *testing.T, b *memevents.Bus) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := b.Wait(ctx); err != nil {
		t.Fatal(err)
	}
}

func object(t testing.TB, key string) events.Event {
	t.Helper()
	e, err := events.NewObjectEvent(events.ObjectEvent{Name: events.ObjectCreatedPut, Bucket: "b", Key: key, Size: 1})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// handlerFunc adapts a function to lambda.Handler.
type handlerFunc func(ctx context.Context, payload []byte) ([]byte, error)

func (f handlerFunc) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return f(ctx, payload)
}

// keys decodes the object keys of the payloads a handler received, in order.
type keys struct {
	mu   sync.Mutex
	list []string
}

func (k *keys) handler(fail func(key string) error) lambda.Handler {
	return handlerFunc(func(ctx context.Context, payload []byte) ([]byte, error) {
		objs, err := events.DecodeObjectEvents(payload)
		if err != nil || len(objs) != 1 {
			return nil, fmt.Errorf("decode: %v", err)
		}
		k.mu.Lock()
		k.list = append(k.list, objs[0].Key)
		k.mu.Unlock()
		if fail != nil {
			return nil, fail(objs[0].Key)
		}
		return nil, nil
	})
}

func (k *keys) get() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.list...)
}

func TestBackPressureBlocksUntilContextEnds(t *testing.T) {
	b := newBus(t, &memevents.Options{QueueSize: 2})
	release := make(chan struct{})
	var got keys
	subscribe(t, b, memevents.Filter{}, got.handler(func(string) error { <-release; return nil }), &memevents.SubscribeOptions{Concurrency: 1})
	for _, k := range []string{"a", "b"} {
		if err := b.Publish(t.Context(), object(t, k)); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if err := b.Publish(ctx, object(t, "c")); !errors.Is(err, memevents.ErrQueueFull) || !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, events.ErrNotPublished) {
		t.Fatalf("Publish into a full queue = %v, want ErrQueueFull wrapping the deadline", err)
	}
	close(release)
	waitBus(t, b)
	if diff := cmp.Diff([]string{"a", "b"}, got.get()); diff != "" {
		t.Fatalf("delivered (-want +got):\n%s", diff)
	}
	if s := b.Stats(); s.MaxHeld != 2 || s.Published != 2 {
		t.Fatalf("stats = %+v, want MaxHeld 2 and 2 published", s)
	}
}

func TestBackPressureResumesWhenRoomFrees(t *testing.T) {
	b := newBus(t, &memevents.Options{QueueSize: 1})
	var got keys
	subscribe(t, b, memevents.Filter{}, got.handler(nil), &memevents.SubscribeOptions{Concurrency: 1})
	for i := range 50 {
		if err := b.Publish(t.Context(), object(t, fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	waitBus(t, b)
	if n := len(got.get()); n != 50 {
		t.Fatalf("%d delivered, want 50", n)
	}
}

func TestNonBlockingFailsFast(t *testing.T) {
	b := newBus(t, &memevents.Options{QueueSize: 1, NonBlocking: true})
	release := make(chan struct{})
	var got keys
	subscribe(t, b, memevents.Filter{}, got.handler(func(string) error { <-release; return nil }), nil)
	if err := b.Publish(t.Context(), object(t, "a")); err != nil {
		t.Fatal(err)
	}
	if err := b.Publish(t.Context(), object(t, "b")); !errors.Is(err, memevents.ErrQueueFull) {
		t.Fatalf("Publish = %v, want ErrQueueFull", err)
	}
	close(release)
	waitBus(t, b)
	if diff := cmp.Diff([]string{"a"}, got.get()); diff != "" {
		t.Fatalf("delivered (-want +got):\n%s", diff)
	}
}

func TestAllOrNothingAcrossSubscriptions(t *testing.T) {
	b := newBus(t, &memevents.Options{QueueSize: 1, NonBlocking: true})
	release := make(chan struct{})
	var free, busy keys
	subscribe(t, b, memevents.Filter{}, free.handler(nil), &memevents.SubscribeOptions{Function: &runtime.LocalOptions{FunctionName: "free"}})
	subscribe(t, b, memevents.Filter{Prefix: "x"}, busy.handler(func(string) error { <-release; return nil }),
		&memevents.SubscribeOptions{Function: &runtime.LocalOptions{FunctionName: "busy"}})
	if err := b.Publish(t.Context(), object(t, "x1")); err != nil {
		t.Fatal(err)
	}
	// Publish until the free subscription has room again and the busy one
	// refuses: a refusal by the first leaves nothing queued, so retrying is
	// safe.
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := b.Publish(t.Context(), object(t, "x2"))
		if !errors.Is(err, memevents.ErrQueueFull) {
			t.Fatalf("Publish = %v, want ErrQueueFull", err)
		}
		if strings.Contains(err.Error(), "function:busy") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the free subscription stayed full: %v", err)
		}
		<-time.After(time.Millisecond)
	}
	close(release)
	waitBus(t, b)
	if diff := cmp.Diff([]string{"x1"}, free.get()); diff != "" {
		t.Fatalf("the free subscription received a rejected event (-want +got):\n%s", diff)
	}
}

// waitForLen polls for a handler's count: the bus has no signal for "one of
// two deliveries done".
func waitForLen(t *testing.T, k *keys, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(k.get()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %d deliveries", n)
		}
		<-time.After(time.Millisecond)
	}
}

func TestHundredThousandEventsStayBounded(t *testing.T) {
	const n, queue = 100_000, 512
	b := newBus(t, &memevents.Options{QueueSize: queue})
	var delivered atomic.Int64
	subscribe(t, b, memevents.Filter{Source: events.SourceS3}, handlerFunc(func(context.Context, []byte) ([]byte, error) {
		delivered.Add(1)
		return nil, nil
	}), &memevents.SubscribeOptions{Concurrency: 4})
	e := object(t, "k")
	for range n {
		if err := b.Publish(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	waitBus(t, b)
	s := b.Stats()
	if delivered.Load() != n || s.Succeeded != n {
		t.Fatalf("delivered %d (stats %+v), want %d", delivered.Load(), s, n)
	}
	if s.MaxHeld > queue {
		t.Fatalf("a subscription held %d deliveries, more than QueueSize %d", s.MaxHeld, queue)
	}
}

func TestDuplicatesAreDeliveredTwice(t *testing.T) {
	b := newBus(t, &memevents.Options{Duplicate: func(e events.Event) bool { return e.Key == "dup" }})
	var got keys
	subscribe(t, b, memevents.Filter{}, got.handler(nil), &memevents.SubscribeOptions{Concurrency: 1})
	for _, k := range []string{"one", "dup", "two"} {
		if err := b.Publish(t.Context(), object(t, k)); err != nil {
			t.Fatal(err)
		}
	}
	waitBus(t, b)
	count := map[string]int{}
	for _, k := range got.get() {
		count[k]++
	}
	if diff := cmp.Diff(map[string]int{"one": 1, "dup": 2, "two": 1}, count); diff != "" {
		t.Fatalf("deliveries per key (-want +got):\n%s", diff)
	}
}

func TestReorderShufflesHeldDeliveries(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	b := newBus(t, &memevents.Options{Reorder: r.Shuffle})
	var got keys
	subscribe(t, b, memevents.Filter{}, got.handler(nil), &memevents.SubscribeOptions{Concurrency: 1})
	b.Pause()
	var published []string
	for i := range 20 {
		k := fmt.Sprintf("k%02d", i)
		published = append(published, k)
		if err := b.Publish(t.Context(), object(t, k)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(got.get()); n != 0 {
		t.Fatalf("%d delivered while paused", n)
	}
	b.Resume()
	waitBus(t, b)
	delivered := got.get()
	if cmp.Equal(published, delivered) {
		t.Fatal("deliveries kept publication order")
	}
	if diff := cmp.Diff(published, delivered, cmpSorted); diff != "" {
		t.Fatalf("delivered set (-want +got):\n%s", diff)
	}
}

var cmpSorted = cmp.Transformer("sort", func(in []string) map[string]int {
	m := map[string]int{}
	for _, s := range in {
		m[s]++
	}
	return m
})

func TestMaxEventAge(t *testing.T) {
	b := newBus(t, &memevents.Options{TimeScale: 0.001}) // a minute is 60ms
	var got keys
	s := subscribe(t, b, memevents.Filter{}, got.handler(func(string) error { return errors.New("down") }),
		&memevents.SubscribeOptions{MaxEventAge: time.Minute, Backoff: 2 * time.Minute})
	if err := b.Publish(t.Context(), object(t, "old")); err != nil {
		t.Fatal(err)
	}
	waitBus(t, b)
	dead := s.DeadLetters()
	if len(dead) != 1 || dead[0].Condition != memevents.EventAgeExceeded || dead[0].Attempts > 1 {
		t.Fatalf("dead letters = %+v, want one EventAgeExceeded after at most one attempt", dead)
	}
	if n := len(got.get()); n > 1 {
		t.Fatalf("%d invocations after the event aged out", n)
	}
}

func TestBackoffDoublesWithTimeScale(t *testing.T) {
	b := newBus(t, &memevents.Options{TimeScale: 0.0005}) // Lambda's 1 and 2 minutes become 30 and 60ms
	var mu sync.Mutex
	var at []time.Time
	s := subscribe(t, b, memevents.Filter{}, handlerFunc(func(context.Context, []byte) ([]byte, error) {
		mu.Lock()
		at = append(at, time.Now())
		mu.Unlock()
		return nil, errors.New("down")
	}), nil)
	if err := b.Publish(t.Context(), object(t, "k")); err != nil {
		t.Fatal(err)
	}
	waitBus(t, b)
	mu.Lock()
	defer mu.Unlock()
	if len(at) != 3 {
		t.Fatalf("%d invocations, want 3 (default two retries)", len(at))
	}
	if d1, d2 := at[1].Sub(at[0]), at[2].Sub(at[1]); d1 < 30*time.Millisecond || d2 < 60*time.Millisecond {
		t.Fatalf("retries after %v and %v, want at least 30ms and 60ms", d1, d2)
	}
	if dead := s.DeadLetters(); len(dead) != 1 || dead[0].Condition != memevents.RetriesExhausted || dead[0].Attempts != 3 {
		t.Fatalf("dead letters = %+v", dead)
	}
}

func TestConcurrencyIsBounded(t *testing.T) {
	b := newBus(t, nil)
	const limit = 3
	var active, peak atomic.Int32
	full := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	subscribe(t, b, memevents.Filter{}, handlerFunc(func(context.Context, []byte) ([]byte, error) {
		n := active.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		if n == limit {
			once.Do(func() { close(full) })
		}
		<-release
		active.Add(-1)
		return nil, nil
	}), &memevents.SubscribeOptions{Concurrency: limit})
	for i := range 10 {
		if err := b.Publish(t.Context(), object(t, fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	<-full
	close(release)
	waitBus(t, b)
	if p := peak.Load(); p != limit {
		t.Fatalf("peak concurrency %d, want %d", p, limit)
	}
}

func TestOnFailureDestination(t *testing.T) {
	b := newBus(t, nil)
	var mu sync.Mutex
	var failures []memevents.Failure
	s := subscribe(t, b, memevents.Filter{}, handlerFunc(func(context.Context, []byte) ([]byte, error) {
		return nil, errors.New("boom")
	}), &memevents.SubscribeOptions{
		MaxRetries: -1,
		Function:   &runtime.LocalOptions{FunctionName: "thumbnail", Region: "eu-west-1"},
		OnFailure: func(f memevents.Failure) {
			mu.Lock()
			failures = append(failures, f)
			mu.Unlock()
		},
	})
	e := object(t, "k")
	if err := b.Publish(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	waitBus(t, b)
	mu.Lock()
	defer mu.Unlock()
	if len(failures) != 1 {
		t.Fatalf("%d failures at the destination, want 1", len(failures))
	}
	f := failures[0]
	if f.FunctionARN != "arn:aws:lambda:eu-west-1:000000000000:function:thumbnail" || f.Err == nil || f.Err.Error() != "boom" ||
		f.Condition != memevents.RetriesExhausted || f.RequestID == "" || f.Event.ID != e.ID {
		t.Fatalf("failure = %+v", f)
	}
	if d := s.DeadLetters(); len(d) != 0 {
		t.Fatalf("dead-letter queue holds %d failures that went to OnFailure", len(d))
	}
}

func TestTimeoutIsRetriedThenDeadLettered(t *testing.T) {
	b := newBus(t, nil)
	// The handler outlives its deadline, as a stuck function does; Lambda
	// stops waiting for it.
	stuck := make(chan struct{})
	t.Cleanup(func() { close(stuck) })
	s := subscribe(t, b, memevents.Filter{}, handlerFunc(func(ctx context.Context, _ []byte) ([]byte, error) {
		<-stuck
		return nil, nil
	}), &memevents.SubscribeOptions{MaxRetries: 1, Backoff: time.Millisecond, Function: &runtime.LocalOptions{Timeout: 10 * time.Millisecond}})
	if err := b.Publish(t.Context(), object(t, "slow")); err != nil {
		t.Fatal(err)
	}
	waitBus(t, b)
	d := s.DeadLetters()
	if len(d) != 1 || d[0].Attempts != 2 || !errors.Is(d[0].Err, runtime.ErrTimeout) {
		t.Fatalf("dead letters = %+v, want one after 2 attempts wrapping runtime.ErrTimeout", d)
	}
}

func TestStuckHandlerGivesUpItsPlace(t *testing.T) {
	// With one concurrent invocation allowed, a handler stuck past its
	// deadline must not hold up the next event: Lambda gives the timed-out
	// environment's place to another.
	b := newBus(t, nil)
	stuck := make(chan struct{})
	t.Cleanup(func() { close(stuck) })
	var got keys
	s := subscribe(t, b, memevents.Filter{}, got.handler(func(key string) error {
		if key == "stuck" {
			<-stuck // ignores its context
		}
		return nil
	}), &memevents.SubscribeOptions{MaxRetries: -1, Concurrency: 1, Function: &runtime.LocalOptions{Timeout: 20 * time.Millisecond}})
	for _, k := range []string{"stuck", "next"} {
		if err := b.Publish(t.Context(), object(t, k)); err != nil {
			t.Fatal(err)
		}
	}
	waitBus(t, b)
	d := s.DeadLetters()
	if len(d) != 1 || !errors.Is(d[0].Err, runtime.ErrTimeout) || d[0].Attempts != 1 {
		t.Fatalf("dead letters = %+v, want the stuck event once, timed out", d)
	}
	if objs, err := events.DecodeObjectEvents(d[0].Event.Payload); err != nil || len(objs) != 1 || objs[0].Key != "stuck" {
		t.Errorf("dead letter for %+v (%v), want the stuck key", objs, err)
	}
	// "next" is invoked only once "stuck" has been given up on.
	if diff := cmp.Diff([]string{"stuck", "next"}, got.get()); diff != "" {
		t.Errorf("invoked (-want +got):\n%s", diff)
	}
	if st := b.Stats(); st.Succeeded != 1 || st.Failed != 1 {
		t.Errorf("stats = %+v, want 1 succeeded and 1 failed", st)
	}
}

func TestCloseCancelsRunningHandlers(t *testing.T) {
	b := memevents.New(nil)
	started := make(chan struct{})
	ended := make(chan error, 1)
	stuck := make(chan struct{})
	t.Cleanup(func() { close(stuck) })
	subscribe(t, b, memevents.Filter{}, handlerFunc(func(ctx context.Context, _ []byte) ([]byte, error) {
		close(started)
		<-ctx.Done()
		ended <- ctx.Err()
		<-stuck // and does not return
		return nil, nil
	}), nil)
	if err := b.Publish(t.Context(), object(t, "k")); err != nil {
		t.Fatal(err)
	}
	<-started
	b.Close()
	if err := <-ended; !errors.Is(err, context.Canceled) {
		t.Errorf("handler's context ended with %v, want Canceled", err)
	}
	// Wait does not wait for the handler that never returns.
	waitBus(t, b)
	if st := b.Stats(); st.Discarded != 1 || st.Succeeded != 0 || st.Failed != 0 {
		t.Errorf("stats = %+v, want the running delivery discarded", st)
	}
}

func TestRequestContext(t *testing.T) {
	b := newBus(t, nil)
	ids := make(chan string, 1)
	subscribe(t, b, memevents.Filter{}, handlerFunc(func(ctx context.Context, _ []byte) ([]byte, error) {
		lc, _ := lambdacontext.FromContext(ctx)
		ids <- lc.InvokedFunctionArn
		return nil, nil
	}), &memevents.SubscribeOptions{Function: &runtime.LocalOptions{FunctionARN: "arn:aws:lambda:us-west-2:111122223333:function:f"}})
	if err := b.Publish(t.Context(), object(t, "k")); err != nil {
		t.Fatal(err)
	}
	waitBus(t, b)
	if arn := <-ids; arn != "arn:aws:lambda:us-west-2:111122223333:function:f" {
		t.Fatalf("ARN = %q", arn)
	}
}

func TestCloseDiscardsPendingRetries(t *testing.T) {
	b := memevents.New(nil)
	var got keys
	subscribe(t, b, memevents.Filter{}, got.handler(func(string) error { return errors.New("down") }), nil) // a one-minute backoff
	if err := b.Publish(t.Context(), object(t, "k")); err != nil {
		t.Fatal(err)
	}
	waitForLen(t, &got, 1)
	b.Close()
	waitBus(t, b)
	if s := b.Stats(); s.Discarded != 1 {
		t.Fatalf("stats = %+v, want the retry discarded", s)
	}
	if err := b.Publish(t.Context(), object(t, "k")); !errors.Is(err, memevents.ErrClosed) || !errors.Is(err, events.ErrNotPublished) {
		t.Fatalf("Publish after Close = %v", err)
	}
	if _, err := b.Subscribe(memevents.Filter{}, got.handler(nil), nil); !errors.Is(err, memevents.ErrClosed) {
		t.Fatalf("Subscribe after Close = %v", err)
	}
}

func TestUnsubscribe(t *testing.T) {
	b := newBus(t, nil)
	var got keys
	s := subscribe(t, b, memevents.Filter{}, got.handler(nil), nil)
	if err := b.Publish(t.Context(), object(t, "before")); err != nil {
		t.Fatal(err)
	}
	waitBus(t, b)
	s.Unsubscribe()
	if err := b.Publish(t.Context(), object(t, "after")); err != nil {
		t.Fatal(err)
	}
	waitBus(t, b)
	if diff := cmp.Diff([]string{"before"}, got.get()); diff != "" {
		t.Fatalf("delivered (-want +got):\n%s", diff)
	}
}

func TestSubscribeRejectsBadConfiguration(t *testing.T) {
	b := newBus(t, nil)
	h := handlerFunc(func(context.Context, []byte) ([]byte, error) { return nil, nil })
	for _, f := range []memevents.Filter{
		{Detail: `[1]`},
		{Detail: `{"a": 1}`},
		{Detail: `{"a": []}`},
		{Detail: `{"a": [{"numeric": [">"]}]}`},
		{Detail: `{"a": [{"wildcard": "x*"}]}`},
		{Types: []string{""}},
	} {
		if _, err := b.Subscribe(f, h, nil); !errors.Is(err, memevents.ErrInvalidFilter) {
			t.Errorf("Subscribe(%+v) = %v, want ErrInvalidFilter", f, err)
		}
	}
	if _, err := b.Subscribe(memevents.Filter{}, h, &memevents.SubscribeOptions{MaxRetries: 3}); err == nil {
		t.Error("Subscribe accepted 3 retries; Lambda allows 2")
	}
	if _, err := b.Subscribe(memevents.Filter{}, nil, nil); err == nil {
		t.Error("Subscribe accepted a nil target")
	}
}

func TestDuplicateNeverWaitsForRoom(t *testing.T) {
	b := newBus(t, &memevents.Options{QueueSize: 1, Duplicate: func(events.Event) bool { return true }})
	var got keys
	subscribe(t, b, memevents.Filter{}, got.handler(nil), nil)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := b.Publish(ctx, object(t, "k")); err != nil {
		t.Fatalf("Publish with a full queue for the duplicate: %v", err)
	}
	waitBus(t, b)
	if n := len(got.get()); n != 1 {
		t.Fatalf("%d deliveries, want the original only", n)
	}
}

func TestFailureRecordAsLambdaWritesIt(t *testing.T) {
	b := newBus(t, nil)
	s := subscribe(t, b, memevents.Filter{}, handlerFunc(func(context.Context, []byte) ([]byte, error) {
		return nil, fmt.Errorf("resize: %w", errors.New("out of memory"))
	}), &memevents.SubscribeOptions{MaxRetries: -1, Function: &runtime.LocalOptions{FunctionName: "thumbnail"}})
	e := object(t, "k")
	if err := b.Publish(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	waitBus(t, b)
	dead := s.DeadLetters()
	if len(dead) != 1 {
		t.Fatalf("%d dead letters", len(dead))
	}
	var rec struct {
		Version        string
		RequestContext struct {
			RequestID              string `json:"requestId"`
			FunctionARN            string `json:"functionArn"`
			Condition              string `json:"condition"`
			ApproximateInvokeCount int    `json:"approximateInvokeCount"`
		} `json:"requestContext"`
		RequestPayload  json.RawMessage `json:"requestPayload"`
		ResponseContext struct {
			FunctionError string `json:"functionError"`
		} `json:"responseContext"`
		ResponsePayload struct {
			ErrorMessage string `json:"errorMessage"`
			ErrorType    string `json:"errorType"`
		} `json:"responsePayload"`
	}
	if err := json.Unmarshal(dead[0].Record(), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Version != "1.0" || rec.RequestContext.Condition != memevents.RetriesExhausted || rec.RequestContext.ApproximateInvokeCount != 1 ||
		rec.RequestContext.FunctionARN != "arn:aws:lambda:us-east-1:000000000000:function:thumbnail:$LATEST" || rec.RequestContext.RequestID != dead[0].RequestID {
		t.Fatalf("record = %s", dead[0].Record())
	}
	if !bytes.Equal(rec.RequestPayload, e.Payload) || rec.ResponseContext.FunctionError != "Unhandled" ||
		rec.ResponsePayload.ErrorMessage != "resize: out of memory" || rec.ResponsePayload.ErrorType != "errorString" {
		t.Fatalf("record = %s", dead[0].Record())
	}
}
