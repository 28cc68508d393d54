package memstorage_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/memstorage"
	"github.com/servous/servous/storage/storagetest"
)

// TestHandlerCalls checks that the handler reports each request it serves as a signed call:
// what a holder of a URL or form sends, which S3 bills to the bucket's owner.
func TestHandlerCalls(t *testing.T) {
	var calls storagetest.Calls
	auth := &authority{}
	b, srv := newServed(t, &memstorage.Options{OnCall: calls.Record, Authority: auth})
	ctx := t.Context()
	if _, err := storage.PutBytes(ctx, b, "clip", []byte("hello"), nil); err != nil {
		t.Fatal(err)
	}
	calls.Take()
	send := func(method, url string, body io.Reader, contentType string) int {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, url, body)
		if err != nil {
			t.Fatal(err)
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	getURL, err := b.SignURL(ctx, "clip", nil)
	if err != nil {
		t.Fatal(err)
	}
	send(http.MethodGet, getURL, nil, "")
	send(http.MethodHead, getURL, nil, "")
	send(http.MethodGet, strings.Replace(getURL, "X-Amz-Signature=", "X-Amz-Signature=0", 1), nil, "")
	putURL, err := b.SignURL(ctx, "upload", &storage.SignOptions{Method: http.MethodPut})
	if err != nil {
		t.Fatal(err)
	}
	send(http.MethodPut, putURL, strings.NewReader("twelve bytes"), "")
	form, err := b.UploadForm(ctx, "posted", &storage.FormOptions{MaxSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{"small", "over ten bytes"} {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		for k, v := range form.Fields {
			mw.WriteField(k, v)
		}
		fw, _ := mw.CreateFormFile("file", "f")
		io.WriteString(fw, file)
		mw.Close()
		send(http.MethodPost, form.URL, &body, mw.FormDataContentType())
	}
	want := []storagetest.CallOut{
		{Op: "GetObject", Key: "clip", Bytes: 5, Signed: true},
		// The signature covers the method: S3 refuses a HEAD of a URL signed for GET, and
		// bills it.
		{Op: "HeadObject", Key: "clip", Signed: true, Failed: true},
		{Op: "GetObject", Key: "clip", Signed: true, Failed: true},
		{Op: "PutObject", Key: "upload", Size: 12, Signed: true},
		{Op: "PostObject", Key: "posted", Size: 5, Signed: true},
		{Op: "PostObject", Key: "posted", Signed: true, Failed: true},
	}
	if diff := cmp.Diff(want, storagetest.CallsOut(calls.Take())); diff != "" {
		t.Errorf("handler's calls (-want +got):\n%s", diff)
	}

	// A view refused by the policy costs the request S3 refuses; an invalid key costs none.
	user := b.WithCredentials(auth.add("us-east-1:u"))
	_, err = storage.PutBytes(ctx, user, "not/mine", []byte("x"), nil)
	if !errors.Is(err, storage.ErrAccessDenied) {
		t.Fatalf("put outside the prefix: %v", err)
	}
	if _, err := storage.PutBytes(ctx, user, "uploads/us-east-1:u/mine", []byte("x"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := user.Head(ctx, ""); !errors.Is(err, storage.ErrInvalidKey) {
		t.Fatalf("head of an empty key: %v", err)
	}
	want = []storagetest.CallOut{
		{Op: "PutObject", Key: "not/mine", Failed: true},
		{Op: "PutObject", Key: "uploads/us-east-1:u/mine", Size: 1},
	}
	if diff := cmp.Diff(want, storagetest.CallsOut(calls.Take())); diff != "" {
		t.Errorf("view's calls (-want +got):\n%s", diff)
	}
}

// TestCallsBucketName checks that calls name their bucket.
func TestCallsBucketName(t *testing.T) {
	var calls storagetest.Calls
	b := memstorage.New("named", &memstorage.Options{OnCall: calls.Record})
	if err := b.Delete(t.Context(), "k"); err != nil {
		t.Fatal(err)
	}
	if got := calls.Take(); len(got) != 1 || got[0].Bucket != "named" {
		t.Errorf("calls %+v, want one on bucket named", got)
	}
}

// BenchmarkGetMetered compares a 1 KiB Get and read without OnCall and with a meter that
// only counts.
func BenchmarkGetMetered(b *testing.B) {
	data := bytes.Repeat([]byte("x"), 1<<10)
	var n int
	for _, bc := range []struct {
		name   string
		onCall func(context.Context, storage.Call)
	}{
		{"off", nil},
		{"on", func(context.Context, storage.Call) { n++ }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			bucket := memstorage.New("bench", &memstorage.Options{OnCall: bc.onCall})
			ctx := b.Context()
			if _, err := storage.PutBytes(ctx, bucket, "k", data, nil); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				obj, err := bucket.Get(ctx, "k", nil)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, obj.Body)
				obj.Close()
			}
		})
	}
}

// TestCallsPartSizeGrows checks the twin's part count for a body of known length that would
// take more than S3's 10,000 parts: the transfer manager grows the part size to fit.
func TestCallsPartSizeGrows(t *testing.T) {
	var calls storagetest.Calls
	b := memstorage.New("parts", &memstorage.Options{MultipartThreshold: 5, PartSize: 1, OnCall: calls.Record})
	info, err := storage.PutBytes(t.Context(), b, "k", bytes.Repeat([]byte("x"), 20000), nil)
	if err != nil {
		t.Fatal(err)
	}
	parts := 0
	for _, c := range calls.Take() {
		if c.Op == "UploadPart" {
			parts++
		}
	}
	// Parts of 20000/10000+1 = 3 bytes.
	if parts != 6667 || !strings.HasSuffix(info.ETag, `-6667"`) {
		t.Errorf("%d UploadPart calls, ETag %s; want 6667 parts of 3 bytes", parts, info.ETag)
	}
}
