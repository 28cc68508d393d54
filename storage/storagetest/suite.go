// Package storagetest checks that a storage.Bucket keeps the contract, and runs an S3-compatible
// server in the test process so S3 code can be tested without an AWS account.
//
// # Conformance
//
// RunBucketTests runs every behaviour of the storage.Bucket contract as subtests against
// buckets the caller makes: reads and writes, conditional writes (including racing create-only
// writers), torn reads under concurrent replacement, listings of awkward keys across pages,
// 64 MiB streamed both ways, ranges at the edges, and signed URLs and upload forms used over real
// HTTP, expired and tampered ones included. Every adapter's own tests call it.
//
// # Differential runs
//
// RunDifferential applies seeded random sequences of operations over the whole storage.Bucket
// interface to a reference bucket (memstorage in this module's tests) and a bucket under test,
// and compares them call by call: results, errors by sentinel, bodies, listings page by page,
// and which ETags equal which. A divergence is reported with its seed, the operation's index
// and both results, and replays with -storagetest.seed; -storagetest.seeds and
// -storagetest.ops make a longer run.
//
// # MinIO
//
// StartMinIO (or LaunchMinIO, to share one server among a package's tests) runs MinIO, an S3
// implementation no one here wrote, from the minio binary on PATH or in the peers' cache, on a
// free loopback port with a temporary directory. Without the binary a test skips, saying how
// to install it, or fails when SERVOUS_REQUIRE_PEERS=1. MinIO runs on the machine's clock and
// knows none of our per-user policies, so a MinIO target has no Advance and no User, and the
// suite skips those checks. Where MinIO departs from S3's documentation, S3 decides and the
// departure is written down in MinIODepartures: keys with an empty path segment or a segment
// over 255 bytes, objects nested under another object's key, destination conditions on
// copies, listings across small pages of keys sharing a prefix, and two corners of ranges.
// A target's Departures make the suite and RunDifferential leave those places out.
//
// # S3 server
//
// NewS3Server (or StartS3Server outside a test) starts github.com/johannesboyne/gofakes3 on an
// httptest server behind a layer of this package that adds what gofakes3 lacks and S3 does:
//
//   - SigV4 checks of every request, header-signed or presigned (signature, credentials, session
//     token, expiry by a clock tests can move with Advance);
//   - presigned POST uploads with their policy (signature, expiration, conditions,
//     content-length-range);
//   - conditional reads (If-Match), conditional completion of multipart uploads and copies
//     (If-None-Match, If-Match, x-amz-copy-source-if-match), serialized per key; a conditional
//     write to a missing key answered 404 NoSuchKey;
//   - copies that read the source before checking the destination's conditions, refuse an
//     object copied onto itself unchanged (400 InvalidRequest), and take a raw '?' in
//     x-amz-copy-source as the start of its query before unescaping the rest;
//   - per-user prefix policies for temporary credentials (AddUser);
//   - S3's answers where gofakes3 differs: ListObjectsV2 with delimiters across pages, metadata
//     replaced (not merged) by a write, CopyObject's REPLACE directive, Cache-Control kept, a
//     suffix range longer than the object served whole, a multipart object's ETag on reads,
//     listings and conditions (the one its upload completed with, where gofakes3 reports the
//     MD5 of its whole body), UploadPartCopy.
package storagetest

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/internal/request"
)

// Target is a bucket under test and the means to reach its signed URLs.
type Target struct {
	// Bucket is a new, empty bucket.
	Bucket storage.Bucket
	// HTTPClient sends the requests of signed URLs and upload forms; nil means
	// http.DefaultClient.
	HTTPClient *http.Client
	// Advance moves forward the clock that the store checks signature expiry against. Nil
	// means the clock cannot be moved (a server such as MinIO runs on the machine's clock):
	// the suite then skips its checks of expired URLs and forms.
	Advance func(d time.Duration)
	// User, when not nil, returns credentials the store accepts for a user allowed only under
	// the returned prefix, as an IAM policy for temporary credentials allows. The suite signs
	// URLs and forms with them and checks that the store enforces the prefix.
	User func(t *testing.T) (creds aws.Credentials, prefix string)
	// Departures, when not nil, are where the store departs from S3: the suite and
	// RunDifferential leave those behaviours out, saying why.
	Departures *Departures
}

// Departures are the places where a store departs from S3's documented behaviour.
type Departures struct {
	// Key, when not nil, returns why the store refuses a key or a listing prefix that S3
	// accepts, or "" when it takes it as S3 does.
	Key func(key string) string
	// CopyConditions, when not empty, says why the store ignores the destination's conditions
	// of a copy (If-Match, If-None-Match).
	CopyConditions string
	// NestedKeys, when not empty, says why the store mishandles objects whose keys nest under
	// another object's key as under a folder ("a" and "a/b", or "a/" and "a/b"); the suite
	// and RunDifferential then use no two such keys together.
	NestedKeys string
	// ListPaging, when not empty, says why the store's listings go wrong across pages: the
	// suite and RunDifferential then list awkward keys in one page of MaxPageSize only.
	ListPaging string
	// Ranges, when not empty, says why the store answers some ranges otherwise than S3 (past
	// the end together with a failing If-Match, or on an empty object): RunDifferential then
	// sends no range with a condition, nor to an empty object.
	Ranges string
}

// nested reports whether one of the keys a and b lies under the other as under a folder.
func nested(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	return a != b && strings.HasPrefix(b, a) && (strings.HasSuffix(a, "/") || b[len(a)] == '/')
}

// usable returns the keys the target takes as S3 does, leaving out with a log line those it
// departs from S3 for.
func (tg Target) usable(t *testing.T, keys []string) []string {
	var out []string
	for _, k := range keys {
		why := tg.keyDeparture(k)
		if why == "" && tg.Departures != nil && tg.Departures.NestedKeys != "" && slices.ContainsFunc(out, func(o string) bool { return nested(o, k) }) {
			why = tg.Departures.NestedKeys
		}
		if why != "" {
			if t != nil {
				t.Logf("key %q left out: %s", k, why)
			}
			continue
		}
		out = append(out, k)
	}
	return out
}

// key returns why the target departs from S3 for key, or "".
func (tg Target) keyDeparture(key string) string {
	if tg.Departures == nil || tg.Departures.Key == nil {
		return ""
	}
	return tg.Departures.Key(key)
}

// RunBucketTests runs the conformance suite. newTarget is called once per subtest and must
// return a new, empty bucket.
func RunBucketTests(t *testing.T, newTarget func(t *testing.T) Target) {
	tests := []struct {
		name string
		fn   func(t *testing.T, tg Target)
	}{
		{"InvalidKeys", testInvalidKeys},
		{"PutGetHead", testPutGetHead},
		{"NotFound", testNotFound},
		{"OverwriteDelete", testOverwriteDelete},
		{"CreateOnly", testCreateOnly},
		{"CreateOnlyRace", testCreateOnlyRace},
		{"IfMatch", testIfMatch},
		{"Ranges", testRanges},
		{"Copy", testCopy},
		{"ConditionalWriteOnMissingKey", testConditionalWriteOnMissingKey},
		{"InvalidRangeRefusedFirst", testInvalidRangeRefusedFirst},
		{"CopyOntoItself", testCopyOntoItself},
		{"CopyFromKeyWithQuestionMark", testCopyFromKeyWithQuestionMark},
		{"ListAwkwardKeys", testListAwkwardKeys},
		{"ListIterators", testListIterators},
		{"ListBadOptions", testListBadOptions},
		{"NoTornReads", testNoTornReads},
		{"Streamed64MiB", testStreamed64MiB},
		{"NoAliasing", testNoAliasing},
		{"SignedURLGet", testSignedURLGet},
		{"SignedURLPut", testSignedURLPut},
		{"SignedURLExpiryLimit", testSignedURLExpiryLimit},
		{"UploadForm", testUploadForm},
		{"UploadFormRefusals", testUploadFormRefusals},
		{"UserCredentials", testUserCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, newTarget(t))
		})
	}
}

// expire moves the store's clock by d and runs check, in a subtest that a target whose clock
// cannot move skips.
func expire(t *testing.T, tg Target, d time.Duration, check func(t *testing.T)) {
	t.Run("Expired", func(t *testing.T) {
		if tg.Advance == nil {
			t.Skip("the target's clock cannot be moved (Target.Advance is nil), so expiry is not checked")
		}
		tg.Advance(d)
		check(t)
	})
}

func (tg Target) client() *http.Client {
	if tg.HTTPClient != nil {
		return tg.HTTPClient
	}
	return http.DefaultClient
}

func md5ETag(b []byte) string {
	s := md5.Sum(b)
	return `"` + hex.EncodeToString(s[:]) + `"`
}

func mustPut(t *testing.T, b storage.Bucket, key, body string, opts *storage.PutOptions) *storage.ObjectInfo {
	t.Helper()
	info, err := storage.PutBytes(t.Context(), b, key, []byte(body), opts)
	if err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
	return info
}

func mustGet(t *testing.T, b storage.Bucket, key string) string {
	t.Helper()
	got, err := storage.GetBytes(t.Context(), b, key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return string(got)
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: error = %v, want %v", what, err, want)
	}
}

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

func testRanges(t *testing.T, tg Target) {
	ctx, b := t.Context(), tg.Bucket
	body := "0123456789"
	mustPut(t, b, "digits", body, nil)
	tests := []struct {
		r       *storage.Range
		want    string
		off     int64
		wantErr error
	}{
		{storage.ByteRange(0, 1), "0", 0, nil},
		{storage.ByteRange(9, 1), "9", 9, nil},
		{storage.ByteRange(3, 4), "3456", 3, nil},
		{storage.ByteRange(8, 100), "89", 8, nil},
		{storage.ByteRange(0, 10), body, 0, nil},
		{storage.ByteRange(5, math.MaxInt64), "56789", 5, nil},
		{storage.FromOffset(0), body, 0, nil},
		{storage.FromOffset(9), "9", 9, nil},
		{storage.LastBytes(1), "9", 9, nil},
		{storage.LastBytes(3), "789", 7, nil},
		{storage.LastBytes(10), body, 0, nil},
		{storage.LastBytes(11), body, 0, nil},
		{storage.FromOffset(10), "", 0, storage.ErrInvalidRange},
		{storage.ByteRange(15, 2), "", 0, storage.ErrInvalidRange},
	}
	for _, tt := range tests {
		obj, err := b.Get(ctx, "digits", &storage.GetOptions{Range: tt.r})
		if tt.wantErr != nil {
			wantErr(t, request.RangeHeader(tt.r), err, tt.wantErr)
			if err == nil {
				obj.Close()
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", request.RangeHeader(tt.r), err)
			continue
		}
		got, err := io.ReadAll(obj)
		obj.Close()
		if err != nil || string(got) != tt.want || obj.Offset != tt.off || obj.Length != int64(len(tt.want)) || obj.Info.Size != 10 {
			t.Errorf("%s: body %q, offset %d, length %d, size %d, %v; want %q at %d of 10",
				request.RangeHeader(tt.r), got, obj.Offset, obj.Length, obj.Info.Size, err, tt.want, tt.off)
		}
	}
	_, err := b.Get(ctx, "digits", &storage.GetOptions{Range: &storage.Range{Offset: -1}})
	wantErr(t, "negative offset", err, storage.ErrInvalidArgument)
}

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

// awkwardKeys are listed with and without a delimiter, across page boundaries.
var awkwardKeys = []string{
	"a", "a/", "a/b", "a//c", "a/b/c", "a b", "a+b", "a%2Fb", "a%b", "ab",
	"z/ü", "z/ü/x", "z/✓", "z/😀", "z/Z", "z/é", "z/e\u0301",
	"p/q", "p/q/", "p/qr", "p/q/r/s",
	"~tilde", "(paren)", "semi;colon", "quote'd", "star*", "#hash", "?query", "&amp",
}

// expectedListing computes what S3 lists for keys with prefix and delimiter.
func expectedListing(keys []string, prefix, delim string) (objects, prefixes []string) {
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	seen := map[string]bool{}
	for _, k := range sorted {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				cp := k[:len(prefix)+i+len(delim)]
				if !seen[cp] {
					seen[cp] = true
					prefixes = append(prefixes, cp)
				}
				continue
			}
		}
		objects = append(objects, k)
	}
	return objects, prefixes
}

func testListAwkwardKeys(t *testing.T, tg Target) {
	ctx, b := t.Context(), tg.Bucket
	keys := tg.usable(t, awkwardKeys)
	if tg.Departures != nil && tg.Departures.ListPaging != "" {
		t.Logf("listing in pages of 1000 only: %s", tg.Departures.ListPaging)
	}
	for _, k := range keys {
		mustPut(t, b, k, "body of "+k, nil)
	}
	for _, prefix := range []string{"", "a", "a/", "z/", "p/q", "p/q/", "nothing"} {
		for _, delim := range []string{"", "/"} {
			wantObjs, wantPrefixes := expectedListing(keys, prefix, delim)
			sizes := []int{1, 2, 3, 1000}
			if tg.Departures != nil && tg.Departures.ListPaging != "" {
				sizes = sizes[3:]
			}
			for _, size := range sizes {
				var gotObjs, gotPrefixes []string
				opts := &storage.ListOptions{Prefix: prefix, Delimiter: delim, PageSize: size}
				pages := 0
				for page, err := range storage.Pages(ctx, b, opts) {
					if err != nil {
						t.Fatalf("prefix %q delim %q size %d: %v", prefix, delim, size, err)
					}
					pages++
					if n := len(page.Objects) + len(page.CommonPrefixes); n > size {
						t.Errorf("page of %d entries, want at most %d", n, size)
					}
					for _, o := range page.Objects {
						gotObjs = append(gotObjs, o.Key)
						if want := md5ETag([]byte("body of " + o.Key)); o.ETag != want || o.Size != int64(len("body of "+o.Key)) {
							t.Errorf("listed %q with ETag %s size %d, want %s %d", o.Key, o.ETag, o.Size, want, len("body of "+o.Key))
						}
					}
					gotPrefixes = append(gotPrefixes, page.CommonPrefixes...)
				}
				if diff := cmp.Diff(wantObjs, gotObjs, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("prefix %q delim %q page size %d: objects (-want +got):\n%s", prefix, delim, size, diff)
				}
				if diff := cmp.Diff(wantPrefixes, gotPrefixes, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("prefix %q delim %q page size %d: common prefixes (-want +got):\n%s", prefix, delim, size, diff)
				}
				if n := len(wantObjs) + len(wantPrefixes); size == 1 && n > 0 && pages != n {
					t.Errorf("prefix %q delim %q: %d pages of 1, want %d", prefix, delim, pages, n)
				}
			}
		}
	}
}

func testListIterators(t *testing.T, tg Target) {
	ctx, b := t.Context(), tg.Bucket
	var want []string
	for i := range 25 {
		k := fmt.Sprintf("it/%03d", i)
		want = append(want, k)
		mustPut(t, b, k, "x", nil)
	}
	mustPut(t, b, "other", "x", nil)
	var got []string
	for o, err := range storage.Objects(ctx, b, &storage.ListOptions{Prefix: "it/", PageSize: 7}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, o.Key)
		if len(got) == 20 {
			break // stopping early must be safe
		}
	}
	if diff := cmp.Diff(want[:20], got); diff != "" {
		t.Errorf("Objects (-want +got):\n%s", diff)
	}
	// Resuming from a page token continues where the page ended.
	page, err := b.List(ctx, &storage.ListOptions{Prefix: "it/", PageSize: 10})
	if err != nil || page.NextPageToken == "" || len(page.Objects) != 10 {
		t.Fatalf("List first page: %d objects, token %q, %v", len(page.Objects), page.NextPageToken, err)
	}
	page, err = b.List(ctx, &storage.ListOptions{Prefix: "it/", PageSize: 100, PageToken: page.NextPageToken})
	if err != nil {
		t.Fatal(err)
	}
	var rest []string
	for _, o := range page.Objects {
		rest = append(rest, o.Key)
	}
	if diff := cmp.Diff(want[10:], rest); diff != "" || page.NextPageToken != "" {
		t.Errorf("List from token (-want +got):\n%s, next token %q", diff, page.NextPageToken)
	}
	// An empty bucket prefix lists one empty page.
	page, err = b.List(ctx, &storage.ListOptions{Prefix: "none/"})
	if err != nil || len(page.Objects) != 0 || len(page.CommonPrefixes) != 0 || page.NextPageToken != "" {
		t.Errorf("List(none/) = %+v, %v", page, err)
	}
}

func testListBadOptions(t *testing.T, tg Target) {
	for _, size := range []int{-1, storage.MaxPageSize + 1} {
		_, err := tg.Bucket.List(t.Context(), &storage.ListOptions{PageSize: size})
		wantErr(t, fmt.Sprintf("List(PageSize %d)", size), err, storage.ErrInvalidArgument)
	}
}

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

// do sends req and returns the status and body.
func do(t *testing.T, c *http.Client, req *http.Request) (int, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

func get(t *testing.T, tg Target, rawURL string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, tg.client(), req)
}

func put(t *testing.T, tg Target, rawURL, contentType, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPut, rawURL, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return do(t, tg.client(), req)
}

// tamper returns rawURL with one query parameter changed.
func tamper(t *testing.T, rawURL, param, value string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set(param, value)
	u.RawQuery = q.Encode()
	return u.String()
}

func testSignedURLGet(t *testing.T, tg Target) {
	ctx, b := t.Context(), tg.Bucket
	key := "shared/a b+ü%.txt"
	mustPut(t, b, key, "secret contents", &storage.PutOptions{ContentType: "text/plain"})
	mustPut(t, b, "shared/other.txt", "other contents", nil)
	u, err := b.SignURL(ctx, key, &storage.SignOptions{Expiry: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, tg, u); code != http.StatusOK || body != "secret contents" {
		t.Fatalf("GET signed URL = %d %q", code, body)
	}
	// Another key under the same signature.
	other := strings.Replace(u, "a%20b", "other", 1)
	if other == u {
		pu, _ := url.Parse(u)
		pu.Path = "/" + strings.Trim(pu.Path[:strings.LastIndex(pu.Path, "/")], "/") + "/other.txt"
		other = pu.String()
	}
	if code, _ := get(t, tg, other); code != http.StatusForbidden {
		t.Errorf("GET with the key changed = %d, want 403", code)
	}
	if code, _ := get(t, tg, tamper(t, u, "X-Amz-Signature", strings.Repeat("0", 64))); code != http.StatusForbidden {
		t.Errorf("GET with the signature changed = %d, want 403", code)
	}
	if code, _ := get(t, tg, tamper(t, u, "X-Amz-Expires", "604800")); code != http.StatusForbidden {
		t.Errorf("GET with the expiry changed = %d, want 403", code)
	}
	if code, _ := get(t, tg, tamper(t, u, "response-content-type", "text/html")); code != http.StatusForbidden {
		t.Errorf("GET with a query parameter added = %d, want 403", code)
	}
	if code, _ := put(t, tg, u, "", "overwrite"); code != http.StatusForbidden {
		t.Errorf("PUT to a URL signed for GET = %d, want 403", code)
	}
	if got := mustGet(t, b, key); got != "secret contents" {
		t.Errorf("object changed through a GET URL: %q", got)
	}
	// An unsigned request is refused.
	plain, _ := url.Parse(u)
	plain.RawQuery = ""
	if code, _ := get(t, tg, plain.String()); code != http.StatusForbidden {
		t.Errorf("unsigned GET = %d, want 403", code)
	}
	// A range through the signed URL.
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	req.Header.Set("Range", "bytes=7-")
	if code, body := do(t, tg.client(), req); code != http.StatusPartialContent || body != "contents" {
		t.Errorf("ranged GET = %d %q, want 206 \"contents\"", code, body)
	}
	// Expired.
	expire(t, tg, time.Hour+time.Second, func(t *testing.T) {
		if code, _ := get(t, tg, u); code != http.StatusForbidden {
			t.Errorf("GET after expiry = %d, want 403", code)
		}
	})
	// Missing key, freshly signed.
	u2, err := b.SignURL(ctx, "shared/missing", nil)
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, tg, u2); code != http.StatusNotFound {
		t.Errorf("GET of a missing key = %d, want 404", code)
	}
}

func testSignedURLPut(t *testing.T, tg Target) {
	ctx, b := t.Context(), tg.Bucket
	u, err := b.SignURL(ctx, "in/video.mp4", &storage.SignOptions{Method: http.MethodPut, ContentType: "video/mp4", Expiry: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if code, body := put(t, tg, u, "text/html", "<script>"); code != http.StatusForbidden {
		t.Errorf("PUT with another content type = %d %s, want 403", code, body)
	}
	if ok, _ := storage.Exists(ctx, b, "in/video.mp4"); ok {
		t.Error("a refused PUT created the object")
	}
	if code, body := put(t, tg, u, "video/mp4", "frames"); code != http.StatusOK {
		t.Fatalf("PUT signed URL = %d %s", code, body)
	}
	head, err := b.Head(ctx, "in/video.mp4")
	if err != nil {
		t.Fatal(err)
	}
	if head.ContentType != "video/mp4" || head.ETag != md5ETag([]byte("frames")) {
		t.Errorf("uploaded object = %+v", head)
	}
	// S3 answers 403 SignatureDoesNotMatch; MinIO answers 400, as the GET lacks the
	// Content-Type the URL signed.
	if code, body := get(t, tg, u); code != http.StatusForbidden && code != http.StatusBadRequest {
		t.Errorf("GET of a URL signed for PUT = %d %s, want 403 (or 400)", code, body)
	}
	expire(t, tg, 11*time.Minute, func(t *testing.T) {
		if code, _ := put(t, tg, u, "video/mp4", "late"); code != http.StatusForbidden {
			t.Errorf("PUT after expiry = %d, want 403", code)
		}
	})
	if got := mustGet(t, b, "in/video.mp4"); got != "frames" {
		t.Errorf("object = %q after an expired PUT", got)
	}
}

func testSignedURLExpiryLimit(t *testing.T, tg Target) {
	ctx, b := t.Context(), tg.Bucket
	if _, err := b.SignURL(ctx, "k", &storage.SignOptions{Expiry: storage.MaxSignExpiry}); err != nil {
		t.Errorf("SignURL(7 days) = %v", err)
	}
	_, err := b.SignURL(ctx, "k", &storage.SignOptions{Expiry: storage.MaxSignExpiry + time.Second})
	wantErr(t, "SignURL(over 7 days)", err, storage.ErrInvalidArgument)
	_, err = b.SignURL(ctx, "k", &storage.SignOptions{Method: http.MethodDelete})
	wantErr(t, "SignURL(DELETE)", err, storage.ErrInvalidArgument)
	_, err = b.UploadForm(ctx, "k", &storage.FormOptions{Expiry: storage.MaxSignExpiry + time.Second})
	wantErr(t, "UploadForm(over 7 days)", err, storage.ErrInvalidArgument)
}

func post(t *testing.T, tg Target, form *storage.UploadForm, body, contentType string) (int, string) {
	t.Helper()
	req, err := form.NewRequest(t.Context(), strings.NewReader(body), int64(len(body)), contentType)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, tg.client(), req)
}

func testUploadForm(t *testing.T, tg Target) {
	ctx, b := t.Context(), tg.Bucket
	form, err := b.UploadForm(ctx, "uploads/clip.webm", &storage.FormOptions{
		MaxSize: 1 << 10, ContentType: "video/webm", Metadata: map[string]string{"Title": "clip"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if form.Expires.IsZero() || form.URL == "" || form.Fields["key"] != "uploads/clip.webm" {
		t.Errorf("form = %+v", form)
	}
	body := strings.Repeat("v", 1<<10)
	if code, resp := post(t, tg, form, body, ""); code/100 != 2 {
		t.Fatalf("POST form = %d %s", code, resp)
	}
	head, err := b.Head(ctx, "uploads/clip.webm")
	if err != nil {
		t.Fatal(err)
	}
	want := storage.ObjectInfo{Key: "uploads/clip.webm", Size: 1 << 10, ETag: md5ETag([]byte(body)), ContentType: "video/webm", Metadata: map[string]string{"title": "clip"}}
	if diff := cmp.Diff(want, *head, cmpopts.IgnoreFields(storage.ObjectInfo{}, "LastModified")); diff != "" {
		t.Errorf("uploaded object (-want +got):\n%s", diff)
	}
	// A content-type prefix lets the uploader choose within it.
	form, err = b.UploadForm(ctx, "uploads/any", &storage.FormOptions{ContentTypePrefix: "video/"})
	if err != nil {
		t.Fatal(err)
	}
	if code, resp := post(t, tg, form, "mkv", "video/x-matroska"); code/100 != 2 {
		t.Fatalf("POST with a type under the prefix = %d %s", code, resp)
	}
	if head, err := b.Head(ctx, "uploads/any"); err != nil || head.ContentType != "video/x-matroska" {
		t.Errorf("uploaded object = %+v, %v", head, err)
	}
	if code, _ := post(t, tg, form, "html", "text/html"); code != http.StatusForbidden {
		t.Errorf("POST with a type outside the prefix = %d, want 403", code)
	}
}

func testUploadFormRefusals(t *testing.T, tg Target) {
	ctx, b := t.Context(), tg.Bucket
	form, err := b.UploadForm(ctx, "uploads/small", &storage.FormOptions{MaxSize: 100, ContentType: "image/png", Expiry: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if code, resp := post(t, tg, form, strings.Repeat("x", 101), ""); code != http.StatusBadRequest || !strings.Contains(resp, "EntityTooLarge") {
		t.Errorf("POST over the size limit = %d %s, want 400 EntityTooLarge", code, resp)
	}
	if ok, _ := storage.Exists(ctx, b, "uploads/small"); ok {
		t.Error("an oversized upload created the object")
	}
	if code, _ := post(t, tg, form, "png", "text/html"); code != http.StatusForbidden {
		t.Errorf("POST with another content type = %d, want 403", code)
	}
	tampered := *form
	tampered.Fields = map[string]string{}
	for k, v := range form.Fields {
		tampered.Fields[k] = v
	}
	tampered.Fields["key"] = "uploads/elsewhere"
	if code, _ := post(t, tg, &tampered, "png", ""); code != http.StatusForbidden {
		t.Errorf("POST with the key changed = %d, want 403", code)
	}
	tampered.Fields["key"] = form.Fields["key"]
	tampered.Fields["policy"] = form.Fields["policy"][:len(form.Fields["policy"])-4] + "AAA="
	if code, _ := post(t, tg, &tampered, "png", ""); code != http.StatusForbidden && code != http.StatusBadRequest {
		t.Errorf("POST with the policy changed = %d, want 403 or 400", code)
	}
	tampered.Fields["policy"] = form.Fields["policy"]
	tampered.Fields["x-amz-meta-extra"] = "smuggled"
	if code, _ := post(t, tg, &tampered, "png", ""); code != http.StatusForbidden {
		t.Errorf("POST with a field outside the policy = %d, want 403", code)
	}
	expire(t, tg, time.Minute+time.Second, func(t *testing.T) {
		if code, _ := post(t, tg, form, "png", ""); code != http.StatusForbidden {
			t.Errorf("POST after expiry = %d, want 403", code)
		}
	})
	if ok, _ := storage.Exists(ctx, b, "uploads/small"); ok {
		t.Error("a refused upload created the object")
	}
	if ok, _ := storage.Exists(ctx, b, "uploads/elsewhere"); ok {
		t.Error("a tampered upload created an object")
	}
}

func testUserCredentials(t *testing.T, tg Target) {
	if tg.User == nil {
		t.Skip("the target has no per-user credentials (Target.User is nil), so prefix policies are not checked")
	}
	ctx, b := t.Context(), tg.Bucket
	creds, prefix := tg.User(t)
	mine, theirs := prefix+"photo.jpg", "uploads/someone-else/photo.jpg"
	mustPut(t, b, mine, "mine", nil)
	mustPut(t, b, theirs, "theirs", nil)
	sign := func(key, method string) string {
		t.Helper()
		u, err := b.SignURL(ctx, key, &storage.SignOptions{Method: method, Credentials: &creds})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	if code, body := get(t, tg, sign(mine, http.MethodGet)); code != http.StatusOK || body != "mine" {
		t.Errorf("GET own key with user credentials = %d %q", code, body)
	}
	if code, _ := get(t, tg, sign(theirs, http.MethodGet)); code != http.StatusForbidden {
		t.Errorf("GET another user's key = %d, want 403", code)
	}
	if code, _ := put(t, tg, sign(theirs, http.MethodPut), "", "overwritten"); code != http.StatusForbidden {
		t.Errorf("PUT another user's key = %d, want 403", code)
	}
	if got := mustGet(t, b, theirs); got != "theirs" {
		t.Errorf("another user's object = %q", got)
	}
	if code, body := put(t, tg, sign(prefix+"new.txt", http.MethodPut), "", "new"); code != http.StatusOK {
		t.Errorf("PUT own key = %d %s", code, body)
	}
	form, err := b.UploadForm(ctx, prefix+"form.bin", &storage.FormOptions{MaxSize: 10, Credentials: &creds})
	if err != nil {
		t.Fatal(err)
	}
	if code, body := post(t, tg, form, "hi", ""); code/100 != 2 {
		t.Errorf("POST own form = %d %s", code, body)
	}
	form, err = b.UploadForm(ctx, theirs, &storage.FormOptions{MaxSize: 10, Credentials: &creds})
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := post(t, tg, form, "hi", ""); code != http.StatusForbidden {
		t.Errorf("POST to another user's key = %d, want 403", code)
	}
	if got := mustGet(t, b, theirs); got != "theirs" {
		t.Errorf("another user's object = %q", got)
	}
	bad := creds
	bad.SessionToken = "not-the-session-token"
	u, err := b.SignURL(ctx, mine, &storage.SignOptions{Credentials: &bad})
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, tg, u); code != http.StatusForbidden {
		t.Errorf("GET signed with a wrong session token = %d, want 403", code)
	}
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

// testInvalidRangeRefusedFirst checks that a range no request can carry is refused before the
// object or any condition is looked at.
func testInvalidRangeRefusedFirst(t *testing.T, tg Target) {
	ctx, b := t.Context(), tg.Bucket
	mustPut(t, b, "k", "0123456789", nil)
	stale := md5ETag([]byte("other"))
	for _, r := range []*storage.Range{{Offset: -1}, {Length: -1}, {Last: -1}, {Last: 2, Offset: 1}, {Last: 2, Length: 1}} {
		for _, tc := range []struct {
			key  string
			opts storage.GetOptions
		}{
			{"missing", storage.GetOptions{Range: r}},
			{"k", storage.GetOptions{Range: r, IfMatch: stale}},
			{"missing", storage.GetOptions{Range: r, IfMatch: stale}},
		} {
			obj, err := b.Get(ctx, tc.key, &tc.opts)
			wantErr(t, fmt.Sprintf("Get(%s, range %+v, If-Match %q)", tc.key, *r, tc.opts.IfMatch), err, storage.ErrInvalidArgument)
			if err == nil {
				obj.Close()
			}
		}
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
