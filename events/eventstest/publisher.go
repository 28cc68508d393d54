package eventstest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/servous/servous/events"
)

// maxEntrySize is EventBridge's limit on one PutEvents entry, counted as EntrySize counts.
const maxEntrySize = 256 * 1024

// PublisherTarget is a publisher under test and the means to see what its destination
// accepted.
type PublisherTarget struct {
	// Publisher publishes to a new, empty destination. If it also has a method
	// PublishBatch(ctx context.Context, evs []events.Event) error, as awseventbridge's
	// Publisher does, the suite publishes batches with it too.
	Publisher events.Publisher
	// Published returns the payload of every event the destination has accepted so far, once
	// each, as an EventBridge rule delivers it to its target. It waits for deliveries in
	// flight first.
	Published func(t *testing.T) []json.RawMessage
	// Refuse makes the destination refuse, from now on, every event of the detail-type dt,
	// as PutEvents reports a failed entry. Nil skips the subtests that need it.
	Refuse func(dt string)
}

// batchPublisher is the optional capability of publishing several events in one call.
type batchPublisher interface {
	PublishBatch(ctx context.Context, evs []events.Event) error
}

// RunPublisherTests runs the conformance suite of events.Publisher, for the custom events an
// application publishes to EventBridge. newTarget is called once per subtest and must return
// a new publisher whose destination has accepted nothing.
func RunPublisherTests(t *testing.T, newTarget func(t *testing.T) PublisherTarget) {
	tests := []struct {
		name string
		fn   func(t *testing.T, tg PublisherTarget)
	}{
		{"DeliversTheCustomEvent", testPublishDelivers},
		{"EachEventOnce", testPublishEachOnce},
		{"ConcurrentPublishers", testPublishConcurrent},
		{"RefusesInvalidEvents", testPublishInvalid},
		{"EntrySizeLimit", testPublishEntrySize},
		{"BatchesWithinPutEventsLimits", testPublishBatchLimits},
		{"CanceledContext", testPublishCanceled},
		{"RefusedEventsAreReported", testPublishRefused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := newTarget(t)
			if tg.Publisher == nil || tg.Published == nil {
				t.Fatal("PublisherTarget.Publisher and PublisherTarget.Published must be set")
			}
			tt.fn(t, tg)
		})
	}
}

const suiteSource = "com.example.suite"

// custom returns a custom event of detail-type dt with the given detail.
func custom(t *testing.T, dt, detail string, resources ...string) events.Event {
	t.Helper()
	e, err := events.NewCustom(events.Custom{
		Envelope:   events.Envelope{Time: time.Date(2026, 4, 5, 6, 7, 8, 0, time.UTC), Resources: resources},
		Source:     suiteSource,
		DetailType: dt,
		Detail:     json.RawMessage(detail),
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// published decodes the events the target's destination accepted.
func published(t *testing.T, tg PublisherTarget) []events.Custom {
	t.Helper()
	var out []events.Custom
	for _, p := range tg.Published(t) {
		c, err := events.DecodeCustom(p)
		if err != nil {
			t.Fatalf("a delivered event is not an EventBridge event: %v: %s", err, p)
		}
		if c.ID == "" {
			t.Errorf("delivered event has no id: %s", p)
		}
		out = append(out, c)
	}
	return out
}

func compact(t *testing.T, raw []byte) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatalf("detail %q: %v", raw, err)
	}
	return b.String()
}

// details returns the compacted details of the delivered events of detail-type dt, sorted.
func details(t *testing.T, cs []events.Custom, dt string) []string {
	t.Helper()
	var out []string
	for _, c := range cs {
		if c.DetailType == dt {
			out = append(out, compact(t, c.Detail))
		}
	}
	slices.Sort(out)
	return out
}

func mustPublishTo(t *testing.T, p events.Publisher, e events.Event) {
	t.Helper()
	if err := p.Publish(t.Context(), e); err != nil {
		t.Fatalf("Publish(%s %q): %v", e.Source, e.Type, err)
	}
}

func testPublishDelivers(t *testing.T, tg PublisherTarget) {
	detail := "{\n  \"order\": {\"id\": \"o-1\", \"lines\": [{\"sku\": \"a<b>&c\", \"qty\": 2}]},\n  \"note\": \"caf\u00e9 \u2713\", \"total\": 12.5, \"gift\": false, \"coupon\": null\n}"
	e := custom(t, "Order Placed", detail, "arn:aws:s3:::orders", "arn:aws:dynamodb:us-east-1:123456789012:table/orders")
	mustPublishTo(t, tg.Publisher, e)
	got := published(t, tg)
	if len(got) != 1 {
		t.Fatalf("destination accepted %d events, want 1", len(got))
	}
	c := got[0]
	want := events.Custom{
		Envelope:   events.Envelope{Time: time.Date(2026, 4, 5, 6, 7, 8, 0, time.UTC), Resources: []string{"arn:aws:s3:::orders", "arn:aws:dynamodb:us-east-1:123456789012:table/orders"}},
		Source:     suiteSource,
		DetailType: "Order Placed",
		Detail:     json.RawMessage(compact(t, []byte(detail))),
	}
	c.ID, c.Account, c.Region = "", "", ""
	c.Detail = json.RawMessage(compact(t, c.Detail))
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("delivered event (-want +got):\n%s", diff)
	}
}

func testPublishEachOnce(t *testing.T, tg PublisherTarget) {
	var want []string
	for i := range 25 {
		d := fmt.Sprintf(`{"n":%d}`, i)
		want = append(want, d)
		mustPublishTo(t, tg.Publisher, custom(t, "Counted", d))
	}
	slices.Sort(want)
	if diff := cmp.Diff(want, details(t, published(t, tg), "Counted")); diff != "" {
		t.Errorf("delivered details (-want +got):\n%s", diff)
	}
}

func testPublishConcurrent(t *testing.T, tg PublisherTarget) {
	const publishers, each = 8, 10
	var want []string
	for p := range publishers {
		for i := range each {
			want = append(want, fmt.Sprintf(`{"p":%d,"i":%d}`, p, i))
		}
	}
	var wg sync.WaitGroup
	for p := range publishers {
		wg.Go(func() {
			for i := range each {
				e, err := events.NewCustom(events.Custom{Source: suiteSource, DetailType: "Concurrent", Detail: json.RawMessage(fmt.Sprintf(`{"p":%d,"i":%d}`, p, i))})
				if err == nil {
					err = tg.Publisher.Publish(t.Context(), e)
				}
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	slices.Sort(want)
	if diff := cmp.Diff(want, details(t, published(t, tg), "Concurrent")); diff != "" {
		t.Errorf("delivered details (-want +got):\n%s", diff)
	}
}

// wantRefused checks that err reports an event the publisher did not accept because it is
// invalid.
func wantRefused(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, events.ErrInvalid) || !errors.Is(err, events.ErrNotPublished) {
		t.Errorf("%s: error = %v, want one wrapping events.ErrInvalid and events.ErrNotPublished", what, err)
	}
}

func testPublishInvalid(t *testing.T, tg PublisherTarget) {
	// The envelope of an EventBridge event whose detail is not an object, as no encoder
	// writes it.
	arrayDetail := json.RawMessage(`{"version":"0","id":"6a7e8feb-b491-4cf7-a9f1-bf3703467718","detail-type":"List","source":"` + suiteSource + `","account":"","time":"2026-04-05T06:07:08Z","region":"us-east-1","resources":[],"detail":[1,2]}`)
	for name, e := range map[string]events.Event{
		"no source":               {Type: "T", Payload: json.RawMessage(`{}`)},
		"no type":                 {Source: suiteSource, Payload: json.RawMessage(`{}`)},
		"no payload":              {Source: suiteSource, Type: "T"},
		"payload not JSON":        {Source: suiteSource, Type: "T", Payload: json.RawMessage(`{"a":`)},
		"payload an array":        {Source: suiteSource, Type: "T", Payload: json.RawMessage(`[{"a":1}]`)},
		"payload a string":        {Source: suiteSource, Type: "T", Payload: json.RawMessage(`"{}"`)},
		"detail not an object":    {Source: suiteSource, Type: "List", Payload: arrayDetail},
		"payload with two values": {Source: suiteSource, Type: "T", Payload: json.RawMessage(`{} {}`)},
	} {
		wantRefused(t, name, tg.Publisher.Publish(t.Context(), e))
	}
	if got := tg.Published(t); len(got) != 0 {
		t.Errorf("destination accepted %d invalid events: %s", len(got), got[0])
	}
}

// sized returns a custom event whose PutEvents entry is n bytes, as EntrySize counts.
func sized(t *testing.T, dt string, n int) events.Event {
	t.Helper()
	const frame = len(`{"pad":""}`)
	pad := n - EntrySize(suiteSource, dt, "", nil, true) - frame
	return custom(t, dt, `{"pad":"`+strings.Repeat("x", pad)+`"}`)
}

func testPublishEntrySize(t *testing.T, tg PublisherTarget) {
	mustPublishTo(t, tg.Publisher, sized(t, "At Limit", maxEntrySize))
	wantRefused(t, "an entry one byte over 256 KB", tg.Publisher.Publish(t.Context(), sized(t, "Over Limit", maxEntrySize+1)))
	got := published(t, tg)
	if len(got) != 1 || got[0].DetailType != "At Limit" {
		var dts []string
		for _, c := range got {
			dts = append(dts, c.DetailType)
		}
		t.Errorf("destination accepted %q, want only the event of exactly 256 KB", dts)
	}
}

// publishAll publishes evs in one batch if the publisher can, and one by one otherwise.
func publishAll(ctx context.Context, p events.Publisher, evs []events.Event) error {
	if b, ok := p.(batchPublisher); ok {
		return b.PublishBatch(ctx, evs)
	}
	var errs []error
	for _, e := range evs {
		errs = append(errs, p.Publish(ctx, e))
	}
	return errors.Join(errs...)
}

func testPublishBatchLimits(t *testing.T, tg PublisherTarget) {
	// Twelve events take two requests by their count alone; four of 100 KB among them take
	// more by their size.
	var evs []events.Event
	var want []string
	pad := strings.Repeat("x", 100<<10)
	for i := range 12 {
		d := fmt.Sprintf(`{"i":%d}`, i)
		if i%3 == 0 {
			d = fmt.Sprintf(`{"i":%d,"pad":"%s"}`, i, pad)
		}
		evs = append(evs, custom(t, "Batched", d))
		want = append(want, d)
	}
	if err := publishAll(t.Context(), tg.Publisher, evs); err != nil {
		t.Fatalf("publishing 12 events: %v", err)
	}
	got := details(t, published(t, tg), "Batched")
	slices.Sort(want)
	if !slices.Equal(want, got) {
		t.Errorf("destination accepted %d events (%d distinct of the 12 published), want each of the 12 once", len(got), len(slices.Compact(slices.Clone(got))))
	}
}

func testPublishCanceled(t *testing.T, tg PublisherTarget) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := tg.Publisher.Publish(ctx, custom(t, "Canceled", `{}`))
	if !errors.Is(err, context.Canceled) || !errors.Is(err, events.ErrNotPublished) {
		t.Errorf("Publish with a canceled context: error = %v, want one wrapping context.Canceled and events.ErrNotPublished", err)
	}
	if got := tg.Published(t); len(got) != 0 {
		t.Errorf("destination accepted %d events published with a canceled context", len(got))
	}
}

func testPublishRefused(t *testing.T, tg PublisherTarget) {
	if tg.Refuse == nil {
		t.Skip("the target's destination cannot refuse events (PublisherTarget.Refuse is nil)")
	}
	tg.Refuse("Refused")
	err := tg.Publisher.Publish(t.Context(), custom(t, "Refused", `{"i":0}`))
	if !errors.Is(err, events.ErrNotPublished) || errors.Is(err, events.ErrInvalid) {
		t.Errorf("Publish of an event the destination refuses: error = %v, want one wrapping events.ErrNotPublished and not events.ErrInvalid", err)
	}
	// In a batch, the events around a refused or invalid one are published.
	evs := []events.Event{
		custom(t, "Kept", `{"i":1}`),
		custom(t, "Refused", `{"i":2}`),
		{Source: suiteSource, Type: "Invalid", Payload: json.RawMessage(`[3]`)},
		custom(t, "Kept", `{"i":4}`),
	}
	err = publishAll(t.Context(), tg.Publisher, evs)
	if !errors.Is(err, events.ErrNotPublished) || !errors.Is(err, events.ErrInvalid) {
		t.Errorf("publishing a refused and an invalid event among others: error = %v, want one wrapping events.ErrNotPublished and events.ErrInvalid", err)
	}
	got := published(t, tg)
	if diff := cmp.Diff([]string{`{"i":1}`, `{"i":4}`}, details(t, got, "Kept")); diff != "" {
		t.Errorf("events around the refused ones (-want +got):\n%s", diff)
	}
	if n := len(got) - len(details(t, got, "Kept")); n != 0 {
		t.Errorf("destination accepted %d refused or invalid events", n)
	}
}
