package cost

import (
	"context"
	"strings"

	"github.com/servous/servous/events"
)

// EventChunk is the size of the chunks EventBridge bills a custom event in: each 64 KB chunk
// of a payload is billed as one event (https://aws.amazon.com/eventbridge/pricing/).
const EventChunk = 64 * 1024

// Publisher returns p metering each event it accepts on bus: a custom event counts one
// [UnitEvents] per started 64 KB chunk of its PutEvents entry size ([EventSize]); an event
// whose source starts with "aws." comes from an AWS service, which EventBridge does not
// bill, and counts as [UnitAWSEvents]. An event p refuses is not metered.
func Publisher(p events.Publisher, m *Meter, bus string) events.Publisher {
	return &meteredPublisher{p: p, m: m, bus: bus}
}

type meteredPublisher struct {
	p   events.Publisher
	m   *Meter
	bus string
}

func (mp *meteredPublisher) Publish(ctx context.Context, e events.Event) error {
	if err := mp.p.Publish(ctx, e); err != nil {
		return err
	}
	source, size := EventSize(e)
	if strings.HasPrefix(source, "aws.") {
		mp.m.Add(Key{ServiceEventBridge, mp.bus, UnitAWSEvents}, 1)
		return nil
	}
	mp.m.Add(Key{ServiceEventBridge, mp.bus, UnitEvents}, float64(EventChunks(size)))
	return nil
}

// EventSize returns the source of the PutEvents entry e is sent as, and the entry's size as
// EventBridge computes it ("Calculating Amazon EventBridge PutEvents event entry size",
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html): 14 bytes
// for a time, plus the UTF-8 bytes of Source, DetailType, Detail and each of Resources. An
// event whose Payload is an EventBridge event is sent with its envelope's fields, as the
// awseventbridge adapter sends it; any other with its Source, Type and Payload as the detail.
func EventSize(e events.Event) (source string, size int) {
	if c, err := events.DecodeCustom(e.Payload); err == nil {
		size = len(c.Source) + len(c.DetailType) + len(c.Detail)
		for _, r := range c.Resources {
			size += len(r)
		}
		if !c.Time.IsZero() {
			size += 14
		}
		return c.Source, size
	}
	size = len(e.Source) + len(e.Type) + len(e.Payload)
	if !e.Time.IsZero() {
		size += 14
	}
	return e.Source, size
}

// EventChunks returns how many events EventBridge bills for an entry of size bytes: one per
// started 64 KB chunk, at least one.
func EventChunks(size int) int {
	return max(1, (size+EventChunk-1)/EventChunk)
}
