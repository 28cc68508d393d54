package cost_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"

	"github.com/servous/servous/cost"
	"github.com/servous/servous/runtime"
	"github.com/servous/servous/storage"
	"github.com/servous/servous/table"
)

// childEnv makes the test binary run as one function process in TestUsageOfProcesses.
const childEnv = "COST_TEST_CHILD_INVOCATIONS"

// TestMain lets the test binary act as a function's process: it runs the handler under
// runtime.NewHandler with the metering middleware, logging to stdout as runtime.Start does.
func TestMain(m *testing.M) {
	if n := os.Getenv(childEnv); n != "" {
		os.Exit(child(n))
	}
	os.Exit(m.Run())
}

func child(invocations string) int {
	n, err := strconv.Atoi(invocations)
	if err != nil {
		return 2
	}
	m := cost.NewMeter(nil)
	h := runtime.NewHandler(func(ctx context.Context, in struct{}) (struct{}, error) {
		m.StorageCall(ctx, storage.Call{Bucket: "media", Op: "GetObject", Key: "k"})
		m.TableCall(ctx, table.Call{Table: "videos", Op: "UpdateItem", WriteUnits: 2})
		return struct{}{}, nil
	}, &runtime.Options{
		Logger:     runtime.NewLogger(os.Stdout),
		Middleware: []runtime.Middleware{cost.LogUsage(m, nil), cost.Lambda(m, cost.Function{Name: "api", MemoryMB: 128, Arch: "arm64"})},
	})
	local := runtime.NewLocal(h, &runtime.LocalOptions{FunctionName: "api"})
	for range n {
		if _, err := local.Invoke(context.Background(), []byte(`{}`)); err != nil {
			return 1
		}
	}
	return 0
}

// The logs of separate processes add up: each process logs its invocations' units through
// the logger runtime.NewHandler gives them, and ReadUsage sums the processes' outputs.
func TestUsageOfProcesses(t *testing.T) {
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		all bytes.Buffer
	)
	for _, n := range []int{2, 3} {
		wg.Go(func() {
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), childEnv+"="+strconv.Itoa(n))
			out, err := cmd.Output()
			if err != nil {
				t.Errorf("process of %d invocations: %v", n, err)
			}
			mu.Lock()
			all.Write(out)
			mu.Unlock()
		})
	}
	wg.Wait()
	u, err := cost.ReadUsage(&all)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "requests", u.Get("lambda", "api", cost.UnitRequests), 5)
	near(t, "cold starts", u.Get("lambda", "api", cost.UnitColdStarts), 2)
	near(t, "GETs", u.Get("s3", "media", cost.UnitS3Tier2), 5)
	near(t, "write units", u.Get("dynamodb", "videos", cost.UnitWriteUnits), 10)
	if u.Get("lambda", "api", cost.UnitGBSecondsArm64) <= 0 {
		t.Errorf("no GB-seconds in %v", u)
	}
}

// Metering from many goroutines while snapshots are taken loses nothing.
func TestMeterConcurrent(t *testing.T) {
	m := cost.NewMeter(nil)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				m.StorageCall(t.Context(), storage.Call{Bucket: "b", Op: "PutObject", Key: strconv.Itoa(g*1000 + i), Size: 1})
				m.TableCall(t.Context(), table.Call{Table: "t", ReadUnits: 0.5})
				if i%100 == 0 {
					m.Usage()
				}
			}
		})
	}
	wg.Wait()
	u := m.Usage()
	near(t, "PUTs", u.Get("s3", "b", cost.UnitS3Tier1), 8000)
	near(t, "stored", u.Get("s3", "b", cost.UnitStoredBytes), 8000)
	near(t, "read units", u.Get("dynamodb", "t", cost.UnitReadUnits), 4000)
}
