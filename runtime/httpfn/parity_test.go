package httpfn_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/servous/servous/runtime"
	"github.com/servous/servous/runtime/httpfn"
)

// parityHandler is a small API: what it answers depends on every part of the request that
// the sources pass on, and its responses use every part of a response they pass back.
func parityHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /videos/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "id=%s\nmethod=%s\nescaped=%s\n", r.PathValue("id"), r.Method, r.URL.EscapedPath())
		q := r.URL.Query()
		for _, k := range slices.Sorted(func(yield func(string) bool) {
			for k := range q {
				if !yield(k) {
					return
				}
			}
		}) {
			fmt.Fprintf(w, "query %s=%q\n", k, q[k])
		}
		// Payload format 2.0 joins a repeated header's values with commas, which HTTP
		// allows for any header but Set-Cookie: compare them joined.
		for _, k := range []string{"X-Test", "Accept", "Content-Type"} {
			fmt.Fprintf(w, "header %s=%s\n", k, strings.Join(r.Header.Values(k), ","))
		}
		for _, c := range r.Cookies() {
			fmt.Fprintf(w, "cookie %s\n", c)
		}
		ip, _, _ := net.SplitHostPort(r.RemoteAddr)
		fmt.Fprintf(w, "host=%s\ntls=%v\nremote=%s\nlength=%d\n", r.Host, r.TLS != nil, ip, r.ContentLength)
	})
	mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", r.Header.Get("Content-Type"))
		w.Header().Add("X-Multi", "one")
		w.Header().Add("X-Multi", "two")
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "s3cr3t", Path: "/", HttpOnly: true, Secure: true})
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, "%d:", r.ContentLength)
		w.Write(body)
	})
	mux.HandleFunc("GET /binary", func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 3000)
		for i := range b {
			b[i] = byte(i * 7)
		}
		w.Write(append([]byte("\x89PNG\r\n\x1a\n"), b...)) // sniffed as image/png
	})
	mux.HandleFunc("DELETE /videos/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /stream", func(w http.ResponseWriter, r *http.Request) {
		for i := range 5 {
			fmt.Fprintf(w, "event: %d\n\n", i)
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("GET /redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/videos/1", http.StatusFound)
	})
	return mux
}

type parityRequest struct {
	method, target string
	header         http.Header
	body           string
}

var parityRequests = []parityRequest{
	{method: "GET", target: "/videos/42"},
	{method: "GET", target: "/videos/a%2Fb?tag=cat&tag=dog&q=%26%3D&empty=&sp=a+b%20c", header: http.Header{
		"X-Test": {"one", "two"}, "Accept": {"text/plain"}, "Cookie": {"a=1; b=2"}}},
	{method: "GET", target: "/videos/%E2%9C%93"},
	{method: "HEAD", target: "/videos/42"},
	{method: "POST", target: "/echo", header: http.Header{"Content-Type": {"application/json"}}, body: `{"name":"ünïcode"}`},
	{method: "POST", target: "/echo", header: http.Header{"Content-Type": {"application/octet-stream"}}, body: "\x00\x01\xfe\xffbinary"},
	{method: "POST", target: "/echo", header: http.Header{"Content-Type": {"text/plain"}}},
	{method: "GET", target: "/binary"},
	{method: "DELETE", target: "/videos/42"},
	{method: "GET", target: "/stream"},
	{method: "GET", target: "/redirect"},
	{method: "GET", target: "/missing"},
	{method: "PUT", target: "/videos/42"}, // 405, with Allow
}

// dump is a response in a form compared byte for byte: status, headers sorted (a repeated
// header's values joined by commas, Set-Cookie one line each) and body. Date, Content-Length
// and Transfer-Encoding are left out: they describe the connection, and each source sets them
// itself.
func dump(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d\n", resp.StatusCode)
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range resp.Header {
			if !yield(k) {
				return
			}
		}
	}) {
		switch k {
		case "Date", "Content-Length", "Transfer-Encoding":
			continue
		case "Set-Cookie":
			for _, v := range resp.Header[k] {
				fmt.Fprintf(&b, "%s: %s\n", k, v)
			}
			continue
		}
		fmt.Fprintf(&b, "%s: %s\n", k, strings.Join(resp.Header[k], ","))
	}
	b.WriteString("\n")
	b.Write(body)
	return b.String()
}

func do(t *testing.T, client *http.Client, base string, pr parityRequest) string {
	t.Helper()
	var body io.Reader
	if pr.body != "" {
		body = strings.NewReader(pr.body)
	}
	req, err := http.NewRequestWithContext(t.Context(), pr.method, base+pr.target, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range pr.header {
		req.Header[k] = vs
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", pr.method, pr.target, err)
	}
	return dump(t, resp)
}

// TestParity sends the same requests to the handler under net/http (an httptest TLS server)
// and through each source's events to runtime.Local, and compares the responses.
func TestParity(t *testing.T) {
	h := parityHandler()
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	direct := srv.Client()
	direct.CheckRedirect = noRedirect

	want := make([]string, len(parityRequests))
	for i, pr := range parityRequests {
		want[i] = do(t, direct, srv.URL, pr)
	}
	if !strings.Contains(want[1], `query tag=["cat" "dog"]`) || !strings.HasPrefix(want[3], "200\n") {
		t.Fatalf("the server's own answers are not what the handler writes:\n%s\n%s", want[1], want[3])
	}

	sources := []struct {
		name      string
		transport httpfn.Transport
		opts      httpfn.Options
	}{
		{name: "FunctionURL", transport: httpfn.Transport{Source: httpfn.FunctionURL}},
		{name: "FunctionURL streaming format", transport: httpfn.Transport{Source: httpfn.FunctionURL, Stream: true}, opts: httpfn.Options{Stream: true}},
		{name: "HTTPAPI", transport: httpfn.Transport{Source: httpfn.HTTPAPI}},
		{name: "RESTAPI", transport: httpfn.Transport{Source: httpfn.RESTAPI}},
		{name: "ALB multi-value", transport: httpfn.Transport{Source: httpfn.ALB, MultiValueHeaders: true}},
		{name: "ALB", transport: httpfn.Transport{Source: httpfn.ALB}},
		{name: "RESTAPI fixed", transport: httpfn.Transport{Source: httpfn.RESTAPI}, opts: httpfn.Options{Source: httpfn.RESTAPI}},
	}
	for _, s := range sources {
		t.Run(s.name, func(t *testing.T) {
			local := runtime.NewLocal(httpfn.NewHandler(h, quietOptions(&s.opts)), nil)
			tr := s.transport
			tr.Handler = local
			tr.SourceIP = "127.0.0.1"
			client := &http.Client{Transport: &tr, CheckRedirect: noRedirect}
			for i, pr := range parityRequests {
				got := do(t, client, srv.URL, pr)
				w := want[i]
				if s.name == "ALB" {
					// Without multi-value headers the load balancer keeps the last value of a
					// repeated header or query key: the client's request is not what arrives.
					if pr.header["X-Test"] != nil {
						w = strings.Replace(w, "header X-Test=one,two", "header X-Test=two", 1)
						w = strings.Replace(w, `query tag=["cat" "dog"]`, `query tag=["dog"]`, 1)
					}
				}
				if got != w {
					t.Errorf("%s %s:\n--- net/http\n%s\n--- %s\n%s", pr.method, pr.target, w, s.name, got)
				}
			}
		})
	}
}

// TestTransportError checks that a handler error reaches the client as an error.
func TestTransportError(t *testing.T) {
	failing := runtime.InvokeFunc(func(ctx context.Context, payload []byte) ([]byte, error) {
		return nil, io.ErrUnexpectedEOF
	})
	client := &http.Client{Transport: &httpfn.Transport{Handler: failing}}
	_, err := client.Get("https://api.example.com/")
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("err = %v, want the handler's", err)
	}
}
