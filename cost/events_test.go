package cost_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/servous/servous/cost"
	"github.com/servous/servous/events"
	"github.com/servous/servous/events/memevents"
)

// EventBridge pricing (https://aws.amazon.com/eventbridge/pricing/): custom events $1.00 per
// million; each 64 KB chunk of a payload is billed as one event, so a 256 KB event is billed
// as four. Events from AWS services are free.
func TestPublisherChunks(t *testing.T) {
	bus := memevents.New(nil)
	t.Cleanup(func() { bus.Close() })
	m := cost.NewMeter(nil)
	p := cost.Publisher(bus, m, "default")
	ctx := t.Context()

	custom := func(detailBytes int) events.Event {
		detail, _ := json.Marshal(map[string]string{"pad": strings.Repeat("x", detailBytes-len(`{"pad":""}`))})
		e, err := events.NewCustom(events.Custom{Source: "com.example", DetailType: "Padded", Detail: detail})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	small := custom(100)
	if _, size := cost.EventSize(small); size != 100+len("com.example")+len("Padded")+14 {
		t.Errorf("EventSize = %d, want source + detail-type + detail + 14 for the time", size)
	}
	for _, e := range []events.Event{small, custom(256*1024 - 100)} {
		if err := p.Publish(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	near(t, "custom events", m.Usage().Get("eventbridge", "default", cost.UnitEvents), 1+4)

	s3, err := events.NewObjectEventBridgeEvent(events.ObjectEvent{Name: events.ObjectCreatedPut, Bucket: "b", Key: "k", Size: 1, Time: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Publish(ctx, s3); err != nil {
		t.Fatal(err)
	}
	u := m.Usage()
	near(t, "AWS events", u.Get("eventbridge", "default", cost.UnitAWSEvents), 1)
	near(t, "custom events", u.Get("eventbridge", "default", cost.UnitEvents), 5)
	near(t, "cost of a million such runs", u.Report(cost.USEast1()).PerRuns(1_000_000).Total, 5)
}

func TestEventChunks(t *testing.T) {
	for _, c := range []struct{ size, want int }{{0, 1}, {1, 1}, {64 * 1024, 1}, {64*1024 + 1, 2}, {256 * 1024, 4}} {
		if got := cost.EventChunks(c.size); got != c.want {
			t.Errorf("EventChunks(%d) = %d, want %d", c.size, got, c.want)
		}
	}
}
