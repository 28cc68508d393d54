package storagetest

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/servous/servous/storage"
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
	// Calls, when not nil, records the calls the bucket reports (the adapter's OnCall is
	// Calls.Record). RunDifferential compares the calls of each operation when both of its
	// targets have one.
	Calls *Calls
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
		{"UploadFormExactSize", testUploadFormExactSize},
		{"UserCredentials", testUserCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, newTarget(t))
		})
	}
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
