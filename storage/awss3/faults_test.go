package awss3_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/servous/servous/internal/faultproxy"
	"github.com/servous/servous/storage"
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
	var tally faultproxy.Tally
	storagetest.RunBucketTests(t, func(t *testing.T) storagetest.Target {
		srv := storagetest.NewS3Server(t, nil)
		proxy := faultproxy.New(t, faultproxy.S3, srv.URL, &faultproxy.Options{
			Seed:     faultproxy.TestSeed(t),
			Rate:     0.1,
			Eligible: suiteFaults,
		})
		tally.Watch(t, proxy)
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
	tally.Check(t)
}

// TestConformanceMinIOUnderFaults runs the suite against MinIO with a tenth of the SDK's
// requests throttled, failed, reset or delayed on the way.
func TestConformanceMinIOUnderFaults(t *testing.T) {
	sharedMinIO(t)
	var tally faultproxy.Tally
	storagetest.RunBucketTests(t, func(t *testing.T) storagetest.Target {
		mio := sharedMinIO(t)
		proxy := faultproxy.New(t, faultproxy.S3, mio.URL, &faultproxy.Options{
			Seed:     faultproxy.TestSeed(t),
			Rate:     0.1,
			Eligible: suiteFaults,
		})
		tally.Watch(t, proxy)
		client := mio.Client(func(o *s3.Options) {
			o.BaseEndpoint = aws.String(proxy.URL)
			o.HTTPClient = proxy.Client()
			o.Retryer = faultproxy.Retryer(faultAttempts)()
		})
		b := awss3.New(client, mio.NewBucket(t), nil)
		return storagetest.Target{Bucket: b, HTTPClient: proxy.Client(), Departures: storagetest.MinIODepartures}
	})
	tally.Check(t)
}

// pipeSize is the size of the unseekable bodies: eight parts of the transfer manager's 8 MiB.
const pipeSize = 64 << 20

// pipeBody returns an unseekable body of pipeSize bytes from a seed, the S3 ETag of those
// bytes sent in partSize parts, and their MD5. fail, when not nil, is the error the body
// returns instead of its second half.
func pipeBody(t *testing.T, seed uint64, partSize int, fail error) (io.Reader, string, [md5.Size]byte) {
	t.Helper()
	data := make([]byte, pipeSize)
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	rand.NewChaCha8(key).Read(data)
	var sums []byte
	for off := 0; off < len(data); off += partSize {
		s := md5.Sum(data[off:min(off+partSize, len(data))])
		sums = append(sums, s[:]...)
	}
	etag := fmt.Sprintf("%x-%d", md5.Sum(sums), (len(data)+partSize-1)/partSize)
	pr, pw := io.Pipe()
	go func() {
		if fail != nil {
			pw.Write(data[:len(data)/2])
			pw.CloseWithError(fail)
			return
		}
		// Written in uneven pieces, as a network body arrives.
		for off := 0; off < len(data); off += 100_003 {
			if _, err := pw.Write(data[off:min(off+100_003, len(data))]); err != nil {
				return
			}
		}
		pw.Close()
	}()
	t.Cleanup(func() { pr.CloseWithError(errors.New("test over")) })
	return pr, etag, md5.Sum(data)
}

// openUploads lists the bucket's multipart uploads, straight from the server.
func openUploads(t *testing.T, client *s3.Client, bucket string) []string {
	t.Helper()
	out, err := client.ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("ListMultipartUploads: %v", err)
	}
	var ids []string
	for _, u := range out.Uploads {
		ids = append(ids, aws.ToString(u.Key)+" "+aws.ToString(u.UploadId))
	}
	return ids
}

// s3Peer is a server speaking S3's wire protocol that a fault proxy can sit in front of: the S3
// test server or MinIO.
type s3Peer struct {
	url       string
	client    func(optFns ...func(*s3.Options)) *s3.Client
	newBucket func(t testing.TB) string
}

// s3Peers are the servers the fault tests run against, each started for the test that asks.
var s3Peers = []struct {
	name  string
	start func(t *testing.T) s3Peer
}{
	{"s3server", func(t *testing.T) s3Peer {
		srv := storagetest.NewS3Server(t, nil)
		return s3Peer{srv.URL, srv.Client, srv.NewBucket}
	}},
	{"minio", func(t *testing.T) s3Peer {
		mio := sharedMinIO(t)
		return s3Peer{mio.URL, mio.Client, mio.NewBucket}
	}},
}

func isPart(r *http.Request) bool {
	return r.Method == http.MethodPut && r.URL.Query().Get("partNumber") != ""
}

// TestPutPipeUnderFaults puts 64 MB from a pipe while the parts meet resets and S3's 503 and
// 500, on the S3 test server and on MinIO: the Put either completes with the body's bytes and multipart ETag, or fails and leaves
// no object; either way no multipart upload stays open.
func TestPutPipeUnderFaults(t *testing.T) {
	const partSize = 8 << 20 // the transfer manager's default
	partFaults := []faultproxy.Fault{faultproxy.Throttle, faultproxy.ServerError, faultproxy.ResetBeforeRequest, faultproxy.ResetAfterProcessing}
	bodyErr := errors.New("the sender went away")
	for _, tc := range []struct {
		name     string
		attempts int
		opts     func(cancel context.CancelFunc) *faultproxy.Options
		fail     error // the body's own error
		wantErr  bool
	}{
		{
			// 40% of the parts' attempts fail; twenty attempts absorb it (all twenty fail
			// once in 10^8 parts).
			name:     "retried",
			attempts: 20,
			opts: func(context.CancelFunc) *faultproxy.Options {
				return &faultproxy.Options{Rate: 0.4, Faults: partFaults, Eligible: func(r *http.Request, _ faultproxy.Fault) bool { return isPart(r) }}
			},
		},
		{
			// Part 3 never gets through: the Put fails after its attempts.
			name:     "part exhausted",
			attempts: 3,
			opts: func(context.CancelFunc) *faultproxy.Options {
				return &faultproxy.Options{Choose: func(r *http.Request, n int) faultproxy.Fault {
					if isPart(r) && r.URL.Query().Get("partNumber") == "3" {
						return []faultproxy.Fault{faultproxy.Throttle, faultproxy.ResetBeforeRequest, faultproxy.ServerError}[n%3]
					}
					return faultproxy.None
				}}
			},
			wantErr: true,
		},
		{
			// The caller gives up (its context ends) while part 3 is on the wire.
			name:     "canceled",
			attempts: faultAttempts,
			opts: func(cancel context.CancelFunc) *faultproxy.Options {
				return &faultproxy.Options{Choose: func(r *http.Request, n int) faultproxy.Fault {
					if isPart(r) && r.URL.Query().Get("partNumber") == "3" {
						cancel()
						return faultproxy.ResetBeforeRequest
					}
					return faultproxy.None
				}}
			},
			wantErr: true,
		},
		{
			// The body itself fails halfway, while parts meet faults.
			name:     "body fails",
			attempts: faultAttempts,
			opts: func(context.CancelFunc) *faultproxy.Options {
				return &faultproxy.Options{Rate: 0.3, Faults: partFaults, Eligible: func(r *http.Request, _ faultproxy.Fault) bool { return isPart(r) }}
			},
			fail:    bodyErr,
			wantErr: true,
		},
	} {
		for _, peer := range s3Peers {
			t.Run(tc.name+"/"+peer.name, func(t *testing.T) {
				srv := peer.start(t)
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				opts := tc.opts(cancel)
				opts.Seed = faultproxy.TestSeed(t)
				proxy := faultproxy.New(t, faultproxy.S3, srv.url, opts)
				client := srv.client(func(o *s3.Options) {
					o.BaseEndpoint = aws.String(proxy.URL)
					o.HTTPClient = proxy.Client()
					o.Retryer = faultproxy.Retryer(tc.attempts)()
				})
				bucket := srv.newBucket(t)
				b := awss3.New(client, bucket, nil)
				body, etag, sum := pipeBody(t, opts.Seed, partSize, tc.fail)
				info, err := b.Put(ctx, "video.mp4", body, nil)
				t.Logf("faults injected: %v; Put: %v", proxy.Counts(), err)
				if open := openUploads(t, srv.client(), bucket); len(open) != 0 {
					t.Errorf("multipart uploads left open: %v", open)
				}
				direct := awss3.New(srv.client(), bucket, nil)
				if tc.wantErr {
					if err == nil {
						t.Fatalf("Put = %+v, want an error", info)
					}
					if tc.name == "canceled" && !errors.Is(err, context.Canceled) {
						t.Errorf("Put = %v, want context.Canceled", err)
					}
					if tc.fail != nil && !errors.Is(err, tc.fail) {
						t.Errorf("Put = %v, want the body's error", err)
					}
					if _, err := direct.Head(t.Context(), "video.mp4"); !errors.Is(err, storage.ErrNotFound) {
						t.Errorf("Head after a failed Put = %v, want ErrNotFound", err)
					}
					return
				}
				if err != nil {
					t.Fatalf("Put: %v", err)
				}
				if info.Size != pipeSize || strings.Trim(info.ETag, `"`) != etag {
					t.Errorf("Put = size %d, ETag %s; want %d, %s", info.Size, info.ETag, pipeSize, etag)
				}
				obj, err := direct.Get(t.Context(), "video.mp4", nil)
				if err != nil {
					t.Fatal(err)
				}
				defer obj.Body.Close()
				h := md5.New()
				n, err := io.Copy(h, obj.Body)
				if err != nil || n != pipeSize || !bytes.Equal(h.Sum(nil), sum[:]) || strings.Trim(obj.Info.ETag, `"`) != etag {
					t.Errorf("stored object: %d bytes (%v), MD5 match %v, ETag %s; want %d bytes, ETag %s", n, err, bytes.Equal(h.Sum(nil), sum[:]), obj.Info.ETag, pipeSize, etag)
				}
			})
		}
	}
}

// TestConditionalPutAnswerLost pins down what a caller sees when S3 applied a conditional Put
// but its answer was lost: the SDK's retry fails the condition against the write itself, and
// Put reports ErrPreconditionFailed. The object is the caller's: its ETag is the MD5 of the
// body sent (for a body sent in one PutObject, without SSE-KMS), which is how a caller that
// must know tells the two apart, as the package doc says.
func TestConditionalPutAnswerLost(t *testing.T) {
	srv := storagetest.NewS3Server(t, nil)
	proxy := faultproxy.New(t, faultproxy.S3, srv.URL, &faultproxy.Options{Choose: func(r *http.Request, n int) faultproxy.Fault {
		if r.Method == http.MethodPut && n == 0 {
			return faultproxy.ResetAfterProcessing
		}
		return faultproxy.None
	}})
	client := srv.Client(func(o *s3.Options) {
		o.BaseEndpoint = aws.String(proxy.URL)
		o.HTTPClient = proxy.Client()
		o.Retryer = faultproxy.Retryer(faultAttempts)()
	})
	bucket := srv.NewBucket(t)
	b := awss3.New(client, bucket, nil)
	direct := awss3.New(srv.Client(), bucket, nil)

	body := []byte("created once")
	_, err := storage.PutBytes(t.Context(), b, "created", body, &storage.PutOptions{IfAbsent: true})
	if !errors.Is(err, storage.ErrPreconditionFailed) {
		t.Errorf("create-only Put whose answer was lost = %v, want ErrPreconditionFailed", err)
	}
	info, err := direct.Head(t.Context(), "created")
	if err != nil {
		t.Fatalf("Head: %v", err)
	}
	if want := fmt.Sprintf("%x", md5.Sum(body)); strings.Trim(info.ETag, `"`) != want {
		t.Errorf("stored ETag %s, want the MD5 of the body sent, %s", info.ETag, want)
	}

	old, err := storage.PutBytes(t.Context(), direct, "versioned", []byte("v1"), nil)
	if err != nil {
		t.Fatal(err)
	}
	next := []byte("v2")
	_, err = storage.PutBytes(t.Context(), b, "versioned", next, &storage.PutOptions{IfMatch: old.ETag})
	if !errors.Is(err, storage.ErrPreconditionFailed) {
		t.Errorf("IfMatch Put whose answer was lost = %v, want ErrPreconditionFailed", err)
	}
	if info, err := direct.Head(t.Context(), "versioned"); err != nil || strings.Trim(info.ETag, `"`) != fmt.Sprintf("%x", md5.Sum(next)) {
		t.Errorf("Head after the lost IfMatch Put = %+v, %v; want the new body's ETag", info, err)
	}
}
