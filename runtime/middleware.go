package runtime

import (
	"context"
	"log/slog"
	"reflect"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

// Middleware wraps a handler with behaviour of its own. Middleware works on the raw payload
// and response, so it composes with any [lambda.Handler].
type Middleware func(next lambda.Handler) lambda.Handler

// InvokeFunc adapts a function to a [lambda.Handler], as http.HandlerFunc does for HTTP.
type InvokeFunc func(ctx context.Context, payload []byte) ([]byte, error)

// Invoke implements [lambda.Handler] by calling f.
func (f InvokeFunc) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return f(ctx, payload)
}

// Chain wraps h in mw, the first outermost: Chain(h, a, b) is a(b(h)). A handler made by
// lambda.NewHandler, which reuses its response buffer, is first made safe to call
// concurrently.
func Chain(h lambda.Handler, mw ...Middleware) lambda.Handler {
	h = copying(h)
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h
}

// Logger returns the logger [LogInvocations] put in ctx, or slog.Default() if there is none.
func Logger(ctx context.Context) *slog.Logger {
	if inv := invocationFrom(ctx); inv != nil && inv.logger != nil {
		return inv.logger
	}
	return slog.Default()
}

// LogInvocations returns middleware that makes logger the invocation's logger ([Logger]) and
// records the invocation's function name and cold-start flag for [FunctionName], [ColdStart]
// and the log records of a [NewLogHandler]. The first invocation the middleware sees is the
// cold start, unless a [Local] already said which one is. It logs each invocation's start and
// end at DEBUG and a returned error once, at ERROR, with its type. A nil logger means
// slog.Default().
func LogInvocations(logger *slog.Logger) Middleware {
	return func(next lambda.Handler) lambda.Handler {
		var warm atomic.Bool
		return InvokeFunc(func(ctx context.Context, payload []byte) ([]byte, error) {
			l := logger
			if l == nil {
				l = slog.Default()
			}
			ctx, inv := withInvocation(ctx)
			if !inv.coldKnown {
				inv.coldStart, inv.coldKnown = !warm.Swap(true), true
			}
			inv.logger = l
			debug := l.Enabled(ctx, slog.LevelDebug)
			var start time.Time
			if debug {
				start = time.Now()
				l.DebugContext(ctx, "invocation start", "payloadBytes", len(payload))
			}
			out, err := next.Invoke(ctx, payload)
			if err != nil {
				l.ErrorContext(ctx, "invocation failed", "error", err.Error(), "errorType", errorType(err))
			} else if debug {
				l.DebugContext(ctx, "invocation end", "durationMs", float64(time.Since(start).Microseconds())/1000, "responseBytes", len(out))
			}
			return out, err
		})
	}
}

// errorType names err's type the way Lambda's error payload does.
func errorType(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

// Recover returns middleware that turns a panic in the handler into a [*PanicError] response
// and logs the panic's stack once, at ERROR, through [Logger]. The process keeps serving:
// without it, aws-lambda-go reports the panic and exits, and the next invocation pays a cold
// start.
func Recover() Middleware {
	return func(next lambda.Handler) lambda.Handler {
		return InvokeFunc(func(ctx context.Context, payload []byte) (out []byte, err error) {
			defer func() {
				if v := recover(); v != nil {
					pe := &PanicError{Value: v, Stack: debug.Stack()}
					Logger(ctx).ErrorContext(ctx, "panic", "error", pe.Error(), "stack", string(pe.Stack))
					out, err = nil, pe
				}
			}()
			return next.Invoke(ctx, payload)
		})
	}
}

// DefaultDeadlineMargin is the margin [NewHandler] and [Start] leave before Lambda's deadline
// when Options.DeadlineMargin is zero.
const DefaultDeadlineMargin = 500 * time.Millisecond

// DeadlineMargin returns middleware that ends the handler's context margin before the
// invocation's deadline, so the handler can log, flush and answer before Lambda stops the
// function. The margin never takes more than half the time left when the invocation starts,
// so a short timeout still leaves the handler most of it. A context without a deadline, or a
// margin of zero or less, is passed on unchanged.
func DeadlineMargin(margin time.Duration) Middleware {
	return func(next lambda.Handler) lambda.Handler {
		if margin <= 0 {
			return next
		}
		return InvokeFunc(func(ctx context.Context, payload []byte) ([]byte, error) {
			deadline, ok := ctx.Deadline()
			if !ok {
				return next.Invoke(ctx, payload)
			}
			m := min(margin, time.Until(deadline)/2)
			mc := &marginCtx{Context: ctx, deadline: deadline.Add(-m)}
			defer mc.release()
			return next.Invoke(mc, payload)
		})
	}
}
