package runtimetest_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/servous/servous/runtime/runtimetest"
)

const exampleFn = "github.com/servous/servous/runtime/internal/examplefn"

// TestKill crashes a function inside an invocation: the invocation answers the emulator's
// Runtime.ExitError, and the next one starts the function anew.
func TestKill(t *testing.T) {
	bootstrap := runtimetest.Build(t, exampleFn, nil)
	fn := runtimetest.Run(t, bootstrap, &runtimetest.Options{Env: map[string]string{"AWS_LAMBDA_FUNCTION_TIMEOUT": "60"}})
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := fn.Kill(); !errors.Is(err, runtimetest.ErrNoProcess) {
		t.Errorf("Kill before the first invocation: %v, want ErrNoProcess", err)
	}
	if _, err := fn.Invoke(ctx, []byte(`{"name":"a"}`)); err != nil {
		t.Fatal(err)
	}
	type result struct {
		body []byte
		err  error
	}
	hung := make(chan result, 1)
	go func() {
		body, err := fn.Invoke(ctx, []byte(`{"action":"hang"}`))
		hung <- result{body, err}
	}()
	// The hang is the second invocation: once it started, the process is inside it.
	if _, err := fn.WaitFor(ctx, "INVOKE START", 2); err != nil {
		t.Fatal(err)
	}
	if err := fn.Kill(); err != nil {
		t.Fatalf("Kill inside an invocation: %v", err)
	}
	r := <-hung
	if !bytes.Contains(r.body, []byte(`"errorType":"Runtime.ExitError"`)) {
		t.Errorf("the crashed invocation answered %s, %v; want a Runtime.ExitError", r.body, r.err)
	}
	body, err := fn.Invoke(ctx, []byte(`{"name":"b"}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"greeting":"hello, b","coldStart":true,"inits":1}`; string(body) != want {
		t.Errorf("after the crash: %s, want %s (a new process)", body, want)
	}
}

// TestInvokeOneAtATime sends invocations at once: the emulator takes one at a time (it crashes
// when sent a second while one runs), so Invoke waits its turn.
func TestInvokeOneAtATime(t *testing.T) {
	bootstrap := runtimetest.Build(t, exampleFn, nil)
	fn := runtimetest.Run(t, bootstrap, &runtimetest.Options{Env: map[string]string{"AWS_LAMBDA_FUNCTION_TIMEOUT": "60"}})
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			body, err := fn.Invoke(ctx, []byte(`{"name":"x"}`))
			if err == nil && !strings.Contains(string(body), `"greeting":"hello, x"`) {
				err = errors.New(string(body))
			}
			errs[i] = err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Errorf("concurrent invocations: %v\noutput:\n%s", err, fn.Output())
	}
}
