package runtime

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// marginCtx is a context whose deadline is earlier than its parent's. It behaves as
// context.WithDeadline(parent, deadline) but makes that context, with its timer, only when
// something asks for Done or the deadline has passed: a handler that never waits on its
// context costs no timer. Every Value lookup after that goes to the made context, so
// contexts derived from a marginCtx find its cancelation as they find a timerCtx's.
type marginCtx struct {
	context.Context // the parent
	deadline        time.Time

	once   sync.Once
	inner  atomic.Pointer[context.Context]
	cancel context.CancelFunc
}

func (c *marginCtx) made() context.Context {
	c.once.Do(func() {
		ctx, cancel := context.WithDeadline(c.Context, c.deadline)
		c.cancel = cancel
		c.inner.Store(&ctx)
	})
	return *c.inner.Load()
}

func (c *marginCtx) Deadline() (time.Time, bool) { return c.deadline, true }

func (c *marginCtx) Done() <-chan struct{} { return c.made().Done() }

func (c *marginCtx) Err() error {
	if p := c.inner.Load(); p != nil {
		return (*p).Err()
	}
	if err := c.Context.Err(); err != nil {
		return err
	}
	if !time.Now().Before(c.deadline) {
		return c.made().Err()
	}
	return nil
}

func (c *marginCtx) Value(key any) any {
	if _, ok := key.(invocationDeadlineKey); ok {
		if v := c.Context.Value(key); v != nil {
			return v // an outer margin's: the deadline Lambda set
		}
		d, _ := c.Context.Deadline()
		return d
	}
	if p := c.inner.Load(); p != nil {
		return (*p).Value(key)
	}
	return c.Context.Value(key)
}

func (c *marginCtx) String() string {
	return "runtime.DeadlineMargin(" + c.deadline.String() + ")"
}

type invocationDeadlineKey struct{}

// InvocationDeadline returns the deadline of the invocation in ctx as Lambda set it: the
// deadline ctx had before [DeadlineMargin] brought it forward. Use it for what must outlive
// the handler's own time, such as a lock that should expire only when Lambda stops the
// function. Without a margin it is ctx.Deadline().
func InvocationDeadline(ctx context.Context) (time.Time, bool) {
	if d, ok := ctx.Value(invocationDeadlineKey{}).(time.Time); ok {
		return d, true
	}
	return ctx.Deadline()
}

// release stops the timer, if one was made.
func (c *marginCtx) release() {
	if c.inner.Load() != nil {
		c.cancel()
	}
}
