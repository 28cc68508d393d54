package storagetest

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/servous/servous/storage"
)

func testInvalidKeys(t *testing.T, tg Target) {
	ctx, b := t.Context(), tg.Bucket
	for _, key := range []string{"", strings.Repeat("k", storage.MaxKeyLength+1), "bad\xff\xfeutf8"} {
		_, err := b.Put(ctx, key, strings.NewReader("x"), nil)
		wantErr(t, "Put", err, storage.ErrInvalidKey)
		_, err = b.Get(ctx, key, nil)
		wantErr(t, "Get", err, storage.ErrInvalidKey)
		_, err = b.Head(ctx, key)
		wantErr(t, "Head", err, storage.ErrInvalidKey)
		wantErr(t, "Delete", b.Delete(ctx, key), storage.ErrInvalidKey)
		_, err = b.Copy(ctx, key, "src", nil)
		wantErr(t, "Copy to", err, storage.ErrInvalidKey)
		_, err = b.Copy(ctx, "dst", key, nil)
		wantErr(t, "Copy from", err, storage.ErrInvalidKey)
		_, err = b.SignURL(ctx, key, nil)
		wantErr(t, "SignURL", err, storage.ErrInvalidKey)
		_, err = b.UploadForm(ctx, key, nil)
		wantErr(t, "UploadForm", err, storage.ErrInvalidKey)
	}
	// The longest key is valid.
	long := strings.Repeat("é", storage.MaxKeyLength/2)
	if why := tg.keyDeparture(long); why != "" {
		t.Skipf("the longest key: %s", why)
	}
	mustPut(t, b, long, "long", nil)
	if got := mustGet(t, b, long); got != "long" {
		t.Errorf("Get(1024-byte key) = %q", got)
	}
}

func testPutGetHead(t *testing.T, tg Target) {
	ctx, b := t.Context(), tg.Bucket
	body := "hello, bucket"
	before := time.Now().Add(-time.Hour)
	put, err := b.Put(ctx, "dir/hello.txt", io.NopCloser(strings.NewReader(body)), &storage.PutOptions{
		ContentType:  "text/plain; charset=utf-8",
		CacheControl: "max-age=60",
		Metadata:     map[string]string{"Owner": "ana", "x-trace": "42"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := storage.ObjectInfo{
		Key: "dir/hello.txt", Size: int64(len(body)), ETag: md5ETag([]byte(body)),
		ContentType: "text/plain; charset=utf-8", CacheControl: "max-age=60",
		Metadata: map[string]string{"owner": "ana", "x-trace": "42"},
	}
	if put.Key != want.Key || put.Size != want.Size || put.ETag != want.ETag {
		t.Errorf("Put = %+v, want key, size and ETag of %+v", put, want)
	}
	ignoreTime := cmpopts.IgnoreFields(storage.ObjectInfo{}, "LastModified")
	head, err := b.Head(ctx, "dir/hello.txt")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, *head, ignoreTime, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Head (-want +got):\n%s", diff)
	}
	if head.LastModified.Before(before) || head.LastModified.After(time.Now().Add(time.Hour)) {
		t.Errorf("LastModified = %v, not about now", head.LastModified)
	}
	obj, err := b.Get(ctx, "dir/hello.txt", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(obj)
	obj.Close()
	if err != nil || string(got) != body {
		t.Errorf("Get body = %q, %v; want %q", got, err, body)
	}
	if diff := cmp.Diff(want, obj.Info, ignoreTime, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Get info (-want +got):\n%s", diff)
	}
	if obj.Offset != 0 || obj.Length != int64(len(body)) {
		t.Errorf("Get offset, length = %d, %d; want 0, %d", obj.Offset, obj.Length, len(body))
	}
	// Defaults, and an empty object.
	mustPut(t, b, "empty", "", nil)
	head, err = b.Head(ctx, "empty")
	if err != nil {
		t.Fatal(err)
	}
	if head.Size != 0 || head.ETag != md5ETag(nil) || head.ContentType != "application/octet-stream" || len(head.Metadata) != 0 {
		t.Errorf("Head(empty) = %+v", head)
	}
	if got := mustGet(t, b, "empty"); got != "" {
		t.Errorf("Get(empty) = %q", got)
	}
	if ok, err := storage.Exists(ctx, b, "empty"); !ok || err != nil {
		t.Errorf("Exists(empty) = %v, %v", ok, err)
	}
}

func testNotFound(t *testing.T, tg Target) {
	ctx, b := t.Context(), tg.Bucket
	_, err := b.Get(ctx, "missing", nil)
	wantErr(t, "Get", err, storage.ErrNotFound)
	_, err = b.Head(ctx, "missing")
	wantErr(t, "Head", err, storage.ErrNotFound)
	_, err = b.Copy(ctx, "dst", "missing", nil)
	wantErr(t, "Copy", err, storage.ErrNotFound)
	if err := b.Delete(ctx, "missing"); err != nil {
		t.Errorf("Delete(missing) = %v, want nil as in S3", err)
	}
	if ok, err := storage.Exists(ctx, b, "missing"); ok || err != nil {
		t.Errorf("Exists(missing) = %v, %v", ok, err)
	}
}

func testOverwriteDelete(t *testing.T, tg Target) {
	ctx, b := t.Context(), tg.Bucket
	mustPut(t, b, "k", "one", &storage.PutOptions{Metadata: map[string]string{"v": "1"}})
	mustPut(t, b, "k", "two", nil)
	if got := mustGet(t, b, "k"); got != "two" {
		t.Errorf("after overwrite Get = %q", got)
	}
	head, err := b.Head(ctx, "k")
	if err != nil || len(head.Metadata) != 0 {
		t.Errorf("overwrite kept metadata: %+v, %v", head, err)
	}
	if err := b.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	_, err = b.Head(ctx, "k")
	wantErr(t, "Head after Delete", err, storage.ErrNotFound)
}

func testNoAliasing(t *testing.T, tg Target) {
	ctx, b := t.Context(), tg.Bucket
	data := []byte("original")
	meta := map[string]string{"k": "v"}
	if _, err := storage.PutBytes(ctx, b, "k", data, &storage.PutOptions{Metadata: meta}); err != nil {
		t.Fatal(err)
	}
	copy(data, "mutated!")
	meta["k"] = "changed"
	got, err := storage.GetBytes(ctx, b, "k")
	if err != nil || string(got) != "original" {
		t.Errorf("after changing the caller's slice, Get = %q, %v", got, err)
	}
	copy(got, "MUTATED!")
	head, err := b.Head(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	head.Metadata["k"] = "changed"
	if got := mustGet(t, b, "k"); got != "original" {
		t.Errorf("after changing a read slice, Get = %q", got)
	}
	head, _ = b.Head(ctx, "k")
	if head.Metadata["k"] != "v" {
		t.Errorf("metadata changed through a caller's map: %v", head.Metadata)
	}
}
