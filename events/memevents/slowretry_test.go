package memevents_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/servous/servous/events/memevents"
	"github.com/servous/servous/runtime"
)

// recordHandler hands every record logged to it to a channel.
type recordHandler chan slog.Record

func (h recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h recordHandler) Handle(_ context.Context, r slog.Record) error {
	h <- r.Clone()
	return nil
}
func (h recordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h recordHandler) WithGroup(string) slog.Handler      { return h }

func attrs(r slog.Record) map[string]slog.Value {
	m := map[string]slog.Value{}
	r.Attrs(func(a slog.Attr) bool {
		m[a.Key] = a.Value
		return true
	})
	return m
}

func failing() lambda.Handler {
	return handlerFunc(func(context.Context, []byte) ([]byte, error) { return nil, errors.New("down") })
}

// A test that leaves TimeScale at 1 and has a handler fail waits a minute for the retry; the bus
// says so at once.
func TestRetryWithRealBackoffIsLogged(t *testing.T) {
	records := make(recordHandler, 8)
	b := newBus(t, &memevents.Options{Logger: slog.New(records)})
	subscribe(t, b, memevents.Filter{}, failing(),
		&memevents.SubscribeOptions{Function: &runtime.LocalOptions{FunctionName: "resize"}})
	if err := b.Publish(t.Context(), object(t, "k")); err != nil {
		t.Fatal(err)
	}
	var r slog.Record
	select {
	case r = <-records:
	case <-t.Context().Done():
		t.Fatal("no warning before the test's deadline")
	}
	if r.Level != slog.LevelWarn || !strings.Contains(r.Message, "Options.TimeScale") {
		t.Errorf("logged %v %q, want a warning that names Options.TimeScale", r.Level, r.Message)
	}
	a := attrs(r)
	if d := a["delay"].Duration(); d != memevents.DefaultBackoff {
		t.Errorf("delay = %v, want %v", d, memevents.DefaultBackoff)
	}
	if n := a["attempt"].Int64(); n != 2 {
		t.Errorf("attempt = %d, want 2", n)
	}
	if f := a["function"].String(); !strings.HasSuffix(f, ":function:resize") {
		t.Errorf("function = %q, want the target's ARN", f)
	}
	if e := a["error"].String(); e == "" {
		t.Errorf("no error in %v", a)
	}
	// The bus's cleanup closes it, which discards the retry instead of waiting a minute for it.
}

func TestFastRetryIsNotLogged(t *testing.T) {
	records := make(recordHandler, 8)
	b := newBus(t, &memevents.Options{TimeScale: 0.001, Logger: slog.New(records)})
	s := subscribe(t, b, memevents.Filter{}, failing(), nil)
	if err := b.Publish(t.Context(), object(t, "k")); err != nil {
		t.Fatal(err)
	}
	waitBus(t, b)
	if dead := s.DeadLetters(); len(dead) != 1 || dead[0].Attempts != 3 {
		t.Fatalf("dead letters = %+v, want one after 3 attempts", dead)
	}
	if n := len(records); n != 0 {
		t.Fatalf("%d records logged for retries of 60 and 120ms, want none", n)
	}
}

// The threshold applies to the delay after TimeScale, SubscribeOptions.Backoff included: a
// two-second backoff at half scale waits SlowRetry, and is warned about.
func TestSlowRetryIsTheScaledDelay(t *testing.T) {
	records := make(recordHandler, 8)
	b := newBus(t, &memevents.Options{TimeScale: 0.5, Logger: slog.New(records)})
	subscribe(t, b, memevents.Filter{}, failing(), &memevents.SubscribeOptions{Backoff: 2 * memevents.SlowRetry})
	if err := b.Publish(t.Context(), object(t, "k")); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-records:
		if d := attrs(r)["delay"].Duration(); d != memevents.SlowRetry {
			t.Errorf("delay = %v, want %v", d, memevents.SlowRetry)
		}
	case <-t.Context().Done():
		t.Fatal("no warning before the test's deadline")
	}
}
