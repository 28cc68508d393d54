package awsmediaconvert_test

import (
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/mediaconvert"

	"github.com/servous/servous/internal/faultproxy"
	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/memstorage"
	"github.com/servous/servous/transcode"
	"github.com/servous/servous/transcode/awsmediaconvert"
	"github.com/servous/servous/transcode/transcodetest"
)

// faultAttempts is the SDK client's attempts under faults: at a 10% fault rate, ten attempts
// all faulted happen once in 10^10 requests.
const faultAttempts = 10

// throughProxy returns a MediaConvert client for srv that goes through proxy.
func throughProxy(t *testing.T, proxy *faultproxy.Proxy, attempts int) *mediaconvert.Client {
	return mediaconvert.New(newClient(t, proxy.URL).Options(), func(o *mediaconvert.Options) {
		o.HTTPClient = proxy.Client()
		o.Retryer = faultproxy.Retryer(attempts)()
	})
}

func isCreateJob(r *http.Request) bool {
	return r.Method == http.MethodPost && r.URL.Path == "/2017-08-29/jobs"
}

// suiteFaults are the faults the SDK absorbs: any before the service acts, and lost answers
// to reads and to CreateJob, which carries an idempotency token (the SDK makes one up when the
// job has none) and so returns the same job when sent again.
func suiteFaults(r *http.Request, f faultproxy.Fault) bool {
	switch f {
	case faultproxy.ResetAfterProcessing, faultproxy.ResetMidBody:
		return r.Method == http.MethodGet || isCreateJob(r)
	}
	return true
}

// TestConformanceUnderFaults runs the suite with a tenth of the SDK's requests throttled,
// failed, reset or delayed on the way to the MediaConvert server.
func TestConformanceUnderFaults(t *testing.T) {
	var tally faultproxy.Tally
	transcodetest.RunTranscoderTests(t, func(t *testing.T) transcodetest.Target {
		return transcodetest.Target{
			NewBucket: func(t *testing.T) storage.Bucket { return memstorage.New("bucket", nil) },
			NewTranscoder: func(t *testing.T, env transcodetest.Env) transcode.Transcoder {
				srv := transcodetest.NewMediaConvert(&transcodetest.MediaConvertOptions{
					Region:    "us-west-2",
					Publisher: env.Publisher,
					Buckets:   env.Buckets,
				})
				t.Cleanup(srv.Close)
				proxy := faultproxy.New(t, faultproxy.MediaConvert, srv.URL, &faultproxy.Options{
					Seed:     faultproxy.TestSeed(t),
					Rate:     0.1,
					Eligible: suiteFaults,
				})
				tally.Watch(t, proxy)
				return awsmediaconvert.New(throughProxy(t, proxy, faultAttempts), role, nil)
			},
		}
	})
	tally.Check(t)
}

// TestSubmitAnswerLost submits jobs whose CreateJob answers are lost after MediaConvert
// created the job: the SDK's retry carries the same clientRequestToken and gets the same job,
// and a caller's own retry with the job's IdempotencyToken does too. One job each time.
func TestSubmitAnswerLost(t *testing.T) {
	for _, tc := range []struct {
		name  string
		token string
	}{
		{"with token", "upload-42"},
		// The SDK fills in the token of a CreateJob without one, and keeps it across retries.
		{"without token", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := transcodetest.NewMediaConvert(&transcodetest.MediaConvertOptions{Region: "us-west-2"})
			t.Cleanup(srv.Close)
			lose := 2 // the answers to the first two CreateJob requests are lost
			proxy := faultproxy.New(t, faultproxy.MediaConvert, srv.URL, &faultproxy.Options{
				Choose: func(r *http.Request, n int) faultproxy.Fault {
					if isCreateJob(r) && n < lose {
						return faultproxy.ResetAfterProcessing
					}
					return faultproxy.None
				},
			})
			j := job()
			j.IdempotencyToken = tc.token
			// Three attempts: two answers lost, the third arrives.
			tr := awsmediaconvert.New(throughProxy(t, proxy, 3), role, nil)
			id, err := tr.Submit(t.Context(), j)
			if err != nil {
				t.Fatalf("Submit: %v", err)
			}
			if n := srv.JobCount(); n != 1 {
				t.Errorf("server holds %d jobs after one Submit, want 1", n)
			}
			if st, err := tr.Get(t.Context(), id); err != nil || st.ID != id {
				t.Errorf("Get(%s) = %+v, %v", id, st, err)
			}
			if tc.token == "" {
				return
			}
			// The SDK gives up (two attempts, both answers lost); the caller submits again
			// with the same token and gets the job the first Submit created.
			lose = 5 // requests 3 and 4 are the impatient attempts
			impatient := awsmediaconvert.New(throughProxy(t, proxy, 2), role, nil)
			j2 := job()
			j2.IdempotencyToken = "upload-43"
			if _, err := impatient.Submit(t.Context(), j2); err == nil {
				t.Fatal("Submit with every answer lost succeeded")
			}
			id2, err := tr.Submit(t.Context(), j2)
			if err != nil {
				t.Fatalf("second Submit with the token: %v", err)
			}
			if n := srv.JobCount(); n != 2 {
				t.Errorf("server holds %d jobs after two jobs' submissions, want 2", n)
			}
			if id2 == id {
				t.Errorf("two tokens gave one job %s", id)
			}
		})
	}
}
