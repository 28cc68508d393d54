package runtime

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/servous/servous/internal/uuid"
)

// ErrTimeout is wrapped by the error [Local.Invoke] returns when the handler runs past the
// invocation's deadline.
var ErrTimeout = errors.New("runtime: task timed out")

// MaxTimeout is the longest timeout Lambda allows a function, and the default of
// [LocalOptions.Timeout].
const MaxTimeout = 15 * time.Minute

// LocalOptions configures a [Local]. The zero value, and a nil *LocalOptions, mean the defaults
// documented on each field.
type LocalOptions struct {
	// FunctionName is the function's name, as [FunctionName] reports it to the handler.
	// Default: lambdacontext.FunctionName (the AWS_LAMBDA_FUNCTION_NAME environment variable,
	// as Lambda sets it), or "function" when that is empty.
	FunctionName string
	// FunctionARN is the invoked function's ARN put in the LambdaContext. Default:
	// arn:aws:lambda:<Region>:000000000000:function:<FunctionName>.
	FunctionARN string
	// Region is used for the default FunctionARN. Default: the AWS_REGION environment
	// variable, or us-east-1.
	Region string
	// Timeout is the function's configured timeout: each invocation's deadline is the earlier
	// of now+Timeout and the deadline of the context passed to Invoke. Default: MaxTimeout.
	Timeout time.Duration
}

// Local runs a [lambda.Handler] in-process the way Lambda runs a function. Its methods are safe
// for concurrent use; like Lambda scaling out, concurrent invocations run concurrently, except
// that calls to a handler made by lambda.NewHandler, which reuses its response buffer, take
// turns.
type Local struct {
	h       lambda.Handler
	name    string
	arn     string
	timeout time.Duration
	warm    atomic.Bool
}

// NewLocal returns a Local that invokes h. A nil opts means the defaults of [LocalOptions].
func NewLocal(h lambda.Handler, opts *LocalOptions) *Local {
	var o LocalOptions
	if opts != nil {
		o = *opts
	}
	if o.FunctionName == "" {
		o.FunctionName = lambdacontext.FunctionName
	}
	if o.FunctionName == "" {
		o.FunctionName = "function"
	}
	if o.Region == "" {
		o.Region = os.Getenv("AWS_REGION")
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.FunctionARN == "" {
		o.FunctionARN = "arn:aws:lambda:" + o.Region + ":000000000000:function:" + o.FunctionName
	}
	if o.Timeout <= 0 {
		o.Timeout = MaxTimeout
	}
	return &Local{h: copying(h), name: o.FunctionName, arn: o.FunctionARN, timeout: o.Timeout}
}

// Invoke calls the handler with payload as Lambda would and returns its response.
//
// The handler's context carries a [lambdacontext.LambdaContext] (a new request id and the
// function ARN), the trace id under the "x-amzn-trace-id" key as aws-lambda-go sets it, the
// function name and cold-start flag read by [FunctionName] and [ColdStart] (true on the Local's
// first invocation only), and a deadline: the earlier of ctx's and the configured timeout.
// When ctx already carries a LambdaContext, its request id is kept (Lambda retries an
// asynchronous event under the same request id) and its other fields are filled in where
// empty; a trace id already under "x-amzn-trace-id" is kept too.
//
// A handler error is returned as it is. A panic is returned as a [*PanicError]. When the
// handler is still running at the deadline, Invoke returns an error wrapping [ErrTimeout]
// without waiting for it, as Lambda stops waiting for a function that timed out; when ctx is
// canceled first, Invoke returns an error wrapping [ErrAbandoned] and ctx's cause. The
// response is the caller's to keep. [Worker] makes the same invocations on the calling
// goroutine, for callers that run their own.
func (l *Local) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	start := time.Now()
	deadline := start.Add(l.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	ctx = l.withLambdaContext(ctx)
	if id, _ := ctx.Value(traceIDKey).(string); id == "" {
		//lint:ignore SA1029 aws-lambda-go and the X-Ray SDK read the trace header under this string key.
		ctx = context.WithValue(ctx, traceIDKey, newTraceID(start))
	}
	ctx = &invocation{
		Context:      ctx,
		functionName: l.name,
		coldStart:    l.coldStart(),
		coldKnown:    true,
	}

	type result struct {
		out []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		defer func() {
			if v := recover(); v != nil {
				r = result{err: &PanicError{Value: v, Stack: debug.Stack()}}
			}
			done <- r
		}()
		out, err := l.h.Invoke(ctx, payload)
		// Handlers may reuse their response buffer on the next call.
		r = result{out: append([]byte(nil), out...), err: err}
		if out == nil {
			r.out = nil
		}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, r.err
		}
		return r.out, nil
	case <-ctx.Done():
		// A handler that answers just as the deadline passes still answered.
		select {
		case r := <-done:
			if r.err != nil {
				return nil, r.err
			}
			return r.out, nil
		default:
		}
		if err := context.Cause(ctx); !errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("%w: %w", ErrAbandoned, err)
		}
		return nil, fmt.Errorf("%w after %.2f seconds", ErrTimeout, deadline.Sub(start).Seconds())
	}
}

// withLambdaContext returns ctx with the LambdaContext of an invocation of l: ctx's own when
// it has every field l would fill in, or else a copy of it, if any, with them filled in.
func (l *Local) withLambdaContext(ctx context.Context) context.Context {
	parent, ok := lambdacontext.FromContext(ctx)
	if ok && parent.AwsRequestID != "" && parent.InvokedFunctionArn != "" {
		return ctx
	}
	lc := lambdacontext.LambdaContext{}
	if ok {
		lc = *parent
	}
	if lc.AwsRequestID == "" {
		lc.AwsRequestID = NewRequestID()
	}
	if lc.InvokedFunctionArn == "" {
		lc.InvokedFunctionArn = l.arn
	}
	return lambdacontext.NewContext(ctx, &lc)
}

// coldStart reports whether this is l's first invocation. Once it is not, it costs a read only,
// which concurrent invocations on several processors can share.
func (l *Local) coldStart() bool {
	return !l.warm.Load() && !l.warm.Swap(true)
}

// NewRequestID returns a random version 4 UUID, the form of Lambda's request ids. Event sources
// that keep one request id across the retries of an invocation, as Lambda's asynchronous
// invocation does, put it in the context given to Local.Invoke.
func NewRequestID() string {
	return uuid.New()
}

// newTraceID returns an X-Ray trace header in the form Lambda passes to functions.
func newTraceID(now time.Time) string {
	// Built by hand rather than with fmt: it is made on every local invocation.
	var b [24]byte
	binary.BigEndian.PutUint32(b[:4], uint32(now.Unix()))
	randomFill(b[4:])
	const prefix, parent, suffix = "Root=1-", ";Parent=", ";Sampled=0"
	var s [len(prefix) + 8 + 1 + 24 + len(parent) + 16 + len(suffix)]byte
	i := copy(s[:], prefix)
	i += hex.Encode(s[i:], b[:4])
	s[i] = '-'
	i++
	i += hex.Encode(s[i:], b[4:16])
	i += copy(s[i:], parent)
	i += hex.Encode(s[i:], b[16:])
	copy(s[i:], suffix)
	return string(s[:])
}

// randomFill fills b from math/rand/v2's generator, which the Go runtime seeds from the system
// and keeps per thread: ids need to be unique, not secret, and crypto/rand was a tenth of a
// local invocation's cost.
func randomFill(b []byte) {
	for len(b) >= 8 {
		binary.LittleEndian.PutUint64(b, rand.Uint64())
		b = b[8:]
	}
	if len(b) > 0 {
		var tail [8]byte
		binary.LittleEndian.PutUint64(tail[:], rand.Uint64())
		copy(b, tail[:])
	}
}
