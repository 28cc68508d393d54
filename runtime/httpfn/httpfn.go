package httpfn

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/servous/servous/runtime"
)

// ErrMalformed is wrapped by the error a handler returns for a payload that is not an event of
// a supported source (or not of the source Options.Source names).
var ErrMalformed = errors.New("httpfn: malformed event")

// ErrResponseTooLarge is returned by a buffered response's Write once the body passes the
// source's response limit; the client is then answered 502 Bad Gateway.
var ErrResponseTooLarge = errors.New("httpfn: response too large")

// Source is an event source that invokes a function with HTTP requests.
type Source int

const (
	// Detect tells the source from each payload: version "2.0" is an API Gateway HTTP API or,
	// when the domain name is a lambda-url one, a function URL; a payload with httpMethod is
	// an Application Load Balancer's when its requestContext has "elb", and else a REST API's
	// (or an HTTP API's with payload format 1.0, which has the same shape).
	Detect Source = iota
	// FunctionURL is a Lambda function URL (payload format 2.0).
	FunctionURL
	// HTTPAPI is an Amazon API Gateway HTTP API with payload format 2.0.
	HTTPAPI
	// RESTAPI is an Amazon API Gateway REST API's Lambda proxy integration (payload format
	// 1.0), or an HTTP API with payload format 1.0.
	RESTAPI
	// ALB is an Application Load Balancer's Lambda target group, with or without multi-value
	// headers.
	ALB
)

var sourceNames = [...]string{"Detect", "FunctionURL", "HTTPAPI", "RESTAPI", "ALB"}

func (s Source) String() string {
	if s >= 0 && int(s) < len(sourceNames) {
		return sourceNames[s]
	}
	return fmt.Sprintf("Source(%d)", int(s))
}

// Response limits of the sources, in bytes of the response payload.
const (
	// MaxResponse is Lambda's limit on a buffered (synchronous) response payload.
	MaxResponse = 6*1024*1024 + 100
	// MaxALBResponse is an Application Load Balancer's limit on the response JSON.
	MaxALBResponse = 1024 * 1024
	// MaxStreamedResponse is Lambda's default limit on a streamed response.
	MaxStreamedResponse = 200 * 1024 * 1024
)

// Options configures [NewHandler] and [Start]. A nil *Options means the defaults documented on
// each field.
type Options struct {
	// Source fixes the event source. Default: Detect, from each payload.
	Source Source
	// Stream answers in Lambda's streaming response mode, for a function URL whose invoke
	// mode is RESPONSE_STREAM: the status and headers go first, then the body as the handler
	// writes and flushes it, up to MaxStreamedResponse. It applies to payloads of format 2.0
	// served by [Start]; other sources are answered buffered, and under [runtime.Local] a
	// format 2.0 response is buffered in the streaming format ([Transport.Stream] reads it).
	Stream bool
	// Binary reports whether a response body of the given Content-Type is sent
	// base64-encoded. Default: every type but text/*, JSON, XML, JavaScript and
	// form-urlencoded ones; a body that is not valid UTF-8 is always encoded. A REST API
	// decodes it only for the API's binary media types.
	Binary func(contentType string) bool
	// Runtime configures the middleware the handler runs in (logs, metrics, panics,
	// deadline) and, for Start, the Lambda runtime. Nil means runtime's defaults.
	Runtime *runtime.Options
}

// NewHandler returns a Lambda handler that serves h: it turns each event of the source into an
// *http.Request, calls h, and turns what h writes into the source's response. It is wrapped in
// runtime's standard middleware, as [Start] serves it; give it to a [runtime.Local] to run the
// function in-process. A nil opts means the defaults of [Options].
func NewHandler(h http.Handler, opts *Options) lambda.Handler {
	var ro *runtime.Options
	if opts != nil {
		ro = opts.Runtime
	}
	return runtime.Wrap(newFunction(h, opts), ro)
}

// Start serves h on Lambda as [NewHandler] describes, through [runtime.StartHandler]. It
// blocks, and exits the process when it is not running in Lambda.
func Start(h http.Handler, opts *Options) {
	var ro runtime.Options
	if opts != nil && opts.Runtime != nil {
		ro = *opts.Runtime
	}
	ro.Streaming = opts != nil && opts.Stream
	runtime.StartHandler(newFunction(h, opts), &ro)
}

// function is the handler of raw payloads that NewHandler wraps.
type function struct {
	h      http.Handler
	source Source
	stream bool
	binary func(string) bool
}

func newFunction(h http.Handler, opts *Options) *function {
	f := &function{h: h, binary: isBinary}
	if opts != nil {
		f.source = opts.Source
		f.stream = opts.Stream
		if opts.Binary != nil {
			f.binary = opts.Binary
		}
	}
	return f
}

// Invoke implements lambda.Handler.
func (f *function) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	ev, err := decodeEvent(payload, f.source)
	if err != nil {
		return nil, err
	}
	defer ev.done()
	req, status := ev.request(ctx)
	if f.stream && ev.source == FunctionURL || f.stream && ev.source == HTTPAPI {
		if w, ok := runtime.StreamResponse(ctx, streamContentType); ok {
			return nil, f.serveStream(ctx, ev, req, status, w)
		}
	}
	return f.serveBuffered(ctx, ev, req, status)
}
