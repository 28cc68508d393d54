package httpfn_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/servous/servous/runtime/httpfn"
)

// benchContext is an invocation's context as aws-lambda-go makes it: a deadline and a
// LambdaContext.
func benchContext(b *testing.B) context.Context {
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(time.Hour))
	b.Cleanup(cancel)
	return lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
		AwsRequestID:       "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
		InvokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:api",
	})
}

var smallJSON = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"id":"42","title":"A cat on a keyboard","status":"ready"}`)
})

// BenchmarkSmallJSON is the per-request cost of serving a small JSON response through
// NewHandler (with runtime's standard middleware), from the event payload to the response
// payload, with the source detected or fixed.
func BenchmarkSmallJSON(b *testing.B) {
	for _, bc := range []struct {
		name, fixture string
		source        httpfn.Source
	}{
		{"payload2.0", "httpapi-jwt.json", httpfn.Detect},
		{"payload2.0/fixed", "httpapi-jwt.json", httpfn.HTTPAPI},
		{"payload1.0", "rest-get.json", httpfn.Detect},
		{"payload1.0/fixed", "rest-get.json", httpfn.RESTAPI},
	} {
		b.Run(bc.name, func(b *testing.B) {
			payload := readFixture(b, bc.fixture)
			h := httpfn.NewHandler(smallJSON, quietOptions(&httpfn.Options{Source: bc.source}))
			ctx := benchContext(b)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := h.Invoke(ctx, payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkBinary compares a buffered binary response, whose body is base64-encoded into the
// payload, with base64-encoding the body alone: 4.5 MiB, about the most a buffered response
// carries once encoded, and 5 MiB, which does not fit (base64 makes it 6.7 MiB) and is
// answered 502.
func BenchmarkBinary(b *testing.B) {
	for _, size := range []int{9 << 19, 5 << 20} {
		b.Run(fmt.Sprintf("%.1fMiB", float64(size)/(1<<20)), func(b *testing.B) { benchmarkBinary(b, size) })
	}
}

func benchmarkBinary(b *testing.B, size int) {
	body := make([]byte, size)
	rand.Read(body)
	b.Run("httpfn", func(b *testing.B) {
		h := httpfn.NewHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "image/jpeg")
			w.Write(body)
		}), quietOptions(nil))
		payload := readFixture(b, "httpapi-jwt.json")
		ctx := benchContext(b)
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			out, err := h.Invoke(ctx, payload)
			if err != nil || (size <= 9<<19) != (len(out) > len(body)) {
				b.Fatal(err, len(out))
			}
		}
	})
	b.Run("base64-alone", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if s := base64.StdEncoding.EncodeToString(body); len(s) < len(body) {
				b.Fatal(len(s))
			}
		}
	})
}

// BenchmarkStream100MB streams 100 MiB from the function, built and run as deployed against
// the test's Runtime API server, and reports the function's peak resident memory above its
// peak after a small request.
func BenchmarkStream100MB(b *testing.B) {
	bin := buildVideoFn(b)
	api := newRuntimeAPI(b)
	cmd := api.start(b, bin, "VIDEOFN_STREAM=1")
	drain := func(target string) int64 {
		a := api.invoke(b, furlEvent(b, target))
		r := bufio.NewReader(a.body)
		readPrelude(b, r)
		n, err := io.Copy(io.Discard, r)
		if err != nil {
			b.Fatal(err)
		}
		<-a.done
		return n
	}
	drain("/videos/1")
	base := peakRSS(b, cmd.Process.Pid)
	b.SetBytes(100 << 20)
	for b.Loop() {
		if n := drain("/bytes?mb=100"); n != 100<<20 {
			b.Fatalf("streamed %d bytes", n)
		}
	}
	b.ReportMetric(float64(peakRSS(b, cmd.Process.Pid)-base)/(1<<20), "peak-RSS-MiB-over-baseline")
}

// peakRSS reads a process's peak resident set size (VmHWM) from /proc.
func peakRSS(b *testing.B, pid int) int64 {
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		b.Skipf("no /proc: %v", err)
	}
	for line := range strings.Lines(string(status)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb << 10
		}
	}
	b.Fatal("no VmHWM in /proc status")
	return 0
}
