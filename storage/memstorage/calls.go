package memstorage

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/servous/servous/storage"
)

// report tells OnCall of c.
func (b *Bucket) report(ctx context.Context, c storage.Call) {
	if b.opts.OnCall == nil {
		return
	}
	c.Bucket = b.name
	b.opts.OnCall(ctx, c)
}

// refusedFirst reports whether err refused a call before the twin would send any request: an
// invalid key, one of the sentinels in also (options no request can carry), or an ended
// context.
func refusedFirst(ctx context.Context, err error, also ...error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, storage.ErrInvalidKey) || ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return true
	}
	for _, s := range also {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// twinParts returns how many parts the twin uploads a body of size bytes in, and their size,
// or 0 parts for one PutObject. The transfer manager reads up to the threshold before it
// chooses: a body of unknown length that fills it goes up in parts, while awss3 sends a body of
// known length up to the threshold in one PutObject. For a body of known length that would
// take more than S3's 10,000 parts the transfer manager grows the part size to fit.
func (b *Bucket) twinParts(size int64, known bool) (int, int64) {
	t := b.opts.MultipartThreshold
	if t <= 0 || size < t || known && size == t {
		return 0, 0
	}
	partSize := b.opts.PartSize
	if known && size/partSize >= maxParts {
		partSize = size/maxParts + 1
	}
	return int((size + partSize - 1) / partSize), partSize
}

// reportPut reports the twin's requests for a Put of size bytes in parts (0: one PutObject)
// that ended with err. A multipart upload whose completion fails is aborted.
func (b *Bucket) reportPut(ctx context.Context, key string, size int64, parts int, err error) {
	if b.opts.OnCall == nil {
		return
	}
	ok := err == nil
	written := storage.Call{Key: key, Failed: !ok}
	if ok {
		written.Size = size
	}
	if parts == 0 {
		written.Op = "PutObject"
		b.report(ctx, written)
		return
	}
	b.report(ctx, storage.Call{Op: "CreateMultipartUpload", Key: key})
	for range parts {
		b.report(ctx, storage.Call{Op: "UploadPart", Key: key})
	}
	written.Op = "CompleteMultipartUpload"
	b.report(ctx, written)
	if !ok {
		b.report(ctx, storage.Call{Op: "AbortMultipartUpload", Key: key})
	}
}

// reportCopy reports the twin's requests for a Copy that ended with err: srcSize is the size
// of the source, or -1 if it was missing or failed its condition. awss3 sends a CopyObject, and
// then a HeadObject of the copy to fill in its answer; a source over MaxCopySize, which
// CopyObject refuses, it copies in parts with UploadPartCopy after a HeadObject of the source.
func (b *Bucket) reportCopy(ctx context.Context, dstKey, srcKey string, srcSize int64, info *storage.ObjectInfo, err error) {
	if b.opts.OnCall == nil {
		return
	}
	ok := err == nil
	written := storage.Call{Key: dstKey, Failed: !ok}
	if ok {
		written.Size = info.Size
	}
	if srcSize <= b.opts.MaxCopySize {
		written.Op = "CopyObject"
		b.report(ctx, written)
	} else {
		b.report(ctx, storage.Call{Op: "CopyObject", Key: dstKey, Failed: true})
		b.report(ctx, storage.Call{Op: "HeadObject", Key: srcKey})
		b.report(ctx, storage.Call{Op: "CreateMultipartUpload", Key: dstKey})
		partSize := max(b.opts.CopyPartSize, (srcSize+maxParts-1)/maxParts)
		for range (srcSize + partSize - 1) / partSize {
			b.report(ctx, storage.Call{Op: "UploadPartCopy", Key: dstKey})
		}
		written.Op = "CompleteMultipartUpload"
		b.report(ctx, written)
		if !ok {
			b.report(ctx, storage.Call{Op: "AbortMultipartUpload", Key: dstKey})
		}
	}
	if ok {
		b.report(ctx, storage.Call{Op: "HeadObject", Key: dstKey})
	}
}

// maxParts is the most parts of a multipart upload S3 allows.
const maxParts = 10000

// meteredBody reads an object's body and reports its GetObject when closed, with the bytes read.
type meteredBody struct {
	r    *chunkReader
	ctx  context.Context
	b    *Bucket
	once sync.Once
	mu   sync.Mutex
	call storage.Call
}

func (m *meteredBody) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	m.count(int64(n))
	return n, err
}

// WriteTo keeps the chunk reader's copy without an intermediate buffer.
func (m *meteredBody) WriteTo(w io.Writer) (int64, error) {
	n, err := m.r.WriteTo(w)
	m.count(n)
	return n, err
}

func (m *meteredBody) count(n int64) {
	m.mu.Lock()
	m.call.Bytes += n
	m.mu.Unlock()
}

func (m *meteredBody) Close() error {
	m.once.Do(func() {
		m.mu.Lock()
		c := m.call
		m.mu.Unlock()
		m.b.report(m.ctx, c)
	})
	return m.r.Close()
}
