package runtime_test

import (
	"context"
	"io"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/servous/servous/runtime"
	"github.com/servous/servous/runtime/runtimetest"
)

type benchIn struct {
	Name string `json:"name"`
}

type benchOut struct {
	Greeting string `json:"greeting"`
}

func greet(ctx context.Context, in benchIn) (benchOut, error) {
	return benchOut{Greeting: "hello, " + in.Name}, nil
}

// BenchmarkMiddleware measures the cost per invocation of runtime.NewHandler's middleware
// (logging at the default INFO level, panic recovery, EMF metrics, deadline margin) against
// a bare aws-lambda-go handler, in-process, with the context Lambda gives a handler.
func BenchmarkMiddleware(b *testing.B) {
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(time.Hour))
	defer cancel()
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
		AwsRequestID:       "c6af9ac6-7b61-11e6-9a41-93e812345678",
		InvokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:greet",
	})
	payload := []byte(`{"name":"ada"}`)
	opts := &runtime.Options{
		Logger:  runtime.NewLogger(io.Discard),
		Metrics: &runtime.MetricsOptions{Writer: io.Discard},
	}
	// cpu-ns/op is the process's CPU time per invocation, garbage collection included; it
	// stays meaningful when other processes share the CPUs, which inflates ns/op.
	run := func(b *testing.B, h lambda.Handler) {
		b.ReportAllocs()
		start := cpuTime()
		for b.Loop() {
			if _, err := h.Invoke(ctx, payload); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	}
	noop := runtime.InvokeFunc(func(ctx context.Context, p []byte) ([]byte, error) { return p, nil })
	// The middleware alone, around a handler that does nothing, against that handler.
	b.Run("bare=noop", func(b *testing.B) { run(b, noop) })
	b.Run("middleware+noop", func(b *testing.B) {
		run(b, runtime.Chain(noop, runtime.LogInvocations(opts.Logger), runtime.Recover(),
			runtime.EmitMetrics(opts.Metrics), runtime.DeadlineMargin(runtime.DefaultDeadlineMargin)))
	})
	b.Run("bare=lambda.NewHandler", func(b *testing.B) { run(b, lambda.NewHandler(greet)) })
	b.Run("bare=runtime.HandlerFunc", func(b *testing.B) { run(b, runtime.HandlerFunc[benchIn, benchOut](greet)) })
	b.Run("runtime.NewHandler", func(b *testing.B) { run(b, runtime.NewHandler(greet, opts)) })
	b.Run("runtime.NewHandler+1metric", func(b *testing.B) {
		run(b, runtime.NewHandler(func(ctx context.Context, in benchIn) (benchOut, error) {
			runtime.Metrics(ctx).Add("Greetings", runtime.UnitCount, 1)
			return greet(ctx, in)
		}, opts))
	})
	b.Run("runtime.NewHandler+1log", func(b *testing.B) {
		run(b, runtime.NewHandler(func(ctx context.Context, in benchIn) (benchOut, error) {
			runtime.Logger(ctx).InfoContext(ctx, "greeting", "name", in.Name)
			return greet(ctx, in)
		}, opts))
	})
}

// BenchmarkColdStart compares the example function built with runtime against aws-lambda-go's
// hello world, both built as deployed and started under aws-lambda-rie: binary size, and the
// init duration of a cold start as the emulator reports it: the runtime's INIT REPORT
// durationMs (process start until its first /next) and the REPORT line's Init Duration.
// Each iteration makes one cold start of each function, in turn, so that both see the same
// machine load; the figures are medians. The example function is measured with and without
// its SIGTERM hook, whose registration with the Extensions API is part of its init.
func BenchmarkColdStart(b *testing.B) {
	fns := []struct {
		name, pkg string
		env       map[string]string
	}{
		{"hellofn", "github.com/servous/servous/runtime/internal/hellofn", nil},
		{"examplefn", exampleFn, nil},
		{"examplefn-nohook", exampleFn, map[string]string{"EXAMPLEFN_NO_SHUTDOWN_HOOK": "1"}},
	}
	bins := map[string]string{}
	sizes := map[string]int64{}
	for _, fn := range fns {
		if bins[fn.pkg] == "" {
			bins[fn.pkg] = runtimetest.Build(b, fn.pkg, nil)
			fi, err := os.Stat(bins[fn.pkg])
			if err != nil {
				b.Fatal(err)
			}
			sizes[fn.name] = fi.Size()
		}
	}
	starts := map[string][]runtimetest.ColdStart{}
	for b.Loop() {
		for _, fn := range fns {
			c := runtimetest.MeasureColdStart(b, bins[fn.pkg], &runtimetest.Options{Env: fn.env}, []byte(`{"name":"ada"}`))
			starts[fn.name] = append(starts[fn.name], c)
		}
	}
	for name, size := range sizes {
		b.ReportMetric(float64(size), name+"-bytes")
	}
	for _, fn := range fns {
		m := runtimetest.MedianColdStart(starts[fn.name])
		b.ReportMetric(float64(m.Init.Microseconds())/1000, fn.name+"-init-ms")
		b.ReportMetric(float64(m.InitDuration.Microseconds())/1000, fn.name+"-report-init-ms")
	}
}
