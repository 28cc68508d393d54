package httpfn

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/servous/servous/runtime"
)

// streamBuffer is how much of a streamed body is gathered before it is sent, unless the
// handler flushes first.
const streamBuffer = 32 << 10

// streamWriter sends a response in Lambda's streaming response mode: the prelude (status,
// headers, cookies) when the handler first flushes or fills the buffer, then the body.
type streamWriter struct {
	header      http.Header
	status      int
	wroteHeader bool
	head        bool
	committed   bool // the prelude is in bw
	out         *countingWriter
	bw          *bufio.Writer
	written     int64
}

// countingWriter counts what reaches the runtime's stream, which cannot be taken back.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func (w *streamWriter) Header() http.Header { return w.header }

func (w *streamWriter) WriteHeader(code int) {
	if w.wroteHeader || code < 200 {
		return
	}
	w.status, w.wroteHeader = code, true
}

func (w *streamWriter) commit(first []byte) error {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	w.committed = true
	if err := checkTrailers(w.header); err != nil {
		return err
	}
	sniff(w.header, w.status, first)
	_, err := w.bw.Write(appendPrelude(nil, w.status, w.header, nil))
	return err
}

func (w *streamWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !bodyAllowed(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	if !w.committed {
		if err := w.commit(p); err != nil {
			return 0, err
		}
	}
	if w.head {
		return len(p), nil
	}
	if w.written+int64(len(p)) > MaxStreamedResponse {
		return 0, fmt.Errorf("%w: streamed body over %d bytes", ErrResponseTooLarge, MaxStreamedResponse)
	}
	n, err := w.bw.Write(p)
	w.written += int64(n)
	return n, err
}

// Flush implements http.Flusher: what the handler wrote is sent now.
func (w *streamWriter) Flush() {
	_ = w.FlushError()
}

// FlushError flushes as Flush does and returns the error of sending, as
// http.ResponseController expects.
func (w *streamWriter) FlushError() error {
	if !w.committed {
		if err := w.commit(nil); err != nil {
			return err
		}
	}
	return w.bw.Flush()
}

func (f *function) serveStream(ctx context.Context, ev *event, r *http.Request, status int, out io.Writer) error {
	cw := &countingWriter{w: out}
	w := &streamWriter{header: make(http.Header), out: cw, bw: bufio.NewWriterSize(cw, streamBuffer)}
	if status != 0 {
		return writeWhole(w, errorResponse(&responseWriter{}, status))
	}
	w.head = r.Method == http.MethodHead
	panicked := f.serve(ctx, w, r)
	var err error
	if !panicked {
		if !w.committed {
			err = w.commit(nil)
		} else {
			err = checkTrailers(w.header)
		}
		if err == nil {
			return w.bw.Flush()
		}
		runtime.Logger(ctx).ErrorContext(ctx, "response refused", "error", err.Error(),
			"method", r.Method, "path", r.URL.EscapedPath())
	}
	if cw.n > 0 {
		// Part of the response is on its way: end the stream with an error.
		if err == nil {
			err = fmt.Errorf("httpfn: handler panicked after %d bytes of the response were sent", cw.n)
		}
		return err
	}
	w.bw.Reset(cw)
	return writeWhole(w, errorResponse(&responseWriter{}, http.StatusInternalServerError))
}

// writeWhole streams a response made in full beforehand.
func writeWhole(w *streamWriter, e *responseWriter) error {
	if _, err := w.bw.Write(appendPrelude(nil, e.status, e.header, e.body.Bytes())); err != nil {
		return err
	}
	return w.bw.Flush()
}
