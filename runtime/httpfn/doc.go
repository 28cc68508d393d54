// Package httpfn serves a net/http handler as a Lambda function behind a function URL, an
// Amazon API Gateway HTTP API or REST API, or an Application Load Balancer.
//
// [Start] serves an http.Handler — a ServeMux with method and path patterns, or any router —
// through package runtime, so its middleware applies: JSON logs, metrics, panic recovery and
// the deadline margin. The same handler runs unchanged under net/http and httptest.
//
//	mux := http.NewServeMux()
//	mux.HandleFunc("GET /videos/{id}", getVideo)
//	httpfn.Start(mux, nil)
//
// # Sources
//
// Each payload's source is detected (see [Detect]) unless Options.Source fixes it. The
// handler sees the request net/http's server would make of it: the method; the path as the
// client sent it, escaped (r.URL.RawPath keeps %2F apart from /), without a REST API's or a
// named HTTP API stage's prefix; the query with repeated keys in order (a REST API or a load
// balancer passes a map, so keys come sorted); the headers (payload format 2.0 joins a
// repeated header's values with commas) and cookies; Host; RemoteAddr from the source IP
// (port 0); the body, decoded from base64, with its Content-Length; r.TLS set for HTTPS. What
// else the source said — its request id, the raw event, the authorizer's claims — is in the
// request's context: see [FromContext]. The invocation's lambdacontext.LambdaContext,
// runtime.Logger and deadline are there too, and the context ends at the deadline margin.
//
// # Responses
//
// The response is buffered and returned in the source's format: status; headers (joined by
// commas where the format holds one value); Set-Cookie as payload format 2.0's "cookies", or
// in multi-value headers; binary bodies base64-encoded, by Content-Type (Options.Binary). A
// Content-Type the handler does not set is sniffed, as net/http does. A body over the source's
// limit ([MaxResponse], or [MaxALBResponse] for a load balancer) makes Write fail with
// [ErrResponseTooLarge] and the client get 502 Bad Gateway, the reason logged; a panic gives
// 500 Internal Server Error, logged with its stack, and the function keeps serving. No source
// passes on trailers: a response that declares some is refused with 500 and a logged reason.
//
// # Streaming
//
// With Options.Stream, a function URL whose invoke mode is RESPONSE_STREAM gets the response
// in Lambda's streaming response mode: the status and headers as soon as the handler flushes
// (http.Flusher, http.ResponseController) or has written 32 KB, then the body as it is
// written, up to [MaxStreamedResponse], in constant memory. A handler that fails after part
// of the body is sent ends the stream with the Runtime API's error trailers.
//
// # Testing
//
// [Transport] sends an http.Client's requests to a [runtime.Local] as each source's events,
// so a test runs the function in-process as deployed; the same test can run against an
// httptest.Server serving the handler.
package httpfn
