package runtime_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/servous/servous/runtime"
)

type ctxKey struct{}

// marginContext returns the context a handler gets from DeadlineMargin(margin) under a parent
// ending in timeout, and a function that ends the invocation.
func marginContext(t *testing.T, parent context.Context, margin time.Duration) (context.Context, func()) {
	t.Helper()
	got := make(chan context.Context)
	finish := make(chan struct{})
	done := make(chan struct{})
	h := runtime.Chain(runtime.InvokeFunc(func(ctx context.Context, p []byte) ([]byte, error) {
		got <- ctx
		<-finish
		return nil, nil
	}), runtime.DeadlineMargin(margin))
	go func() {
		defer close(done)
		_, _ = h.Invoke(parent, nil)
	}()
	return <-got, func() { close(finish); <-done }
}

func TestDeadlineMarginContext(t *testing.T) {
	parentDeadline := time.Now().Add(600 * time.Millisecond)
	parent, cancel := context.WithDeadline(context.WithValue(t.Context(), ctxKey{}, "v"), parentDeadline)
	defer cancel()
	ctx, finish := marginContext(t, parent, 200*time.Millisecond)
	defer finish()

	d, ok := ctx.Deadline()
	if !ok || !d.Equal(parentDeadline.Add(-200*time.Millisecond)) {
		t.Errorf("deadline %v, want 200ms before %v", d, parentDeadline)
	}
	if ctx.Value(ctxKey{}) != "v" {
		t.Error("values of the parent are lost")
	}
	if got, ok := runtime.InvocationDeadline(ctx); !ok || !got.Equal(parentDeadline) {
		t.Errorf("InvocationDeadline = %v, %v; want the parent's %v", got, ok, parentDeadline)
	}
	if err := ctx.Err(); err != nil {
		t.Errorf("Err before the deadline: %v", err)
	}
	child, cancelChild := context.WithCancel(ctx)
	defer cancelChild()
	stopped := make(chan struct{})
	context.AfterFunc(ctx, func() { close(stopped) })

	<-ctx.Done()
	if time.Now().Before(d) {
		t.Errorf("Done before the deadline")
	}
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) || !errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
		t.Errorf("Err %v, Cause %v; want DeadlineExceeded", ctx.Err(), context.Cause(ctx))
	}
	<-child.Done()
	<-stopped
	if parent.Err() != nil {
		t.Errorf("the parent ended with its child: %v", parent.Err())
	}
	if ctx.Value(ctxKey{}) != "v" {
		t.Error("values of the parent are lost once Done was asked for")
	}
}

func TestDeadlineMarginErrWithoutDone(t *testing.T) {
	parent, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	ctx, finish := marginContext(t, parent, 50*time.Millisecond)
	defer finish()
	// Ask only Err, as code that checks ctx.Err() between steps does.
	d, _ := ctx.Deadline()
	if err := ctx.Err(); err != nil {
		t.Fatalf("Err before the deadline: %v", err)
	}
	<-time.After(time.Until(d))
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Errorf("Err %v after the deadline, want DeadlineExceeded", ctx.Err())
	}
}

func TestDeadlineMarginParentCanceled(t *testing.T) {
	for _, askDone := range []bool{false, true} {
		parent, cancel := context.WithTimeout(t.Context(), time.Hour)
		ctx, finish := marginContext(t, parent, time.Second)
		if askDone {
			_ = ctx.Done()
		}
		cancel()
		<-ctx.Done()
		if !errors.Is(ctx.Err(), context.Canceled) {
			t.Errorf("askDone=%v: Err %v, want Canceled", askDone, ctx.Err())
		}
		finish()
	}
}

func TestInvocationDeadlineNestedMargins(t *testing.T) {
	deadline := time.Now().Add(time.Hour)
	parent, cancel := context.WithDeadline(t.Context(), deadline)
	defer cancel()
	var got time.Time
	var inner time.Time
	h := runtime.Chain(runtime.InvokeFunc(func(ctx context.Context, p []byte) ([]byte, error) {
		got, _ = runtime.InvocationDeadline(ctx)
		inner, _ = ctx.Deadline()
		return nil, nil
	}), runtime.DeadlineMargin(time.Second), runtime.DeadlineMargin(time.Second))
	if _, err := h.Invoke(parent, nil); err != nil {
		t.Fatal(err)
	}
	if !got.Equal(deadline) {
		t.Errorf("InvocationDeadline = %v, want %v", got, deadline)
	}
	if d := deadline.Sub(inner); d != 2*time.Second {
		t.Errorf("two margins of 1s end the context %v early, want 2s", d)
	}
	if d, ok := runtime.InvocationDeadline(t.Context()); ok {
		t.Errorf("InvocationDeadline of a context without deadline = %v", d)
	}
}
