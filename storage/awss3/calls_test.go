package awss3_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"

	"github.com/servous/servous/internal/faultproxy"
	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/awss3"
	"github.com/servous/servous/storage/memstorage"
	"github.com/servous/servous/storage/storagetest"
)

// The settings of the metering script: parts of S3's smallest size, and a copy limit low
// enough that an 11 MiB source is copied in parts.
const (
	scriptPart    = 5 << 20
	scriptBig     = 11 << 20
	scriptMaxCopy = 6 << 20
)

// meteringScript applies the same operations to b: writes in one request and in parts, with
// a failed condition each, reads whole, ranged, cut short and missing, copies in one request,
// in parts and of a missing source, a paged listing, a delete, and what sends nothing.
func meteringScript(t *testing.T, b storage.Bucket) {
	t.Helper()
	ctx := t.Context()
	big := bytes.Repeat([]byte("0123456789abcdef"), scriptBig/16)
	mustOK := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	_, err := storage.PutBytes(ctx, b, "small", []byte("hello"), nil)
	mustOK("put small", err)
	_, err = b.Put(ctx, "big", bytes.NewReader(big), nil)
	mustOK("put big", err)
	// Unknown length, exactly one part: the transfer manager sends it in parts.
	_, err = b.Put(ctx, "streamed", io.MultiReader(bytes.NewReader(big[:scriptPart])), nil)
	mustOK("put streamed", err)
	_, err = storage.PutBytes(ctx, b, "small", []byte("again"), &storage.PutOptions{IfAbsent: true})
	wantIs(t, "create-only put of small", err, storage.ErrPreconditionFailed)
	_, err = b.Put(ctx, "big", bytes.NewReader(big), &storage.PutOptions{IfAbsent: true})
	wantIs(t, "create-only put of big", err, storage.ErrPreconditionFailed)

	got, err := storage.GetBytes(ctx, b, "small")
	mustOK("get small", err)
	if string(got) != "hello" {
		t.Errorf("get small = %q", got)
	}
	obj, err := b.Get(ctx, "big", &storage.GetOptions{Range: storage.ByteRange(3, 4)})
	mustOK("ranged get", err)
	io.ReadAll(obj)
	obj.Close()
	obj, err = b.Get(ctx, "big", nil)
	mustOK("get big", err)
	io.ReadFull(obj, make([]byte, 1000)) // a reader that stops early
	obj.Close()
	_, err = b.Get(ctx, "missing", nil)
	wantIs(t, "get missing", err, storage.ErrNotFound)
	_, err = b.Get(ctx, "small", &storage.GetOptions{Range: storage.FromOffset(10)})
	wantIs(t, "get past the end", err, storage.ErrInvalidRange)

	_, err = b.Head(ctx, "small")
	mustOK("head", err)
	_, err = b.Head(ctx, "missing")
	wantIs(t, "head missing", err, storage.ErrNotFound)

	_, err = b.Copy(ctx, "copy", "small", nil)
	mustOK("copy", err)
	_, err = b.Copy(ctx, "copy", "missing", nil)
	wantIs(t, "copy of missing", err, storage.ErrNotFound)
	_, err = b.Copy(ctx, "bigcopy", "big", nil)
	mustOK("copy in parts", err)

	var keys []string
	for info, err := range storage.Objects(ctx, b, &storage.ListOptions{PageSize: 2}) {
		mustOK("list", err)
		keys = append(keys, info.Key)
	}
	if want := []string{"big", "bigcopy", "copy", "small", "streamed"}; !slices.Equal(keys, want) {
		t.Errorf("listed %q, want %q", keys, want)
	}
	mustOK("delete", b.Delete(ctx, "copy"))

	// Refused before anything is sent, or sending nothing.
	_, err = b.Get(ctx, "", nil)
	wantIs(t, "get of an empty key", err, storage.ErrInvalidKey)
	_, err = b.List(ctx, &storage.ListOptions{PageSize: -1})
	wantIs(t, "list with a bad page size", err, storage.ErrInvalidArgument)
	_, err = b.SignURL(ctx, "small", nil)
	mustOK("sign", err)
	_, err = b.UploadForm(ctx, "form", nil)
	mustOK("upload form", err)
}

func wantIs(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: error %v, want %v", what, err, want)
	}
}

// meteringWant is the calls of meteringScript, as awss3 sends them.
// copyInParts says whether the store copies the 11 MiB source in parts (the S3 test server with
// a low MaxCopySize) or in one CopyObject (MinIO, with S3's limit).
func meteringWant(copyInParts bool) []storagetest.CallOut {
	c := func(op, key string) storagetest.CallOut { return storagetest.CallOut{Op: op, Key: key} }
	failed := func(op, key string) storagetest.CallOut { return storagetest.CallOut{Op: op, Key: key, Failed: true} }
	sized := func(op, key string, size int64) storagetest.CallOut {
		return storagetest.CallOut{Op: op, Key: key, Size: size}
	}
	read := func(key string, n int64) storagetest.CallOut {
		return storagetest.CallOut{Op: "GetObject", Key: key, Bytes: n}
	}
	bigCopy := []storagetest.CallOut{sized("CopyObject", "bigcopy", scriptBig), c("HeadObject", "bigcopy")}
	if copyInParts {
		bigCopy = []storagetest.CallOut{
			failed("CopyObject", "bigcopy"), c("HeadObject", "big"), c("CreateMultipartUpload", "bigcopy"),
			c("UploadPartCopy", "bigcopy"), c("UploadPartCopy", "bigcopy"), c("UploadPartCopy", "bigcopy"),
			sized("CompleteMultipartUpload", "bigcopy", scriptBig), c("HeadObject", "bigcopy"),
		}
	}
	want := []storagetest.CallOut{
		sized("PutObject", "small", 5),
		c("CreateMultipartUpload", "big"), c("UploadPart", "big"), c("UploadPart", "big"), c("UploadPart", "big"),
		sized("CompleteMultipartUpload", "big", scriptBig),
		c("CreateMultipartUpload", "streamed"), c("UploadPart", "streamed"),
		sized("CompleteMultipartUpload", "streamed", scriptPart),
		failed("PutObject", "small"),
		c("CreateMultipartUpload", "big"), c("UploadPart", "big"), c("UploadPart", "big"), c("UploadPart", "big"),
		failed("CompleteMultipartUpload", "big"), c("AbortMultipartUpload", "big"),
		read("small", 5), read("big", 4), read("big", 1000),
		failed("GetObject", "missing"), failed("GetObject", "small"),
		c("HeadObject", "small"), failed("HeadObject", "missing"),
		sized("CopyObject", "copy", 5), c("HeadObject", "copy"),
		failed("CopyObject", "copy"),
	}
	want = append(want, bigCopy...)
	return append(want,
		c("ListObjectsV2", ""), c("ListObjectsV2", ""), c("ListObjectsV2", ""),
		c("DeleteObject", "copy"),
	)
}

// meteredMem is memstorage set up as the twin of awss3 with scriptPart parts, copying in
// parts above scriptMaxCopy or S3's limit.
func meteredMem(calls *storagetest.Calls, copyInParts bool) *memstorage.Bucket {
	o := &memstorage.Options{
		MultipartThreshold: scriptPart, PartSize: scriptPart, CopyPartSize: scriptPart,
		OnCall: calls.Record,
	}
	if copyInParts {
		o.MaxCopySize = scriptMaxCopy
	}
	return memstorage.New("twin", o)
}

// TestCallsParity holds memstorage and awss3 (on the S3 test server and on MinIO) to the
// same calls for the same operations, and to the calls awss3 is known to send.
func TestCallsParity(t *testing.T) {
	for _, inParts := range []bool{true, false} {
		var mem storagetest.Calls
		meteringScript(t, meteredMem(&mem, inParts))
		if diff := cmp.Diff(meteringWant(inParts), storagetest.CallsOut(mem.Take())); diff != "" {
			t.Errorf("memstorage's calls, copy in parts %v (-awss3's +memstorage's):\n%s", inParts, diff)
		}
	}
	want := meteringWant(true)

	t.Run("S3Server", func(t *testing.T) {
		var mu sync.Mutex
		var requests []storagetest.S3Request
		srv := storagetest.NewS3Server(t, &storagetest.S3ServerOptions{MaxCopySize: scriptMaxCopy, OnRequest: func(r storagetest.S3Request) {
			mu.Lock()
			requests = append(requests, r)
			mu.Unlock()
		}})
		var calls storagetest.Calls
		name := srv.NewBucket(t)
		b := awss3.New(srv.Client(), name, &awss3.Options{PartSize: scriptPart, CopyPartSize: scriptPart, OnCall: calls.Record})
		meteringScript(t, b)
		got := calls.Take()
		if diff := cmp.Diff(want, storagetest.CallsOut(got)); diff != "" {
			t.Errorf("awss3's calls (-want +got):\n%s", diff)
		}
		for _, c := range got {
			if c.Bucket != name {
				t.Fatalf("call %+v: bucket is not %q", c, name)
			}
		}
		// The wire check: what awss3 reports is what the server received.
		mu.Lock()
		defer mu.Unlock()
		if diff := cmp.Diff(received(requests, name), sent(got)); diff != "" {
			t.Errorf("requests (-received by the server +reported by awss3):\n%s", diff)
		}
	})

	t.Run("MinIO", func(t *testing.T) {
		mio := sharedMinIO(t)
		var calls storagetest.Calls
		b := awss3.New(mio.Client(), mio.NewBucket(t), &awss3.Options{PartSize: scriptPart, CopyPartSize: scriptPart, OnCall: calls.Record})
		meteringScript(t, b)
		if diff := cmp.Diff(meteringWant(false), storagetest.CallsOut(calls.Take())); diff != "" {
			t.Errorf("awss3's calls on MinIO (-want +got):\n%s", diff)
		}
	})
}

// wireCall is a request as both ends see it.
type wireCall struct {
	Op, Key string
	Failed  bool
}

// received returns the requests on bucket, sorted.
func received(requests []storagetest.S3Request, bucket string) []wireCall {
	var out []wireCall
	for _, r := range requests {
		if r.Bucket == bucket {
			out = append(out, wireCall{r.Action, r.Key, r.Status >= 300})
		}
	}
	return sortedWire(out)
}

// sent returns the requests of calls, sorted.
func sent(calls []storage.Call) []wireCall {
	var out []wireCall
	for _, c := range calls {
		out = append(out, wireCall{c.Op, c.Key, c.Failed})
	}
	return sortedWire(out)
}

func sortedWire(w []wireCall) []wireCall {
	slices.SortFunc(w, func(a, b wireCall) int {
		return strings.Compare(a.Op+"\x00"+a.Key+"\x00"+boolStr(a.Failed), b.Op+"\x00"+b.Key+"\x00"+boolStr(b.Failed))
	})
	return w
}

func boolStr(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// TestCallsUnderFaults checks that every attempt of the SDK's retries is a call: under
// throttling, server errors, resets and latency on the way to S3, awss3 reports one call per
// request the proxy (S3's front door) received.
func TestCallsUnderFaults(t *testing.T) {
	srv := storagetest.NewS3Server(t, nil)
	proxy := faultproxy.New(t, faultproxy.S3, srv.URL, &faultproxy.Options{
		Seed:     faultproxy.TestSeed(t),
		Rate:     0.2,
		Eligible: suiteFaults,
	})
	var tally faultproxy.Tally
	tally.Watch(t, proxy)
	client := srv.Client(func(o *s3.Options) {
		o.BaseEndpoint = aws.String(proxy.URL)
		o.HTTPClient = proxy.Client()
		o.Retryer = faultproxy.Retryer(faultAttempts)()
	})
	var calls storagetest.Calls
	b := awss3.New(client, srv.NewBucket(t), &awss3.Options{PartSize: scriptPart, OnCall: calls.Record})
	ctx := t.Context()
	for i := range 40 {
		key := "k" + string(rune('a'+i%8))
		body := []byte(strings.Repeat("x", i))
		if i%10 == 0 {
			body = bytes.Repeat([]byte("y"), scriptPart+1) // in two parts
		}
		if _, err := storage.PutBytes(ctx, b, key, body, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Head(ctx, key); err != nil {
			t.Fatal(err)
		}
		// A body reset halfway fails the read, not the call: the request was billed.
		if obj, err := b.Get(ctx, key, nil); err == nil {
			io.ReadAll(obj)
			obj.Close()
		}
		if _, err := b.List(ctx, &storage.ListOptions{PageSize: 3}); err != nil {
			t.Fatal(err)
		}
		if i%5 == 4 {
			if err := b.Delete(ctx, key); err != nil {
				t.Fatal(err)
			}
		}
	}
	got := calls.Take()
	if len(got) != proxy.Requests() {
		t.Errorf("awss3 reported %d calls; the proxy received %d requests", len(got), proxy.Requests())
	}
	failed := 0
	for _, c := range got {
		if c.Failed {
			failed++
		}
	}
	if failed == 0 {
		t.Errorf("no call failed among %d under faults", len(got))
	}
	t.Logf("%d calls, %d failed", len(got), failed)
	tally.Check(t)
}

// TestSignedCallsParity holds memstorage's handler to what the S3 server receives from the
// holders of the same signed URLs and forms: S3 bills those requests to the bucket's owner,
// though no adapter sends them.
func TestSignedCallsParity(t *testing.T) {
	var mu sync.Mutex
	var requests []storagetest.S3Request
	srv := storagetest.NewS3Server(t, &storagetest.S3ServerOptions{OnRequest: func(r storagetest.S3Request) {
		mu.Lock()
		requests = append(requests, r)
		mu.Unlock()
	}})
	name := srv.NewBucket(t)
	s3b := awss3.New(srv.Client(), name, nil)

	var mem storagetest.Calls
	hs := httptest.NewUnstartedServer(nil)
	mb := memstorage.New("twin", &memstorage.Options{BaseURL: "http://" + hs.Listener.Addr().String() + "/twin", OnCall: mem.Record})
	hs.Config.Handler = mb.Handler()
	hs.Start()
	t.Cleanup(hs.Close)

	signedScript(t, s3b, srv.HTTPClient())
	signedScript(t, mb, hs.Client())

	mu.Lock()
	var want []wireCall
	for _, r := range requests {
		// The server learns a form's key from its body; the adapter's own PutObject is not
		// a signed request.
		if r.Bucket == name && !(r.Action == "PutObject" && r.Key == "clip") {
			want = append(want, wireCall{r.Action, r.Key, r.Status >= 300})
		}
	}
	mu.Unlock()
	if len(want) != 5 {
		t.Fatalf("the S3 server received %d signed requests, want 5: %+v", len(want), want)
	}
	var got []wireCall
	for _, c := range mem.Take() {
		if !c.Signed {
			continue
		}
		if c.Op == "PostObject" {
			c.Key = ""
		}
		got = append(got, wireCall{c.Op, c.Key, c.Failed})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("signed requests (-received by the S3 server +reported by memstorage's handler):\n%s", diff)
	}
}

// signedScript uses URLs and a form that b signs: a GET, a GET with a tampered signature, a
// PUT, and two form uploads, the second over the form's limit.
func signedScript(t *testing.T, b storage.Bucket, client *http.Client) {
	t.Helper()
	ctx := t.Context()
	if _, err := storage.PutBytes(ctx, b, "clip", []byte("hello"), nil); err != nil {
		t.Fatal(err)
	}
	send := func(method, url string, body io.Reader, contentType string) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, url, body)
		if err != nil {
			t.Fatal(err)
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	getURL, err := b.SignURL(ctx, "clip", nil)
	if err != nil {
		t.Fatal(err)
	}
	send(http.MethodGet, getURL, nil, "")
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
		fw, err := mw.CreateFormFile("file", "f")
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(fw, file)
		mw.Close()
		send(http.MethodPost, form.URL, &body, mw.FormDataContentType())
	}
}

// BenchmarkHeadMetered compares a HeadObject on the test server without OnCall and with a
// meter that only counts: the cost of the middleware on a request.
func BenchmarkHeadMetered(b *testing.B) {
	srv := storagetest.NewS3Server(b, nil)
	name := srv.NewBucket(b)
	var n atomic.Int64
	for _, bc := range []struct {
		name   string
		onCall func(context.Context, storage.Call)
	}{
		{"off", nil},
		{"on", func(context.Context, storage.Call) { n.Add(1) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			bucket := awss3.New(srv.Client(), name, &awss3.Options{OnCall: bc.onCall})
			ctx := b.Context()
			if _, err := storage.PutBytes(ctx, bucket, "k", []byte("x"), nil); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bucket.Head(ctx, "k"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
