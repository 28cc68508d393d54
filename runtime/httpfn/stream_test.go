package httpfn_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/servous/servous/runtime"
	"github.com/servous/servous/runtime/httpfn"
	"github.com/servous/servous/runtime/httpfn/internal/videoapi"
	"github.com/servous/servous/runtime/runtimetest"
)

const videoFn = "github.com/servous/servous/runtime/httpfn/internal/videofn"

// buildVideoFn builds command videofn as Lambda runs it.
func buildVideoFn(t testing.TB) string {
	t.Helper()
	return runtimetest.Build(t, videoFn, nil)
}

// runtimeAPI is a Lambda Runtime API of our own (GET next, POST response and error), speaking
// the streaming response mode as Lambda's documentation of custom runtimes describes it: the
// response posted with Transfer-Encoding: chunked, the function's errors in the trailers
// Lambda-Runtime-Function-Error-Type and Lambda-Runtime-Function-Error-Body. A response of
// content type application/vnd.awslambda.http-integration-response is a JSON prelude, eight
// NUL bytes, then the body.
type runtimeAPI struct {
	t    testing.TB
	srv  *httptest.Server
	next chan *apiInvocation

	mu      sync.Mutex
	pending map[string]*apiInvocation
	gates   map[string]chan struct{}
}

type apiInvocation struct {
	id      string
	payload []byte
	answer  chan *apiAnswer
}

// apiAnswer is what the function posted: its body can be read as it arrives.
type apiAnswer struct {
	kind        string // "response" or "error"
	contentType string
	chunked     bool
	mode        string // Lambda-Runtime-Function-Response-Mode
	body        *io.PipeReader
	done        chan struct{} // closed when the body is read to its end
	trailer     http.Header   // set before done closes
}

func newRuntimeAPI(t testing.TB) *runtimeAPI {
	api := &runtimeAPI{t: t, next: make(chan *apiInvocation), pending: map[string]*apiInvocation{}, gates: map[string]chan struct{}{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		var inv *apiInvocation
		select {
		case inv = <-api.next:
		case <-r.Context().Done():
			return
		}
		api.mu.Lock()
		api.pending[inv.id] = inv
		api.mu.Unlock()
		w.Header().Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		w.Header().Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(time.Minute).UnixMilli(), 10))
		w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:videofn")
		w.Header().Set("Lambda-Runtime-Trace-Id", "Root=1-5e6722a7-cc56xmpl46db7ae02d4da47e;Parent=0;Sampled=0")
		w.Write(inv.payload)
	})
	post := func(kind string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			api.mu.Lock()
			inv := api.pending[r.PathValue("id")]
			delete(api.pending, r.PathValue("id"))
			api.mu.Unlock()
			if inv == nil {
				http.Error(w, "unknown request id", http.StatusBadRequest)
				return
			}
			pr, pw := io.Pipe()
			a := &apiAnswer{
				kind: kind, contentType: r.Header.Get("Content-Type"),
				chunked: len(r.TransferEncoding) > 0 && r.TransferEncoding[0] == "chunked",
				mode:    r.Header.Get("Lambda-Runtime-Function-Response-Mode"),
				body:    pr, done: make(chan struct{}),
			}
			inv.answer <- a
			_, err := io.Copy(pw, r.Body)
			a.trailer = r.Trailer
			pw.CloseWithError(err)
			close(a.done)
			w.WriteHeader(http.StatusAccepted)
		}
	}
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", post("response"))
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", post("error"))
	// GET /gate/{name} answers once the test opens the gate.
	mux.HandleFunc("GET /gate/{name}", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-api.gate(r.PathValue("name")):
		case <-r.Context().Done():
		}
	})
	api.srv = httptest.NewServer(mux)
	t.Cleanup(api.srv.Close)
	return api
}

func (api *runtimeAPI) gate(name string) chan struct{} {
	api.mu.Lock()
	defer api.mu.Unlock()
	g, ok := api.gates[name]
	if !ok {
		g = make(chan struct{})
		api.gates[name] = g
	}
	return g
}

// start runs the function against the API until the test ends.
func (api *runtimeAPI) start(t testing.TB, bootstrap string, env ...string) *exec.Cmd {
	cmd := exec.Command(bootstrap)
	cmd.Env = append([]string{
		"AWS_LAMBDA_RUNTIME_API=" + strings.TrimPrefix(api.srv.URL, "http://"),
		"AWS_LAMBDA_FUNCTION_NAME=videofn",
		"AWS_LAMBDA_LOG_LEVEL=ERROR",
	}, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("function output:\n%s", out.String())
		}
	})
	return cmd
}

// invoke sends payload to the function and returns its answer as soon as it starts.
func (api *runtimeAPI) invoke(t testing.TB, payload []byte) *apiAnswer {
	t.Helper()
	inv := &apiInvocation{id: runtime.NewRequestID(), payload: payload, answer: make(chan *apiAnswer, 1)}
	select {
	case api.next <- inv:
	case <-time.After(30 * time.Second):
		t.Fatal("the function did not ask for an invocation")
	}
	select {
	case a := <-inv.answer:
		return a
	case <-time.After(30 * time.Second):
		t.Fatal("the function did not answer")
	}
	return nil
}

// furlEvent is a function URL's event for a GET of target.
func furlEvent(t testing.TB, target string) []byte {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	ev := map[string]any{
		"version": "2.0", "rawPath": u.EscapedPath(), "rawQueryString": u.RawQuery,
		"headers": map[string]string{"host": "abc.lambda-url.us-east-1.on.aws"},
		"requestContext": map[string]any{
			"domainName": "abc.lambda-url.us-east-1.on.aws", "requestId": "r1",
			"http": map[string]string{"method": "GET", "path": u.Path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1"},
		},
		"isBase64Encoded": false,
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type prelude struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	Cookies    []string          `json:"cookies"`
}

// readPrelude reads a streamed HTTP response's prelude and its separator.
func readPrelude(t testing.TB, r *bufio.Reader) prelude {
	t.Helper()
	var raw []byte
	for !bytes.HasSuffix(raw, []byte("\x00\x00\x00\x00\x00\x00\x00\x00")) {
		c, err := r.ReadByte()
		if err != nil {
			t.Fatalf("reading the prelude after %q: %v", raw, err)
		}
		raw = append(raw, c)
	}
	var p prelude
	if err := json.Unmarshal(raw[:len(raw)-8], &p); err != nil {
		t.Fatalf("prelude %q: %v", raw, err)
	}
	return p
}

func TestStreamingRuntimeAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a function")
	}
	bin := buildVideoFn(t)
	api := newRuntimeAPI(t)
	api.start(t, bin, "VIDEOFN_STREAM=1")

	t.Run("events arrive as they are flushed", func(t *testing.T) {
		a := api.invoke(t, furlEvent(t, "/events?n=3&gate="+url.QueryEscape(api.srv.URL+"/gate/events")))
		if a.kind != "response" || a.contentType != "application/vnd.awslambda.http-integration-response" || !a.chunked {
			t.Fatalf("answer: %s, Content-Type %q, chunked %v", a.kind, a.contentType, a.chunked)
		}
		if a.mode != "streaming" {
			// Lambda's custom runtime documentation asks for this header; aws-lambda-go's
			// Runtime API client, which posts the stream, does not send it, and Lambda
			// streams function URL responses without it.
			t.Logf("Lambda-Runtime-Function-Response-Mode = %q", a.mode)
		}
		r := bufio.NewReader(a.body)
		p := readPrelude(t, r)
		if p.StatusCode != 200 || p.Headers["Content-Type"] != "text/event-stream" {
			t.Errorf("prelude = %+v", p)
		}
		for i := range 3 {
			want := fmt.Sprintf("data: %d\n\n", i)
			got := make([]byte, len(want))
			// Event i is read while the function waits on gate i, before it writes i+1.
			if _, err := io.ReadFull(r, got); err != nil || string(got) != want {
				t.Fatalf("event %d = %q, %v; want %q", i, got, err, want)
			}
			close(api.gate("events" + strconv.Itoa(i)))
		}
		if rest, err := io.ReadAll(r); err != nil || len(rest) > 0 {
			t.Errorf("after the events: %q, %v", rest, err)
		}
		<-a.done
		if et := a.trailer.Get("Lambda-Runtime-Function-Error-Type"); et != "" {
			t.Errorf("error trailer %q on a clean stream", et)
		}
	})

	t.Run("failure mid-stream ends it with error trailers", func(t *testing.T) {
		a := api.invoke(t, furlEvent(t, "/fail"))
		r := bufio.NewReader(a.body)
		if p := readPrelude(t, r); p.StatusCode != 200 {
			t.Errorf("prelude = %+v", p)
		}
		rest, _ := io.ReadAll(r)
		if string(rest) != "data: partial\n\n" {
			t.Errorf("body = %q", rest)
		}
		<-a.done
		if a.trailer.Get("Lambda-Runtime-Function-Error-Type") == "" {
			t.Fatalf("no error trailer: %v", a.trailer)
		}
		body, err := base64.StdEncoding.DecodeString(a.trailer.Get("Lambda-Runtime-Function-Error-Body"))
		var e struct {
			ErrorMessage string `json:"errorMessage"`
		}
		if err != nil || json.Unmarshal(body, &e) != nil || !strings.Contains(e.ErrorMessage, "panicked") {
			t.Errorf("error body = %q, %v", body, err)
		}
	})

	t.Run("panic before answering is a 500", func(t *testing.T) {
		a := api.invoke(t, furlEvent(t, "/panic"))
		r := bufio.NewReader(a.body)
		if p := readPrelude(t, r); p.StatusCode != 500 {
			t.Errorf("prelude = %+v", p)
		}
		<-a.done
	})

	t.Run("a short response is streamed whole", func(t *testing.T) {
		a := api.invoke(t, furlEvent(t, "/videos/42?tag=cat"))
		r := bufio.NewReader(a.body)
		p := readPrelude(t, r)
		body, _ := io.ReadAll(r)
		want := prelude{StatusCode: 200, Headers: map[string]string{"Content-Type": "application/json"}, Cookies: []string{"seen=42"}}
		if fmt.Sprint(p) != fmt.Sprint(want) || string(body) != `{"id":"42","tags":["cat"]}`+"\n" {
			t.Errorf("prelude %+v, body %q", p, body)
		}
	})

	t.Run("20 MB", func(t *testing.T) {
		a := api.invoke(t, furlEvent(t, "/bytes?mb=20"))
		r := bufio.NewReader(a.body)
		readPrelude(t, r)
		n, err := io.Copy(io.Discard, r)
		if err != nil || n != 20<<20 {
			t.Errorf("read %d bytes, %v", n, err)
		}
		<-a.done
	})
}

func TestBufferedRuntimeAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a function")
	}
	api := newRuntimeAPI(t)
	api.start(t, buildVideoFn(t))
	a := api.invoke(t, furlEvent(t, "/videos/7"))
	body, _ := io.ReadAll(a.body)
	want := `{"statusCode":200,"headers":{"Content-Type":"application/json"},"cookies":["seen=7"],"body":"{\"id\":\"7\",\"tags\":null}\n","isBase64Encoded":false}`
	// aws-lambda-go posts every response chunked; the content type tells a buffered one.
	if a.kind != "response" || a.contentType == "application/vnd.awslambda.http-integration-response" || string(body) != want {
		t.Errorf("%s (Content-Type %q): %s\nwant %s", a.kind, a.contentType, body, want)
	}
}

// TestUnderEmulator runs the function under aws-lambda-rie and compares its answers, through
// each source's events, with the same handler's under net/http.
func TestUnderEmulator(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a function and runs the emulator")
	}
	bin := buildVideoFn(t)
	fn := runtimetest.Run(t, bin, nil)
	srv := httptest.NewTLSServer(videoapi.Routes())
	t.Cleanup(srv.Close)
	targets := []string{"/videos/42?tag=cat&tag=dog", "/videos/a%2Fb", "/events?n=3", "/bytes?mb=1", "/panic", "/missing"}
	for _, source := range []httpfn.Source{httpfn.FunctionURL, httpfn.HTTPAPI, httpfn.RESTAPI, httpfn.ALB} {
		t.Run(source.String(), func(t *testing.T) {
			client := &http.Client{Transport: &httpfn.Transport{Handler: fn, Source: source, SourceIP: "127.0.0.1"}}
			for _, target := range targets {
				pr := parityRequest{method: "GET", target: target}
				var want string
				if target == "/panic" {
					// net/http drops the connection of a handler that panics; httpfn
					// answers 500.
					want = "500\nContent-Type: text/plain; charset=utf-8\nX-Content-Type-Options: nosniff\n\nInternal Server Error\n"
				} else {
					want = do(t, srv.Client(), srv.URL, pr)
				}
				if source == httpfn.ALB {
					// Without multi-value headers, the last value of a repeated query key.
					want = strings.Replace(want, `"tags":["cat","dog"]`, `"tags":["dog"]`, 1)
				}
				if target == "/bytes?mb=1" && source == httpfn.ALB {
					// Over the load balancer's 1 MB limit once encoded.
					want = "502\nContent-Type: text/plain; charset=utf-8\nX-Content-Type-Options: nosniff\n\nBad Gateway\n"
				}
				if got := do(t, client, srv.URL, pr); got != want {
					t.Errorf("GET %s:\n--- net/http\n%.500s\n--- emulator\n%.500s", target, want, got)
				}
			}
		})
	}
}

// TestStreamingUnderEmulator runs the function in streaming mode under aws-lambda-rie, which
// takes a streamed response whole: it checks what arrives, and TestStreamingRuntimeAPI that it
// arrives as it is written.
func TestStreamingUnderEmulator(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a function and runs the emulator")
	}
	fn := runtimetest.Run(t, buildVideoFn(t), &runtimetest.Options{Env: map[string]string{"VIDEOFN_STREAM": "1"}})
	out, err := fn.Invoke(t.Context(), furlEvent(t, "/events?n=3"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"statusCode":200,"headers":{"Content-Type":"text/event-stream"}}` + "\x00\x00\x00\x00\x00\x00\x00\x00" +
		"data: 0\n\ndata: 1\n\ndata: 2\n\n"
	if string(out) != want {
		t.Errorf("response %q\nwant %q", out, want)
	}
	t.Log("aws-lambda-rie answers a streamed response when it has all of it: streaming itself is tested against TestStreamingRuntimeAPI's Runtime API server")
}
