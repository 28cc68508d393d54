package cost_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/servous/servous/cost"
	"github.com/servous/servous/runtime"
	"github.com/servous/servous/storage"
	"github.com/servous/servous/table"
)

// A function's handler, metered: the middleware meters the invocation as Lambda bills it and
// logs its units; the adapters report their calls to the same meter (here called by hand,
// as a bucket's and a table's OnCall option call them). A test prices the run, and what a
// thousand of them cost.
func Example() {
	c := newClock()
	m := cost.NewMeter(&cost.MeterOptions{Now: c.Now})

	// What on-upload does for one video: read the upload's head, record the video, and
	// leave a 5 MB rendition behind.
	var onUpload runtime.InvokeFunc = func(ctx context.Context, payload []byte) ([]byte, error) {
		m.StorageCall(ctx, storage.Call{Bucket: "media", Op: "HeadObject", Key: "uploads/cat.mov"})
		m.TableCall(ctx, table.Call{Table: "videos", Op: "PutItem", WriteUnits: 1})
		m.StorageCall(ctx, storage.Call{Bucket: "media", Op: "PutObject", Key: "videos/cat-720p.mp4", Size: 5 << 20})
		c.Advance(80 * time.Millisecond)
		return nil, nil
	}
	// In main: runtime.Start(h, &runtime.Options{Middleware: ...}) with these two.
	quiet := slog.New(slog.DiscardHandler)
	h := runtime.Chain(onUpload,
		cost.LogUsage(m, quiet),
		cost.Lambda(m, cost.Function{Name: "on-upload", MemoryMB: 512, Arch: "arm64"}))
	if _, err := runtime.NewLocal(h, nil).Invoke(context.Background(), []byte(`{}`)); err != nil {
		fmt.Println(err)
		return
	}

	r := m.Report(cost.USEast1()).PerRuns(1000)
	fmt.Printf("1000 uploads: $%.4f, then $%.4f a month idle\n", r.Total, r.IdlePerMonth)
	r.WriteTo(os.Stdout)
	// Output:
	// 1000 uploads: $0.0068, then $0.1123 a month idle
	// cost of 1000 runs at us-east-1 on-demand prices of 2026-12-02, in USD
	// service   resource   unit                     quantity    unit price          cost
	// dynamodb  videos     write-request-units          1000      6.25e-07      0.000625
	//                                                             subtotal      0.000625
	// lambda    on-upload  cold-starts                  1000             0             0
	// lambda    on-upload  gb-seconds-arm64               40     1.333e-05      0.000533
	// lambda    on-upload  requests                     1000         2e-07      0.000200
	//                                                             subtotal      0.000733
	// s3        media      requests-tier1               1000         5e-06      0.005000
	// s3        media      requests-tier2               1000         4e-07      0.000400
	// s3        media      storage-byte-hours       116508.4     2.934e-14      3.42e-09
	// s3        media      stored-bytes           5242880000             0             0
	//                                                             subtotal      0.005400
	// total                                                                   0.006758
	// idle per month (storage only)                                           0.112305
}
