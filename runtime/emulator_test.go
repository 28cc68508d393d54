package runtime_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/servous/servous/runtime/runtimetest"
)

const exampleFn = "github.com/servous/servous/runtime/internal/examplefn"

// invokeAs posts payload to the emulated function under the given request id and X-Ray trace
// header.
func invokeAs(t *testing.T, fn *runtimetest.Function, requestID, trace, payload string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, fn.URL, strings.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amzn-RequestId", requestID)
	if trace != "" {
		req.Header.Set("X-Amzn-Trace-Id", trace)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("invoke %s: %v\noutput:\n%s", requestID, err, fn.Output())
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("invoke %s: %s, %v: %s", requestID, resp.Status, err, body)
	}
	return string(body)
}

// jsonLines decodes the lines of the output that are JSON objects: the function's logs and
// metric documents.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for line := range strings.Lines(out) {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Errorf("output line %q is not JSON: %v", line, err)
			continue
		}
		lines = append(lines, m)
	}
	return lines
}

func linesWhere(lines []map[string]any, kv ...string) []map[string]any {
	var out []map[string]any
next:
	for _, l := range lines {
		for i := 0; i < len(kv); i += 2 {
			if l[kv[i]] != kv[i+1] {
				continue next
			}
		}
		out = append(out, l)
	}
	return out
}

func TestUnderEmulator(t *testing.T) {
	bootstrap := runtimetest.Build(t, exampleFn, nil)
	t.Run("Behaviour", func(t *testing.T) { testUnderEmulator(t, bootstrap) })
	t.Run("InvokeHelper", func(t *testing.T) {
		fn := runtimetest.Run(t, bootstrap, nil)
		out, err := fn.Invoke(t.Context(), []byte(`{"name":"ada"}`))
		if err != nil {
			t.Fatal(err)
		}
		if want := `{"greeting":"hello, ada","coldStart":true,"inits":1}`; !bytes.Equal(out, []byte(want)) {
			t.Errorf("got %s, want %s", out, want)
		}
		// The emulator's default function name reaches the function.
		if _, err := fn.WaitFor(t.Context(), `"functionName":"test_function"`, 1); err != nil {
			t.Error(err)
		}
		fn.Stop()
		if _, err := fn.Invoke(t.Context(), []byte(`{}`)); err == nil {
			t.Error("Invoke after Stop succeeded")
		}
	})
}

func testUnderEmulator(t *testing.T, bootstrap string) {
	// A generous timeout for everything but the timeout itself, which gets an emulator of
	// its own, so that a loaded machine cannot turn a slow start into a failure.
	fn := runtimetest.Run(t, bootstrap, &runtimetest.Options{Env: map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":    "greeter",
		"AWS_LAMBDA_FUNCTION_TIMEOUT": "60",
	}})
	hung := runtimetest.Run(t, bootstrap, &runtimetest.Options{Env: map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":    "greeter",
		"AWS_LAMBDA_FUNCTION_TIMEOUT": "2",
		"EXAMPLEFN_DEADLINE_MARGIN":   "1s",
	}})
	const trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()

	// Responses and error payloads.
	steps := []struct{ id, payload, want string }{
		{"greet-1", `{"name":"ada"}`, `{"greeting":"hello, ada","coldStart":true,"inits":1}`},
		{"greet-2", `{"name":"bob"}`, `{"greeting":"hello, bob","coldStart":false,"inits":1}`},
		{"error-1", `{"action":"error","name":"cy"}`, `{"errorMessage":"cannot greet cy","errorType":"GreetingError"}`},
		{"panic-1", `{"action":"panic","name":"eve"}`, `{"errorMessage":"panic: cannot greet eve","errorType":"PanicError"}`},
		// The panic was recovered: the same process, warm, answers.
		{"greet-3", `{"name":"fay"}`, `{"greeting":"hello, fay","coldStart":false,"inits":1}`},
	}
	for _, s := range steps {
		if got := invokeAs(t, fn, s.id, trace, s.payload); got != s.want {
			t.Errorf("invoke %s: response\n%s\nwant\n%s", s.id, got, s.want)
		}
	}
	if _, err := fn.WaitFor(ctx, "REPORT RequestId: greet-3", 1); err != nil {
		t.Fatalf("%v\noutput:\n%s", err, fn.Output())
	}
	out := fn.Output()
	lines := jsonLines(t, out)

	// Init Duration is reported on the first invocation only.
	for _, id := range []string{"greet-1", "greet-2", "greet-3"} {
		i := strings.Index(out, "REPORT RequestId: "+id)
		if i < 0 {
			t.Fatalf("no REPORT line for %s", id)
		}
		report, _, _ := strings.Cut(out[i:], "\n")
		if got, want := strings.Contains(report, "Init Duration: "), id == "greet-1"; got != want {
			t.Errorf("%s: Init Duration reported: %v, want %v: %s", id, got, want, report)
		}
	}

	// Log lines carry the invocation's fields; the cold start is the first invocation only.
	for _, c := range []struct {
		id   string
		cold bool
	}{{"greet-1", true}, {"greet-2", false}, {"greet-3", false}} {
		got := linesWhere(lines, "message", "greeted", "requestId", c.id)
		if len(got) != 1 {
			t.Errorf("%s: %d 'greeted' lines, want 1", c.id, len(got))
			continue
		}
		// No traceId: the emulator drops X-Ray headers (it does not support X-Ray); Local
		// passes one, see TestLogInvocations.
		for k, want := range map[string]any{"level": "INFO", "functionName": "greeter", "coldStart": c.cold} {
			if got[0][k] != want {
				t.Errorf("%s: log field %s = %v, want %v", c.id, k, got[0][k], want)
			}
		}
		if _, err := time.Parse(time.RFC3339Nano, got[0]["timestamp"].(string)); err != nil {
			t.Errorf("%s: timestamp: %v", c.id, err)
		}

		// One EMF document per invocation, with the ColdStart metric on the cold start only.
		docs := linesWhere(lines, "requestId", c.id)
		var emf []map[string]any
		for _, d := range docs {
			if _, ok := d["_aws"]; ok {
				emf = append(emf, d)
			}
		}
		if len(emf) != 1 {
			t.Errorf("%s: %d EMF documents, want 1", c.id, len(emf))
			continue
		}
		d := emf[0]
		directive := d["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)[0].(map[string]any)
		wantMetrics := []any{map[string]any{"Name": "Greetings", "Unit": "Count"}}
		if c.cold {
			wantMetrics = append(wantMetrics, map[string]any{"Name": "ColdStart", "Unit": "Count"})
		}
		if diff := cmp.Diff(wantMetrics, directive["Metrics"]); diff != "" {
			t.Errorf("%s: EMF metrics (-want +got):\n%s", c.id, diff)
		}
		if directive["Namespace"] != "examplefn" || d["Greetings"] != 1.0 || d["FunctionName"] != "greeter" {
			t.Errorf("%s: EMF document %v", c.id, d)
		}
	}

	// A returned error is logged once, with its type.
	if got := linesWhere(lines, "message", "invocation failed", "requestId", "error-1"); len(got) != 1 || got[0]["errorType"] != "GreetingError" || got[0]["level"] != "ERROR" {
		t.Errorf("error-1: failure lines %v", got)
	}
	// A panic's stack is logged once, with the panicking frame.
	stacks := 0
	for _, l := range linesWhere(lines, "requestId", "panic-1") {
		if s, ok := l["stack"].(string); ok {
			stacks++
			if !strings.Contains(s, "main.(*greeter).handle") {
				t.Errorf("panic-1: logged stack lacks the handler:\n%s", s)
			}
		}
	}
	if stacks != 1 || strings.Count(out, "goroutine ") != 1 {
		t.Errorf("panic-1: stack logged %d times in JSON, %d goroutine dumps in the output; want 1 and 1", stacks, strings.Count(out, "goroutine "))
	}

	// A timeout: the margin ended the context a second early, so the handler logged before
	// Lambda timed it out. The environment was warmed first, so the 2 s are the handler's.
	if got := invokeAs(t, hung, "warm-1", "", `{"name":"ada"}`); !strings.Contains(got, "hello, ada") {
		t.Fatalf("warm-up: %s", got)
	}
	if got, want := invokeAs(t, hung, "hang-1", "", `{"action":"hang"}`), "Task timed out after 2.00 seconds"; got != want {
		t.Errorf("invoke hang-1: response %q, want %q", got, want)
	}
	// Lambda resets a timed-out environment: SIGTERM, then SIGKILL. The shutdown hook runs
	// on SIGTERM.
	if _, err := hung.WaitFor(ctx, `"message":"shutting down"`, 1); err != nil {
		t.Fatalf("%v\noutput:\n%s", err, hung.Output())
	}
	if _, err := hung.WaitFor(ctx, "REPORT RequestId: hang-1", 1); err != nil {
		t.Fatalf("%v\noutput:\n%s", err, hung.Output())
	}
	out = hung.Output()
	lines = jsonLines(t, out)
	warn := linesWhere(lines, "message", "context ended before the deadline", "requestId", "hang-1")
	if len(warn) != 1 {
		t.Fatalf("hang-1: %d 'context ended' lines, want 1\noutput:\n%s", len(warn), out)
	}
	if i, j := strings.Index(out, `"context ended before the deadline"`), strings.Index(out, "END RequestId: hang-1"); i > j {
		t.Errorf("hang-1: the handler's log line came after the invocation ended")
	}
	if warn[0]["level"] != "WARN" {
		t.Errorf("hang-1: %v", warn[0])
	}
	// The reset replaced the process: the next invocation is a cold start again.
	if got, want := invokeAs(t, hung, "after-1", "", `{"name":"bo"}`), `{"greeting":"hello, bo","coldStart":true,"inits":1}`; got != want {
		t.Errorf("after the timeout: %s, want %s", got, want)
	}
}
