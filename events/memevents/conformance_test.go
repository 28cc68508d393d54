package memevents_test

import (
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/servous/servous/events/eventstest"
	"github.com/servous/servous/events/memevents"
)

// suiteSubscribe adapts a memevents subscription to the conformance suite's.
func suiteSubscribe(b *memevents.Bus) func(t *testing.T, sub eventstest.Subscription, h lambda.Handler) func() []eventstest.DeadLetter {
	return func(t *testing.T, sub eventstest.Subscription, h lambda.Handler) func() []eventstest.DeadLetter {
		t.Helper()
		retries := sub.MaxRetries
		if retries == 0 {
			retries = -1
		}
		s, err := b.Subscribe(memevents.Filter{
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
}

func TestConformance(t *testing.T) {
	eventstest.RunBusTests(t, func(t *testing.T) eventstest.BusTarget {
		b := memevents.New(nil)
		t.Cleanup(func() { b.Close() })
		return eventstest.BusTarget{Publisher: b, Subscribe: suiteSubscribe(b), Wait: b.Wait}
	})
}
