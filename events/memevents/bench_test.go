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
// filter, queue, invoke a no-op handler as Lambda would (a runtime.Worker on
// the bus's worker goroutine), and account for completion. The peers are the
// two ways of invoking alone: worker-invoke is runtime.Worker.Invoke, which
// the bus uses, and local-invoke is runtime.Local.Invoke, which starts a
// goroutine per invocation. cpu-ns/delivery is the process's CPU time, which
// other processes on a busy machine do not inflate.
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
	for _, peer := range []string{"worker-invoke", "local-invoke"} {
		b.Run(peer, func(b *testing.B) {
			l := runtime.NewLocal(noop, nil)
			invoke := l.Invoke
			if peer == "worker-invoke" {
				invoke = l.NewWorker(nil).Invoke
			}
			ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "r"})
			b.ReportAllocs()
			b.ResetTimer()
			cpu := processCPU()
			for range b.N {
				if _, err := invoke(ctx, e.Payload); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/delivery")
			b.ReportMetric(float64((processCPU()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/delivery")
		})
	}
}
