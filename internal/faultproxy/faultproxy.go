// Package faultproxy is an HTTP proxy for tests that injects, from a seed, the faults an AWS
// service's clients meet on the wire: the service's own throttling and server errors in its wire
// format, connection resets before the request is read, after the peer processed it but before
// the answer, and halfway through a response body, and added latency.
//
// It sits between an aws-sdk-go-v2 client and a wire-protocol peer (the S3 server of
// storagetest, dynalite, the Cognito Identity and MediaConvert servers): point the client's
// BaseEndpoint at Proxy.URL. Requests keep their Host header, so signatures still verify at the
// peer.
//
// # Determinism
//
// Whether a request is faulted, and how, is a function of the seed, the request's key (method,
// path, X-Amz-Target and S3's partNumber) and how many requests with that key came before. A
// sequential test replays exactly from its seed; concurrent requests with distinct keys replay
// too, whatever their interleaving. Concurrent requests with the same key, and names that are
// random per run (buckets, upload IDs are not part of the key), make a run differ from the next:
// every fault is logged with the seed, the request's number and its key so that a failure can
// still be read and replayed by hand.
package faultproxy

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Fault is a kind of fault the proxy injects.
type Fault int

// The faults, in the order Options.Faults lists them by default.
const (
	// None passes the request through.
	None Fault = iota
	// Throttle answers with the service's throttling error (S3 503 SlowDown, DynamoDB
	// ProvisionedThroughputExceededException or ThrottlingException, Cognito Identity and
	// MediaConvert TooManyRequestsException) without reaching the peer.
	Throttle
	// ServerError answers with the service's 500 error without reaching the peer.
	ServerError
	// ResetBeforeRequest resets the connection once the request's headers arrived, before its
	// body is read and before the peer sees it.
	ResetBeforeRequest
	// ResetAfterProcessing forwards the request, lets the peer process it and answer, and
	// resets the connection instead of sending the answer: the write happened, the client
	// does not know.
	ResetAfterProcessing
	// ResetMidBody forwards the request and sends the peer's status, headers and half of its
	// body before resetting the connection.
	ResetMidBody
	// Latency delays the request by up to Options.MaxLatency before forwarding it.
	Latency
)

var faultNames = [...]string{"none", "throttle", "server-error", "reset-before-request", "reset-after-processing", "reset-mid-body", "latency"}

func (f Fault) String() string {
	if f >= 0 && int(f) < len(faultNames) {
		return faultNames[f]
	}
	return "fault(" + strconv.Itoa(int(f)) + ")"
}

// AllFaults lists every fault.
var AllFaults = []Fault{Throttle, ServerError, ResetBeforeRequest, ResetAfterProcessing, ResetMidBody, Latency}

// Options configures a Proxy.
type Options struct {
	// Seed drives every decision; the same seed and the same requests give the same faults.
	Seed uint64
	// Rate is the fraction of eligible requests faulted, from 0 to 1.
	Rate float64
	// Faults are the kinds drawn from, with equal chance; nil means AllFaults.
	Faults []Fault
	// Rates, when set, gives each fault a rate of its own and replaces Rate and Faults: a
	// request gets fault f with chance Rates[f], and one fault at most, so the rates should
	// not add up to more than 1.
	Rates map[Fault]float64
	// MaxLatency bounds the delay of a Latency fault; 0 means 20ms.
	MaxLatency time.Duration
	// Eligible says whether a request may get fault f. nil means every request an AWS SDK
	// sends (it carries amz-sdk-invocation-id, and the SDK retries it), so presigned URLs and
	// forms reach the peer untouched.
	Eligible func(r *http.Request, f Fault) bool
	// Choose, when set, replaces the random draw: it returns the fault for a request, given
	// the request and how many requests with the same key came before it (0 for the first).
	// Eligible is not consulted.
	Choose func(r *http.Request, n int) Fault
	// Observe, when set, is called for every request: with after false as it arrives, before
	// its fault is decided, and with after true once the peer answered it, before the answer
	// goes back (for requests that reach the peer). A test crashes the client there, at a
	// point of its work it chose: before a write reaches the peer, or after it is done.
	Observe func(r *http.Request, after bool)
	// Logf receives a line per fault; tests pass t.Logf. nil means the test's Logf.
	Logf func(format string, args ...any)
}

// Proxy is a running fault-injecting proxy.
type Proxy struct {
	// URL is the proxy's base URL, http://127.0.0.1:port.
	URL string

	upstream  *url.URL
	protocol  Protocol
	opts      Options
	transport *http.Transport
	srv       *httptest.Server

	mu     sync.Mutex
	n      int
	perKey map[string]int
	counts map[Fault]int
}

// New starts a proxy in front of upstream (a base URL such as http://127.0.0.1:8000) for a
// service speaking protocol; the test's cleanup stops it.
func New(t testing.TB, protocol Protocol, upstream string, opts *Options) *Proxy {
	t.Helper()
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatalf("faultproxy: upstream %q: %v", upstream, err)
	}
	p := &Proxy{upstream: u, protocol: protocol, perKey: map[string]int{}, counts: map[Fault]int{}}
	if opts != nil {
		p.opts = *opts
	}
	if p.opts.Faults == nil {
		p.opts.Faults = AllFaults
	}
	if p.opts.MaxLatency <= 0 {
		p.opts.MaxLatency = 20 * time.Millisecond
	}
	if p.opts.Logf == nil {
		p.opts.Logf = t.Logf
	}
	// The proxy passes bodies through as they are: no transparent decompression.
	p.transport = &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 16}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = p.srv.URL
	t.Cleanup(func() {
		p.srv.Close()
		p.transport.CloseIdleConnections()
	})
	return p
}

// Client returns an HTTP client of its own for the proxy, for an SDK client's HTTPClient: its
// connections are not shared with other clients, so a reset is seen by the client it was meant
// for.
func (p *Proxy) Client() *http.Client {
	return &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 16, DisableCompression: true}}
}

// Counts returns how many faults of each kind the proxy injected so far.
func (p *Proxy) Counts() map[Fault]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[Fault]int, len(p.counts))
	for k, v := range p.counts {
		out[k] = v
	}
	return out
}

// Requests returns how many requests the proxy received so far.
func (p *Proxy) Requests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

// key names a request independently of what is random per attempt (signatures, dates).
func key(r *http.Request) string {
	k := r.Method + " " + r.URL.Path
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		k += " " + t
	}
	if pn := r.URL.Query().Get("partNumber"); pn != "" {
		k += " part " + pn
	}
	return k
}

// draw hashes the seed, the key and the key's counter into a uniform float64 in [0, 1) and an
// independent 32-bit number.
func (p *Proxy) draw(k string, n int) (float64, uint32) {
	h := fnv.New64a()
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], p.opts.Seed)
	binary.LittleEndian.PutUint64(b[8:], uint64(n))
	h.Write(b[:])
	io.WriteString(h, k)
	x := h.Sum64()
	// A final mix (splitmix64's) so that nearby counters spread over the whole range.
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / (1 << 53), uint32(x)
}

func (p *Proxy) decide(r *http.Request) (f Fault, n, nk int, k string, extra uint32) {
	k = key(r)
	p.mu.Lock()
	p.n++
	n = p.n
	nk = p.perKey[k]
	p.perKey[k]++
	p.mu.Unlock()
	u, extra := p.draw(k, nk)
	switch {
	case p.opts.Choose != nil:
		f = p.opts.Choose(r, nk)
	case p.opts.Rates != nil:
		f = byRate(p.opts.Rates, u)
	case u < p.opts.Rate && len(p.opts.Faults) > 0:
		f = p.opts.Faults[int(extra>>8)%len(p.opts.Faults)]
	}
	if f != None && p.opts.Choose == nil {
		eligible := p.opts.Eligible
		if eligible == nil {
			eligible = func(r *http.Request, _ Fault) bool { return r.Header.Get("Amz-Sdk-Invocation-Id") != "" }
		}
		if !eligible(r, f) {
			f = None
		}
	}
	if f != None {
		p.mu.Lock()
		p.counts[f]++
		p.mu.Unlock()
	}
	return f, n, nk, k, extra
}

// byRate picks the fault whose share of [0, 1) holds u, the faults' shares laid end to end in
// the order of AllFaults.
func byRate(rates map[Fault]float64, u float64) Fault {
	var sum float64
	for _, f := range AllFaults {
		sum += rates[f]
		if u < sum {
			return f
		}
	}
	return None
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	if p.opts.Observe != nil {
		p.opts.Observe(r, false)
	}
	f, n, nk, k, extra := p.decide(r)
	if f != None {
		p.opts.Logf("faultproxy: seed %d, request #%d (%q, #%d of its key): %s", p.opts.Seed, n, k, nk, f)
	}
	switch f {
	case Throttle, ServerError:
		// The body is drained so that the client sees the answer, not a broken pipe.
		io.Copy(io.Discard, r.Body)
		p.protocol.writeError(w, f == Throttle, extra)
		return
	case ResetBeforeRequest:
		reset(w)
		return
	case Latency:
		d := time.Duration(uint64(extra) % uint64(p.opts.MaxLatency))
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	resp, err := p.forward(r)
	if err != nil {
		p.opts.Logf("faultproxy: seed %d, request #%d (%q): the peer did not answer: %v", p.opts.Seed, n, k, err)
		http.Error(w, "faultproxy: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	if p.opts.Observe != nil {
		p.opts.Observe(r, true)
	}
	switch f {
	case ResetAfterProcessing:
		// The peer's answer is read whole first, so the peer is done before the reset.
		io.Copy(io.Discard, resp.Body)
		reset(w)
		return
	case ResetMidBody:
		body, _ := io.ReadAll(resp.Body)
		if r.Method == http.MethodHead || len(body) == 0 {
			// Nothing to cut: the answer goes through whole.
			p.opts.Logf("faultproxy: seed %d, request #%d: no body to cut, answered whole", p.opts.Seed, n)
			copyHeader(w.Header(), resp.Header)
			w.WriteHeader(resp.StatusCode)
			w.Write(body)
			return
		}
		conn := hijack(w)
		if conn == nil {
			return
		}
		bw := bufio.NewWriter(conn)
		fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\n", resp.StatusCode, http.StatusText(resp.StatusCode))
		resp.Header.Del("Transfer-Encoding")
		resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
		resp.Header.Write(bw)
		bw.WriteString("\r\n")
		bw.Write(body[:len(body)/2])
		bw.Flush()
		abort(conn)
		return
	}
	copyHeader(w.Header(), resp.Header)
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

// forward sends r to the upstream, keeping its Host header, and returns the answer.
func (p *Proxy) forward(r *http.Request) (*http.Response, error) {
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.URL.Scheme = p.upstream.Scheme
	out.URL.Host = p.upstream.Host
	out.Host = r.Host
	out.Header.Del("Expect") // the proxy's server answered 100 Continue already
	if r.ContentLength == 0 {
		out.Body = nil
	}
	return p.transport.RoundTrip(out)
}

func copyHeader(dst, src http.Header) {
	for name, v := range src {
		dst[name] = v
	}
}

func hijack(w http.ResponseWriter) net.Conn {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return nil
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return nil
	}
	return conn
}

// reset closes the client's connection with a TCP reset, without an answer.
func reset(w http.ResponseWriter) {
	if conn := hijack(w); conn != nil {
		abort(conn)
	}
}

func abort(conn net.Conn) {
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0) // close sends RST, as a peer that drops the connection does
	}
	conn.Close()
}

// writeErrorBody is shared by the protocols' error writers.
func writeErrorBody(w http.ResponseWriter, status int, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// Tally sums what several proxies saw, for a suite that starts a proxy per subtest. The zero
// value is ready to use, and a Tally is safe for concurrent use.
type Tally struct {
	mu       sync.Mutex
	faults   map[Fault]int
	requests int
}

// Watch adds what p has seen to the tally when the test t, which started p, ends.
func (y *Tally) Watch(t testing.TB, p *Proxy) {
	t.Cleanup(func() {
		faults, n := p.Counts(), p.Requests()
		y.mu.Lock()
		defer y.mu.Unlock()
		if y.faults == nil {
			y.faults = make(map[Fault]int)
		}
		for f, k := range faults {
			y.faults[f] += k
		}
		y.requests += n
	})
}

// Check logs the requests and the faults tallied, and fails t when requests went through and
// not one was faulted: a suite that ran so would prove nothing about faults.
func (y *Tally) Check(t testing.TB) {
	t.Helper()
	y.mu.Lock()
	defer y.mu.Unlock()
	t.Logf("%d requests, faults injected: %v", y.requests, y.faults)
	if y.requests > 0 && len(y.faults) == 0 {
		t.Errorf("no fault injected in %d requests", y.requests)
	}
}
