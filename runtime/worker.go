package runtime

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// ErrAbandoned is wrapped by the error of an invocation whose caller stopped waiting for it:
// [Local.Invoke]'s when ctx is canceled first, and [Worker.Invoke]'s for every invocation the
// Worker abandoned.
var ErrAbandoned = errors.New("runtime: invocation abandoned")

// A Worker invokes a [Local]'s handler on the goroutine that calls [Worker.Invoke], one
// invocation at a time. It is for event sources that run their own worker goroutines, as
// memevents' bus does: the handler sees the context [Local.Invoke] gives it, but when the
// context given to Invoke cannot be canceled (context.Background with values, say) an
// invocation costs no goroutine, channel or timer of its own. A Worker keeps one timer for all
// its invocations, and the handler's context makes its Done channel only when something asks
// for it. The caller then cancels an invocation with [Worker.Abandon].
//
// The price is that the handler runs on the caller's goroutine, so nothing can make Invoke
// return before the handler does. A Worker abandons the invocation instead, as Lambda stops
// waiting for a function that timed out, when the handler is still running at its deadline,
// when the context given to Invoke is canceled, or when [Worker.Abandon] is called. The
// handler's context is then done, and the function given to [Local.NewWorker] is called with
// the error Local.Invoke would have returned, so that the caller can settle the invocation and
// carry on with another goroutine and another Worker. When the handler finally returns, Invoke
// returns an error wrapping ErrAbandoned, after that function has returned, and the
// handler's response is dropped. A Worker whose invocation was abandoned may be used again
// once Invoke has returned.
type Worker struct {
	l         *Local
	abandoned func(error)
	busy      atomic.Bool
	cur       atomic.Pointer[workerCtx]
	// timer serves the deadline of every invocation with a context that cannot be canceled.
	// Only Invoke resets and stops it.
	timer *time.Timer
}

// NewWorker returns a Worker that invokes l's handler. abandoned, which may be nil, is called
// with an error wrapping [ErrTimeout] or [ErrAbandoned] each time the Worker abandons an
// invocation: on the goroutine of the timer that fired, of the canceled context, or of the
// caller of [Worker.Abandon].
func (l *Local) NewWorker(abandoned func(err error)) *Worker {
	return &Worker{l: l, abandoned: abandoned}
}

// errWorkerBusy is returned by Invoke on a Worker that is running an invocation.
var errWorkerBusy = errors.New("runtime: Worker.Invoke called while the Worker runs another invocation")

// Invoke calls the handler with payload on the calling goroutine and returns its response. The
// handler's context is the one [Local.Invoke] would give it, and a panic is returned as a
// [*PanicError], as Local.Invoke returns it. Invoke returns an error wrapping [ErrAbandoned]
// when the Worker abandoned the invocation; see [Worker].
func (w *Worker) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	if !w.busy.CompareAndSwap(false, true) {
		return nil, errWorkerBusy
	}
	defer w.busy.Store(false)
	l := w.l
	c := &workerCtx{start: time.Now()}
	c.deadline = c.start.Add(l.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(c.deadline) {
		c.deadline = d
	}
	ctx = l.withLambdaContext(ctx)
	c.invocation = invocation{Context: ctx, functionName: l.name, coldStart: l.coldStart(), coldKnown: true}

	var stopWatch func() bool
	if ctx.Done() != nil {
		// A parent that can be canceled: the handler's context is a real one, which carries the
		// parent's cancelation, as context.WithDeadline does, and wakes the Worker when done.
		inner, cancel := context.WithDeadline(ctx, c.deadline)
		c.invocation.Context, c.cancelInner = inner, cancel
		w.cur.Store(c)
		stopWatch = context.AfterFunc(inner, func() {
			cause := context.Cause(inner)
			if errors.Is(cause, context.DeadlineExceeded) {
				w.abandon(c, c.timeoutErr(), nil)
				return
			}
			w.abandon(c, fmt.Errorf("%w: %w", ErrAbandoned, cause), nil)
		})
	} else {
		d := c.deadline.Sub(c.start)
		if d <= 0 {
			c.err, c.done = context.DeadlineExceeded, closedchan
		}
		w.cur.Store(c)
		if w.timer == nil {
			w.timer = time.AfterFunc(d, w.expire)
		} else {
			w.timer.Reset(d)
		}
	}

	out, err := w.call(c, payload)

	w.cur.Store(nil)
	if stopWatch != nil {
		stopWatch()
	} else {
		w.timer.Stop()
	}
	c.mu.Lock()
	if c.state != running {
		settled := c.settled
		c.mu.Unlock()
		<-settled // the abandoned function has returned
		if errors.Is(c.abandonErr, ErrAbandoned) {
			return nil, c.abandonErr
		}
		return nil, fmt.Errorf("%w: %w", ErrAbandoned, c.abandonErr)
	}
	c.state = finished
	c.mu.Unlock()
	// As under Lambda, the context ends with the invocation.
	c.end(context.Canceled)
	return out, err
}

func (w *Worker) call(ctx context.Context, payload []byte) (out []byte, err error) {
	defer func() {
		if v := recover(); v != nil {
			out, err = nil, &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	out, err = w.l.h.Invoke(ctx, payload)
	if out != nil {
		// Handlers may reuse their response buffer on the next call.
		out = append([]byte(nil), out...)
	}
	return out, err
}

// Abandon abandons the running invocation, if any, as if the context given to Invoke had been
// canceled: the handler's context is canceled, and the function given to [Local.NewWorker] is
// called, on the calling goroutine, with an error wrapping [ErrAbandoned] and
// context.Canceled. It reports whether it abandoned an invocation.
func (w *Worker) Abandon() bool {
	c := w.cur.Load()
	if c == nil {
		return false
	}
	return w.abandon(c, fmt.Errorf("%w: %w", ErrAbandoned, context.Canceled), context.Canceled)
}

// expire runs when the Worker's timer fires: it abandons the running invocation if its deadline
// has passed. The timer may have been set for an invocation that has already finished.
func (w *Worker) expire() {
	c := w.cur.Load()
	if c == nil || time.Now().Before(c.deadline) {
		return
	}
	w.abandon(c, c.timeoutErr(), context.DeadlineExceeded)
}

// abandon abandons c unless it has finished or was abandoned already: it ends c with ctxErr
// (a context with a parent that can be canceled ends with its own error) and calls the
// Worker's abandoned function with err.
func (w *Worker) abandon(c *workerCtx, err, ctxErr error) bool {
	c.mu.Lock()
	if c.state != running {
		c.mu.Unlock()
		return false
	}
	c.state = abandoned
	c.abandonErr = err
	c.settled = make(chan struct{})
	c.mu.Unlock()
	defer close(c.settled)
	if c.cancelInner != nil {
		c.cancelInner()
	} else {
		c.end(ctxErr)
	}
	if w.abandoned != nil {
		w.abandoned(err)
	}
	return true
}

// closedchan is the Done channel of a workerCtx that ended before anything asked for it.
var closedchan = make(chan struct{})

func init() { close(closedchan) }

// The states of an invocation through a Worker.
const (
	running = iota
	finished
	abandoned
)

// workerCtx is the context of an invocation through a Worker, and the invocation node the rest
// of the package finds in it. With a parent that cannot be canceled, which is what event
// sources pass, it is its own cancelable context: Done makes its channel when first asked,
// the Worker's timer ends it at the deadline, and derived contexts register through AfterFunc
// rather than a goroutine each. With a parent that can be canceled, it defers to the
// context.WithDeadline made by Invoke, its parent then.
type workerCtx struct {
	invocation
	start, deadline time.Time
	cancelInner     context.CancelFunc // set when the parent can be canceled
	trace           atomic.Value       // the trace id, made when first asked for

	mu         sync.Mutex
	state      int
	abandonErr error
	settled    chan struct{} // closed when an abandoned invocation's function has returned
	// The context itself, when cancelInner is nil.
	err    error
	done   chan struct{}
	afters map[*afterFunc]struct{}
}

type afterFunc struct{ f func() }

func (c *workerCtx) timeoutErr() error {
	return fmt.Errorf("%w after %.2f seconds", ErrTimeout, c.deadline.Sub(c.start).Seconds())
}

func (c *workerCtx) Deadline() (time.Time, bool) { return c.deadline, true }

func (c *workerCtx) Done() <-chan struct{} {
	if c.cancelInner != nil {
		return c.invocation.Context.Done()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		c.done = make(chan struct{})
	}
	return c.done
}

func (c *workerCtx) Err() error {
	if c.cancelInner != nil {
		return c.invocation.Context.Err()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// AfterFunc arranges to call f in its own goroutine after c is done, as context.AfterFunc
// does; context.WithCancel and the like find it there and use it instead of starting a
// goroutine to wait for c.
func (c *workerCtx) AfterFunc(f func()) (stop func() bool) {
	if c.cancelInner != nil {
		return context.AfterFunc(c.invocation.Context, f)
	}
	a := &afterFunc{f: f}
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		go f()
		return func() bool { return false }
	}
	if c.afters == nil {
		c.afters = make(map[*afterFunc]struct{})
	}
	c.afters[a] = struct{}{}
	c.mu.Unlock()
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		_, ok := c.afters[a]
		delete(c.afters, a)
		return ok
	}
}

// end ends the context with err, when its parent cannot be canceled.
func (c *workerCtx) end(err error) {
	if c.cancelInner != nil {
		c.cancelInner()
		return
	}
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = err
	if c.done == nil {
		c.done = closedchan
	} else {
		close(c.done)
	}
	afters := c.afters
	c.afters = nil
	c.mu.Unlock()
	for a := range afters {
		go a.f()
	}
}

func (c *workerCtx) Value(key any) any {
	switch k := key.(type) {
	case invocationKey:
		return &c.invocation
	case string:
		if k == traceIDKey {
			return c.traceID()
		}
	}
	return c.invocation.Context.Value(key)
}

// traceID returns the parent's trace id, or else one made for this invocation.
func (c *workerCtx) traceID() any {
	if v := c.trace.Load(); v != nil {
		return v
	}
	v := c.invocation.Context.Value(traceIDKey)
	if id, _ := v.(string); id == "" {
		v = newTraceID(c.start)
	}
	c.trace.CompareAndSwap(nil, v)
	return c.trace.Load()
}

func (c *workerCtx) String() string { return "runtime.Worker invocation" }
