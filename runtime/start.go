package runtime

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

// Options configures [NewHandler] and [Start]. A nil *Options means the defaults documented on
// each field.
type Options struct {
	// Logger logs the invocations and is returned by [Logger]. Default: for Start,
	// NewLogger(os.Stdout), which Start also makes slog's default logger so that
	// slog.InfoContext(ctx, …) carries the invocation's fields; for NewHandler,
	// slog.Default() at each invocation.
	Logger *slog.Logger
	// DeadlineMargin is how long before Lambda's deadline the handler's context ends (see
	// [DeadlineMargin]). Zero means DefaultDeadlineMargin; a negative value turns it off.
	DeadlineMargin time.Duration
	// Metrics configures the Embedded Metric Format documents. Nil means the defaults of
	// [MetricsOptions].
	Metrics *MetricsOptions
	// Middleware wraps the handler inside the standard middleware, the first outermost.
	Middleware []Middleware
	// OnShutdown, when set, runs when Lambda shuts the execution environment down: Start
	// passes it to lambda.WithEnableSIGTERM, which registers with the Lambda runtime so that
	// Lambda sends SIGTERM (about 500 ms before SIGKILL) and runs it. The registration is a
	// call to the Extensions API during init, which Lambda waits on: it adds about 2 ms to
	// a cold start under the emulator. Start only.
	OnShutdown func()
	// Streaming lets a handler served by [StartHandler] stream its response through
	// [StreamResponse]. It costs a JSON decode of each payload, which aws-lambda-go makes
	// for handlers that may answer with a stream; without it, the handler gets the payload
	// as it arrived. StartHandler only.
	Streaming bool
	// LambdaOptions are passed to lambda.StartWithOptions, such as lambda.WithContext.
	// Its JSON options do not apply: the handler's payload is decoded by HandlerFunc.
	// Start only.
	LambdaOptions []lambda.Option
}

// NewHandler returns h wrapped in the standard middleware, in this order from the outside in:
// [LogInvocations], [Recover], [EmitMetrics], [DeadlineMargin], then Options.Middleware. It is
// the handler [Start] serves; give it to a [Local] to run the function as deployed, in-process.
// A nil opts means the defaults of [Options].
func NewHandler[In, Out any](h func(context.Context, In) (Out, error), opts *Options) lambda.Handler {
	return Wrap(HandlerFunc[In, Out](h), opts)
}

// Wrap returns h, a handler of raw payloads, wrapped in the standard middleware as
// [NewHandler] wraps a typed handler. Packages that decode payloads themselves (such as
// runtime/httpfn) use it, and [StartHandler] serves what it returns. A nil opts means the
// defaults of [Options].
func Wrap(h lambda.Handler, opts *Options) lambda.Handler {
	var o Options
	if opts != nil {
		o = *opts
	}
	margin := o.DeadlineMargin
	if margin == 0 {
		margin = DefaultDeadlineMargin
	}
	mw := []Middleware{LogInvocations(o.Logger), Recover(), EmitMetrics(o.Metrics), DeadlineMargin(margin)}
	return Chain(h, append(mw, o.Middleware...)...)
}

// Start serves h on the Lambda runtime API through aws-lambda-go, wrapped in the standard
// middleware (see [NewHandler]). Build h's dependencies before calling Start: Lambda runs
// main once per execution environment, so they are built once and reused by every
// invocation. Start blocks; it exits the process, as lambda.Start does, when it is not
// running in Lambda or the runtime API fails.
func Start[In, Out any](h func(context.Context, In) (Out, error), opts *Options) {
	o, lopts := startOptions(opts)
	lambda.StartWithOptions(NewHandler(h, &o), lopts...)
}

// StartHandler serves h, a handler of raw payloads, as [Start] serves a typed handler: wrapped
// in the standard middleware (see [Wrap]), with the same logger and shutdown hook. With
// Options.Streaming, h may stream its response: see [StreamResponse]. It blocks, and exits the
// process as Start does.
func StartHandler(h lambda.Handler, opts *Options) {
	o, lopts := startOptions(opts)
	if o.Streaming {
		lambda.StartWithOptions(streaming(Wrap(h, &o)), lopts...)
		return
	}
	lambda.StartWithOptions(Wrap(h, &o), lopts...)
}

func startOptions(opts *Options) (Options, []lambda.Option) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Logger == nil {
		o.Logger = NewLogger(os.Stdout)
		slog.SetDefault(o.Logger)
	}
	lopts := append([]lambda.Option(nil), o.LambdaOptions...)
	if o.OnShutdown != nil {
		lopts = append(lopts, lambda.WithEnableSIGTERM(o.OnShutdown))
	}
	return o, lopts
}
