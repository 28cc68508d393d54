package awseventbridge_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/google/go-cmp/cmp"

	"github.com/servous/servous/events"
	"github.com/servous/servous/events/awseventbridge"
	"github.com/servous/servous/events/eventstest"
	"github.com/servous/servous/events/memevents"
	"github.com/servous/servous/runtime"
)

func newClient(t *testing.T, srv *eventstest.Server) *eventbridge.Client {
	t.Helper()
	return eventbridge.New(eventbridge.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		BaseEndpoint: aws.String(srv.URL),
	})
}

func newPublisher(t *testing.T) (*awseventbridge.Publisher, *eventstest.Server) {
	t.Helper()
	srv := eventstest.NewServer(t)
	return awseventbridge.New(newClient(t, srv), "orders", &awseventbridge.Options{Backoff: time.Millisecond}), srv
}

func TestConformance(t *testing.T) {
	eventstest.RunPublisherTests(t, func(t *testing.T) eventstest.PublisherTarget {
		p, srv := newPublisher(t)
		return eventstest.PublisherTarget{
			Publisher: p,
			Published: func(t *testing.T) []json.RawMessage {
				evs, err := srv.Events()
				if err != nil {
					t.Fatal(err)
				}
				out := make([]json.RawMessage, len(evs))
				for i, e := range evs {
					out[i] = e.Payload
				}
				return out
			},
			Refuse: func(dt string) {
				srv.FailFunc(func(e eventstest.Entry) string {
					if e.DetailType == dt {
						return "InternalFailure"
					}
					return ""
				})
			},
		}
	})
}

func custom(t *testing.T, detailType, detail string) events.Event {
	t.Helper()
	e, err := events.NewCustom(events.Custom{
		Envelope:   events.Envelope{Time: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC), Resources: []string{"arn:aws:s3:::b"}},
		Source:     "com.example.orders",
		DetailType: detailType,
		Detail:     json.RawMessage(detail),
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestPublishSendsTheEnvelope(t *testing.T) {
	p, srv := newPublisher(t)
	if err := p.Publish(t.Context(), custom(t, "Order Placed", `{"id":"o-1"}`)); err != nil {
		t.Fatal(err)
	}
	got := srv.Entries()
	if len(got) != 1 || got[0].EventID == "" {
		t.Fatalf("entries = %+v", got)
	}
	got[0].EventID = ""
	want := eventstest.Entry{
		Source: "com.example.orders", DetailType: "Order Placed", Detail: `{"id":"o-1"}`,
		Resources: []string{"arn:aws:s3:::b"}, Time: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC), EventBusName: "orders",
	}
	if diff := cmp.Diff(want, got[0]); diff != "" {
		t.Fatalf("entry (-want +got):\n%s", diff)
	}
}

func TestPublishPlainEvent(t *testing.T) {
	p, srv := newPublisher(t)
	e := events.Event{Source: "com.example.app", Type: "Thing Happened", Payload: json.RawMessage(`{"n":1}`)}
	if err := p.Publish(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	if got := srv.Entries(); len(got) != 1 || got[0].Source != "com.example.app" || got[0].DetailType != "Thing Happened" || got[0].Detail != `{"n":1}` || !got[0].Time.IsZero() {
		t.Fatalf("entries = %+v", got)
	}
}

func TestBatchesOfTen(t *testing.T) {
	p, srv := newPublisher(t)
	var evs []events.Event
	for i := range 25 {
		evs = append(evs, custom(t, "Order Placed", fmt.Sprintf(`{"i":%d}`, i)))
	}
	if err := p.PublishBatch(t.Context(), evs); err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for _, c := range srv.Calls() {
		sizes = append(sizes, len(c))
	}
	if diff := cmp.Diff([]int{10, 10, 5}, sizes); diff != "" {
		t.Fatalf("request sizes (-want +got):\n%s", diff)
	}
	got := srv.Entries()
	for i, e := range got {
		if e.Detail != fmt.Sprintf(`{"i":%d}`, i) {
			t.Fatalf("entry %d = %s: order not kept", i, e.Detail)
		}
	}
}

func TestBatchesWithin256KB(t *testing.T) {
	p, srv := newPublisher(t)
	big := `{"blob":"` + strings.Repeat("x", 100*1024) + `"}`
	var evs []events.Event
	for range 5 {
		evs = append(evs, custom(t, "Blob", big))
	}
	if err := p.PublishBatch(t.Context(), evs); err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for _, c := range srv.Calls() {
		sizes = append(sizes, len(c))
	}
	if diff := cmp.Diff([]int{2, 2, 1}, sizes); diff != "" {
		t.Fatalf("request sizes (-want +got):\n%s", diff)
	}
}

func TestEntrySizeAsDocumented(t *testing.T) {
	now := time.Now()
	e := types.PutEventsRequestEntry{
		Source: aws.String("src"), DetailType: aws.String("dt"), Detail: aws.String(`{"é":1}`),
		Resources: []string{"arn:1", "arn:22"}, Time: &now, EventBusName: aws.String("not counted"),
	}
	if got, want := awseventbridge.EntrySize(e), 14+3+2+len(`{"é":1}`)+5+6; got != want {
		t.Fatalf("EntrySize = %d, want %d", got, want)
	}
	if got := eventstest.EntrySize("src", "dt", `{"é":1}`, []string{"arn:1", "arn:22"}, true); got != awseventbridge.EntrySize(e) {
		t.Fatalf("the server counts %d, the publisher %d", got, awseventbridge.EntrySize(e))
	}
}

func TestRetriesThrottledEntries(t *testing.T) {
	p, srv := newPublisher(t)
	srv.FailNext(3, "ThrottlingException")
	var evs []events.Event
	for i := range 5 {
		evs = append(evs, custom(t, "Order Placed", fmt.Sprintf(`{"i":%d}`, i)))
	}
	if err := p.PublishBatch(t.Context(), evs); err != nil {
		t.Fatal(err)
	}
	calls := srv.Calls()
	if len(calls) != 2 || len(calls[0]) != 5 || len(calls[1]) != 3 {
		t.Fatalf("calls = %d, want 2: all five, then the three throttled", len(calls))
	}
	if n := len(srv.Entries()); n != 5 {
		t.Fatalf("%d accepted, want 5", n)
	}
}

func TestReportsEntriesThatStillFail(t *testing.T) {
	srv := eventstest.NewServer(t)
	p := awseventbridge.New(newClient(t, srv), "", &awseventbridge.Options{MaxAttempts: 3, Backoff: time.Millisecond})
	srv.FailFunc(func(e eventstest.Entry) string {
		switch e.DetailType {
		case "Always Throttled":
			return "InternalFailure"
		case "Denied":
			return "AccessDeniedException"
		}
		return ""
	})
	throttled := custom(t, "Always Throttled", `{}`)
	denied := custom(t, "Denied", `{}`)
	ok := custom(t, "Fine", `{}`)
	err := p.PublishBatch(t.Context(), []events.Event{throttled, denied, ok})
	var pe *awseventbridge.PublishError
	if !errors.As(err, &pe) || !errors.Is(err, events.ErrNotPublished) {
		t.Fatalf("err = %v, want a *PublishError wrapping events.ErrNotPublished", err)
	}
	codes := map[string]string{}
	for _, f := range pe.Failed {
		codes[f.Event.ID] = f.Code
	}
	if diff := cmp.Diff(map[string]string{throttled.ID: "InternalFailure", denied.ID: "AccessDeniedException"}, codes); diff != "" {
		t.Fatalf("failed (-want +got):\n%s", diff)
	}
	perType := map[string]int{}
	for _, c := range srv.Calls() {
		for _, e := range c {
			perType[e.DetailType]++
		}
	}
	if diff := cmp.Diff(map[string]int{"Always Throttled": 3, "Denied": 1, "Fine": 1}, perType); diff != "" {
		t.Fatalf("attempts per entry (-want +got):\n%s", diff)
	}
}

func TestRejectsWithoutARequest(t *testing.T) {
	p, srv := newPublisher(t)
	tooBig := custom(t, "Huge", `{"blob":"`+strings.Repeat("x", 256*1024)+`"}`)
	awsSource := events.Event{Source: "aws.s3", Type: "Object Created", Payload: json.RawMessage(`{}`)}
	notObject := events.Event{Source: "com.example", Type: "List", Payload: json.RawMessage(`[1]`)}
	ok := custom(t, "Fine", `{}`)
	err := p.PublishBatch(t.Context(), []events.Event{tooBig, awsSource, notObject, ok})
	var pe *awseventbridge.PublishError
	if !errors.As(err, &pe) || len(pe.Failed) != 3 || !errors.Is(err, events.ErrInvalid) {
		t.Fatalf("err = %v, want three invalid events", err)
	}
	if n := len(srv.Calls()); n != 1 || len(srv.Entries()) != 1 {
		t.Fatalf("%d calls, %d entries: want only the valid event sent", n, len(srv.Entries()))
	}
}

func TestRequestErrorReachesAPIError(t *testing.T) {
	srv := eventstest.NewServer(t)
	// An unsigned client: the server refuses the request.
	client := eventbridge.New(eventbridge.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: aws.AnonymousCredentials{}})
	err := awseventbridge.New(client, "", nil).Publish(t.Context(), custom(t, "Fine", `{}`))
	var pe *awseventbridge.PublishError
	if !errors.As(err, &pe) || pe.Failed[0].Code != "MissingAuthenticationTokenException" {
		t.Fatalf("err = %v, want the API error's code", err)
	}
}

// TestThroughEventBridgeToHandler wires the publisher, the EventBridge test
// server forwarding to an in-memory bus, and a handler.
func TestThroughEventBridgeToHandler(t *testing.T) {
	p, srv := newPublisher(t)
	bus := memevents.New(nil)
	t.Cleanup(func() { bus.Close() })
	srv.Forward(bus)
	got := make(chan lambdaevents.EventBridgeEvent, 1)
	if _, err := bus.Subscribe(memevents.Filter{Source: "com.example.orders", Detail: `{"total":[{"numeric":[">=",100]}]}`},
		handler(func(ctx context.Context, e lambdaevents.EventBridgeEvent) error { got <- e; return nil }), nil); err != nil {
		t.Fatal(err)
	}
	if err := p.PublishBatch(t.Context(), []events.Event{
		custom(t, "Order Placed", `{"total":20}`),
		custom(t, "Order Placed", `{"total":120}`),
	}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := bus.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	e := <-got
	if e.DetailType != "Order Placed" || string(e.Detail) != `{"total":120}` || e.Source != "com.example.orders" {
		t.Fatalf("handler received %+v", e)
	}
	if len(got) != 0 {
		t.Fatal("the filtered-out order reached the handler")
	}
}

type handler func(context.Context, lambdaevents.EventBridgeEvent) error

func (h handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var e lambdaevents.EventBridgeEvent
	if err := json.Unmarshal(payload, &e); err != nil {
		return nil, err
	}
	return nil, h(ctx, e)
}

func TestPassesTheInvocationTrace(t *testing.T) {
	p, srv := newPublisher(t)
	fn := runtime.NewLocal(handler(func(ctx context.Context, _ lambdaevents.EventBridgeEvent) error {
		return p.Publish(ctx, custom(t, "Traced", `{}`))
	}), nil)
	if _, err := fn.Invoke(t.Context(), []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	got := srv.Entries()
	if len(got) != 1 || !strings.HasPrefix(got[0].TraceHeader, "Root=1-") {
		t.Fatalf("entries = %+v, want the invocation's trace header", got)
	}
	if err := p.Publish(t.Context(), custom(t, "Untraced", `{}`)); err != nil {
		t.Fatal(err)
	}
	if got := srv.Entries(); got[1].TraceHeader != "" {
		t.Fatalf("trace header %q outside an invocation", got[1].TraceHeader)
	}
}
