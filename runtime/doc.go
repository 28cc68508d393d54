// Package runtime starts Lambda functions with the middleware production needs, and runs them
// in-process the way Lambda does.
//
// # Starting a function
//
// [Start] serves a typed handler, func(context.Context, In) (Out, error), on aws-lambda-go.
// Build the handler's dependencies (SDK clients, tables, buckets) in main before calling Start:
// they are built once, when Lambda initialises the execution environment, and every invocation
// the environment serves reuses them. Options.OnShutdown runs when Lambda shuts the
// environment down (SIGTERM, through aws-lambda-go's WithEnableSIGTERM). [StartHandler] serves
// a handler of raw payloads ([Wrap] gives it the same middleware), which with
// Options.Streaming may stream its response in the Runtime API's streaming response mode
// through [StreamResponse]; package runtime/httpfn serves net/http handlers that way.
//
// # Middleware
//
// A [Middleware] wraps a [lambda.Handler]; [Chain] composes them, the first outermost.
// [NewHandler] and Start apply, from the outside in:
//
//  1. [LogInvocations]: the logger's records carry requestId, functionName, coldStart and
//     traceId; a failed invocation is logged once at ERROR.
//  2. [Recover]: a panic becomes a [*PanicError] response, its stack logged once; the
//     execution environment stays warm instead of exiting.
//  3. [EmitMetrics]: metrics recorded through [Metrics] are written to stdout in CloudWatch
//     Embedded Metric Format when the invocation ends, whatever way it ends.
//  4. [DeadlineMargin]: the handler's context ends a margin before Lambda's deadline, so the
//     handler has time to log, flush and answer before Lambda stops it.
//  5. Options.Middleware, in order, then the handler.
//
// # Logs and metrics
//
// Start makes [NewLogger]'s logger slog's default, so slog.InfoContext(ctx, …) in a handler
// writes a JSON line in Lambda's format (timestamp, level, message) carrying requestId,
// functionName, coldStart and traceId, at the level of the function's AWS_LAMBDA_LOG_LEVEL.
// [Metrics](ctx) records metrics; each invocation writes its own Embedded Metric Format
// documents to stdout, with FunctionName as a dimension and a ColdStart count on a cold
// start, for CloudWatch to extract.
//
// # Local invoke
//
// [Local] runs a lambda.Handler in-process as Lambda does: a [lambdacontext.LambdaContext] with
// request id and function ARN, the invocation deadline on the context, the trace id, one cold
// start, panics and timeouts reported as errors. Tests and in-memory event buses use it to call
// the same handlers that run in AWS. A [Worker] makes the same invocations on the goroutine
// that calls it, for event sources that run their own worker goroutines. Package runtimetest
// goes one step further: it builds a function's main package as deployed and runs it under
// the Lambda Runtime Interface Emulator.
//
// Local runs the handler it is given with that handler's own logging: it sets no logger and
// writes nothing itself. Start's defaults are not NewHandler's: Start logs JSON through
// NewLogger(os.Stdout) and makes it slog's default, while NewHandler without Options.Logger logs
// through slog.Default() (plain text on stderr in a test, without the invocation's fields), and
// both write metrics to stdout, into a test's output. To see in a test what Start would log, give
// NewHandler Options.Logger NewLogger(w) and MetricsOptions.Writer, and log in handlers through
// [Logger](ctx), which returns the handler's Options.Logger (under Start, slog's default too).
package runtime
