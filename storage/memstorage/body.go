package memstorage

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"hash"
	"io"

	"github.com/servous/servous/storage"
)

// Bodies are held in chunks rather than one slice: a body of unknown length is read into chunks
// of growing size, each filled once and hashed while it is still in the cache, so a Put costs
// about one MD5 pass over the bytes and never copies them twice.
const (
	minChunk = 32 << 10
	maxChunk = 8 << 20
)

// lener is implemented by bytes.Reader, strings.Reader and bytes.Buffer: a known length lets
// Put allocate the body in one chunk.
type lener interface{ Len() int }

// hashStep is how much is read before it is hashed: small enough to be hashed while still in the
// CPU cache.
const hashStep = 128 << 10

// asyncHashAfter is the body size from which hashing moves to its own goroutine, so copying the
// body in and hashing it overlap on two cores and a large Put costs about one MD5 pass.
const asyncHashAfter = 2 << 20

// hasher computes the MD5 of a body, inline or, once the body is large, on a goroutine of its
// own, fed slices of the body in order. The slices are never written again, so handing them
// over is safe.
type hasher struct {
	h    hash.Hash
	ch   chan []byte
	done chan struct{}
}

func (x *hasher) goAsync() {
	if x.ch != nil {
		return
	}
	x.ch = make(chan []byte, 16)
	x.done = make(chan struct{})
	go func() {
		defer close(x.done)
		for p := range x.ch {
			x.h.Write(p)
		}
	}()
}

func (x *hasher) write(p []byte) {
	if len(p) == 0 {
		return
	}
	if x.ch != nil {
		x.ch <- p
		return
	}
	x.h.Write(p)
}

// stop waits for the hashing goroutine, if any, to finish.
func (x *hasher) stop() {
	if x.ch != nil {
		close(x.ch)
		<-x.done
		x.ch = nil
	}
}

// readBody reads r to its end into chunks, computing the body's MD5 as it goes. It fails with
// storage.ErrTooLarge past limit bytes.
func readBody(r io.Reader, limit int64) (chunks [][]byte, size int64, sum [md5.Size]byte, err error) {
	x := &hasher{h: md5.New()}
	defer x.stop()
	next := int64(minChunk)
	if l, ok := r.(lener); ok {
		// One spare byte sees EOF without a second chunk.
		next = int64(l.Len()) + 1
	}
	for {
		n := min(next, limit-size+1)
		if n <= 0 {
			n = 1
		}
		if size+n > asyncHashAfter {
			x.goAsync()
		}
		buf := make([]byte, n)
		m, rerr := fill(r, buf, x)
		if m > 0 {
			size += int64(m)
			if m < len(buf)/2 {
				// Keep a short last chunk without the unused rest of its buffer (the hasher
				// may still be reading the old one, which stays as it is).
				buf = append([]byte(nil), buf[:m]...)
			}
			chunks = append(chunks, buf[:m:m])
		}
		if size > limit {
			return nil, 0, sum, fmt.Errorf("%w: over %d bytes", storage.ErrTooLarge, limit)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return nil, 0, sum, rerr
		}
		next = min(max(next*2, minChunk), maxChunk)
	}
	x.stop()
	x.h.Sum(sum[:0])
	return chunks, size, sum, nil
}

// fill reads into buf until it is full or r ends (io.EOF), handing every hashStep bytes to the
// hasher as they arrive.
func fill(r io.Reader, buf []byte, x *hasher) (int, error) {
	filled, hashed := 0, 0
	for filled < len(buf) {
		n, err := r.Read(buf[filled:min(filled+hashStep, len(buf))])
		filled += n
		if filled-hashed >= hashStep || err != nil {
			x.write(buf[hashed:filled])
			hashed = filled
		}
		if err != nil {
			return filled, err
		}
	}
	x.write(buf[hashed:filled])
	return filled, nil
}

func quoteETag(sum []byte) string { return `"` + hex.EncodeToString(sum) + `"` }

// multipartETag returns the ETag S3 gives an object uploaded in parts of partSize bytes: the
// MD5 of the parts' MD5s, a dash and the number of parts.
func multipartETag(chunks [][]byte, size, partSize int64) string {
	outer := md5.New()
	inner := md5.New()
	var inPart int64
	parts := 0
	for _, c := range chunks {
		for len(c) > 0 {
			n := min(int64(len(c)), partSize-inPart)
			inner.Write(c[:n])
			c = c[n:]
			inPart += n
			if inPart == partSize {
				outer.Write(inner.Sum(nil))
				inner.Reset()
				inPart = 0
				parts++
			}
		}
	}
	if inPart > 0 || parts == 0 {
		outer.Write(inner.Sum(nil))
		parts++
	}
	return fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(outer.Sum(nil)), parts)
}

// chunkReader reads a range of a chunked body. It never writes to the chunks, which are shared
// by every reader of the object and immutable once stored.
type chunkReader struct {
	chunks [][]byte
	left   int64
}

func newChunkReader(chunks [][]byte, off, n int64) *chunkReader {
	for len(chunks) > 0 && off >= int64(len(chunks[0])) {
		off -= int64(len(chunks[0]))
		chunks = chunks[1:]
	}
	if len(chunks) > 0 {
		first := chunks[0][off:]
		rest := chunks[1:]
		chunks = append([][]byte{first}, rest...)
	}
	return &chunkReader{chunks: chunks, left: n}
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	for len(r.chunks) > 0 && len(r.chunks[0]) == 0 {
		r.chunks = r.chunks[1:]
	}
	if len(r.chunks) == 0 {
		return 0, io.EOF
	}
	c := r.chunks[0]
	if int64(len(c)) > r.left {
		c = c[:r.left]
	}
	n := copy(p, c)
	r.chunks[0] = r.chunks[0][n:]
	r.left -= int64(n)
	return n, nil
}

// WriteTo writes the rest of the range to w without an intermediate buffer.
func (r *chunkReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for r.left > 0 && len(r.chunks) > 0 {
		c := r.chunks[0]
		if int64(len(c)) > r.left {
			c = c[:r.left]
		}
		n, err := w.Write(c)
		total += int64(n)
		r.left -= int64(n)
		r.chunks[0] = r.chunks[0][n:]
		if len(r.chunks[0]) == 0 {
			r.chunks = r.chunks[1:]
		}
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

func (r *chunkReader) Close() error { return nil }
