package runtime_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/google/go-cmp/cmp"

	"github.com/servous/servous/runtime"
)

// seen is what a handler observed about its invocation.
type seen struct {
	RequestID    string
	FunctionARN  string
	FunctionName string
	ColdStart    bool
	TraceID      string
	HasDeadline  bool
	Deadline     time.Time
}

// observe returns a handler that records what it sees and echoes the payload.
func observe(t *testing.T) (lambda.Handler, func() []seen) {
	t.Helper()
	var mu sync.Mutex
	var got []seen
	h := lambda.NewHandler(func(ctx context.Context, in map[string]any) (map[string]any, error) {
		lc, ok := lambdacontext.FromContext(ctx)
		if !ok {
			t.Error("no LambdaContext in the handler's context")
			return nil, errors.New("no lambda context")
		}
		d, hasDeadline := ctx.Deadline()
		mu.Lock()
		got = append(got, seen{
			RequestID:    lc.AwsRequestID,
			FunctionARN:  lc.InvokedFunctionArn,
			FunctionName: runtime.FunctionName(ctx),
			ColdStart:    runtime.ColdStart(ctx),
			TraceID:      runtime.TraceID(ctx),
			HasDeadline:  hasDeadline,
			Deadline:     d,
		})
		mu.Unlock()
		return in, nil
	})
	return h, func() []seen {
		mu.Lock()
		defer mu.Unlock()
		return append([]seen(nil), got...)
	}
}

var (
	uuidRE  = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	traceRE = regexp.MustCompile(`^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$`)
)

func TestLocalInvokeContext(t *testing.T) {
	h, got := observe(t)
	l := runtime.NewLocal(h, &runtime.LocalOptions{FunctionName: "resize", Region: "eu-west-1", Timeout: 30 * time.Second})

	before := time.Now()
	for range 3 {
		out, err := l.Invoke(t.Context(), []byte(`{"a":1}`))
		if err != nil {
			t.Fatalf("Invoke: %v", err)
		}
		if diff := cmp.Diff(`{"a":1}`, string(out)); diff != "" {
			t.Errorf("response (-want +got):\n%s", diff)
		}
	}
	calls := got()
	if len(calls) != 3 {
		t.Fatalf("handler ran %d times, want 3", len(calls))
	}
	checkInvocations(t, calls, before, 30*time.Second)
}

// checkInvocations checks what a handler saw in consecutive invocations of a
// function named resize in eu-west-1, made after before with the given timeout,
// the first a cold start.
func checkInvocations(t *testing.T, calls []seen, before time.Time, timeout time.Duration) {
	t.Helper()
	ids := map[string]bool{}
	for i, c := range calls {
		if !uuidRE.MatchString(c.RequestID) {
			t.Errorf("call %d: request id %q is not a UUID", i, c.RequestID)
		}
		ids[c.RequestID] = true
		if !traceRE.MatchString(c.TraceID) {
			t.Errorf("call %d: trace id %q is not an X-Ray trace header", i, c.TraceID)
		}
		if want := "arn:aws:lambda:eu-west-1:000000000000:function:resize"; c.FunctionARN != want {
			t.Errorf("call %d: ARN = %q, want %q", i, c.FunctionARN, want)
		}
		if c.FunctionName != "resize" {
			t.Errorf("call %d: FunctionName = %q, want resize", i, c.FunctionName)
		}
		if got, want := c.ColdStart, i == 0; got != want {
			t.Errorf("call %d: ColdStart = %v, want %v", i, got, want)
		}
		if !c.HasDeadline {
			t.Errorf("call %d: no deadline", i)
		} else if c.Deadline.Before(before.Add(timeout)) || c.Deadline.After(time.Now().Add(timeout)) {
			t.Errorf("call %d: deadline %v is not %v after the invocation", i, c.Deadline, timeout)
		}
	}
	if len(ids) != len(calls) {
		t.Errorf("request ids %v are not distinct", ids)
	}
}

func TestLocalDefaults(t *testing.T) {
	h, got := observe(t)
	t.Setenv("AWS_REGION", "ap-south-1")
	l := runtime.NewLocal(h, nil)
	if _, err := l.Invoke(t.Context(), []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	c := got()[0]
	name := lambdacontext.FunctionName
	if name == "" {
		name = "function"
	}
	if c.FunctionName != name {
		t.Errorf("FunctionName = %q, want %q", c.FunctionName, name)
	}
	if want := "arn:aws:lambda:ap-south-1:000000000000:function:" + name; c.FunctionARN != want {
		t.Errorf("ARN = %q, want %q", c.FunctionARN, want)
	}
	if left := time.Until(c.Deadline); left < runtime.MaxTimeout-time.Minute || left > runtime.MaxTimeout {
		t.Errorf("deadline %v away, want about %v", left, runtime.MaxTimeout)
	}
}

func TestLocalKeepsCallerContext(t *testing.T) {
	for _, through := range []string{"Local.Invoke", "Worker.Invoke"} {
		t.Run(through, func(t *testing.T) {
			h, got := observe(t)
			l := runtime.NewLocal(h, &runtime.LocalOptions{FunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:f:live"})
			invoke := l.Invoke
			if through == "Worker.Invoke" {
				invoke = l.NewWorker(nil).Invoke
			}
			deadline := time.Now().Add(time.Minute)
			ctx, cancel := context.WithDeadline(t.Context(), deadline)
			defer cancel()
			ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: "retry-1"})
			//lint:ignore SA1029 the key aws-lambda-go uses
			ctx = context.WithValue(ctx, "x-amzn-trace-id", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1")
			if _, err := invoke(ctx, []byte(`{}`)); err != nil {
				t.Fatal(err)
			}
			c := got()[0]
			want := seen{
				RequestID:    "retry-1",
				FunctionARN:  "arn:aws:lambda:us-east-1:123456789012:function:f:live",
				FunctionName: c.FunctionName,
				ColdStart:    true,
				TraceID:      "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1",
				HasDeadline:  true,
				Deadline:     deadline,
			}
			if diff := cmp.Diff(want, c); diff != "" {
				t.Errorf("handler saw (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLocalColdStartOncePerLocal(t *testing.T) {
	h, got := observe(t)
	a := runtime.NewLocal(h, nil)
	b := runtime.NewLocal(h, nil)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := a.Invoke(t.Context(), []byte(`{}`)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if _, err := b.Invoke(t.Context(), []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	cold := 0
	calls := got()
	for _, c := range calls[:20] {
		if c.ColdStart {
			cold++
		}
	}
	if cold != 1 {
		t.Errorf("%d cold starts among 20 concurrent invocations of one Local, want 1", cold)
	}
	if !calls[20].ColdStart {
		t.Error("first invocation of a second Local is not a cold start")
	}
}

type codeError struct{ code int }

func (e *codeError) Error() string { return "code error" }

func TestLocalErrors(t *testing.T) {
	sentinel := &codeError{code: 7}
	l := runtime.NewLocal(runtime.HandlerFunc[string, string](func(ctx context.Context, in string) (string, error) {
		switch in {
		case "fail":
			return "", sentinel
		case "panic":
			panic("boom")
		case "panic-error":
			panic(sentinel)
		}
		return in, nil
	}), nil)

	_, err := l.Invoke(t.Context(), []byte(`"fail"`))
	if err != sentinel {
		t.Errorf("handler error: got %v, want the handler's error itself", err)
	}

	_, err = l.Invoke(t.Context(), []byte(`"panic"`))
	var pe *runtime.PanicError
	if !errors.As(err, &pe) {
		t.Fatalf("panic: got %T %v, want *runtime.PanicError", err, err)
	}
	if pe.Value != "boom" || pe.Error() != "panic: boom" {
		t.Errorf("PanicError = {Value: %v, Error(): %q}", pe.Value, pe.Error())
	}
	if !strings.Contains(string(pe.Stack), "TestLocalErrors") {
		t.Errorf("panic stack does not show the panicking handler:\n%s", pe.Stack)
	}

	_, err = l.Invoke(t.Context(), []byte(`"panic-error"`))
	var ce *codeError
	if !errors.As(err, &ce) || ce.code != 7 {
		t.Errorf("panic with an error value: errors.As does not reach it: %v", err)
	}

	out, err := l.Invoke(t.Context(), []byte(`"ok"`))
	if err != nil || string(out) != `"ok"` {
		t.Errorf("after panics: got %q, %v; want \"ok\"", out, err)
	}
}

func TestLocalTimeout(t *testing.T) {
	release := make(chan struct{})
	ended := make(chan error, 1)
	l := runtime.NewLocal(runtime.HandlerFunc[struct{}, string](func(ctx context.Context, _ struct{}) (string, error) {
		<-ctx.Done()
		ended <- ctx.Err()
		<-release // keeps running past the deadline, as a stuck function does
		return "late", nil
	}), &runtime.LocalOptions{Timeout: 50 * time.Millisecond})
	t.Cleanup(func() { close(release) })

	_, err := l.Invoke(t.Context(), []byte(`{}`))
	if !errors.Is(err, runtime.ErrTimeout) {
		t.Fatalf("got %v, want ErrTimeout", err)
	}
	if want := "runtime: task timed out after 0.05 seconds"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if err := <-ended; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("handler's context ended with %v, want DeadlineExceeded", err)
	}
}

func TestLocalCallerCancels(t *testing.T) {
	started := make(chan struct{})
	l := runtime.NewLocal(runtime.HandlerFunc[struct{}, string](func(ctx context.Context, _ struct{}) (string, error) {
		close(started)
		<-ctx.Done()
		<-make(chan struct{}) // never answers
		return "", nil
	}), nil)
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-started
		cancel()
	}()
	_, err := l.Invoke(ctx, []byte(`{}`))
	if !errors.Is(err, context.Canceled) || errors.Is(err, runtime.ErrTimeout) {
		t.Errorf("got %v, want an error wrapping context.Canceled and not ErrTimeout", err)
	}
}

// reusing returns the same buffer each time, as aws-lambda-go's handlers do.
type reusing struct{ buf []byte }

func (r *reusing) Invoke(_ context.Context, payload []byte) ([]byte, error) {
	r.buf = append(r.buf[:0], payload...)
	return r.buf, nil
}

func TestLocalResponseIsCallers(t *testing.T) {
	l := runtime.NewLocal(&reusing{}, nil)
	for name, invoke := range map[string]func(context.Context, []byte) ([]byte, error){
		"Local.Invoke":  l.Invoke,
		"Worker.Invoke": l.NewWorker(nil).Invoke,
	} {
		first, err := invoke(t.Context(), []byte(`"one"`))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := invoke(t.Context(), []byte(`"two"`)); err != nil {
			t.Fatal(err)
		}
		if string(first) != `"one"` {
			t.Errorf("%s: first response changed to %q by the next invocation", name, first)
		}
	}
}
