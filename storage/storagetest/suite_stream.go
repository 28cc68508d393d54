package storagetest

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/servous/servous/storage"
)

func testNoTornReads(t *testing.T, tg Target) {
	ctx, b := t.Context(), tg.Bucket
	const size = 64 << 10
	body := func(i int) []byte { return bytes.Repeat([]byte{byte('a' + i%26)}, size) }
	mustPut(t, b, "hot", string(body(0)), nil)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() {
		defer cancel()
		for i := 1; i <= 30; i++ {
			if _, err := storage.PutBytes(ctx, b, "hot", body(i), nil); err != nil {
				t.Errorf("writer: %v", err)
				return
			}
		}
	})
	var reads atomic.Int64
	for r := range 3 {
		wg.Go(func() {
			for ctx.Err() == nil || reads.Load() < 3 {
				obj, err := b.Get(context.WithoutCancel(ctx), "hot", nil)
				if err != nil {
					t.Errorf("reader %d: %v", r, err)
					return
				}
				got, err := io.ReadAll(obj)
				obj.Close()
				if err != nil {
					t.Errorf("reader %d: %v", r, err)
					return
				}
				reads.Add(1)
				if len(got) != size || !bytes.Equal(got, bytes.Repeat(got[:1], size)) {
					t.Errorf("reader %d: torn read: %d bytes, mixed content", r, len(got))
					return
				}
				if md5ETag(got) != obj.Info.ETag {
					t.Errorf("reader %d: body does not match the ETag it came with", r)
					return
				}
			}
		})
	}
	wg.Wait()
	if reads.Load() == 0 {
		t.Error("no read completed")
	}
}

// patternReader yields n pseudo-random bytes and hides every interface but io.Reader, so the
// store cannot seek it or learn its length. The bytes repeat with a period that no power-of-two
// part size divides, so parts stored out of order change the MD5.
type patternReader struct {
	n, off int64
}

const patternPeriod = 1<<20 + 7

var pattern = func() []byte {
	p := make([]byte, patternPeriod+32<<10)
	state := uint64(0x9e3779b97f4a7c15)
	for i := 0; i+8 <= len(p); i += 8 {
		state = state*6364136223846793005 + 1442695040888963407
		binary.LittleEndian.PutUint64(p[i:], state)
	}
	// The tail repeats the head, so byte i is pattern[i % patternPeriod] whatever the read sizes.
	copy(p[patternPeriod:], p)
	return p
}()

func (r *patternReader) Read(p []byte) (int, error) {
	if r.off >= r.n {
		return 0, io.EOF
	}
	n := min(int64(len(p)), r.n-r.off, 32<<10)
	start := r.off % patternPeriod
	copy(p[:n], pattern[start:start+n])
	r.off += n
	return int(n), nil
}

func testStreamed64MiB(t *testing.T, tg Target) {
	ctx, b := t.Context(), tg.Bucket
	const size = 64 << 20
	h := md5.New()
	if _, err := io.Copy(h, &patternReader{n: size}); err != nil {
		t.Fatal(err)
	}
	wantSum := hex.EncodeToString(h.Sum(nil))
	info, err := b.Put(ctx, "big", &patternReader{n: size}, &storage.PutOptions{ContentType: "video/mp4"})
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != size {
		t.Errorf("Put size = %d, want %d", info.Size, size)
	}
	obj, err := b.Get(ctx, "big", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	h.Reset()
	n, err := io.Copy(h, obj)
	if err != nil || n != size {
		t.Fatalf("read %d bytes, %v; want %d", n, err, size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != wantSum {
		t.Errorf("MD5 of what was read = %s, want %s", got, wantSum)
	}
	if obj.Info.Size != size || obj.Info.ContentType != "video/mp4" {
		t.Errorf("info = %+v", obj.Info)
	}
	// A single-part upload's ETag is the body's MD5; a multipart one's ends with the part count.
	// Either way reads report the ETag the upload returned.
	if e := obj.Info.ETag; e != `"`+wantSum+`"` && !strings.Contains(e, "-") {
		t.Errorf("ETag = %s, want the MD5 %s or a multipart ETag", e, wantSum)
	}
	if obj.Info.ETag != info.ETag {
		t.Errorf("Get reports ETag %s, Put returned %s", obj.Info.ETag, info.ETag)
	}
	page, err := b.List(ctx, &storage.ListOptions{Prefix: "big"})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Objects) != 1 || page.Objects[0].ETag != info.ETag {
		t.Errorf("List reports %+v, want big with ETag %s", page.Objects, info.ETag)
	}
	// Conditions compare against that ETag too.
	if _, err := b.Get(ctx, "big", &storage.GetOptions{IfMatch: info.ETag, Range: storage.ByteRange(0, 1)}); err != nil {
		t.Errorf("Get If-Match the Put's ETag: %v", err)
	}
	// A range deep inside the object.
	obj2, err := b.Get(ctx, "big", &storage.GetOptions{Range: storage.ByteRange(size-100, 50)})
	if err != nil {
		t.Fatal(err)
	}
	defer obj2.Close()
	got, _ := io.ReadAll(obj2)
	full := make([]byte, size)
	io.ReadFull(&patternReader{n: size}, full)
	if !bytes.Equal(got, full[size-100:size-50]) {
		t.Error("range at the end of the big object differs")
	}
}
