package runtime_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/servous/servous/runtime"
)

func TestWorkerInvokeContext(t *testing.T) {
	h, got := observe(t)
	l := runtime.NewLocal(h, &runtime.LocalOptions{FunctionName: "resize", Region: "eu-west-1", Timeout: 30 * time.Second})
	w := l.NewWorker(func(err error) { t.Errorf("abandoned: %v", err) })

	before := time.Now()
	for range 3 {
		out, err := w.Invoke(context.Background(), []byte(`{"a":1}`))
		if err != nil {
			t.Fatalf("Invoke: %v", err)
		}
		if diff := cmp.Diff(`{"a":1}`, string(out)); diff != "" {
			t.Errorf("response (-want +got):\n%s", diff)
		}
	}
	// The Local's invocations through Invoke count for its cold start too.
	if _, err := l.Invoke(t.Context(), []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	calls := got()
	if len(calls) != 4 {
		t.Fatalf("handler ran %d times, want 4", len(calls))
	}
	checkInvocations(t, calls[:3], before, 30*time.Second)
	if calls[3].ColdStart {
		t.Error("Local.Invoke after the Worker's invocations is a cold start")
	}
}

// hanging returns a handler that reports its context's end on ended and
// then keeps running, as a stuck function does, until release is closed.
func hanging(ended chan<- error, release <-chan struct{}) runtime.HandlerFunc[struct{}, string] {
	return func(ctx context.Context, _ struct{}) (string, error) {
		<-ctx.Done()
		ended <- context.Cause(ctx)
		<-release
		return "late", nil
	}
}

// abandonments records a Worker's abandoned calls.
type abandonments struct {
	mu   sync.Mutex
	errs []error
	once sync.Once
	ch   chan struct{} // closed by the first call
}

func (a *abandonments) note(err error) {
	a.mu.Lock()
	a.errs = append(a.errs, err)
	a.mu.Unlock()
	a.once.Do(func() { close(a.wait()) })
}

// wait returns a channel closed once abandoned has been called.
func (a *abandonments) wait() chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ch == nil {
		a.ch = make(chan struct{})
	}
	return a.ch
}

func (a *abandonments) get() []error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]error(nil), a.errs...)
}

func TestWorkerTimeout(t *testing.T) {
	for _, parent := range []struct {
		name string
		ctx  context.Context
	}{
		{"uncancelable parent", context.Background()},
		{"cancelable parent", t.Context()},
	} {
		t.Run(parent.name, func(t *testing.T) {
			ended := make(chan error, 1)
			release := make(chan struct{})
			var gone abandonments
			l := runtime.NewLocal(hanging(ended, release), &runtime.LocalOptions{Timeout: 50 * time.Millisecond})
			w := l.NewWorker(gone.note)
			type result struct {
				out []byte
				err error
			}
			done := make(chan result, 1)
			go func() {
				out, err := w.Invoke(parent.ctx, []byte(`{}`))
				done <- result{out, err}
			}()
			if err := <-ended; !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("handler's context ended with %v, want DeadlineExceeded", err)
			}
			// With a parent that can be canceled, the Worker hears of the
			// deadline through context.AfterFunc, which may come after the
			// handler does; an answer in between would still count.
			<-gone.wait()
			close(release)
			r := <-done
			// Invoke returns after the abandoned function, so this sees its call.
			errs := gone.get()
			if len(errs) != 1 || !errors.Is(errs[0], runtime.ErrTimeout) {
				t.Fatalf("abandoned was called with %v, want one error wrapping ErrTimeout", errs)
			}
			if want := "runtime: task timed out after 0.05 seconds"; errs[0].Error() != want {
				t.Errorf("abandoned error = %q, want %q", errs[0], want)
			}
			if r.out != nil || !errors.Is(r.err, runtime.ErrAbandoned) || !errors.Is(r.err, runtime.ErrTimeout) {
				t.Errorf("Invoke = %q, %v; want no response and an error wrapping ErrAbandoned and ErrTimeout", r.out, r.err)
			}

			// The Worker serves the next invocation, whose time starts afresh.
			ok := runtime.NewLocal(runtime.HandlerFunc[struct{}, string](func(context.Context, struct{}) (string, error) {
				return "ok", nil
			}), &runtime.LocalOptions{Timeout: 50 * time.Millisecond})
			w = ok.NewWorker(gone.note)
			for range 3 {
				if out, err := w.Invoke(parent.ctx, []byte(`{}`)); err != nil || string(out) != `"ok"` {
					t.Fatalf("next Invoke = %q, %v", out, err)
				}
			}
			if n := len(gone.get()); n != 1 {
				t.Errorf("%d abandonments, want only the first", n)
			}
		})
	}
}

func TestWorkerAbandon(t *testing.T) {
	ended := make(chan error, 1)
	release := make(chan struct{})
	var gone abandonments
	started := make(chan struct{})
	l := runtime.NewLocal(runtime.HandlerFunc[struct{}, string](func(ctx context.Context, in struct{}) (string, error) {
		close(started)
		return hanging(ended, release)(ctx, in)
	}), nil)
	w := l.NewWorker(gone.note)
	if w.Abandon() {
		t.Error("Abandon with no invocation running reported true")
	}
	done := make(chan error, 1)
	go func() {
		_, err := w.Invoke(context.Background(), []byte(`{}`))
		done <- err
	}()
	<-started
	if !w.Abandon() {
		t.Fatal("Abandon reported false with an invocation running")
	}
	// The abandoned function ran on this goroutine, before Abandon returned.
	errs := gone.get()
	if len(errs) != 1 || !errors.Is(errs[0], runtime.ErrAbandoned) || !errors.Is(errs[0], context.Canceled) {
		t.Fatalf("abandoned was called with %v, want one error wrapping ErrAbandoned and context.Canceled", errs)
	}
	if w.Abandon() {
		t.Error("second Abandon reported true")
	}
	if err := <-ended; !errors.Is(err, context.Canceled) {
		t.Errorf("handler's context ended with %v, want Canceled", err)
	}
	close(release)
	if err := <-done; !errors.Is(err, runtime.ErrAbandoned) {
		t.Errorf("Invoke = %v, want an error wrapping ErrAbandoned", err)
	}
	if n := len(gone.get()); n != 1 {
		t.Errorf("%d abandonments, want 1", n)
	}
}

func TestWorkerCallerCancels(t *testing.T) {
	ended := make(chan error, 1)
	release := make(chan struct{})
	defer close(release)
	var gone abandonments
	l := runtime.NewLocal(hanging(ended, release), nil)
	w := l.NewWorker(gone.note)
	ctx, cancel := context.WithCancelCause(t.Context())
	cause := errors.New("shutting down")
	done := make(chan error, 1)
	go func() {
		_, err := w.Invoke(ctx, []byte(`{}`))
		done <- err
	}()
	cancel(cause)
	if err := <-ended; !errors.Is(err, cause) {
		t.Errorf("handler's context ended with %v, want the caller's cause", err)
	}
	<-gone.wait()
	release <- struct{}{} // the handler returns
	if err := <-done; !errors.Is(err, runtime.ErrAbandoned) || !errors.Is(err, cause) || errors.Is(err, runtime.ErrTimeout) {
		t.Errorf("Invoke = %v, want an error wrapping ErrAbandoned and the cause, not ErrTimeout", err)
	}
	if errs := gone.get(); len(errs) != 1 || !errors.Is(errs[0], cause) {
		t.Errorf("abandoned was called with %v, want one error wrapping the cause", errs)
	}
}

func TestWorkerContextEnds(t *testing.T) {
	// Contexts derived from the handler's end with it: at the deadline, and
	// when the invocation returns, as aws-lambda-go cancels it.
	var (
		derived       context.Context
		derivedCancel context.CancelFunc
	)
	ended := make(chan error, 1)
	l := runtime.NewLocal(runtime.HandlerFunc[struct{}, string](func(ctx context.Context, _ struct{}) (string, error) {
		child, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			<-child.Done()
			ended <- child.Err()
		}()
		derived, derivedCancel = context.WithTimeout(ctx, time.Hour)
		if err := ctx.Err(); err != nil {
			return "", err
		}
		return "ok", nil
	}), &runtime.LocalOptions{Timeout: time.Minute})
	if _, err := l.NewWorker(nil).Invoke(context.Background(), []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if err := <-ended; !errors.Is(err, context.Canceled) {
		t.Errorf("child context ended with %v, want Canceled", err)
	}
	defer derivedCancel()
	<-derived.Done() // the invocation's end reached it through the handler's context
	if !errors.Is(derived.Err(), context.Canceled) {
		t.Errorf("derived context ended with %v, want Canceled", derived.Err())
	}

	// A deadline that has passed already ends the context before the handler runs.
	past, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	var sawErr error
	var gone abandonments
	l = runtime.NewLocal(runtime.HandlerFunc[struct{}, string](func(ctx context.Context, _ struct{}) (string, error) {
		sawErr = ctx.Err()
		<-ctx.Done()
		return "", nil
	}), nil)
	// The handler answers at once, which may be before the Worker gives up on
	// it: as with Local.Invoke, an answer that comes in time is kept.
	if _, err := l.NewWorker(gone.note).Invoke(past, []byte(`{}`)); err != nil && !errors.Is(err, runtime.ErrTimeout) {
		t.Errorf("Invoke past the deadline = %v, want nil or ErrTimeout", err)
	}
	if !errors.Is(sawErr, context.DeadlineExceeded) {
		t.Errorf("handler saw Err() = %v, want DeadlineExceeded", sawErr)
	}
}

func TestWorkerErrors(t *testing.T) {
	sentinel := &codeError{code: 7}
	l := runtime.NewLocal(runtime.HandlerFunc[string, string](func(_ context.Context, in string) (string, error) {
		switch in {
		case "fail":
			return "", sentinel
		case "panic":
			panic("boom")
		}
		return in, nil
	}), nil)
	w := l.NewWorker(nil)
	if _, err := w.Invoke(t.Context(), []byte(`"fail"`)); !errors.Is(err, sentinel) {
		t.Errorf("handler error: got %v", err)
	}
	_, err := w.Invoke(t.Context(), []byte(`"panic"`))
	var pe *runtime.PanicError
	if !errors.As(err, &pe) || pe.Value != "boom" || len(pe.Stack) == 0 {
		t.Fatalf("panic: got %T %v, want *runtime.PanicError", err, err)
	}
	if out, err := w.Invoke(t.Context(), []byte(`"after"`)); err != nil || string(out) != `"after"` {
		t.Errorf("after a panic: %q, %v", out, err)
	}
}

func TestWorkerOneAtATime(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	l := runtime.NewLocal(runtime.HandlerFunc[struct{}, string](func(ctx context.Context, _ struct{}) (string, error) {
		close(started)
		<-release
		return "", nil
	}), nil)
	w := l.NewWorker(nil)
	done := make(chan error, 1)
	go func() {
		_, err := w.Invoke(context.Background(), []byte(`{}`))
		done <- err
	}()
	<-started
	if _, err := w.Invoke(context.Background(), []byte(`{}`)); err == nil {
		t.Error("a second concurrent Invoke on one Worker succeeded")
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
