package cost

import (
	"context"
	"os"
	goruntime "runtime"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/servous/servous/runtime"
)

// processStart approximates when the process started: package initialisation runs before
// main, and before the runtime's first call to the Runtime API.
var processStart = time.Now()

// Function describes a Lambda function as Lambda bills it.
type Function struct {
	// Name is the function's name, the resource of its [Key]s. Empty means
	// AWS_LAMBDA_FUNCTION_NAME, and without it the name runtime.FunctionName finds in the
	// invocation's context.
	Name string
	// MemoryMB is the memory configured for the function. Zero means
	// AWS_LAMBDA_FUNCTION_MEMORY_SIZE, and without it 128, Lambda's default.
	MemoryMB int
	// Arch is the instruction set: "arm64" or "x86_64". Empty means the one this program
	// was built for (runtime.GOARCH: arm64 is "arm64", anything else "x86_64").
	Arch string
	// Start is when the execution environment began initialising, for metering the INIT
	// phase. Zero means when this process started if it runs under Lambda's Runtime API
	// (AWS_LAMBDA_RUNTIME_API is set), and no INIT phase otherwise (in a test, say).
	Start time.Time
}

// withDefaults fills fn's zero fields from Lambda's environment.
func (fn Function) withDefaults() Function {
	if fn.Name == "" {
		fn.Name = os.Getenv("AWS_LAMBDA_FUNCTION_NAME")
	}
	if fn.MemoryMB <= 0 {
		fn.MemoryMB, _ = strconv.Atoi(os.Getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"))
		if fn.MemoryMB <= 0 {
			fn.MemoryMB = 128
		}
	}
	if fn.Arch == "" {
		fn.Arch = "x86_64"
		if goruntime.GOARCH == "arm64" {
			fn.Arch = "arm64"
		}
	}
	if fn.Start.IsZero() && os.Getenv("AWS_LAMBDA_RUNTIME_API") != "" {
		fn.Start = processStart
	}
	return fn
}

// MaxInit is the longest INIT phase Lambda allows an on-demand function ("Lambda execution
// environment lifecycle": the INIT phase is limited to 10 seconds). [Lambda] meters no more:
// the time to the first invocation can be longer when Lambda initialised the environment
// ahead of demand, and the wait for the event is not INIT.
const MaxInit = 10 * time.Second

// Lambda returns middleware metering the function's invocations as Lambda bills them
// (https://aws.amazon.com/lambda/pricing/): one request ([UnitRequests]) per invocation,
// and compute in GB-seconds ([UnitGBSecondsArm64] or [UnitGBSecondsX86] by fn.Arch): the
// handler's duration rounded up to the next millisecond ("Duration is calculated from the
// time your code begins executing until it returns or otherwise terminates, rounded up to
// the nearest 1 ms"), times the configured memory in GB (MB/1024).
//
// The first invocation also bills the INIT phase, from fn.Start to the invocation (at most
// [MaxInit]): Lambda
// bills INIT for custom runtimes such as provided.al2023, on which Go functions run, and since
// 1 August 2025 for every runtime ("AWS Lambda standardizes billing for INIT Phase",
// https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase/; the
// Lambda developer guide's "Understanding the Lambda execution environment lifecycle"), adding
// its duration to the first invocation's billed duration, as the REPORT line's Billed
// Duration shows. The cold start is counted as [UnitColdStarts].
//
// Put it inside the standard middleware, so it measures the handler the way Lambda does, and
// inside [LogUsage], so the invocation's own units reach its log record.
func Lambda(m *Meter, fn Function) runtime.Middleware {
	fn = fn.withDefaults()
	unit := UnitGBSecondsX86
	if fn.Arch == "arm64" {
		unit = UnitGBSecondsArm64
	}
	gb := float64(fn.MemoryMB) / 1024
	return func(next lambda.Handler) lambda.Handler {
		var warm atomic.Bool
		return runtime.InvokeFunc(func(ctx context.Context, payload []byte) ([]byte, error) {
			start := m.now()
			// Deferred, so a handler that panics is billed too, as Lambda bills it.
			defer func() {
				d := m.now().Sub(start)
				name := fn.Name
				if name == "" {
					name = runtime.FunctionName(ctx)
				}
				if !warm.Swap(true) {
					m.Add(Key{ServiceLambda, name, UnitColdStarts}, 1)
					if !fn.Start.IsZero() && start.After(fn.Start) {
						d += min(start.Sub(fn.Start), MaxInit)
					}
				}
				m.Add(Key{ServiceLambda, name, UnitRequests}, 1)
				m.Add(Key{ServiceLambda, name, unit}, BilledSeconds(d)*gb)
			}()
			return next.Invoke(ctx, payload)
		})
	}
}

// BilledSeconds returns the duration Lambda bills for d, in seconds: d rounded up to the
// next millisecond.
func BilledSeconds(d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	ms := (d + time.Millisecond - 1) / time.Millisecond
	return float64(ms) / 1000
}
