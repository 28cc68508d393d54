package awss3_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/servous/servous/internal/faultproxy"
	"github.com/servous/servous/storage/awss3"
	"github.com/servous/servous/storage/storagetest"
)

// faultAttempts is the SDK client's attempts under faults: at a 10% fault rate, ten attempts
// all faulted happen once in 10^10 requests.
const faultAttempts = 10

// idempotent reports whether S3 may answer r twice without a different outcome: a retry of a
// read, an unconditional write or a delete whose first answer was lost sees what the first
// attempt did. A conditional write's retry fails its own condition, and a lost
// CreateMultipartUpload answer leaves an upload the client never learns of: those are the
// subject of the adapter cases, not of the suite.
func idempotent(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return true
	case http.MethodPut:
		return r.Header.Get("If-None-Match") == "" && r.Header.Get("If-Match") == "" && r.Header.Get("X-Amz-Copy-Source-If-Match") == ""
	}
	return false
}

// streamed reports whether the SDK hands r's response body to the caller instead of reading
// it: a reset in the middle of a GetObject body reaches the caller's Read, as it does in AWS.
func streamed(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.Count(strings.Trim(r.URL.Path, "/"), "/") >= 1
}

// suiteFaults are the faults the standard retryer absorbs for every request of the suite.
func suiteFaults(r *http.Request, f faultproxy.Fault) bool {
	if r.Header.Get("Amz-Sdk-Invocation-Id") == "" {
		return false // a presigned URL or a form: nobody retries it
	}
	switch f {
	case faultproxy.ResetAfterProcessing:
		return idempotent(r)
	case faultproxy.ResetMidBody:
		return idempotent(r) && !streamed(r)
	}
	return true
}

// TestConformanceUnderFaults runs the suite with a tenth of the SDK's requests throttled,
// failed, reset or delayed on the way to the S3 server.
func TestConformanceUnderFaults(t *testing.T) {
	var mu sync.Mutex
	counts := map[faultproxy.Fault]int{}
	requests := 0
	storagetest.RunBucketTests(t, func(t *testing.T) storagetest.Target {
		srv := storagetest.NewS3Server(t, nil)
		proxy := faultproxy.New(t, faultproxy.S3, srv.URL, &faultproxy.Options{
			Seed:     faultproxy.TestSeed(t),
			Rate:     0.1,
			Eligible: suiteFaults,
		})
		t.Cleanup(func() {
			mu.Lock()
			defer mu.Unlock()
			for f, n := range proxy.Counts() {
				counts[f] += n
			}
			requests += proxy.Requests()
		})
		clk := &clock{}
		client := srv.Client(func(o *s3.Options) {
			o.BaseEndpoint = aws.String(proxy.URL)
			o.HTTPClient = proxy.Client()
			o.Retryer = faultproxy.Retryer(faultAttempts)()
		})
		b := awss3.New(client, srv.NewBucket(t), &awss3.Options{Now: clk.Now})
		return storagetest.Target{
			Bucket:     b,
			HTTPClient: proxy.Client(),
			Advance: func(d time.Duration) {
				srv.Advance(d)
				clk.mu.Lock()
				clk.skew += d
				clk.mu.Unlock()
			},
			User: func(t *testing.T) (aws.Credentials, string) {
				prefix := "uploads/us-east-1:user-a/"
				return srv.AddUser(prefix), prefix
			},
		}
	})
	mu.Lock()
	defer mu.Unlock()
	t.Logf("%d requests, faults injected: %v", requests, counts)
	if requests > 0 && len(counts) == 0 {
		t.Errorf("no fault injected in %d requests", requests)
	}
}
