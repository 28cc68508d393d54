package httpfn

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/servous/servous/runtime"
)

// errTrailers is the reason a response that declares trailers is refused: no source passes
// them on.
var errTrailers = errors.New("httpfn: response trailers are not supported by Lambda's HTTP sources")

// responseWriter buffers a response, as the sources take it whole.
type responseWriter struct {
	header      http.Header
	status      int
	wroteHeader bool
	head        bool // a HEAD request: the body is buffered for sniffing, not sent
	body        bytes.Buffer
	limit       int
	tooLarge    bool
}

func (w *responseWriter) Header() http.Header { return w.header }

func (w *responseWriter) WriteHeader(code int) {
	if w.wroteHeader || code < 200 {
		// net/http sends 1xx as interim responses, which the sources have no way to pass on.
		return
	}
	w.status, w.wroteHeader = code, true
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !bodyAllowed(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	if w.tooLarge || w.body.Len()+len(p) > w.limit {
		w.tooLarge = true
		return 0, fmt.Errorf("%w: body over %d bytes", ErrResponseTooLarge, w.limit)
	}
	return w.body.Write(p)
}

func (w *responseWriter) WriteString(s string) (int, error) {
	if !w.wroteHeader || !bodyAllowed(w.status) || w.tooLarge || w.body.Len()+len(s) > w.limit {
		return w.Write([]byte(s))
	}
	return w.body.WriteString(s)
}

// Flush implements http.Flusher; a buffered response is sent when the handler returns.
func (w *responseWriter) Flush() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
}

func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

// serve calls the handler, turning a panic into a 500 response logged with its stack.
func (f *function) serve(ctx context.Context, w http.ResponseWriter, r *http.Request) (panicked bool) {
	defer func() {
		if v := recover(); v != nil {
			panicked = true
			runtime.Logger(ctx).ErrorContext(ctx, "panic serving HTTP", "error", fmt.Sprint(v),
				"method", r.Method, "path", r.URL.EscapedPath(), "stack", string(debug.Stack()))
		}
	}()
	f.h.ServeHTTP(w, r)
	return false
}

func (f *function) serveBuffered(ctx context.Context, ev *event, r *http.Request, status int) ([]byte, error) {
	limit := MaxResponse
	if ev.source == ALB {
		limit = MaxALBResponse
	}
	if f.stream && (ev.source == FunctionURL || ev.source == HTTPAPI) {
		limit = MaxStreamedResponse
	}
	w := &responseWriter{header: make(http.Header), limit: limit}
	if status != 0 {
		w.status, w.wroteHeader = status, true
		w.header.Set("Content-Type", "text/plain; charset=utf-8")
		w.body.WriteString(http.StatusText(status))
	} else {
		w.head = r.Method == http.MethodHead
		if f.serve(ctx, w, r) {
			w = errorResponse(w, http.StatusInternalServerError)
		} else if w.tooLarge {
			runtime.Logger(ctx).ErrorContext(ctx, "response too large: answering 502", "source", ev.source.String(),
				"limitBytes", limit, "method", r.Method, "path", r.URL.EscapedPath())
			w = errorResponse(w, http.StatusBadGateway)
		} else if err := checkTrailers(w.header); err != nil {
			runtime.Logger(ctx).ErrorContext(ctx, "response refused: answering 500", "error", err.Error(),
				"method", r.Method, "path", r.URL.EscapedPath())
			w = errorResponse(w, http.StatusInternalServerError)
		}
	}
	if !w.wroteHeader {
		w.status = http.StatusOK
	}
	sniff(w.header, w.status, w.body.Bytes())
	if w.head {
		// As net/http does, the body is written (for its Content-Type) but not sent.
		w.body.Reset()
	}
	if f.stream && (ev.source == FunctionURL || ev.source == HTTPAPI) {
		return appendPrelude(nil, w.status, w.header, w.body.Bytes()), nil
	}
	var out []byte
	if f.encodedLen(w.header, w.body.Len()) <= limit {
		out = f.encode(ev, w.status, w.header, w.body.Bytes())
	}
	if out == nil || len(out) > limit {
		runtime.Logger(ctx).ErrorContext(ctx, "response too large: answering 502", "source", ev.source.String(),
			"limitBytes", limit, "bodyBytes", w.body.Len())
		w = errorResponse(w, http.StatusBadGateway)
		out = f.encode(ev, w.status, w.header, w.body.Bytes())
	}
	return out, nil
}

// errorResponse replaces w by a plain-text response of status.
func errorResponse(w *responseWriter, status int) *responseWriter {
	e := &responseWriter{header: make(http.Header), status: status, wroteHeader: true, limit: w.limit}
	e.header.Set("Content-Type", "text/plain; charset=utf-8")
	e.header.Set("X-Content-Type-Options", "nosniff")
	e.body.WriteString(http.StatusText(status) + "\n")
	return e
}

// checkTrailers refuses a response that declares trailers.
func checkTrailers(h http.Header) error {
	if len(h["Trailer"]) > 0 {
		return fmt.Errorf("%w (Trailer: %s)", errTrailers, strings.Join(h["Trailer"], ", "))
	}
	for k := range h {
		if strings.HasPrefix(k, http.TrailerPrefix) {
			return fmt.Errorf("%w (%s)", errTrailers, k)
		}
	}
	return nil
}

// sniff sets Content-Type from the body when the handler did not, as net/http does.
func sniff(h http.Header, status int, body []byte) {
	if _, ok := h["Content-Type"]; ok || len(body) == 0 || !bodyAllowed(status) {
		return
	}
	if h.Get("Transfer-Encoding") != "" {
		return
	}
	h.Set("Content-Type", http.DetectContentType(body))
}

// isBinary is the default of Options.Binary.
func isBinary(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(contentType))
	}
	switch {
	case mt == "", strings.HasPrefix(mt, "text/"),
		strings.HasSuffix(mt, "+json"), strings.HasSuffix(mt, "+xml"):
		return false
	}
	switch mt {
	case "application/json", "application/xml", "application/javascript", "application/ecmascript",
		"application/x-www-form-urlencoded", "application/x-ndjson", "application/graphql", "image/svg+xml":
		return false
	}
	return true
}
