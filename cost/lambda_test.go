package cost_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/servous/servous/cost"
	"github.com/servous/servous/runtime"
)

// sleeper is a handler that takes d on the meter's clock.
func sleeper(c *clock, d time.Duration) runtime.InvokeFunc {
	return func(ctx context.Context, payload []byte) ([]byte, error) {
		c.Advance(d)
		return []byte(`{}`), nil
	}
}

// AWS Lambda pricing, Example 1 (https://aws.amazon.com/lambda/pricing/, x86): "If you
// allocated 512MB of memory to your function, executed it 3 million times in one month, and
// it ran for 1 second each time": 3,000,000 seconds, 1,500,000 GB-s; after the free tier's
// 400,000 GB-s, 1,100,000 × $0.00001667 = $18.34; requests, 3M less 1M free, 2M × $0.2/M =
// $0.40. Prices carry no free tier, so the test takes it off as the example does.
func TestLambdaPricingExample(t *testing.T) {
	c := newClock()
	m := cost.NewMeter(&cost.MeterOptions{Now: c.Now})
	fn := cost.Function{Name: "fn", MemoryMB: 512, Arch: "x86_64", Start: c.Now()}
	h := runtime.Chain(sleeper(c, time.Second), cost.Lambda(m, fn))
	if _, err := h.Invoke(t.Context(), []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Invoke(t.Context(), []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	u := m.Usage()
	// Start is the clock's time of the first invocation: no INIT duration.
	near(t, "GB-seconds of 2 runs", u.Get("lambda", "fn", cost.UnitGBSecondsX86), 1)
	near(t, "requests", u.Get("lambda", "fn", cost.UnitRequests), 2)

	r := u.Report(cost.USEast1()).PerRuns(3_000_000 / 2)
	gbs := r.Runs * 2 // invocations
	var compute, requests float64
	for _, l := range r.Lines {
		switch l.Unit {
		case cost.UnitGBSecondsX86:
			near(t, "GB-s", l.Quantity, 1_500_000)
			compute = (l.Quantity - 400_000) * 0.00001667 // the example's rounded price
		case cost.UnitRequests:
			near(t, "requests", l.Quantity, float64(gbs))
			requests = (l.Quantity - 1_000_000) * l.UnitPrice
			near(t, "request charge", l.Cost, 0.60)
		}
	}
	if cents(compute) != 18.34 || cents(requests) != 0.40 {
		t.Errorf("compute $%.2f, requests $%.2f; the example has $18.34 and $0.40", compute, requests)
	}
	// At the current price, without free tier: 1.5M × $0.0000166667 = $25.00.
	if got := cents(r.Total); got != 25.60 {
		t.Errorf("total $%.2f, want $25.60 (compute $25.00 + requests $0.60)", got)
	}
}

// Duration is "rounded up to the nearest 1 ms" (Lambda pricing page); Arm has its own price.
func TestLambdaRoundsUpToMillisecond(t *testing.T) {
	c := newClock()
	m := cost.NewMeter(&cost.MeterOptions{Now: c.Now})
	h := runtime.Chain(sleeper(c, 1*time.Millisecond+100*time.Microsecond), cost.Lambda(m, cost.Function{Name: "fn", MemoryMB: 1024, Arch: "arm64"}))
	h.Invoke(t.Context(), nil)
	near(t, "GB-s", m.Usage().Get("lambda", "fn", cost.UnitGBSecondsArm64), 0.002)
	if got := m.Usage().Get("lambda", "fn", cost.UnitGBSecondsX86); got != 0 {
		t.Errorf("x86 GB-s = %g on arm64", got)
	}
}

// INIT is billed on the first invocation: from the environment's start to the invocation,
// added to its duration; later invocations bill their own duration only.
func TestLambdaInitPhase(t *testing.T) {
	c := newClock()
	m := cost.NewMeter(&cost.MeterOptions{Now: c.Now})
	fn := cost.Function{Name: "fn", MemoryMB: 2048, Arch: "arm64", Start: c.Now()}
	c.Advance(150 * time.Millisecond) // main builds its clients
	h := runtime.Chain(sleeper(c, 10*time.Millisecond), cost.Lambda(m, fn))
	h.Invoke(t.Context(), nil)
	u := m.Usage()
	near(t, "first invocation GB-s", u.Get("lambda", "fn", cost.UnitGBSecondsArm64), 0.160*2)
	near(t, "cold starts", u.Get("lambda", "fn", cost.UnitColdStarts), 1)
	h.Invoke(t.Context(), nil)
	near(t, "GB-s after a warm invocation", m.Usage().Get("lambda", "fn", cost.UnitGBSecondsArm64), 0.170*2)
	near(t, "cold starts", m.Usage().Get("lambda", "fn", cost.UnitColdStarts), 1)
}

// Defaults come from Lambda's environment.
func TestLambdaDefaultsFromEnvironment(t *testing.T) {
	t.Setenv("AWS_LAMBDA_FUNCTION_NAME", "on-upload")
	t.Setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
	t.Setenv("AWS_LAMBDA_RUNTIME_API", "")
	c := newClock()
	m := cost.NewMeter(&cost.MeterOptions{Now: c.Now})
	h := runtime.Chain(sleeper(c, time.Second), cost.Lambda(m, cost.Function{Arch: "x86_64"}))
	h.Invoke(t.Context(), nil)
	near(t, "GB-s", m.Usage().Get("lambda", "on-upload", cost.UnitGBSecondsX86), 0.25)
}

// LogUsage writes one record per invocation, and ReadUsage sums the records of separate
// processes back to what their meters metered.
func TestLogUsageRoundTrip(t *testing.T) {
	var out bytes.Buffer
	var meters []*cost.Meter
	for _, name := range []string{"api", "on-upload"} {
		c := newClock()
		m := cost.NewMeter(&cost.MeterOptions{Now: c.Now})
		meters = append(meters, m)
		var work runtime.InvokeFunc = func(ctx context.Context, payload []byte) ([]byte, error) {
			c.Advance(20 * time.Millisecond)
			m.TableCall(ctx, tableCall("videos", 0.5, 1))
			return nil, nil
		}
		h := runtime.Chain(work, cost.LogUsage(m, runtime.NewLogger(&out)), cost.Lambda(m, cost.Function{Name: name, MemoryMB: 128, Arch: "arm64"}))
		local := runtime.NewLocal(h, &runtime.LocalOptions{FunctionName: name})
		for range 3 {
			if _, err := local.Invoke(t.Context(), []byte(`{}`)); err != nil {
				t.Fatal(err)
			}
		}
	}
	out.WriteString("START RequestId: 1 Version: $LATEST\nnot json {\n")

	var records int
	for line := range bytes.Lines(out.Bytes()) {
		var rec map[string]any
		if json.Unmarshal(line, &rec) == nil && rec["message"] == cost.UsageMessage {
			records++
			if rec["requestId"] == "" || rec["level"] != "INFO" {
				t.Errorf("record without the invocation's fields: %s", line)
			}
		}
	}
	if records != 6 {
		t.Errorf("%d usage records, want one per invocation, 6:\n%s", records, out.String())
	}

	got, err := cost.ReadUsage(&out)
	if err != nil {
		t.Fatal(err)
	}
	want := meters[0].Usage().Add(meters[1].Usage())
	if len(got) != len(want) {
		t.Errorf("read %v, want %v", got, want)
	}
	for k, q := range want {
		near(t, k.Service+"/"+k.Resource+"/"+k.Unit, got[k], q)
	}
	near(t, "write units", got.Get("dynamodb", "videos", cost.UnitWriteUnits), 6)
}

// An environment initialised long before its first invocation bills at most MaxInit.
func TestLambdaInitCapped(t *testing.T) {
	c := newClock()
	m := cost.NewMeter(&cost.MeterOptions{Now: c.Now})
	fn := cost.Function{Name: "fn", MemoryMB: 1024, Arch: "arm64", Start: c.Now()}
	c.Advance(time.Minute)
	runtime.Chain(sleeper(c, time.Second), cost.Lambda(m, fn)).Invoke(t.Context(), nil)
	near(t, "GB-s", m.Usage().Get("lambda", "fn", cost.UnitGBSecondsArm64), 11)
}

// Usage records are written whatever the function's log level: dropping one would lose its
// units from every sum.
func TestLogUsageIgnoresLevel(t *testing.T) {
	t.Setenv("AWS_LAMBDA_LOG_LEVEL", "ERROR")
	var out bytes.Buffer
	m := cost.NewMeter(nil)
	h := runtime.Chain(runtime.InvokeFunc(func(ctx context.Context, _ []byte) ([]byte, error) {
		m.TableCall(ctx, tableCall("t", 1, 0))
		return nil, nil
	}), cost.LogUsage(m, runtime.NewLogger(&out)))
	if _, err := h.Invoke(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	u, err := cost.ReadUsage(&out)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "read units logged at level ERROR", u.Get("dynamodb", "t", cost.UnitReadUnits), 1)
}

// A handler that panics is billed: the Recover middleware outside turns the panic into an
// error, and the request and its duration are metered.
func TestLambdaMetersPanics(t *testing.T) {
	c := newClock()
	m := cost.NewMeter(&cost.MeterOptions{Now: c.Now})
	h := runtime.Chain(runtime.InvokeFunc(func(ctx context.Context, _ []byte) ([]byte, error) {
		c.Advance(5 * time.Millisecond)
		panic("boom")
	}), runtime.Recover(), cost.Lambda(m, cost.Function{Name: "fn", MemoryMB: 1024, Arch: "arm64"}))
	if _, err := h.Invoke(t.Context(), nil); err == nil {
		t.Fatal("a panic was not an error")
	}
	near(t, "requests", m.Usage().Get("lambda", "fn", cost.UnitRequests), 1)
	near(t, "GB-s", m.Usage().Get("lambda", "fn", cost.UnitGBSecondsArm64), 0.005)
}
