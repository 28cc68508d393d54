package cost_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/servous/servous/cost"
	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/memstorage"
	"github.com/servous/servous/table"
	"github.com/servous/servous/table/memtable"
)

type video struct {
	Owner string `dynamodbav:"owner" table:"partition"`
	ID    string `dynamodbav:"id" table:"sort"`
	Title string `dynamodbav:"title"`
}

// The meter plugs into memtable's OnCall option: each write of a small item is a write unit,
// a failed conditional create is billed, a strongly consistent read of a small item is one
// read unit and an eventually consistent one half.
func TestTableCallThroughMemtable(t *testing.T) {
	m := cost.NewMeter(nil)
	videos, err := memtable.New[video]("videos", &memtable.Options{OnCall: m.TableCall})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	v := &video{Owner: "ann", ID: "v1", Title: "Holiday"}
	if err := videos.Create(ctx, v); err != nil {
		t.Fatal(err)
	}
	if err := videos.Create(ctx, v); !errors.Is(err, table.ErrAlreadyExists) {
		t.Fatalf("second create: %v", err)
	}
	key := table.Key{Partition: table.String("ann"), Sort: table.String("v1")}
	if _, err := videos.Get(ctx, key, &table.GetOptions{ConsistentRead: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := videos.Get(ctx, key, nil); err != nil {
		t.Fatal(err)
	}
	u := m.Usage()
	near(t, "write units", u.Get("dynamodb", "videos", cost.UnitWriteUnits), 2)
	near(t, "read units", u.Get("dynamodb", "videos", cost.UnitReadUnits), 1.5)
}

// The meter plugs into memstorage's OnCall option: the adapter's own requests in their
// classes, the bucket's bytes over time, and a GET through a signed URL as transfer out.
func TestStorageCallThroughMemstorage(t *testing.T) {
	c := newClock()
	m := cost.NewMeter(&cost.MeterOptions{Now: c.Now})
	srv := httptest.NewUnstartedServer(nil)
	// The handler reports a signed request once it has answered it, which may be after the
	// client has read the answer: signed tells when.
	signed := make(chan struct{}, 1)
	onCall := func(ctx context.Context, call storage.Call) {
		m.StorageCall(ctx, call)
		if call.Signed {
			signed <- struct{}{}
		}
	}
	b := memstorage.New("media", &memstorage.Options{OnCall: onCall, BaseURL: "http://" + srv.Listener.Addr().String() + "/media"})
	srv.Config.Handler = b.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	ctx := t.Context()

	video := make([]byte, 1<<20)
	if _, err := storage.PutBytes(ctx, b, "videos/v1.mp4", video, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := storage.PutBytes(ctx, b, "tmp/upload", []byte("12345"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := storage.GetBytes(ctx, b, "videos/v1.mp4"); err != nil {
		t.Fatal(err)
	}
	if err := b.Delete(ctx, "tmp/upload"); err != nil {
		t.Fatal(err)
	}
	u, err := b.SignURL(ctx, "videos/v1.mp4", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Get(u)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || n != int64(len(video)) {
		t.Fatalf("signed GET: %s, %d bytes", resp.Status, n)
	}
	<-signed
	c.Advance(time.Hour)

	usage := m.Usage()
	near(t, "PUTs", usage.Get("s3", "media", cost.UnitS3Tier1), 2)
	near(t, "GETs", usage.Get("s3", "media", cost.UnitS3Tier2), 2)
	near(t, "DELETEs", usage.Get("s3", "media", cost.UnitS3Free), 1)
	near(t, "transfer out", usage.Get("s3", "media", cost.UnitTransferOutBytes), float64(len(video)))
	near(t, "stored", usage.Get("s3", "media", cost.UnitStoredBytes), float64(len(video)))
	near(t, "byte-hours", usage.Get("s3", "media", cost.UnitByteHours), float64(len(video)))
}
