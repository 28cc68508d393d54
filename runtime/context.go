package runtime

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// traceIDKey is the context key under which aws-lambda-go stores the X-Ray trace header
// (Lambda-Runtime-Trace-Id). It is a plain string because that is what aws-lambda-go and the
// X-Ray SDK use.
const traceIDKey = "x-amzn-trace-id"

// invocation is what the runtime knows about the current invocation beyond lambdacontext.
// It is itself the context node that carries it, made once by whichever of Local and the
// middleware comes first and filled in by the others, so the per-invocation cost is one
// allocation.
type invocation struct {
	context.Context // the parent

	functionName string
	coldStart    bool
	coldKnown    bool
	logger       *slog.Logger
	hasMetrics   bool
	metrics      MetricSet
}

type invocationKey struct{}

func (inv *invocation) Value(key any) any {
	if _, ok := key.(invocationKey); ok {
		return inv
	}
	return inv.Context.Value(key)
}

func (inv *invocation) String() string { return "runtime.invocation" }

func invocationFrom(ctx context.Context) *invocation {
	inv, _ := ctx.Value(invocationKey{}).(*invocation)
	return inv
}

// withInvocation returns the invocation in ctx, adding a new one if there is none.
func withInvocation(ctx context.Context) (context.Context, *invocation) {
	if inv := invocationFrom(ctx); inv != nil {
		return ctx, inv
	}
	inv := &invocation{Context: ctx}
	return inv, inv
}

// FunctionName returns the name of the function handling the invocation in ctx: the name a
// [Local] was given, or else lambdacontext.FunctionName (AWS_LAMBDA_FUNCTION_NAME).
func FunctionName(ctx context.Context) string {
	if inv := invocationFrom(ctx); inv != nil && inv.functionName != "" {
		return inv.functionName
	}
	return lambdacontext.FunctionName
}

// ColdStart reports whether the invocation in ctx is the first its execution environment
// serves: the first of a [Local], or the first seen by [LogInvocations] in a process started
// with [Start]. It is false for a context that went through neither.
func ColdStart(ctx context.Context) bool {
	inv := invocationFrom(ctx)
	return inv != nil && inv.coldStart
}

// TraceID returns the X-Ray trace header of the invocation in ctx ("Root=1-…;Parent=…;
// Sampled=…"), or "" if there is none.
func TraceID(ctx context.Context) string {
	id, _ := ctx.Value(traceIDKey).(string)
	return id
}

// RequestID returns the request id of the invocation in ctx, or "" if ctx carries no
// [lambdacontext.LambdaContext].
func RequestID(ctx context.Context) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return lc.AwsRequestID
	}
	return ""
}
