package cost_test

import (
	"testing"
	"time"

	"github.com/servous/servous/cost"
	"github.com/servous/servous/storage"
)

// S3 pricing (https://aws.amazon.com/s3/pricing/, Requests & data retrievals, S3 Standard):
// PUT, COPY, POST, LIST requests $0.005 per 1,000; GET, SELECT and all other requests
// $0.0004 per 1,000; "DELETE and CANCEL requests are free".
func TestStorageRequestClasses(t *testing.T) {
	m := cost.NewMeter(nil)
	ctx := t.Context()
	for _, op := range []string{"PutObject", "CopyObject", "PostObject", "ListObjectsV2", "CreateMultipartUpload", "UploadPart", "UploadPartCopy", "CompleteMultipartUpload"} {
		m.StorageCall(ctx, storage.Call{Bucket: "b", Op: op, Key: "k"})
	}
	for _, op := range []string{"GetObject", "HeadObject"} {
		m.StorageCall(ctx, storage.Call{Bucket: "b", Op: op, Key: "k"})
	}
	for _, op := range []string{"DeleteObject", "AbortMultipartUpload"} {
		m.StorageCall(ctx, storage.Call{Bucket: "b", Op: op, Key: "k"})
	}
	m.StorageCall(ctx, storage.Call{Bucket: "b", Op: "GetObject", Key: "missing", Failed: true})
	u := m.Usage()
	near(t, "tier 1", u.Get("s3", "b", cost.UnitS3Tier1), 8)
	near(t, "tier 2 (a failed GET is billed)", u.Get("s3", "b", cost.UnitS3Tier2), 3)
	near(t, "free", u.Get("s3", "b", cost.UnitS3Free), 2)

	// 1,000 PUTs cost $0.005, 10,000 GETs $0.004, deletes nothing.
	m = cost.NewMeter(nil)
	for range 1000 {
		m.StorageCall(ctx, storage.Call{Bucket: "b", Op: "PutObject", Key: "k", Size: 1})
	}
	for range 10000 {
		m.StorageCall(ctx, storage.Call{Bucket: "b", Op: "GetObject", Key: "k", Bytes: 1})
	}
	for range 500 {
		m.StorageCall(ctx, storage.Call{Bucket: "b", Op: "DeleteObject", Key: "k"})
	}
	r := m.Report(cost.USEast1())
	near(t, "PUT+GET cost", r.Total, 0.005+0.004)
}

// S3's storage example (Amazon S3 FAQs, https://aws.amazon.com/s3/faqs/, Billing: "How will I
// be charged and billed for my use of Amazon S3?"):
// "Assume you store 100GB (107,374,182,400 bytes) of data in Amazon S3 Standard in your
// bucket for 15 days in March, and 100TB (109,951,162,777,600 bytes) of data in Amazon S3
// Standard for the final 16 days in March." Total byte-hours: 42,259,901,212,262,400, which
// "/ 1,073,741,824 bytes per GB / 744 hours per month = 52,900 GB-Months".
func TestStorageByteHoursExample(t *testing.T) {
	c := newClock() // 1 March
	m := cost.NewMeter(&cost.MeterOptions{Now: c.Now})
	ctx := t.Context()
	m.StorageCall(ctx, storage.Call{Bucket: "b", Op: "PutObject", Key: "data", Size: 107_374_182_400})
	c.Advance(15 * 24 * time.Hour)
	m.StorageCall(ctx, storage.Call{Bucket: "b", Op: "CompleteMultipartUpload", Key: "data", Size: 109_951_162_777_600})
	c.Advance(16 * 24 * time.Hour)
	u := m.Usage()
	byteHours := u.Get("s3", "b", cost.UnitByteHours)
	near(t, "byte-hours", byteHours, 42_259_901_212_262_400)
	near(t, "GB-months of March", byteHours/cost.GB/744, 52_900)
	near(t, "stored bytes", u.Get("s3", "b", cost.UnitStoredBytes), 109_951_162_777_600)

	// The report prices byte-hours over a 730-hour month at $0.023 per GB-month, and the
	// bytes left stored at the same price for the idle month.
	r := u.Report(cost.USEast1())
	near(t, "storage cost, and two PUTs", r.Total, 42_259_901_212_262_400.0/cost.GB/730*0.023+2*0.000005)
	near(t, "idle per month", r.IdlePerMonth, 102_400*0.023)
}

// Each key's size is tracked: an overwrite replaces, a delete of a known key removes, a
// delete of a key never seen, or a failed write, changes nothing.
func TestStorageTracksKeys(t *testing.T) {
	c := newClock()
	m := cost.NewMeter(&cost.MeterOptions{Now: c.Now})
	ctx := t.Context()
	m.StorageCall(ctx, storage.Call{Bucket: "b", Op: "PutObject", Key: "a", Size: 100})
	m.StorageCall(ctx, storage.Call{Bucket: "b", Op: "PostObject", Key: "b", Size: 50, Signed: true})
	m.StorageCall(ctx, storage.Call{Bucket: "b", Op: "PutObject", Key: "a", Size: 30})
	m.StorageCall(ctx, storage.Call{Bucket: "b", Op: "PutObject", Key: "c", Size: 1000, Failed: true})
	m.StorageCall(ctx, storage.Call{Bucket: "b", Op: "DeleteObject", Key: "unknown"})
	m.StorageCall(ctx, storage.Call{Bucket: "other", Op: "DeleteObject", Key: "x"})
	near(t, "stored", m.Usage().Get("s3", "b", cost.UnitStoredBytes), 80)
	c.Advance(time.Hour)
	m.StorageCall(ctx, storage.Call{Bucket: "b", Op: "DeleteObject", Key: "a"})
	c.Advance(2 * time.Hour)
	u := m.Usage()
	near(t, "stored after delete", u.Get("s3", "b", cost.UnitStoredBytes), 50)
	near(t, "byte-hours", u.Get("s3", "b", cost.UnitByteHours), 80+2*50)
	if _, ok := u[cost.Key{Service: "s3", Resource: "other", Unit: cost.UnitStoredBytes}]; ok {
		t.Error("a delete in a bucket never written created storage")
	}
}

// Only GetObject bodies served through signed URLs leave AWS: $0.09 per GB.
func TestStorageTransferOut(t *testing.T) {
	m := cost.NewMeter(nil)
	ctx := t.Context()
	m.StorageCall(ctx, storage.Call{Bucket: "b", Op: "GetObject", Key: "v.mp4", Bytes: cost.GB, Signed: true})
	m.StorageCall(ctx, storage.Call{Bucket: "b", Op: "GetObject", Key: "v.mp4", Bytes: cost.GB})
	u := m.Usage()
	near(t, "bytes out", u.Get("s3", "b", cost.UnitTransferOutBytes), cost.GB)
	near(t, "cost", u.Report(cost.USEast1()).Total, 0.09+2*0.0000004)
}
