package memevents_test

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
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

// payloads is a handler that keeps the payloads it is invoked with.
type payloads struct {
	mu  sync.Mutex
	got []json.RawMessage
}

func (p *payloads) Invoke(_ context.Context, payload []byte) ([]byte, error) {
	p.mu.Lock()
	p.got = append(p.got, slices.Clone(payload))
	p.mu.Unlock()
	return nil, nil
}

func TestPublisherConformance(t *testing.T) {
	eventstest.RunPublisherTests(t, func(t *testing.T) eventstest.PublisherTarget {
		b := memevents.New(nil)
		t.Cleanup(func() { b.Close() })
		rec := &payloads{}
		if _, err := b.Subscribe(memevents.Filter{}, rec, &memevents.SubscribeOptions{MaxRetries: -1}); err != nil {
			t.Fatal(err)
		}
		return eventstest.PublisherTarget{
			Publisher: b,
			Published: func(t *testing.T) []json.RawMessage {
				if err := b.Wait(t.Context()); err != nil {
					t.Fatal(err)
				}
				rec.mu.Lock()
				defer rec.mu.Unlock()
				return slices.Clone(rec.got)
			},
		}
	})
}
