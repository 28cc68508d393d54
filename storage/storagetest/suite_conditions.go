package storagetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/servous/servous/storage"
)

func testCreateOnly(t *testing.T, tg Target) {
	ctx, b := t.Context(), tg.Bucket
	mustPut(t, b, "once", "first", &storage.PutOptions{IfAbsent: true})
	_, err := storage.PutBytes(ctx, b, "once", []byte("second"), &storage.PutOptions{IfAbsent: true})
	wantErr(t, "second create-only Put", err, storage.ErrPreconditionFailed)
	if got := mustGet(t, b, "once"); got != "first" {
		t.Errorf("Get = %q, want the first write", got)
	}
}

func testCreateOnlyRace(t *testing.T, tg Target) {
	ctx, b := t.Context(), tg.Bucket
	const n = 16
	var wg sync.WaitGroup
	var wins atomic.Int32
	winner := make(chan string, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			body := fmt.Sprintf("writer %d", i)
			_, err := storage.PutBytes(ctx, b, "race", []byte(body), &storage.PutOptions{IfAbsent: true})
			switch {
			case err == nil:
				wins.Add(1)
				winner <- body
			case !errors.Is(err, storage.ErrPreconditionFailed):
				t.Errorf("writer %d: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if got := wins.Load(); got != 1 {
		t.Fatalf("%d create-only writers succeeded, want exactly 1", got)
	}
	if got, want := mustGet(t, b, "race"), <-winner; got != want {
		t.Errorf("Get = %q, want the winner's %q", got, want)
	}
}

func testIfMatch(t *testing.T, tg Target) {
	ctx, b := t.Context(), tg.Bucket
	v1 := mustPut(t, b, "k", "v1", nil)
	v2, err := storage.PutBytes(ctx, b, "k", []byte("v2"), &storage.PutOptions{IfMatch: v1.ETag})
	if err != nil {
		t.Fatalf("Put If-Match current ETag: %v", err)
	}
	_, err = storage.PutBytes(ctx, b, "k", []byte("v3"), &storage.PutOptions{IfMatch: v1.ETag})
	wantErr(t, "Put If-Match stale ETag", err, storage.ErrPreconditionFailed)
	_, err = storage.PutBytes(ctx, b, "missing", []byte("x"), &storage.PutOptions{IfMatch: v1.ETag})
	wantErr(t, "Put If-Match on a missing key", err, storage.ErrNotFound)
	if got := mustGet(t, b, "k"); got != "v2" {
		t.Errorf("Get = %q, want v2", got)
	}
	obj, err := b.Get(ctx, "k", &storage.GetOptions{IfMatch: strings.Trim(v2.ETag, `"`)})
	if err != nil {
		t.Fatalf("Get If-Match current (unquoted) ETag: %v", err)
	}
	obj.Close()
	_, err = b.Get(ctx, "k", &storage.GetOptions{IfMatch: v1.ETag})
	wantErr(t, "Get If-Match stale ETag", err, storage.ErrPreconditionFailed)
}

// testConditionalWriteOnMissingKey checks S3's answer to a write conditioned on the ETag of an
// object that does not exist: 404 NoSuchKey, since there is nothing to compare with.
func testConditionalWriteOnMissingKey(t *testing.T, tg Target) {
	ctx, b := t.Context(), tg.Bucket
	src := mustPut(t, b, "src", "payload", nil)
	_, err := storage.PutBytes(ctx, b, "missing", []byte("x"), &storage.PutOptions{IfMatch: src.ETag})
	wantErr(t, "Put If-Match on a missing key", err, storage.ErrNotFound)
	_, err = b.Put(ctx, "missing", &patternReader{n: 10}, &storage.PutOptions{IfMatch: src.ETag})
	wantErr(t, "streamed Put If-Match on a missing key", err, storage.ErrNotFound)
	if tg.Departures != nil && tg.Departures.CopyConditions != "" {
		t.Logf("Copy with destination If-Match not checked: %s", tg.Departures.CopyConditions)
	} else {
		_, err = b.Copy(ctx, "missing", "src", &storage.CopyOptions{Replace: &storage.PutOptions{IfMatch: src.ETag}})
		wantErr(t, "Copy with destination If-Match onto a missing key", err, storage.ErrNotFound)
	}
	if ok, err := storage.Exists(ctx, b, "missing"); ok || err != nil {
		t.Errorf("Exists(missing) = %v, %v after refused conditional writes", ok, err)
	}
	// The source is read before the destination's condition is checked, as S3 does.
	_, err = b.Copy(ctx, "missing", "src", &storage.CopyOptions{
		SourceIfMatch: md5ETag([]byte("other")),
		Replace:       &storage.PutOptions{IfMatch: src.ETag},
	})
	wantErr(t, "Copy with a stale source If-Match onto a missing key", err, storage.ErrPreconditionFailed)
	_, err = b.Copy(ctx, "src", "nothing", &storage.CopyOptions{Replace: &storage.PutOptions{IfAbsent: true}})
	wantErr(t, "create-only Copy from a missing source onto an existing key", err, storage.ErrNotFound)
}
