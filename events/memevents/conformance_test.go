package memevents_test

import (
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/servous/servous/events/eventstest"
	"github.com/servous/servous/events/memevents"
)

// suiteBus adapts a memevents.Bus to the conformance suite.
type suiteBus struct {
	*memevents.Bus
}

func (b suiteBus) Subscribe(t *testing.T, sub eventstest.Subscription, h lambda.Handler) func() []eventstest.DeadLetter {
	t.Helper()
	retries := sub.MaxRetries
	if retries == 0 {
		retries = -1
	}
	s, err := b.Bus.Subscribe(memevents.Filter{
		Source: sub.Source, Types: sub.Types, Bucket: sub.Bucket,
		Prefix: sub.Prefix, Suffix: sub.Suffix, Detail: sub.Detail,
	}, h, &memevents.SubscribeOptions{MaxRetries: retries, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var kept []eventstest.DeadLetter
	return func() []eventstest.DeadLetter {
		for _, f := range s.DeadLetters() {
			kept = append(kept, eventstest.DeadLetter{Event: f.Event, Err: f.Err, Attempts: f.Attempts})
		}
		return kept
	}
}

func TestConformance(t *testing.T) {
	eventstest.RunBusTests(t, func(t *testing.T) eventstest.Bus {
		b := memevents.New(nil)
		t.Cleanup(func() { b.Close() })
		return suiteBus{b}
	})
}
