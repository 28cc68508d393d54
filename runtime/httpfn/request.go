package httpfn

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// request returns the *http.Request the handler serves for ev, as net/http's server would make
// it for the same request on the wire: a URL of path and query only, Host moved out of the
// header, RemoteAddr "ip:port" (port 0: sources do not tell it), TLS state for HTTPS. A
// request net/http would refuse gets the status net/http answers with instead (400).
func (ev *event) request(ctx context.Context) (*http.Request, int) {
	target := ev.path
	if target == "" {
		target = "/"
	}
	if ev.query != "" {
		target += "?" + ev.query
	}
	u, err := url.ParseRequestURI(target)
	if err != nil || !validMethod(ev.method) {
		return nil, http.StatusBadRequest
	}
	r := &http.Request{
		Method:     ev.method,
		URL:        u,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     ev.header,
		Host:       ev.host,
		RequestURI: target,
	}
	if ev.remoteIP != "" {
		r.RemoteAddr = net.JoinHostPort(ev.remoteIP, "0")
	}
	if p := strings.TrimSpace(ev.proto); p != "" {
		if major, minor, ok := http.ParseHTTPVersion(p); ok {
			r.Proto, r.ProtoMajor, r.ProtoMinor = p, major, minor
		}
	}
	delete(r.Header, "Host")
	if ev.https {
		r.TLS = &tls.ConnectionState{HandshakeComplete: true, ServerName: hostname(ev.host)}
	}
	r.ContentLength = int64(len(ev.body))
	if len(ev.body) > 0 {
		r.Body = io.NopCloser(strings.NewReader(ev.body))
		r.Header["Content-Length"] = []string{strconv.Itoa(len(ev.body))}
	} else {
		r.Body = http.NoBody
		if _, ok := r.Header["Content-Length"]; ok {
			r.Header["Content-Length"] = []string{"0"}
		}
	}
	// The body is whole: a Transfer-Encoding the client used does not apply to it.
	delete(r.Header, "Transfer-Encoding")
	return r.WithContext(&eventContext{Context: ctx, ev: ev}), 0
}

func hostname(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	return host
}

// validMethod reports whether m is an HTTP token, as net/http requires of a method.
func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for i := 0; i < len(m); i++ {
		c := m[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}
