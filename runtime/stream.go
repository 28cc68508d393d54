package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"sync"

	"github.com/aws/aws-lambda-go/lambda"
)

// ErrStreamClosed is returned by a response stream's Write after the handler has returned.
var ErrStreamClosed = errors.New("runtime: response stream written after the handler returned")

type streamKey struct{}

// StreamResponse returns a writer for the response of the invocation in ctx in Lambda's
// streaming response mode, which Lambda forwards as it arrives (function URLs with the
// RESPONSE_STREAM invoke mode, InvokeWithResponseStream). It returns nil and false when the
// invocation cannot stream: its function was not started by [StartHandler] with
// Options.Streaming, or it is run by a [Local]; the handler then returns its response as
// usual.
//
// Nothing is sent until the first Write, which sends contentType as the response's content
// type. From then on the response is the stream: the handler's returned payload is ignored,
// and an error it returns ends the stream with the Runtime API's error trailers
// (Lambda-Runtime-Function-Error-Type and Lambda-Runtime-Function-Error-Body) instead of a
// clean end. Each Write is passed on to Lambda before it returns. The writer is for the
// handler's goroutine, or one it waits for; writes after the handler returns fail with
// [ErrStreamClosed]. Calling StreamResponse again returns the same writer.
func StreamResponse(ctx context.Context, contentType string) (io.Writer, bool) {
	s, ok := ctx.Value(streamKey{}).(*stream)
	if !ok {
		return nil, false
	}
	s.mu.Lock()
	if s.contentType == "" {
		s.contentType = contentType
	}
	s.mu.Unlock()
	return s, true
}

// stream is an invocation's response stream: a pipe whose reader aws-lambda-go posts, chunk by
// chunk, to the Runtime API once the handler first writes.
type stream struct {
	pw      *io.PipeWriter
	pr      *io.PipeReader
	started chan struct{}

	mu          sync.Mutex
	contentType string
	committed   bool
	ended       bool
}

func (s *stream) Write(p []byte) (int, error) {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return 0, ErrStreamClosed
	}
	if !s.committed {
		s.committed = true
		close(s.started)
	}
	s.mu.Unlock()
	return s.pw.Write(p)
}

// end records that the handler returned, and reports whether it had started streaming.
func (s *stream) end(err error) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ended = true
	if s.committed {
		s.pw.CloseWithError(err) // nil: a clean end of the stream
	}
	return s.committed
}

// streamBody is what aws-lambda-go posts for a streamed response: the pipe, with the content
// type the handler chose. Its JSON encoding fails so that aws-lambda-go posts it as a reader.
type streamBody struct {
	*io.PipeReader
	contentType string
}

func (b *streamBody) ContentType() string { return b.contentType }
func (b *streamBody) MarshalJSON() ([]byte, error) {
	return nil, errors.New("runtime: a response stream is not JSON")
}

// streaming adapts h to aws-lambda-go's handler form that may answer with a reader. h runs on a
// goroutine of its own; the answer is h's payload or error when h returns without streaming,
// and the stream as soon as h first writes to it.
func streaming(h lambda.Handler) func(context.Context, json.RawMessage) (io.Reader, error) {
	type result struct {
		out []byte
		err error
	}
	return func(ctx context.Context, payload json.RawMessage) (io.Reader, error) {
		pr, pw := io.Pipe()
		s := &stream{pw: pw, pr: pr, started: make(chan struct{})}
		done := make(chan result, 1)
		go func() {
			var r result
			defer func() {
				if v := recover(); v != nil {
					r = result{err: &PanicError{Value: v}}
				}
				if !s.end(r.err) {
					done <- r
				}
			}()
			r.out, r.err = h.Invoke(context.WithValue(ctx, streamKey{}, s), payload)
		}()
		select {
		case <-s.started:
			s.mu.Lock()
			ct := s.contentType
			s.mu.Unlock()
			return &streamBody{PipeReader: pr, contentType: ct}, nil
		case r := <-done:
			if r.err != nil {
				return nil, r.err
			}
			return bytes.NewBuffer(r.out), nil
		}
	}
}
