package cost

import (
	"context"
	"sync"
	"time"

	"github.com/servous/servous/storage"
)

// StorageCall meters one request a bucket adapter made: plug it into the adapter's OnCall
// option. It follows S3's pricing (https://aws.amazon.com/s3/pricing/, "Requests & data
// retrievals"): PUT, COPY, POST and LIST requests, and CreateMultipartUpload, UploadPart,
// UploadPartCopy and CompleteMultipartUpload, are billed in one class ([UnitS3Tier1]); GET,
// HEAD and every other request in the other ([UnitS3Tier2]); DELETE and
// AbortMultipartUpload ("DELETE and CANCEL requests are free") are counted as [UnitS3Free].
// A failed request is billed all the same.
//
// The body of a GetObject made through a signed URL went to the internet, and counts as
// [UnitTransferOutBytes]; the adapter's own reads stay inside AWS (a Lambda function in the
// bucket's region), where transfer is free.
//
// Storage: a successful write of a whole object (PutObject, CopyObject, PostObject,
// CompleteMultipartUpload) sets its key's size, a successful DeleteObject of a key the meter
// saw written removes it, and the meter integrates each bucket's bytes over time on its clock
// ([UnitByteHours]), and reports the change in bytes stored ([UnitStoredBytes]). It cannot see
// objects written before it started or by anyone else (another process, another function,
// the console), nor their deletion, nor lifecycle expiry; their storage is not metered, and
// a delete of a key it did not see written changes nothing. Incomplete multipart uploads,
// which S3 also stores and bills until aborted, are not counted either.
func (m *Meter) StorageCall(ctx context.Context, c storage.Call) {
	// One pass over the action names: its price class, and what it does to the bytes stored.
	unit, stores, deletes := UnitS3Tier2, false, false
	switch c.Op {
	case "PutObject", "CopyObject", "PostObject", "CompleteMultipartUpload":
		unit, stores = UnitS3Tier1, true
	case "ListObjectsV2", "ListObjects", "CreateMultipartUpload", "UploadPart", "UploadPartCopy",
		"ListMultipartUploads", "ListParts":
		unit = UnitS3Tier1
	case "DeleteObject":
		unit, deletes = UnitS3Free, true
	case "DeleteObjects", "AbortMultipartUpload":
		unit = UnitS3Free
	case "GetObject":
		if c.Signed && c.Bytes > 0 {
			m.Add(Key{ServiceS3, c.Bucket, UnitTransferOutBytes}, float64(c.Bytes))
		}
	}
	if stores && !c.Failed {
		// The write's request is counted with the bucket's bytes, through the bucket's own
		// handle on its counter: one map lookup fewer on the path that also reads the clock.
		m.storage.set(m, c.Bucket, c.Key, c.Size, true)
		return
	}
	m.Add(Key{ServiceS3, c.Bucket, unit}, 1)
	if deletes && !c.Failed {
		m.storage.set(m, c.Bucket, c.Key, 0, false)
	}
}

// storageState tracks the bytes the meter saw stored, per bucket.
type storageState struct {
	mu      sync.Mutex
	buckets map[string]*bucketState
}

type bucketState struct {
	tier1     *counter // the bucket's requests-tier1 counter in the meter
	sizes     map[string]*int64
	bytes     int64     // sum of sizes
	byteHours float64   // integral of bytes over time up to last
	last      time.Time // when byteHours was brought up to date
}

// set records key's size in bucket (present), counting the write's request, or its removal.
// It reads the clock only when the bucket's bytes change, the one time the integral needs a new
// segment.
func (s *storageState) set(m *Meter, bucket, key string, size int64, present bool) {
	now := m.now
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buckets[bucket]
	if b == nil {
		if !present {
			return
		}
		b = &bucketState{tier1: m.counter(Key{ServiceS3, bucket, UnitS3Tier1}), sizes: make(map[string]*int64), last: now()}
		s.buckets[bucket] = b
	}
	if present {
		b.tier1.add(1)
	}
	// One map lookup in the steady state of a key written again.
	p := b.sizes[key]
	switch {
	case present && p != nil:
		if d := size - *p; d != 0 {
			b.advance(now())
			b.bytes += d
			*p = size
		}
	case present:
		b.advance(now())
		p = new(int64)
		*p = size
		b.sizes[key] = p
		b.bytes += size
	case p != nil:
		b.advance(now())
		delete(b.sizes, key)
		b.bytes -= *p
	}
}

// advance integrates the bytes stored up to now.
func (b *bucketState) advance(now time.Time) {
	if d := now.Sub(b.last); d > 0 {
		b.byteHours += float64(b.bytes) * d.Hours()
		b.last = now
	}
}

// snapshot adds each bucket's byte-hours up to now, and bytes stored, to u.
func (s *storageState) snapshot(now time.Time, u Usage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, b := range s.buckets {
		b.advance(now)
		if b.byteHours != 0 {
			u[Key{ServiceS3, name, UnitByteHours}] = b.byteHours
		}
		if b.bytes != 0 {
			u[Key{ServiceS3, name, UnitStoredBytes}] = float64(b.bytes)
		}
	}
}
