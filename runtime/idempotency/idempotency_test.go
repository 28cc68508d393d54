package idempotency_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/servous/servous/runtime"
	"github.com/servous/servous/runtime/idempotency"
	"github.com/servous/servous/table"
	"github.com/servous/servous/table/memtable"
)

// clock is a settable clock shared by the store and the table.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newTableFunc makes an empty record table whose expiry follows c (nil: the system clock).
type newTableFunc func(t *testing.T, c *clock) table.Table[idempotency.Record]

func newMemTable(t *testing.T, c *clock) table.Table[idempotency.Record] {
	var opts memtable.Options
	if c != nil {
		opts.Now = c.Now
	}
	tb, err := memtable.New[idempotency.Record]("idempotency", &opts)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

func TestStoreMemtable(t *testing.T) {
	testStore(t, newMemTable)
}

type order struct {
	ID     string `json:"id"`
	Amount int    `json:"amount"`
}

type receipt struct {
	OrderID string `json:"orderId"`
	Charged int    `json:"charged"`
	Run     int64  `json:"run"`
}

func orderKey(o order) (string, error) { return o.ID, nil }

// charger is a handler that counts its runs.
type charger struct {
	runs atomic.Int64
	fail error
}

func (c *charger) charge(ctx context.Context, o order) (receipt, error) {
	n := c.runs.Add(1)
	if c.fail != nil {
		return receipt{}, c.fail
	}
	return receipt{OrderID: o.ID, Charged: o.Amount, Run: n}, nil
}

func testStore(t *testing.T, newTable newTableFunc) {
	t.Run("CompletedRepeatReturnsStoredResult", func(t *testing.T) {
		c := newClock()
		tb := newTable(t, c)
		var ch charger
		h := idempotency.Func(idempotency.New(tb, &idempotency.Options{Now: c.Now, Prefix: "pay"}), orderKey, ch.charge)
		first, err := h(t.Context(), order{ID: "o-1", Amount: 5})
		if err != nil {
			t.Fatal(err)
		}
		again, err := h(t.Context(), order{ID: "o-1", Amount: 5})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(first, again); diff != "" {
			t.Errorf("repeat result (-first +repeat):\n%s", diff)
		}
		if ch.runs.Load() != 1 {
			t.Errorf("handler ran %d times, want 1", ch.runs.Load())
		}
		if _, err := h(t.Context(), order{ID: "o-2", Amount: 5}); err != nil || ch.runs.Load() != 2 {
			t.Errorf("another key: err %v, runs %d; want it run", err, ch.runs.Load())
		}

		// The stored record, as Powertools lays it out.
		recs := records(t, tb, "pay", "o-1")
		want := idempotency.Record{
			ID:        recs.ID,
			ExpiresAt: c.Now().Add(time.Hour).Unix(),
			Status:    idempotency.StatusCompleted,
			Data:      `{"orderId":"o-1","charged":5,"run":1}`,
		}
		if diff := cmp.Diff(want, recs); diff != "" {
			t.Errorf("record (-want +got):\n%s", diff)
		}
		if !regexp.MustCompile(`^pay#[0-9a-f]{64}$`).MatchString(recs.ID) {
			t.Errorf("record id %q is not prefix#sha256", recs.ID)
		}
	})

	t.Run("ConcurrentDuplicatesRunOnce", func(t *testing.T) {
		tb := newTable(t, nil)
		s := idempotency.New(tb, nil)
		var runs atomic.Int64
		release := make(chan struct{})
		h := idempotency.Func(s, orderKey, func(ctx context.Context, o order) (receipt, error) {
			runs.Add(1)
			<-release // hold the key until every duplicate has been refused
			return receipt{OrderID: o.ID, Charged: o.Amount}, nil
		})
		const n = 50
		var wg, refused sync.WaitGroup
		refused.Add(n - 1)
		results := make([]error, n)
		var ok atomic.Int64
		for i := range n {
			wg.Go(func() {
				r, err := h(t.Context(), order{ID: "dup", Amount: 9})
				results[i] = err
				if err == nil {
					ok.Add(1)
					if r.Charged != 9 {
						t.Errorf("result %+v", r)
					}
					return
				}
				refused.Done()
			})
		}
		refused.Wait()
		close(release)
		wg.Wait()
		if runs.Load() != 1 || ok.Load() != 1 {
			t.Fatalf("handler ran %d times, %d calls succeeded; want 1 and 1", runs.Load(), ok.Load())
		}
		for i, err := range results {
			if err != nil && !errors.Is(err, idempotency.ErrInProgress) {
				t.Errorf("call %d: %v, want ErrInProgress", i, err)
			}
		}
		// Once completed, a repeat gets the stored result.
		if r, err := h(t.Context(), order{ID: "dup", Amount: 9}); err != nil || r.Charged != 9 || runs.Load() != 1 {
			t.Errorf("repeat after completion: %+v, %v, runs %d", r, err, runs.Load())
		}
	})

	t.Run("ConcurrentDuplicatesRace", func(t *testing.T) {
		s := idempotency.New(newTable(t, nil), nil)
		var ch charger
		h := idempotency.Func(s, orderKey, ch.charge)
		var wg sync.WaitGroup
		var got sync.Map
		for i := range 50 {
			wg.Go(func() {
				r, err := h(t.Context(), order{ID: "race", Amount: 3})
				switch {
				case err == nil:
					got.Store(i, r)
				case !errors.Is(err, idempotency.ErrInProgress):
					t.Errorf("call %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		if ch.runs.Load() != 1 {
			t.Errorf("handler ran %d times, want 1", ch.runs.Load())
		}
		got.Range(func(k, v any) bool {
			if diff := cmp.Diff(receipt{OrderID: "race", Charged: 3, Run: 1}, v); diff != "" {
				t.Errorf("call %v (-want +got):\n%s", k, diff)
			}
			return true
		})
	})

	t.Run("HandlerErrorDeletesRecord", func(t *testing.T) {
		tb := newTable(t, nil)
		s := idempotency.New(tb, &idempotency.Options{Prefix: "p"})
		boom := errors.New("card declined")
		ch := charger{fail: boom}
		h := idempotency.Func(s, orderKey, ch.charge)
		if _, err := h(t.Context(), order{ID: "o"}); err != boom {
			t.Fatalf("got %v, want the handler's error itself", err)
		}
		if _, err := tb.Get(t.Context(), table.Key{Partition: table.String(recordID("p", "o"))}, nil); !errors.Is(err, table.ErrNotFound) {
			t.Errorf("record after a failure: %v, want ErrNotFound", err)
		}
		ch.fail = nil
		if _, err := h(t.Context(), order{ID: "o"}); err != nil || ch.runs.Load() != 2 {
			t.Errorf("retry: %v, runs %d; want it run again", err, ch.runs.Load())
		}
	})

	t.Run("PanicDeletesRecord", func(t *testing.T) {
		s := idempotency.New(newTable(t, nil), nil)
		var runs atomic.Int64
		h := idempotency.Func(s, orderKey, func(ctx context.Context, o order) (receipt, error) {
			if runs.Add(1) == 1 {
				panic("first attempt crashes")
			}
			return receipt{OrderID: o.ID}, nil
		})
		func() {
			defer func() {
				if v := recover(); v != "first attempt crashes" {
					t.Errorf("recovered %v, want the handler's panic", v)
				}
			}()
			_, _ = h(t.Context(), order{ID: "p"})
		}()
		if r, err := h(t.Context(), order{ID: "p"}); err != nil || r.OrderID != "p" || runs.Load() != 2 {
			t.Errorf("retry after a panic: %+v, %v, runs %d", r, err, runs.Load())
		}
	})

	t.Run("PayloadMismatch", func(t *testing.T) {
		s := idempotency.New(newTable(t, nil), &idempotency.Options{ValidatePayload: true})
		var ch charger
		h := idempotency.Func(s, orderKey, ch.charge)
		if _, err := h(t.Context(), order{ID: "v", Amount: 1}); err != nil {
			t.Fatal(err)
		}
		if _, err := h(t.Context(), order{ID: "v", Amount: 2}); !errors.Is(err, idempotency.ErrPayloadMismatch) {
			t.Errorf("same key, other payload: %v, want ErrPayloadMismatch", err)
		}
		if r, err := h(t.Context(), order{ID: "v", Amount: 1}); err != nil || r.Charged != 1 {
			t.Errorf("same payload: %+v, %v", r, err)
		}
		if ch.runs.Load() != 1 {
			t.Errorf("handler ran %d times, want 1", ch.runs.Load())
		}

		// Without validation, a differing payload is a repeat like any other.
		s2 := idempotency.New(newTable(t, nil), nil)
		var ch2 charger
		h2 := idempotency.Func(s2, orderKey, ch2.charge)
		_, _ = h2(t.Context(), order{ID: "v", Amount: 1})
		if r, err := h2(t.Context(), order{ID: "v", Amount: 2}); err != nil || r.Charged != 1 {
			t.Errorf("no validation: %+v, %v; want the stored result", r, err)
		}
	})

	t.Run("InProgressExpiresWithInvocation", func(t *testing.T) {
		c := newClock()
		tb := newTable(t, c)
		s := idempotency.New(tb, &idempotency.Options{Now: c.Now, Prefix: "x"})
		started, release := make(chan struct{}), make(chan struct{})
		var runs atomic.Int64
		h := idempotency.Func(s, orderKey, func(ctx context.Context, o order) (receipt, error) {
			if runs.Add(1) == 1 {
				close(started)
				<-release // a stuck attempt, as one Lambda froze or killed
			}
			return receipt{OrderID: o.ID}, nil
		})
		deadline := c.Now().Add(time.Minute)
		ctx, cancel := context.WithDeadline(t.Context(), deadline)
		defer cancel()
		done := make(chan error, 1)
		go func() {
			_, err := h(ctx, order{ID: "stuck"})
			done <- err
		}()
		<-started
		rec := records(t, tb, "x", "stuck")
		if rec.Status != idempotency.StatusInProgress || rec.InProgressExpiresAt != deadline.UnixMilli() {
			t.Errorf("in-progress record %+v: want status INPROGRESS, in_progress_expiration %d (the deadline)", rec, deadline.UnixMilli())
		}
		if _, err := h(t.Context(), order{ID: "stuck"}); !errors.Is(err, idempotency.ErrInProgress) {
			t.Errorf("repeat before the deadline: %v, want ErrInProgress", err)
		}
		c.Advance(2 * time.Minute)
		if _, err := h(t.Context(), order{ID: "stuck"}); err != nil || runs.Load() != 2 {
			t.Errorf("repeat after the first invocation's deadline: %v, runs %d; want it run", err, runs.Load())
		}
		close(release)
		<-done
	})

	t.Run("InProgressExpiresAtLambdasDeadline", func(t *testing.T) {
		tb := newTable(t, nil)
		s := idempotency.New(tb, &idempotency.Options{Prefix: "m"})
		deadline := time.Now().Add(time.Minute)
		ctx, cancel := context.WithDeadline(t.Context(), deadline)
		defer cancel()
		var inProgress idempotency.Record
		h := runtime.Chain(runtime.InvokeFunc(func(ctx context.Context, payload []byte) ([]byte, error) {
			return s.Do(ctx, "k", payload, func(ctx context.Context) ([]byte, error) {
				inProgress = records(t, tb, "m", "k")
				return []byte(`"done"`), nil
			})
		}), runtime.DeadlineMargin(10*time.Second))
		if _, err := h.Invoke(ctx, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
		if inProgress.InProgressExpiresAt != deadline.UnixMilli() {
			t.Errorf("in_progress_expiration %d, want Lambda's deadline %d, not the margin's", inProgress.InProgressExpiresAt, deadline.UnixMilli())
		}
	})

	t.Run("CompletedRecordExpires", func(t *testing.T) {
		c := newClock()
		s := idempotency.New(newTable(t, c), &idempotency.Options{Now: c.Now, Expiry: 10 * time.Minute})
		var ch charger
		h := idempotency.Func(s, orderKey, ch.charge)
		_, _ = h(t.Context(), order{ID: "e"})
		c.Advance(9 * time.Minute)
		_, _ = h(t.Context(), order{ID: "e"})
		if ch.runs.Load() != 1 {
			t.Fatalf("runs %d before expiry, want 1", ch.runs.Load())
		}
		c.Advance(2 * time.Minute)
		if r, err := h(t.Context(), order{ID: "e"}); err != nil || r.Run != 2 {
			t.Errorf("after expiry: %+v, %v; want a second run", r, err)
		}
	})

	t.Run("InvalidKey", func(t *testing.T) {
		s := idempotency.New(newTable(t, nil), nil)
		var ch charger
		h := idempotency.Func(s, func(o order) (string, error) { return o.ID, nil }, ch.charge)
		if _, err := h(t.Context(), order{}); !errors.Is(err, idempotency.ErrInvalidKey) {
			t.Errorf("empty key: %v, want ErrInvalidKey", err)
		}
		bad := errors.New("no id field")
		h = idempotency.Func(s, func(order) (string, error) { return "", bad }, ch.charge)
		if _, err := h(t.Context(), order{}); !errors.Is(err, idempotency.ErrInvalidKey) || !errors.Is(err, bad) {
			t.Errorf("key error: %v, want ErrInvalidKey wrapping the key function's error", err)
		}
		if ch.runs.Load() != 0 {
			t.Errorf("handler ran without a key")
		}
	})

	t.Run("MiddlewareUnderLocal", func(t *testing.T) {
		s := idempotency.New(newTable(t, nil), nil)
		var ch charger
		h := runtime.NewHandler(ch.charge, &runtime.Options{
			Middleware: []runtime.Middleware{s.Middleware(func(payload []byte) (string, error) {
				return string(payload), nil
			})},
			Metrics: &runtime.MetricsOptions{Writer: discard{}},
		})
		l := runtime.NewLocal(h, &runtime.LocalOptions{FunctionName: "charge"})
		var outs []string
		for range 3 {
			out, err := l.Invoke(t.Context(), []byte(`{"id":"m","amount":4}`))
			if err != nil {
				t.Fatal(err)
			}
			outs = append(outs, string(out))
		}
		want := `{"orderId":"m","charged":4,"run":1}`
		if diff := cmp.Diff([]string{want, want, want}, outs); diff != "" || ch.runs.Load() != 1 {
			t.Errorf("runs %d; responses (-want +got):\n%s", ch.runs.Load(), diff)
		}
	})
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// recordID is the id the store gives key's record: prefix#sha256(key).
func recordID(prefix, key string) string {
	sum := sha256.Sum256([]byte(key))
	return prefix + "#" + hex.EncodeToString(sum[:])
}

func records(t *testing.T, tb table.Table[idempotency.Record], prefix, key string) idempotency.Record {
	t.Helper()
	rec, err := tb.Get(t.Context(), table.Key{Partition: table.String(recordID(prefix, key))}, &table.GetOptions{ConsistentRead: true})
	if err != nil {
		t.Fatalf("record for %q: %v", key, err)
	}
	return rec
}
