package awss3_test

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/awss3"
	"github.com/servous/servous/storage/storagetest"
)

func TestErrorsReachSDK(t *testing.T) {
	srv := storagetest.NewS3Server(t, nil)
	b := awss3.New(srv.Client(), srv.NewBucket(t), nil)
	_, err := b.Head(t.Context(), "missing")
	if !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Head(missing) = %v, want ErrNotFound", err)
	}
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Errorf("Head(missing) error %v does not reach smithy.APIError", err)
	}
	if _, err := storage.PutBytes(t.Context(), b, "k", []byte("x"), nil); err != nil {
		t.Fatal(err)
	}
	_, err = storage.PutBytes(t.Context(), b, "k", []byte("y"), &storage.PutOptions{IfAbsent: true})
	if !errors.Is(err, storage.ErrPreconditionFailed) || !errors.As(err, &apiErr) || apiErr.ErrorCode() != "PreconditionFailed" {
		t.Errorf("create-only Put of an existing key = %v, want ErrPreconditionFailed and the API error PreconditionFailed", err)
	}
	// S3 refuses a copy onto itself that changes nothing with 400 InvalidRequest.
	_, err = b.Copy(t.Context(), "k", "k", nil)
	if !errors.Is(err, storage.ErrInvalidArgument) || !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidRequest" {
		t.Errorf("Copy(k, k, nil) = %v, want ErrInvalidArgument and the API error InvalidRequest", err)
	}
	// A client without access to the bucket.
	outsider := awss3.New(srv.Client(func(o *s3.Options) {
		o.Credentials = credentials.NewStaticCredentialsProvider("AKIAUNKNOWN000000000", "secret", "")
	}), b.Name(), nil)
	_, err = outsider.Head(t.Context(), "k")
	if !errors.Is(err, storage.ErrAccessDenied) {
		t.Errorf("Head with unknown credentials = %v, want ErrAccessDenied", err)
	}
}

// countingTransport counts the requests a client sends.
type countingTransport struct {
	n    atomic.Int64
	next http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

func TestInvalidKeysSendNothing(t *testing.T) {
	srv := storagetest.NewS3Server(t, nil)
	ct := &countingTransport{next: srv.HTTPClient().Transport}
	b := awss3.New(srv.Client(func(o *s3.Options) { o.HTTPClient = &http.Client{Transport: ct} }), srv.NewBucket(t), nil)
	ctx := t.Context()
	key := strings.Repeat("k", storage.MaxKeyLength+1)
	_, err1 := b.Put(ctx, key, strings.NewReader("x"), nil)
	_, err2 := b.Get(ctx, "\xff", nil)
	err3 := b.Delete(ctx, "")
	_, err4 := b.SignURL(ctx, "", nil)
	for i, err := range []error{err1, err2, err3, err4} {
		if !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("call %d: %v, want ErrInvalidKey", i, err)
		}
	}
	if n := ct.n.Load(); n != 0 {
		t.Errorf("%d requests sent for invalid keys, want none", n)
	}
}

// sinkServer speaks just enough S3 to take uploads and throw the bytes away, so a measurement
// of the client's memory is not swamped by a server keeping 1 GiB.
func sinkServer(t testing.TB) (*httptest.Server, *atomic.Int64) {
	var received atomic.Int64
	var uploads atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		h := md5.New()
		n, _ := io.Copy(h, r.Body)
		switch {
		case r.Method == http.MethodPost && q.Has("uploads"):
			id := uploads.Add(1)
			w.Header().Set("Content-Type", "application/xml")
			xml.NewEncoder(w).Encode(struct {
				XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
				Bucket   string
				Key      string
				UploadId string
			}{Bucket: "sink", Key: "k", UploadId: fmt.Sprint(id)})
		case r.Method == http.MethodPut:
			received.Add(n)
			w.Header().Set("ETag", `"`+hex.EncodeToString(h.Sum(nil))+`"`)
		case r.Method == http.MethodPost && q.Has("uploadId"):
			w.Header().Set("Content-Type", "application/xml")
			xml.NewEncoder(w).Encode(struct {
				XMLName xml.Name `xml:"CompleteMultipartUploadResult"`
				Bucket  string
				Key     string
				ETag    string
			}{Bucket: "sink", Key: "k", ETag: `"sink-1"`})
		default:
			http.Error(w, "not implemented", http.StatusNotImplemented)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &received
}

// zeros is an unseekable reader of n zero bytes.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	m := min(int64(len(p)), z.n)
	clear(p[:m])
	z.n -= m
	return int(m), nil
}

// peakHeap samples the heap until stop is closed and returns the highest figure seen.
func peakHeap(stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak uint64
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-stop:
				out <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return out
}

// BenchmarkPut1GiBUnseekable uploads 1 GiB from a reader that cannot seek nor tell its length
// and reports the highest heap seen during the upload (the transfer manager buffers part size ×
// (concurrency + 1)).
func BenchmarkPut1GiBUnseekable(b *testing.B) {
	srv, received := sinkServer(b)
	client := s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDSINK", "secret", ""),
		HTTPClient:  srv.Client(),
	})
	bucket := awss3.New(client, "sink", nil)
	b.ReportAllocs()
	b.SetBytes(1 << 30)
	var peak uint64
	for b.Loop() {
		runtime.GC()
		stop := make(chan struct{})
		res := peakHeap(stop)
		if _, err := bucket.Put(b.Context(), "big", &zeros{n: 1 << 30}, nil); err != nil {
			b.Fatal(err)
		}
		close(stop)
		peak = max(peak, <-res)
	}
	if received.Load()%(1<<30) != 0 {
		b.Fatalf("server received %d bytes", received.Load())
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// BenchmarkPutGet1MiB compares the adapter with calling the SDK directly, both against the
// storagetest server.
func BenchmarkPutGet1MiB(b *testing.B) {
	srv := storagetest.NewS3Server(b, nil)
	client := srv.Client()
	name := srv.NewBucket(b)
	bucket := awss3.New(client, name, nil)
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
	ctx := b.Context()
	b.Run("Put/awss3", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := bucket.Put(ctx, "bench", bytes.NewReader(data), nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Put/sdk", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := client.PutObject(ctx, &s3.PutObjectInput{
				Bucket: aws.String(name), Key: aws.String("bench"), Body: bytes.NewReader(data),
				ContentType: aws.String("application/octet-stream"),
			}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Get/awss3", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			obj, err := bucket.Get(ctx, "bench", nil)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, obj)
			obj.Close()
		}
	})
	b.Run("Get/sdk", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(name), Key: aws.String("bench")})
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, out.Body)
			out.Body.Close()
		}
	})
}

// TestMultipartConditions checks that uploads in parts keep create-only and If-Match, which S3
// checks when it completes the upload.
func TestMultipartConditions(t *testing.T) {
	ctx := t.Context()
	srv := storagetest.NewS3Server(t, nil)
	b := awss3.New(srv.Client(), srv.NewBucket(t), &awss3.Options{PartSize: 5 << 20})
	body := func() io.Reader { return &zeros{n: 11 << 20} } // unseekable: three parts
	first, err := b.Put(ctx, "big", body(), &storage.PutOptions{IfAbsent: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(first.ETag, `-3"`) || first.Size != 11<<20 {
		t.Errorf("Put = %+v, want a three-part upload of 11 MiB", first)
	}
	if _, err := b.Put(ctx, "big", body(), &storage.PutOptions{IfAbsent: true}); !errors.Is(err, storage.ErrPreconditionFailed) {
		t.Errorf("second create-only multipart Put: %v, want ErrPreconditionFailed", err)
	}
	head, err := b.Head(ctx, "big")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Put(ctx, "big", body(), &storage.PutOptions{IfMatch: `"0123456789abcdef0123456789abcdef"`}); !errors.Is(err, storage.ErrPreconditionFailed) {
		t.Errorf("multipart Put with a stale If-Match: %v, want ErrPreconditionFailed", err)
	}
	if _, err := b.Put(ctx, "big", body(), &storage.PutOptions{IfMatch: head.ETag}); err != nil {
		t.Errorf("multipart Put with the current ETag: %v", err)
	}
}

// opsTransport notes the S3 operations a client sends, by the forms of their requests.
type opsTransport struct {
	mu     sync.Mutex
	ops    map[string]int
	before func(op string) // when set, called before each request is sent
	next   http.RoundTripper
}

func (o *opsTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	q := r.URL.Query()
	op := r.Method
	switch {
	case r.Method == http.MethodPut && q.Has("uploadId") && r.Header.Get("X-Amz-Copy-Source") != "":
		op = "UploadPartCopy"
	case r.Method == http.MethodPut && r.Header.Get("X-Amz-Copy-Source") != "":
		op = "CopyObject"
	case r.Method == http.MethodPost && q.Has("uploads"):
		op = "CreateMultipartUpload"
	case r.Method == http.MethodPost && q.Has("uploadId"):
		op = "CompleteMultipartUpload"
	case r.Method == http.MethodDelete && q.Has("uploadId"):
		op = "AbortMultipartUpload"
	}
	o.mu.Lock()
	o.ops[op]++
	before := o.before
	o.mu.Unlock()
	if before != nil {
		before(op)
	}
	return o.next.RoundTrip(r)
}

func (o *opsTransport) take() map[string]int {
	o.mu.Lock()
	defer o.mu.Unlock()
	ops := o.ops
	o.ops = map[string]int{}
	return ops
}

// TestCopyInParts copies a source over CopyObject's limit (5 GiB in S3, 6 MiB on this server)
// in parts made inside S3 with UploadPartCopy, keeping or replacing the metadata, and leaves
// nothing behind when the copy's condition fails.
func TestCopyInParts(t *testing.T) {
	srv := storagetest.NewS3Server(t, &storagetest.S3ServerOptions{MaxCopySize: 6 << 20})
	ops := &opsTransport{ops: map[string]int{}, next: srv.HTTPClient().Transport}
	client := srv.Client(func(o *s3.Options) { o.HTTPClient = &http.Client{Transport: ops} })
	b := awss3.New(client, srv.NewBucket(t), &awss3.Options{CopyPartSize: 5 << 20})
	ctx := t.Context()

	data := make([]byte, 13<<20)
	for i := range data {
		data[i] = byte(i * 7 / 5)
	}
	src, err := storage.PutBytes(ctx, b, "src", data, &storage.PutOptions{
		ContentType: "video/mp4", CacheControl: "max-age=60", Metadata: map[string]string{"owner": "ada"},
	})
	if err != nil {
		t.Fatal(err)
	}
	ops.take()

	info, err := b.Copy(ctx, "copy", "src", &storage.CopyOptions{SourceIfMatch: src.ETag})
	if err != nil {
		t.Fatalf("Copy: %v", err)
	}
	if got := ops.take(); got["CopyObject"] != 1 || got["UploadPartCopy"] != 3 || got["CompleteMultipartUpload"] != 1 || got["AbortMultipartUpload"] != 0 {
		t.Errorf("requests %v, want a refused CopyObject, then 3 parts copied and the upload completed", got)
	}
	want := storage.ObjectInfo{Key: "copy", Size: int64(len(data)), ContentType: "video/mp4", CacheControl: "max-age=60", Metadata: map[string]string{"owner": "ada"}}
	if !strings.HasSuffix(info.ETag, `-3"`) || info.LastModified.IsZero() || info.Size != want.Size || info.ContentType != want.ContentType || info.CacheControl != want.CacheControl || info.Metadata["owner"] != "ada" {
		t.Errorf("Copy = %+v, want %+v with the 3-part upload's ETag and a time", info, want)
	}
	got, err := storage.GetBytes(ctx, b, "copy")
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("copied object: %d bytes (%v), want the source's %d, equal", len(got), err, len(data))
	}

	info, err = b.Copy(ctx, "replaced", "src", &storage.CopyOptions{Replace: &storage.PutOptions{ContentType: "application/octet-stream", Metadata: map[string]string{"kind": "raw"}}})
	if err != nil {
		t.Fatalf("Copy with Replace: %v", err)
	}
	if info.ContentType != "application/octet-stream" || info.CacheControl != "" || len(info.Metadata) != 1 || info.Metadata["kind"] != "raw" {
		t.Errorf("Copy with Replace = %+v, want the new content type and metadata only", info)
	}

	// A source that changes while its parts are copied fails the copy: every part is pinned to
	// the version the copy started from. The upload is aborted and the key keeps its object.
	raw := srv.Client()
	var once sync.Once
	ops.mu.Lock()
	ops.before = func(op string) {
		if op == "UploadPartCopy" {
			once.Do(func() {
				if _, err := raw.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b.Name()), Key: aws.String("src"), Body: bytes.NewReader(data[:len(data)-1])}); err != nil {
					t.Error(err)
				}
			})
		}
	}
	ops.mu.Unlock()
	ops.take()
	_, err = b.Copy(ctx, "copy", "src", nil)
	if !errors.Is(err, storage.ErrPreconditionFailed) {
		t.Errorf("Copy of a source that changed midway = %v, want ErrPreconditionFailed", err)
	}
	if got := ops.take(); got["AbortMultipartUpload"] != 1 || got["CompleteMultipartUpload"] != 0 {
		t.Errorf("requests %v, want the failed upload aborted", got)
	}
	uploads, err := client.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(b.Name())})
	if err != nil || len(uploads.Uploads) != 0 {
		t.Errorf("multipart uploads left: %+v (%v)", uploads, err)
	}
	if got, err := storage.GetBytes(ctx, b, "copy"); err != nil || !bytes.Equal(got, data) {
		t.Errorf("the existing object changed: %d bytes (%v)", len(got), err)
	}

	// A source that changed is refused.
	if _, err := b.Copy(ctx, "stale", "src", &storage.CopyOptions{SourceIfMatch: `"0123456789abcdef0123456789abcdef"`}); !errors.Is(err, storage.ErrPreconditionFailed) {
		t.Errorf("Copy of a changed source = %v, want ErrPreconditionFailed", err)
	}

	// Expires, which the storage interface does not set, is copied with the rest.
	expires := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	if _, err := raw.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b.Name()), Key: aws.String("dated"), Body: bytes.NewReader(data), Expires: &expires}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Copy(ctx, "dated-copy", "dated", nil); err != nil {
		t.Fatal(err)
	}
	if head, err := raw.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b.Name()), Key: aws.String("dated-copy")}); err != nil || aws.ToString(head.ExpiresString) != expires.Format(http.TimeFormat) {
		t.Errorf("copy's Expires = %q (%v), want %q", aws.ToString(head.ExpiresString), err, expires.Format(http.TimeFormat))
	}

	// A small source is copied with one CopyObject.
	if _, err := storage.PutBytes(ctx, b, "small", []byte("x"), nil); err != nil {
		t.Fatal(err)
	}
	ops.take()
	if _, err := b.Copy(ctx, "small-copy", "small", nil); err != nil {
		t.Fatal(err)
	}
	if got := ops.take(); got["CopyObject"] != 1 || got["UploadPartCopy"] != 0 {
		t.Errorf("requests %v, want one CopyObject", got)
	}
}
