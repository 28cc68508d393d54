package faultproxy_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/mediaconvert"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/servous/servous/internal/faultproxy"
)

// always returns fault f for every request.
func always(f faultproxy.Fault) func(*http.Request, int) faultproxy.Fault {
	return func(*http.Request, int) faultproxy.Fault { return f }
}

// upstream counts the requests that reach it and answers 200 with a small JSON body.
func upstream(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"IdentityId":"us-east-1:00000000-0000-0000-0000-000000000000","TableNames":[],"job":{"id":"j"}}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

var creds = credentials.NewStaticCredentialsProvider("AKID", "secret", "")

// call makes one request of each service's client through proxy, without retries, and
// returns its error.
func call(ctx context.Context, p faultproxy.Protocol, url string, client *http.Client) error {
	one := faultproxy.Retryer(1)
	switch p {
	case faultproxy.S3:
		c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), UsePathStyle: true, Credentials: creds, HTTPClient: client, Retryer: one()})
		_, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("b")})
		if err == nil {
			_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("b"), Key: aws.String("k")})
		}
		return err
	case faultproxy.DynamoDB:
		c := dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), Credentials: creds, HTTPClient: client, Retryer: one()})
		_, err := c.ListTables(ctx, &dynamodb.ListTablesInput{})
		return err
	case faultproxy.CognitoIdentity:
		c := cognitoidentity.New(cognitoidentity.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), Credentials: aws.AnonymousCredentials{}, HTTPClient: client, Retryer: one()})
		_, err := c.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String("us-east-1:00000000-0000-0000-0000-000000000000")})
		return err
	case faultproxy.MediaConvert:
		c := mediaconvert.New(mediaconvert.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), Credentials: creds, HTTPClient: client, Retryer: one()})
		_, err := c.GetJob(ctx, &mediaconvert.GetJobInput{Id: aws.String("j")})
		return err
	}
	return errors.New("unknown protocol")
}

// TestErrorsInWireFormat checks that each service's client decodes the proxy's throttling and
// server errors as the service's own, and that the SDK's standard retryer would retry them.
func TestErrorsInWireFormat(t *testing.T) {
	std := retry.NewStandard()
	for _, tc := range []struct {
		name     string
		p        faultproxy.Protocol
		throttle []string // the codes a throttle may answer
		server   string
	}{
		{"S3", faultproxy.S3, []string{"SlowDown"}, "InternalError"},
		{"DynamoDB", faultproxy.DynamoDB, []string{"ProvisionedThroughputExceededException", "ThrottlingException"}, "InternalServerError"},
		{"CognitoIdentity", faultproxy.CognitoIdentity, []string{"TooManyRequestsException"}, "InternalErrorException"},
		{"MediaConvert", faultproxy.MediaConvert, []string{"TooManyRequestsException"}, "InternalServerErrorException"},
	} {
		for _, f := range []faultproxy.Fault{faultproxy.Throttle, faultproxy.ServerError} {
			t.Run(tc.name+"/"+f.String(), func(t *testing.T) {
				up, reached := upstream(t)
				proxy := faultproxy.New(t, tc.p, up.URL, &faultproxy.Options{Choose: always(f)})
				err := call(t.Context(), tc.p, proxy.URL, proxy.Client())
				want := []string{tc.server}
				if f == faultproxy.Throttle {
					want = tc.throttle
				}
				var apiErr smithy.APIError
				if !errors.As(err, &apiErr) {
					t.Fatalf("error %v is not an API error", err)
				}
				// HeadBucket's error has no body (TestS3ErrorBody checks S3's codes).
				if code := apiErr.ErrorCode(); tc.p != faultproxy.S3 && !slices.Contains(want, code) {
					t.Errorf("error code %q, want one of %v", code, want)
				}
				if !std.IsErrorRetryable(err) {
					t.Errorf("the standard retryer would not retry %v", err)
				}
				if reached.Load() != 0 {
					t.Errorf("the faulted request reached the peer")
				}
			})
		}
	}
}

// TestS3ErrorBody checks S3's error document on a request whose answer has a body (DeleteObject
// has one on errors; HeadBucket's is discarded by S3's protocol).
func TestS3ErrorBody(t *testing.T) {
	for f, want := range map[faultproxy.Fault]string{faultproxy.Throttle: "SlowDown", faultproxy.ServerError: "InternalError"} {
		up, _ := upstream(t)
		proxy := faultproxy.New(t, faultproxy.S3, up.URL, &faultproxy.Options{Choose: func(r *http.Request, _ int) faultproxy.Fault {
			if r.Method == http.MethodDelete {
				return f
			}
			return faultproxy.None
		}})
		err := call(t.Context(), faultproxy.S3, proxy.URL, proxy.Client())
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != want {
			t.Errorf("%s: DeleteObject = %v, want API error %s", f, err, want)
		}
	}
}

// TestResets checks where each reset happens: before the peer sees the request, or after it
// processed it, and that the SDK's standard retryer retries what the client sees.
func TestResets(t *testing.T) {
	std := retry.NewStandard()
	for _, tc := range []struct {
		f       faultproxy.Fault
		reached int64
	}{
		{faultproxy.ResetBeforeRequest, 0},
		{faultproxy.ResetAfterProcessing, 1},
		{faultproxy.ResetMidBody, 1},
	} {
		t.Run(tc.f.String(), func(t *testing.T) {
			up, reached := upstream(t)
			proxy := faultproxy.New(t, faultproxy.DynamoDB, up.URL, &faultproxy.Options{Choose: always(tc.f)})
			err := call(t.Context(), faultproxy.DynamoDB, proxy.URL, proxy.Client())
			if err == nil {
				t.Fatal("the call succeeded through a reset")
			}
			if !std.IsErrorRetryable(err) {
				t.Errorf("the standard retryer would not retry %v", err)
			}
			if got := reached.Load(); got != tc.reached {
				t.Errorf("the peer saw %d requests, want %d", got, tc.reached)
			}
		})
	}
}

// TestDeterministic checks that a seed decides the same faults for the same requests, and
// another seed others, at the rate asked.
func TestDeterministic(t *testing.T) {
	run := func(seed uint64) []string {
		up, _ := upstream(t)
		var log []string
		proxy := faultproxy.New(t, faultproxy.DynamoDB, up.URL, &faultproxy.Options{
			Seed: seed, Rate: 0.3,
			Faults: []faultproxy.Fault{faultproxy.Throttle, faultproxy.ServerError, faultproxy.Latency},
			Logf: func(format string, args ...any) {
				log = append(log, fmt.Sprintf(format, args...))
			},
		})
		for range 200 {
			call(t.Context(), faultproxy.DynamoDB, proxy.URL, proxy.Client())
		}
		total := 0
		for _, n := range proxy.Counts() {
			total += n
		}
		if total < 30 || total > 90 {
			t.Errorf("seed %d: %d faults in 200 requests at rate 0.3", seed, total)
		}
		return log
	}
	a, b, c := run(1), run(1), run(2)
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Errorf("one seed, two runs, different faults:\n%v\n%v", a, b)
	}
	if strings.Join(a, "\n") == strings.Join(c, "\n") {
		t.Errorf("two seeds gave the same faults")
	}
}

// TestRates checks that each fault comes at its own rate, and no other.
func TestRates(t *testing.T) {
	up, _ := upstream(t)
	rates := map[faultproxy.Fault]float64{faultproxy.ServerError: 0.1, faultproxy.ResetBeforeRequest: 0.05}
	proxy := faultproxy.New(t, faultproxy.DynamoDB, up.URL, &faultproxy.Options{Seed: 7, Rates: rates, Logf: func(string, ...any) {}})
	const n = 1000
	for range n {
		call(t.Context(), faultproxy.DynamoDB, proxy.URL, proxy.Client())
	}
	got := proxy.Counts()
	for f, k := range got {
		want := rates[f] * n
		if float64(k) < want/2 || float64(k) > want*1.5 {
			t.Errorf("%s: %d in %d requests, want about %.0f", f, k, n, want)
		}
	}
	if len(got) != len(rates) {
		t.Errorf("faults %v, want only %v", got, rates)
	}
}

// TestObserve checks that Observe sees a request as it arrives and, when it reaches the peer,
// once the peer answered.
func TestObserve(t *testing.T) {
	for _, tc := range []struct {
		f    faultproxy.Fault
		want []bool
	}{
		{faultproxy.None, []bool{false, true}},
		{faultproxy.ServerError, []bool{false}},
		{faultproxy.ResetBeforeRequest, []bool{false}},
		{faultproxy.ResetAfterProcessing, []bool{false, true}},
	} {
		up, reached := upstream(t)
		var (
			mu   sync.Mutex
			seen []bool
		)
		proxy := faultproxy.New(t, faultproxy.DynamoDB, up.URL, &faultproxy.Options{
			Choose: always(tc.f),
			Observe: func(_ *http.Request, after bool) {
				if after && reached.Load() != 1 {
					t.Errorf("%s: observed after the answer before the peer had the request", tc.f)
				}
				mu.Lock()
				seen = append(seen, after)
				mu.Unlock()
			},
		})
		call(t.Context(), faultproxy.DynamoDB, proxy.URL, proxy.Client())
		mu.Lock()
		defer mu.Unlock()
		if !slices.Equal(seen, tc.want) {
			t.Errorf("%s: observed %v, want %v", tc.f, seen, tc.want)
		}
	}
}
