package main

import (
	"io"
	"net/http"
	"time"
)

// limits bound how long a client may hold the server's connections, so that clients that send
// slowly, or connect and wait, cannot pile connections up until the server runs out of them.
type limits struct {
	// ReadHeader bounds reading a request's line and headers.
	ReadHeader time.Duration
	// Read bounds reading a whole request. An upload to a bucket may take longer, as long as
	// each streamChunk of its body arrives within Read.
	Read time.Duration
	// Write bounds writing a whole response. A download from a bucket (a video being played)
	// may take longer, as long as each write of it completes within Write.
	Write time.Duration
	// Idle bounds how long a keep-alive connection waits for its next request.
	Idle time.Duration
}

// defaultLimits cut a client that sends less than 64 KiB a minute, and keep an idle connection
// two minutes, longer than browsers keep theirs.
var defaultLimits = limits{ReadHeader: 10 * time.Second, Read: time.Minute, Write: time.Minute, Idle: 2 * time.Minute}

// streamChunk is how much of a streamed body must arrive within limits.Read.
const streamChunk = 64 << 10

func (lim limits) orDefault() limits {
	if lim == (limits{}) {
		return defaultLimits
	}
	return lim
}

// apply sets the server's timeouts to lim.
func (lim limits) apply(srv *http.Server) {
	srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout = lim.ReadHeader, lim.Read, lim.Write, lim.Idle
}

// streaming lets h read a request body and write a response for as long as they keep moving:
// each streamChunk read, and each write, moves the connection's deadline on by lim.Read or
// lim.Write (http.ResponseController), where the server's own timeouts bound the whole request.
func (lim limits) streaming(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = &progressReader{ReadCloser: r.Body, rc: rc, lim: lim}
			_ = rc.SetReadDeadline(time.Now().Add(lim.Read))
		}
		h.ServeHTTP(&progressWriter{ResponseWriter: w, rc: rc, d: lim.Write}, r)
		// What the handler left buffered is written after it returns.
		_ = rc.SetWriteDeadline(time.Now().Add(lim.Write))
	})
}

// progressReader moves the read deadline on after each streamChunk read, and the write
// deadline with it: the response to an upload is written once the body has arrived, however
// long that took.
type progressReader struct {
	io.ReadCloser
	rc   *http.ResponseController
	lim  limits
	read int
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.ReadCloser.Read(b)
	if p.read += n; p.read >= streamChunk {
		p.read = 0
		_ = p.rc.SetReadDeadline(time.Now().Add(p.lim.Read))
		_ = p.rc.SetWriteDeadline(time.Now().Add(p.lim.Write))
	}
	return n, err
}

// progressWriter gives each streamChunk written its own deadline. It cuts larger writes into
// chunks: io.Copy from an in-memory object writes the object in one call.
type progressWriter struct {
	http.ResponseWriter
	rc *http.ResponseController
	d  time.Duration
}

func (p *progressWriter) WriteHeader(status int) {
	_ = p.rc.SetWriteDeadline(time.Now().Add(p.d))
	p.ResponseWriter.WriteHeader(status)
}

func (p *progressWriter) Write(b []byte) (int, error) {
	written := 0
	for len(b) > 0 {
		chunk := b[:min(len(b), streamChunk)]
		_ = p.rc.SetWriteDeadline(time.Now().Add(p.d))
		n, err := p.ResponseWriter.Write(chunk)
		written += n
		if err != nil {
			return written, err
		}
		b = b[n:]
	}
	return written, nil
}

// Unwrap lets http.ResponseController reach the connection through the wrapper.
func (p *progressWriter) Unwrap() http.ResponseWriter { return p.ResponseWriter }
