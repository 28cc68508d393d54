package storagetest

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/servous/servous/storage"
)

func testCopy(t *testing.T, tg Target) {
	ctx, b := t.Context(), tg.Bucket
	src := mustPut(t, b, "src", "payload", &storage.PutOptions{ContentType: "text/plain", Metadata: map[string]string{"a": "1"}})
	info, err := b.Copy(ctx, "dst/copy", "src", nil)
	if err != nil {
		t.Fatal(err)
	}
	if info.Key != "dst/copy" || info.ETag != src.ETag {
		t.Errorf("Copy = %+v, want key dst/copy and ETag %s", info, src.ETag)
	}
	head, err := b.Head(ctx, "dst/copy")
	if err != nil {
		t.Fatal(err)
	}
	if head.ContentType != "text/plain" || !cmp.Equal(head.Metadata, map[string]string{"a": "1"}) || head.Size != 7 {
		t.Errorf("copy's info = %+v, want the source's type and metadata", head)
	}
	if got := mustGet(t, b, "dst/copy"); got != "payload" {
		t.Errorf("copy's body = %q", got)
	}
	// The copy is independent of its source.
	mustPut(t, b, "src", "changed", nil)
	if got := mustGet(t, b, "dst/copy"); got != "payload" {
		t.Errorf("copy changed with its source: %q", got)
	}
	_, err = b.Copy(ctx, "replaced", "dst/copy", &storage.CopyOptions{
		Replace: &storage.PutOptions{ContentType: "application/json", Metadata: map[string]string{"B": "2"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	head, err = b.Head(ctx, "replaced")
	if err != nil || head.ContentType != "application/json" || !cmp.Equal(head.Metadata, map[string]string{"b": "2"}) {
		t.Errorf("Copy with Replace: %+v, %v", head, err)
	}
	_, err = b.Copy(ctx, "x", "dst/copy", &storage.CopyOptions{SourceIfMatch: md5ETag([]byte("other"))})
	wantErr(t, "Copy SourceIfMatch stale", err, storage.ErrPreconditionFailed)
	if _, err := b.Copy(ctx, "x", "dst/copy", &storage.CopyOptions{SourceIfMatch: src.ETag}); err != nil {
		t.Errorf("Copy SourceIfMatch current: %v", err)
	}
}

// testCopyOntoItself checks S3's refusal of a copy of an object onto itself that changes
// nothing (400 InvalidRequest), and that replacing its metadata is allowed.
func testCopyOntoItself(t *testing.T, tg Target) {
	ctx, b := t.Context(), tg.Bucket
	put := mustPut(t, b, "self", "payload", &storage.PutOptions{ContentType: "text/plain", Metadata: map[string]string{"a": "1"}})
	_, err := b.Copy(ctx, "self", "self", nil)
	wantErr(t, "Copy(self, self, nil)", err, storage.ErrInvalidArgument)
	_, err = b.Copy(ctx, "self", "self", &storage.CopyOptions{SourceIfMatch: put.ETag})
	wantErr(t, "Copy(self, self) with a source condition", err, storage.ErrInvalidArgument)
	head, err := b.Head(ctx, "self")
	if err != nil {
		t.Fatal(err)
	}
	if head.ContentType != "text/plain" || !cmp.Equal(head.Metadata, map[string]string{"a": "1"}) || head.ETag != put.ETag {
		t.Errorf("after refused self-copies: %+v", head)
	}
	// The source is looked up, and its condition checked, first.
	_, err = b.Copy(ctx, "nothing", "nothing", nil)
	wantErr(t, "Copy(nothing, nothing, nil)", err, storage.ErrNotFound)
	_, err = b.Copy(ctx, "self", "self", &storage.CopyOptions{SourceIfMatch: md5ETag([]byte("other"))})
	wantErr(t, "Copy(self, self) with a stale source condition", err, storage.ErrPreconditionFailed)
	// Replacing the metadata makes it a change.
	info, err := b.Copy(ctx, "self", "self", &storage.CopyOptions{Replace: &storage.PutOptions{ContentType: "application/json", Metadata: map[string]string{"b": "2"}}})
	if err != nil {
		t.Fatalf("Copy(self, self) replacing metadata: %v", err)
	}
	if info.ETag != put.ETag {
		t.Errorf("self-copy ETag = %s, want the body's %s", info.ETag, put.ETag)
	}
	head, err = b.Head(ctx, "self")
	if err != nil || head.ContentType != "application/json" || !cmp.Equal(head.Metadata, map[string]string{"b": "2"}) {
		t.Errorf("after a self-copy replacing metadata: %+v, %v", head, err)
	}
	if got := mustGet(t, b, "self"); got != "payload" {
		t.Errorf("body after self-copy = %q", got)
	}
}

// testCopyFromKeyWithQuestionMark copies from keys whose '?' or '%' an HTTP request must escape
// (S3 reads a raw '?' in x-amz-copy-source as the start of versionId).
func testCopyFromKeyWithQuestionMark(t *testing.T, tg Target) {
	ctx, b := t.Context(), tg.Bucket
	keys := []string{"q?x=1", "q?", "?", "p%3Fx", "a b+c%20?d/?e"}
	mustPut(t, b, "q", "plain q", nil)
	for _, k := range keys {
		mustPut(t, b, k, "body of "+k, nil)
	}
	for i, k := range keys {
		dst := fmt.Sprintf("copy/%d", i)
		if _, err := b.Copy(ctx, dst, k, nil); err != nil {
			t.Errorf("Copy(%q): %v", k, err)
			continue
		}
		if got := mustGet(t, b, dst); got != "body of "+k {
			t.Errorf("copy of %q = %q", k, got)
		}
	}
	if err := b.Delete(ctx, "q"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Copy(ctx, "copy/again", "q?x=1", nil); err != nil {
		t.Errorf("Copy(q?x=1) with q deleted: %v", err)
	} else if got := mustGet(t, b, "copy/again"); got != "body of q?x=1" {
		t.Errorf("copy of q?x=1 = %q", got)
	}
	_, err := b.Copy(ctx, "copy/none", "q", nil)
	wantErr(t, "Copy(deleted q)", err, storage.ErrNotFound)
}
