package runtime_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/servous/servous/runtime"
)

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines decodes the JSON lines written so far.
func (b *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b.buf.Bytes()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q is not JSON: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

func withMessage(lines []map[string]any, msg string) []map[string]any {
	var out []map[string]any
	for _, l := range lines {
		if l["message"] == msg {
			out = append(out, l)
		}
	}
	return out
}

func TestLogInvocations(t *testing.T) {
	var logs syncBuffer
	var ids []string
	h := runtime.NewHandler(func(ctx context.Context, in string) (string, error) {
		ids = append(ids, runtime.RequestID(ctx))
		slog.New(runtime.Logger(ctx).Handler()).InfoContext(ctx, "hello", "in", in)
		if in == "fail" {
			return "", &codeError{code: 1}
		}
		return in, nil
	}, &runtime.Options{Logger: runtime.NewLogger(&logs), Metrics: &runtime.MetricsOptions{Writer: &syncBuffer{}}})
	l := runtime.NewLocal(h, &runtime.LocalOptions{FunctionName: "greeter"})

	trace := "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
	//lint:ignore SA1029 the key aws-lambda-go uses
	ctx := context.WithValue(t.Context(), "x-amzn-trace-id", trace)
	for _, in := range []string{"a", "b", "fail"} {
		_, err := l.Invoke(ctx, []byte(`"`+in+`"`))
		if (err != nil) != (in == "fail") {
			t.Fatalf("Invoke(%q): %v", in, err)
		}
	}

	lines := logs.lines(t)
	hello := withMessage(lines, "hello")
	if len(hello) != 3 {
		t.Fatalf("%d hello lines, want 3:\n%v", len(hello), lines)
	}
	for i, line := range hello {
		want := map[string]any{
			"level":        "INFO",
			"message":      "hello",
			"in":           []string{"a", "b", "fail"}[i],
			"requestId":    ids[i],
			"functionName": "greeter",
			"coldStart":    i == 0,
			"traceId":      "1-5759e988-bd862e3fe1be46a994272793",
		}
		if _, err := time.Parse(time.RFC3339Nano, fmt.Sprint(line["timestamp"])); err != nil {
			t.Errorf("line %d: timestamp %v: %v", i, line["timestamp"], err)
		}
		if diff := cmp.Diff(want, line, cmpopts.IgnoreMapEntries(func(k string, _ any) bool { return k == "timestamp" })); diff != "" {
			t.Errorf("line %d (-want +got):\n%s", i, diff)
		}
	}
	failed := withMessage(lines, "invocation failed")
	if len(failed) != 1 {
		t.Fatalf("%d 'invocation failed' lines, want 1", len(failed))
	}
	if failed[0]["level"] != "ERROR" || failed[0]["errorType"] != "codeError" || failed[0]["requestId"] != ids[2] {
		t.Errorf("failure line = %v", failed[0])
	}
	if n := len(withMessage(lines, "invocation start")); n != 0 {
		t.Errorf("%d DEBUG lines logged at the default level", n)
	}
}

func TestLogInvocationsDebug(t *testing.T) {
	var logs syncBuffer
	logger := slog.New(runtime.NewLogHandler(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	l := runtime.NewLocal(runtime.Chain(runtime.HandlerFunc[int, int](func(ctx context.Context, n int) (int, error) {
		return n * 2, nil
	}), runtime.LogInvocations(logger)), nil)
	if _, err := l.Invoke(t.Context(), []byte(`21`)); err != nil {
		t.Fatal(err)
	}
	lines := logs.lines(t)
	if len(withMessage(lines, "invocation start")) != 0 {
		t.Fatal("slog's default keys were not kept: found 'message' key")
	}
	var msgs []string
	for _, line := range lines {
		msgs = append(msgs, fmt.Sprint(line["msg"]))
		if line["requestId"] == nil || line["coldStart"] != true {
			t.Errorf("line lacks the invocation's fields: %v", line)
		}
	}
	if diff := cmp.Diff([]string{"invocation start", "invocation end"}, msgs); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	if _, ok := lines[1]["durationMs"].(float64); !ok || lines[1]["responseBytes"] != 2.0 {
		t.Errorf("end line = %v, want durationMs and responseBytes 2", lines[1])
	}
}

func TestLogHandlerOutsideInvocation(t *testing.T) {
	var logs syncBuffer
	runtime.NewLogger(&logs).Info("init", "table", "videos")
	lines := logs.lines(t)
	want := []map[string]any{{"level": "INFO", "message": "init", "table": "videos"}}
	if diff := cmp.Diff(want, lines, cmpopts.IgnoreMapEntries(func(k string, _ any) bool { return k == "timestamp" })); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestLogLevel(t *testing.T) {
	for env, want := range map[string]slog.Level{"": slog.LevelInfo, "DEBUG": slog.LevelDebug, "INFO": slog.LevelInfo, "WARN": slog.LevelWarn, "ERROR": slog.LevelError, "bogus": slog.LevelInfo} {
		t.Setenv("AWS_LAMBDA_LOG_LEVEL", env)
		if got := runtime.LogLevel(); got != want {
			t.Errorf("AWS_LAMBDA_LOG_LEVEL=%q: %v, want %v", env, got, want)
		}
	}
}

func TestRecover(t *testing.T) {
	var logs, metrics syncBuffer
	h := runtime.NewHandler(func(ctx context.Context, in string) (string, error) {
		runtime.Metrics(ctx).Add("Attempts", runtime.UnitCount, 1)
		if in == "panic" {
			var m map[string]int
			//lint:ignore SA5000 the test needs a runtime error, which a nil map write is.
			m["x"]++
		}
		return in, nil
	}, &runtime.Options{Logger: runtime.NewLogger(&logs), Metrics: &runtime.MetricsOptions{Writer: &metrics}})
	l := runtime.NewLocal(h, nil)

	_, err := l.Invoke(t.Context(), []byte(`"panic"`))
	var pe *runtime.PanicError
	if !errors.As(err, &pe) {
		t.Fatalf("got %T %v, want *PanicError", err, err)
	}
	if !strings.Contains(pe.Error(), "assignment to entry in nil map") {
		t.Errorf("Error() = %q", pe.Error())
	}
	out, err := l.Invoke(t.Context(), []byte(`"ok"`))
	if err != nil || string(out) != `"ok"` {
		t.Fatalf("after the panic: %q, %v", out, err)
	}

	lines := logs.lines(t)
	stacks := 0
	for _, line := range lines {
		if s, ok := line["stack"].(string); ok {
			stacks++
			if !strings.Contains(s, "TestRecover") {
				t.Errorf("logged stack does not show the handler:\n%s", s)
			}
			if line["level"] != "ERROR" || line["message"] != "panic" {
				t.Errorf("panic line = %v", line)
			}
		}
	}
	if stacks != 1 {
		t.Errorf("stack logged %d times, want once", stacks)
	}
	if n := len(withMessage(lines, "invocation failed")); n != 1 {
		t.Errorf("%d 'invocation failed' lines, want 1", n)
	}
	if docs := metrics.lines(t); len(docs) != 2 || docs[0]["Attempts"] != 1.0 {
		t.Errorf("metrics of the panicking invocation not flushed: %v", docs)
	}
}

func TestDeadlineMargin(t *testing.T) {
	tests := []struct {
		timeout, margin, want time.Duration
	}{
		{timeout: 10 * time.Second, margin: 300 * time.Millisecond, want: 300 * time.Millisecond},
		{timeout: 200 * time.Millisecond, margin: 500 * time.Millisecond, want: 100 * time.Millisecond},
		{timeout: 10 * time.Second, margin: -1, want: 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("timeout=%v,margin=%v", tt.timeout, tt.margin), func(t *testing.T) {
			var outer, inner time.Time
			capture := func(dst *time.Time) runtime.Middleware {
				return func(next lambda.Handler) lambda.Handler {
					return runtime.InvokeFunc(func(ctx context.Context, p []byte) ([]byte, error) {
						*dst, _ = ctx.Deadline()
						return next.Invoke(ctx, p)
					})
				}
			}
			h := runtime.Chain(runtime.HandlerFunc[struct{}, struct{}](func(ctx context.Context, _ struct{}) (struct{}, error) {
				return struct{}{}, nil
			}), capture(&outer), runtime.DeadlineMargin(tt.margin), capture(&inner))
			if _, err := runtime.NewLocal(h, &runtime.LocalOptions{Timeout: tt.timeout}).Invoke(t.Context(), []byte(`{}`)); err != nil {
				t.Fatal(err)
			}
			// A margin capped at half the time left is computed when the middleware runs,
			// a little after the invocation started: allow for a slow machine.
			got := outer.Sub(inner)
			tolerance := time.Duration(0)
			if tt.margin > tt.timeout/2 {
				tolerance = 50 * time.Millisecond
			}
			if got < tt.want-tolerance || got > tt.want {
				t.Errorf("context ends %v before the deadline, want %v", got, tt.want)
			}
		})
	}
}

func TestDeadlineMarginLetsHandlerAnswer(t *testing.T) {
	h := runtime.NewHandler(func(ctx context.Context, _ struct{}) (string, error) {
		<-ctx.Done()
		return "flushed before the deadline", nil
	}, &runtime.Options{DeadlineMargin: 500 * time.Millisecond, Logger: slog.New(slog.DiscardHandler), Metrics: &runtime.MetricsOptions{Writer: &syncBuffer{}}})
	out, err := runtime.NewLocal(h, &runtime.LocalOptions{Timeout: time.Second}).Invoke(t.Context(), []byte(`{}`))
	if err != nil || string(out) != `"flushed before the deadline"` {
		t.Errorf("got %q, %v", out, err)
	}
}

func TestChainOrder(t *testing.T) {
	var order []string
	mark := func(name string) runtime.Middleware {
		return func(next lambda.Handler) lambda.Handler {
			return runtime.InvokeFunc(func(ctx context.Context, p []byte) ([]byte, error) {
				order = append(order, name+" in")
				out, err := next.Invoke(ctx, p)
				order = append(order, name+" out")
				return out, err
			})
		}
	}
	h := runtime.Chain(runtime.InvokeFunc(func(ctx context.Context, p []byte) ([]byte, error) {
		order = append(order, "handler")
		return p, nil
	}), mark("a"), mark("b"))
	if _, err := h.Invoke(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a in", "b in", "handler", "b out", "a out"}, order); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestChainAWSHandlerConcurrently(t *testing.T) {
	h := runtime.Chain(lambda.NewHandler(func(n int) (int, error) { return n, nil }))
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			out, err := h.Invoke(t.Context(), fmt.Appendf(nil, "%d", i))
			if err != nil || string(out) != fmt.Sprint(i) {
				t.Errorf("Invoke(%d) = %q, %v", i, out, err)
			}
		})
	}
	wg.Wait()
}

func TestHandlerFunc(t *testing.T) {
	type in struct {
		Name string `json:"name"`
	}
	type out struct {
		HTML string `json:"html"`
	}
	h := runtime.HandlerFunc[in, out](func(ctx context.Context, v in) (out, error) {
		return out{HTML: "<b>" + v.Name + "</b>"}, nil
	})
	got, err := h.Invoke(t.Context(), []byte(`{"name":"a&b"}`))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(`{"html":"<b>a&b</b>"}`, string(got)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := h.Invoke(t.Context(), []byte(`{"name":`)); err == nil || !strings.Contains(err.Error(), "decode") {
		t.Errorf("truncated payload: got %v, want a decode error", err)
	}
}

func TestAccessorsOutsideInvocation(t *testing.T) {
	ctx := t.Context()
	if runtime.ColdStart(ctx) || runtime.TraceID(ctx) != "" || runtime.RequestID(ctx) != "" || runtime.Metrics(ctx) != nil {
		t.Error("accessors report an invocation in a bare context")
	}
	if runtime.FunctionName(ctx) != lambdacontext.FunctionName {
		t.Errorf("FunctionName = %q, want lambdacontext.FunctionName", runtime.FunctionName(ctx))
	}
	if runtime.Logger(ctx) != slog.Default() {
		t.Error("Logger is not slog.Default()")
	}
	runtime.Metrics(ctx).Add("x", runtime.UnitCount, 1) // a nil set does nothing
}
