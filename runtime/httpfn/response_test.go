package httpfn_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"

	"github.com/servous/servous/runtime"
	"github.com/servous/servous/runtime/httpfn"
)

// fixtureOf is a request payload of each source, with the response format it expects.
var fixtureOf = map[string]string{
	"FunctionURL":  "functionurl-post.json",
	"HTTPAPI":      "httpapi-jwt.json",
	"RESTAPI":      "rest-get.json",
	"ALB":          "alb-single.json",
	"ALB multi":    "alb-multi.json",
	"HTTPAPI v1.0": "rest-httpapi-v1.json",
}

// invoke runs h on the fixture's payload and returns the response payload and the log.
func invoke(t *testing.T, h http.Handler, opts *httpfn.Options, fixture string) (string, string) {
	t.Helper()
	var log bytes.Buffer
	if opts == nil {
		opts = &httpfn.Options{}
	}
	opts.Runtime = &runtime.Options{
		Logger:  slog.New(slog.NewJSONHandler(&log, nil)),
		Metrics: &runtime.MetricsOptions{Writer: io.Discard},
	}
	out, err := runtime.NewLocal(httpfn.NewHandler(h, opts), nil).Invoke(t.Context(), readFixture(t, fixture))
	if err != nil {
		t.Fatalf("invoke: %v\nlog:\n%s", err, log.String())
	}
	return string(out), log.String()
}

// TestResponseFormats checks each source's response payload, byte for byte, and that it decodes
// into aws-lambda-go's response type for the source.
func TestResponseFormats(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Add("X-Multi", "a")
		w.Header().Add("X-Multi", "b")
		http.SetCookie(w, &http.Cookie{Name: "a", Value: "1", Path: "/"})
		http.SetCookie(w, &http.Cookie{Name: "b", Value: "2", HttpOnly: true})
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, "{\"ok\":true,\"note\":\"tab\\t<é>\"}\n")
	})
	const body = `"body":"{\"ok\":true,\"note\":\"tab\\t<é>\"}\n","isBase64Encoded":false}`
	want := map[string]string{
		"FunctionURL": `{"statusCode":201,"headers":{"Content-Type":"application/json","X-Multi":"a,b"},"cookies":["a=1; Path=/","b=2; HttpOnly"],` + body,
		"HTTPAPI":     `{"statusCode":201,"headers":{"Content-Type":"application/json","X-Multi":"a,b"},"cookies":["a=1; Path=/","b=2; HttpOnly"],` + body,
		"RESTAPI":     `{"statusCode":201,"multiValueHeaders":{"Content-Type":["application/json"],"Set-Cookie":["a=1; Path=/","b=2; HttpOnly"],"X-Multi":["a","b"]},` + body,
		// Without multi-value headers, a load balancer takes one Set-Cookie: the last.
		"ALB":          `{"statusCode":201,"statusDescription":"201 Created","headers":{"Content-Type":"application/json","Set-Cookie":"b=2; HttpOnly","X-Multi":"a,b"},` + body,
		"ALB multi":    `{"statusCode":201,"statusDescription":"201 Created","multiValueHeaders":{"Content-Type":["application/json"],"Set-Cookie":["a=1; Path=/","b=2; HttpOnly"],"X-Multi":["a","b"]},` + body,
		"HTTPAPI v1.0": `{"statusCode":201,"multiValueHeaders":{"Content-Type":["application/json"],"Set-Cookie":["a=1; Path=/","b=2; HttpOnly"],"X-Multi":["a","b"]},` + body,
	}
	for name, fixture := range fixtureOf {
		t.Run(name, func(t *testing.T) {
			got, _ := invoke(t, h, nil, fixture)
			if got != want[name] {
				t.Errorf("response\n got %s\nwant %s", got, want[name])
			}
			var typed any
			switch name {
			case "FunctionURL":
				typed = &events.LambdaFunctionURLResponse{}
			case "HTTPAPI":
				typed = &events.APIGatewayV2HTTPResponse{}
			case "ALB", "ALB multi":
				typed = &events.ALBTargetGroupResponse{}
			default:
				typed = &events.APIGatewayProxyResponse{}
			}
			dec := json.NewDecoder(strings.NewReader(got))
			dec.DisallowUnknownFields()
			if err := dec.Decode(typed); err != nil {
				t.Errorf("response does not decode into %T: %v", typed, err)
			}
		})
	}
}

type bodyResponse struct {
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
}

func decodeResponse(t *testing.T, out string) bodyResponse {
	t.Helper()
	var r bodyResponse
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("response %.200s: %v", out, err)
	}
	return r
}

func TestBodies(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	tests := []struct {
		name        string
		contentType string // "" leaves it to sniffing
		status      int
		body        []byte
		binary      func(string) bool
		wantType    string
		wantB64     bool
	}{
		{name: "text", contentType: "text/plain; charset=utf-8", body: []byte("héllo\n"), wantType: "text/plain; charset=utf-8"},
		{name: "json", contentType: "application/problem+json", body: []byte(`{"a":1}`), wantType: "application/problem+json"},
		{name: "binary type", contentType: "image/png", body: png, wantType: "image/png", wantB64: true},
		{name: "sniffed binary", body: png, wantType: "image/png", wantB64: true},
		{name: "sniffed html", body: []byte("<!DOCTYPE html><p>hi"), wantType: "text/html; charset=utf-8"},
		{name: "text type, bytes not UTF-8", contentType: "text/plain", body: []byte{0xff, 0xfe, 'a'}, wantType: "text/plain", wantB64: true},
		{name: "Options.Binary", contentType: "application/json", body: []byte(`{}`), binary: func(string) bool { return true }, wantType: "application/json", wantB64: true},
		{name: "empty", status: http.StatusNoContent},
		{name: "empty 200", status: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.contentType != "" {
					w.Header().Set("Content-Type", tt.contentType)
				}
				if tt.status != 0 {
					w.WriteHeader(tt.status)
				}
				w.Write(tt.body)
			})
			out, _ := invoke(t, h, &httpfn.Options{Binary: tt.binary}, "httpapi-jwt.json")
			r := decodeResponse(t, out)
			if r.IsBase64Encoded != tt.wantB64 {
				t.Errorf("isBase64Encoded = %v, want %v", r.IsBase64Encoded, tt.wantB64)
			}
			body := []byte(r.Body)
			if r.IsBase64Encoded {
				var err error
				if body, err = base64.StdEncoding.DecodeString(r.Body); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(body, tt.body) && len(body)+len(tt.body) > 0 {
				t.Errorf("body = %q, want %q", body, tt.body)
			}
			if got := r.Headers["Content-Type"]; got != tt.wantType {
				t.Errorf("Content-Type = %q, want %q", got, tt.wantType)
			}
		})
	}
}

func TestHEAD(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html>body</html>") })
	payload := bytes.Replace(readFixture(t, "httpapi-jwt.json"), []byte(`"method": "POST"`), []byte(`"method": "HEAD"`), 1)
	out, err := runtime.NewLocal(httpfn.NewHandler(h, quietOptions(nil)), nil).Invoke(t.Context(), payload)
	if err != nil {
		t.Fatal(err)
	}
	r := decodeResponse(t, string(out))
	if r.Body != "" || r.Headers["Content-Type"] != "text/html; charset=utf-8" {
		t.Errorf("HEAD response = %+v, want no body and the sniffed Content-Type", r)
	}
}

func TestTooLarge(t *testing.T) {
	tests := []struct {
		name, fixture string
		size          int
		binary        bool
		wantStatus    int
	}{
		{"text under 6 MB", "httpapi-jwt.json", 6 << 20, false, http.StatusOK},
		{"text over 6 MB", "httpapi-jwt.json", 6<<20 + 200, false, http.StatusBadGateway},
		{"binary fits", "rest-get.json", 4 << 20, true, http.StatusOK},
		{"binary over 6 MB once base64-encoded", "rest-get.json", 5 << 20, true, http.StatusBadGateway},
		{"ALB under 1 MB", "alb-single.json", 1<<20 - 300, false, http.StatusOK},
		{"ALB over 1 MB", "alb-multi.json", 1 << 20, false, http.StatusBadGateway},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var writeErr error
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.binary {
					w.Header().Set("Content-Type", "application/octet-stream")
				} else {
					w.Header().Set("Content-Type", "text/plain")
				}
				chunk := bytes.Repeat([]byte("a"), 64<<10)
				for n := 0; n < tt.size; n += len(chunk) {
					_, writeErr = w.Write(chunk[:min(len(chunk), tt.size-n)])
					if writeErr != nil {
						return
					}
				}
			})
			out, log := invoke(t, h, nil, tt.fixture)
			var r struct {
				StatusCode int    `json:"statusCode"`
				Body       string `json:"body"`
			}
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatal(err)
			}
			if r.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", r.StatusCode, tt.wantStatus)
			}
			if tt.wantStatus == http.StatusOK {
				if len(out) > httpfn.MaxResponse || writeErr != nil {
					t.Errorf("payload %d bytes, write error %v", len(out), writeErr)
				}
				return
			}
			if r.Body != "Bad Gateway\n" {
				t.Errorf("body = %.100q, want Bad Gateway", r.Body)
			}
			if !strings.Contains(log, "response too large") {
				t.Errorf("log says nothing of the reason:\n%s", log)
			}
			if tt.size > httpfn.MaxResponse && !errors.Is(writeErr, httpfn.ErrResponseTooLarge) {
				t.Errorf("Write error = %v, want ErrResponseTooLarge", writeErr)
			}
		})
	}
}

func TestPanic(t *testing.T) {
	calls := 0
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if r.URL.Path == "/my/path" && calls == 1 {
			w.Header().Set("X-Partial", "yes")
			io.WriteString(w, "partial")
			panic("boom")
		}
		io.WriteString(w, "fine")
	})
	var log bytes.Buffer
	opts := &httpfn.Options{Runtime: &runtime.Options{
		Logger:  slog.New(slog.NewJSONHandler(&log, nil)),
		Metrics: &runtime.MetricsOptions{Writer: io.Discard},
	}}
	local := runtime.NewLocal(httpfn.NewHandler(h, opts), nil)
	out, err := local.Invoke(t.Context(), readFixture(t, "httpapi-jwt.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"statusCode":500,"headers":{"Content-Type":"text/plain; charset=utf-8","X-Content-Type-Options":"nosniff"},"body":"Internal Server Error\n","isBase64Encoded":false}`
	if string(out) != want {
		t.Errorf("response\n got %s\nwant %s", out, want)
	}
	if !strings.Contains(log.String(), `"msg":"panic serving HTTP","error":"boom"`) || !strings.Contains(log.String(), "goroutine") {
		t.Errorf("log has no panic with its stack:\n%s", log.String())
	}
	// The function keeps serving.
	out, err = local.Invoke(t.Context(), readFixture(t, "httpapi-jwt.json"))
	if err != nil || !strings.Contains(string(out), `"body":"fine"`) {
		t.Errorf("next invocation: %s, %v", out, err)
	}
}

func TestTrailersRefused(t *testing.T) {
	for name, h := range map[string]http.HandlerFunc{
		"Trailer header": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Trailer", "X-Checksum")
			io.WriteString(w, "data")
			w.Header().Set("X-Checksum", "abc")
		},
		"TrailerPrefix": func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "data")
			w.Header().Set(http.TrailerPrefix+"X-Checksum", "abc")
		},
	} {
		t.Run(name, func(t *testing.T) {
			out, log := invoke(t, h, nil, "functionurl-post.json")
			if r := decodeResponse(t, out); r.StatusCode != http.StatusInternalServerError {
				t.Errorf("status = %d, want 500", r.StatusCode)
			}
			if !strings.Contains(log, "trailers are not supported") {
				t.Errorf("log does not give the reason:\n%s", log)
			}
		})
	}
}

func TestDeadline(t *testing.T) {
	var cause error
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
		cause = r.Context().Err()
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	local := runtime.NewLocal(httpfn.NewHandler(h, quietOptions(&httpfn.Options{})), &runtime.LocalOptions{Timeout: 400 * time.Millisecond})
	out, err := local.Invoke(t.Context(), readFixture(t, "httpapi-jwt.json"))
	if err != nil {
		t.Fatalf("the handler's context did not end before Lambda's deadline: %v", err)
	}
	if !errors.Is(cause, context.DeadlineExceeded) {
		t.Errorf("request context error = %v, want DeadlineExceeded", cause)
	}
	if r := decodeResponse(t, string(out)); r.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("status = %d", r.StatusCode)
	}
}

func TestBadRequestLine(t *testing.T) {
	called := false
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { called = true })
	for _, payload := range []string{
		`{"version":"2.0","rawPath":"/%zz","requestContext":{"http":{"method":"GET"}}}`,
		`{"version":"2.0","rawPath":"/","requestContext":{"http":{"method":"GE T"}}}`,
	} {
		out, err := runtime.NewLocal(httpfn.NewHandler(h, quietOptions(nil)), nil).Invoke(t.Context(), []byte(payload))
		if err != nil {
			t.Fatal(err)
		}
		want := `{"statusCode":400,"headers":{"Content-Type":"text/plain; charset=utf-8"},"body":"Bad Request","isBase64Encoded":false}`
		if diff := cmp.Diff(want, string(out)); diff != "" {
			t.Errorf("%s: (-want +got)\n%s", payload, diff)
		}
	}
	if called {
		t.Error("handler called for a request net/http refuses")
	}
}
