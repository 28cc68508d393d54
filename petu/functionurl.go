package petu

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// FunctionURL serves h to a Lambda Function URL in its default, buffered invoke mode: it turns
// the invocation's request into an *http.Request and what h writes into the response. API
// Gateway HTTP APIs send the same payload (format 2.0) and read the same response.
func FunctionURL(h http.Handler) func(context.Context, events.LambdaFunctionURLRequest) (events.LambdaFunctionURLResponse, error) {
	return func(ctx context.Context, e events.LambdaFunctionURLRequest) (events.LambdaFunctionURLResponse, error) {
		body := []byte(e.Body)
		if e.IsBase64Encoded {
			b, err := base64.StdEncoding.DecodeString(e.Body)
			if err != nil {
				return events.LambdaFunctionURLResponse{StatusCode: http.StatusBadRequest, Body: "body: bad base64"}, nil
			}
			body = b
		}
		target := e.RawPath
		if !strings.HasPrefix(target, "/") {
			target = "/" + target
		}
		if e.RawQueryString != "" {
			target += "?" + e.RawQueryString
		}
		r, err := http.NewRequestWithContext(ctx, e.RequestContext.HTTP.Method, "https://"+e.RequestContext.DomainName+target, bytes.NewReader(body))
		if err != nil {
			return events.LambdaFunctionURLResponse{StatusCode: http.StatusBadRequest, Body: "bad request"}, nil
		}
		r.RemoteAddr = e.RequestContext.HTTP.SourceIP
		for k, v := range e.Headers {
			r.Header.Set(k, v)
		}
		if len(e.Cookies) > 0 {
			r.Header.Set("Cookie", strings.Join(e.Cookies, "; "))
		}

		w := &bufferedResponse{header: http.Header{}}
		h.ServeHTTP(w, r)
		out := events.LambdaFunctionURLResponse{StatusCode: w.status, Headers: map[string]string{}}
		if out.StatusCode == 0 {
			out.StatusCode = http.StatusOK
		}
		for k, vs := range w.header {
			if k == "Set-Cookie" {
				out.Cookies = append(out.Cookies, vs...)
				continue
			}
			out.Headers[k] = strings.Join(vs, ", ")
		}
		if b := w.body.Bytes(); utf8.Valid(b) {
			out.Body = string(b)
		} else {
			out.Body, out.IsBase64Encoded = base64.StdEncoding.EncodeToString(b), true
		}
		return out, nil
	}
}

// bufferedResponse keeps what a handler writes, for a buffered Lambda response.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *bufferedResponse) Header() http.Header { return w.header }

func (w *bufferedResponse) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *bufferedResponse) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}
