package memevents_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/servous/servous/events/memevents"
	"github.com/servous/servous/runtime"
)

// BenchmarkDispatch measures the bus's cost per event per subscriber: publish,
// filter, queue, invoke a no-op handler through runtime.Local, and account
// for completion. The local-invoke peer is runtime.Local.Invoke alone, the
// part of each delivery that is Lambda's invocation model rather than the
// bus; the bus's own overhead is the difference. cpu-ns/delivery is the
// process's CPU time, which other processes on a busy machine do not inflate.
func BenchmarkDispatch(b *testing.B) {
	e := object(b, "k")
	noop := handlerFunc(func(context.Context, []byte) ([]byte, error) { return nil, nil })
	for _, subs := range []int{1, 4} {
		b.Run(fmt.Sprintf("bus/subscribers=%d", subs), func(b *testing.B) {
			bus := memevents.New(nil)
			b.Cleanup(func() { bus.Close() })
			for range subs {
				if _, err := bus.Subscribe(memevents.Filter{Bucket: "b", Types: []string{"ObjectCreated:*"}}, noop, nil); err != nil {
					b.Fatal(err)
				}
			}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			cpu := processCPU()
			// Waiting is part of the measured work: every delivery has
			// finished when the timer stops.
			for range b.N {
				if err := bus.Publish(ctx, e); err != nil {
					b.Fatal(err)
				}
			}
			if err := bus.Wait(ctx); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*subs), "ns/delivery")
			b.ReportMetric(float64((processCPU()-cpu).Nanoseconds())/float64(b.N*subs), "cpu-ns/delivery")
		})
	}
	b.Run("local-invoke", func(b *testing.B) {
		l := runtime.NewLocal(noop, nil)
		ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "r"})
		b.ReportAllocs()
		b.ResetTimer()
		cpu := processCPU()
		for range b.N {
			if _, err := l.Invoke(ctx, e.Payload); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/delivery")
		b.ReportMetric(float64((processCPU()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/delivery")
	})
}
