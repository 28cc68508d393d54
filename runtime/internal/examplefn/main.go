// Command examplefn is a function written with package runtime, run under the Lambda runtime
// emulator by the package's tests.
//
// The payload's "action" picks what it does: "greet" (the default) answers, logs and records a
// metric; "error" returns a *GreetingError; "panic" panics; "hang" waits for its context to
// end, logs, and then never answers, as a stuck function does. EXAMPLEFN_DEADLINE_MARGIN sets
// the deadline margin (default 300ms); EXAMPLEFN_NO_SHUTDOWN_HOOK=1 leaves out the SIGTERM
// hook.
package main

import (
	"context"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/servous/servous/runtime"
)

// Request is the function's payload.
type Request struct {
	Action string `json:"action"`
	Name   string `json:"name"`
}

// Response is the function's answer.
type Response struct {
	Greeting  string `json:"greeting"`
	ColdStart bool   `json:"coldStart"`
	Inits     int64  `json:"inits"`
}

// GreetingError is the error the "error" action returns.
type GreetingError struct{ Name string }

func (e *GreetingError) Error() string { return "cannot greet " + e.Name }

// greeter stands for the dependencies a function builds once: clients, tables, buckets.
type greeter struct {
	prefix string
	inits  *atomic.Int64
}

var inits atomic.Int64

func newGreeter() *greeter {
	inits.Add(1)
	return &greeter{prefix: "hello, ", inits: &inits}
}

func (g *greeter) handle(ctx context.Context, req Request) (Response, error) {
	switch req.Action {
	case "error":
		return Response{}, &GreetingError{Name: req.Name}
	case "panic":
		panic("cannot greet " + req.Name)
	case "hang":
		<-ctx.Done()
		left := time.Duration(0)
		if d, ok := ctx.Deadline(); ok {
			left = time.Until(d)
		}
		slog.WarnContext(ctx, "context ended before the deadline", "cause", context.Cause(ctx).Error(), "leftMs", left.Milliseconds())
		select {}
	}
	runtime.Metrics(ctx).Add("Greetings", runtime.UnitCount, 1)
	runtime.Metrics(ctx).SetProperty("name", req.Name)
	slog.InfoContext(ctx, "greeted", "name", req.Name)
	return Response{Greeting: g.prefix + req.Name, ColdStart: runtime.ColdStart(ctx), Inits: g.inits.Load()}, nil
}

func main() {
	g := newGreeter()
	opts := &runtime.Options{
		DeadlineMargin: 300 * time.Millisecond,
		Metrics:        &runtime.MetricsOptions{Namespace: "examplefn"},
		OnShutdown: func() {
			slog.Info("shutting down")
			os.Stdout.Sync()
		},
	}
	if d, err := time.ParseDuration(os.Getenv("EXAMPLEFN_DEADLINE_MARGIN")); err == nil {
		opts.DeadlineMargin = d
	}
	// Registering for SIGTERM costs a call to the Extensions API at init; benchmarks
	// measure the function with and without it.
	if os.Getenv("EXAMPLEFN_NO_SHUTDOWN_HOOK") == "1" {
		opts.OnShutdown = nil
	}
	runtime.Start(g.handle, opts)
}
