package awscognito_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	"github.com/aws/smithy-go"

	"github.com/servous/servous/identity"
	"github.com/servous/servous/identity/awscognito"
	"github.com/servous/servous/identity/identitytest"
	"github.com/servous/servous/identity/memidentity"
)

const poolID = "us-east-1:6a9b1c2d-3e4f-4a5b-8c7d-9e0f1a2b3c4d"

func noRetries(o *cognitoidentity.Options) { o.RetryMaxAttempts = 1 }

// start serves srv over HTTP and returns a client for it.
func start(t *testing.T, srv *identitytest.Server) *cognitoidentity.Client {
	t.Helper()
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return identitytest.NewClient(ts.URL, noRetries)
}

// serve serves the fixture's server behind intercept, which sees each
// request and its body first and returns true if it has answered it.
func (f *fixture) serve(t *testing.T, intercept func(w http.ResponseWriter, r *http.Request, body []byte) bool) *cognitoidentity.Client {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if intercept(w, r, body) {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		f.srv.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return identitytest.NewClient(ts.URL, noRetries)
}

// operation returns the Cognito operation a request calls.
func operation(r *http.Request) string {
	_, op, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
	return op
}

func TestConformance(t *testing.T) {
	identitytest.RunExchangerTests(t, func(t *testing.T) identitytest.Target {
		c := &clock{now: time.Now()}
		srv := identitytest.NewServer(&identitytest.ServerOptions{Now: c.Now})
		if err := srv.AddPool(poolID, nil); err != nil {
			t.Fatal(err)
		}
		return identitytest.Target{
			Exchanger: awscognito.New(start(t, srv), poolID, nil),
			Trust:     func(p identitytest.Provider) error { return srv.AddProvider(poolID, p) },
			Advance:   c.Add,
		}
	})
}

// clock is a time that tests move forward.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// fixture is a server with one pool trusting a local Google stand-in.
type fixture struct {
	srv    *identitytest.Server
	client *cognitoidentity.Client
	google *memidentity.Issuer
}

func newFixture(t *testing.T, opts *identitytest.PoolOptions) *fixture {
	t.Helper()
	google, err := memidentity.NewIssuer("https://accounts.google.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	if opts == nil {
		opts = &identitytest.PoolOptions{}
	}
	opts.Providers = append(opts.Providers, identitytest.Provider(google.Provider(identity.ProviderGoogle, "client")))
	srv := identitytest.NewServer(nil)
	if err := srv.AddPool(poolID, opts); err != nil {
		t.Fatal(err)
	}
	return &fixture{srv: srv, client: start(t, srv), google: google}
}

func (f *fixture) login(t *testing.T, sub string) identity.Login {
	t.Helper()
	tok, err := f.google.Issue(memidentity.Claims{Subject: sub, Audience: "client"})
	if err != nil {
		t.Fatal(err)
	}
	return identity.Login{Provider: identity.ProviderGoogle, Token: tok}
}

func TestIdentityIDIsCachedPerToken(t *testing.T) {
	f := newFixture(t, nil)
	p := awscognito.New(f.client, poolID, nil)
	l := f.login(t, "u1")
	first, err := p.Exchange(t.Context(), l)
	if err != nil {
		t.Fatal(err)
	}
	// The same token again reuses the cached identity id.
	for range 3 {
		id, err := p.Exchange(t.Context(), l)
		if err != nil {
			t.Fatal(err)
		}
		if id.ID != first.ID {
			t.Fatalf("identity id changed: %q then %q", first.ID, id.ID)
		}
	}
	if got, err := p.IdentityID(t.Context(), l); err != nil || got != first.ID {
		t.Errorf("IdentityID = %q, %v; want %q", got, err, first.ID)
	}
	if got := f.srv.Requests(identitytest.OpGetID); got != 1 {
		t.Errorf("GetId calls = %d, want 1", got)
	}
	if got := f.srv.Requests(identitytest.OpGetCredentialsForIdentity); got != 4 {
		t.Errorf("GetCredentialsForIdentity calls = %d, want 4", got)
	}
	// A fresh token for the same subject is asked about on its own, and
	// Cognito maps it to the same identity.
	again, err := p.Exchange(t.Context(), f.login(t, "u1"))
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != first.ID {
		t.Errorf("identity id of a fresh token = %q, want %q", again.ID, first.ID)
	}
	if _, err := p.Exchange(t.Context(), f.login(t, "u2")); err != nil {
		t.Fatal(err)
	}
	if got := f.srv.Requests(identitytest.OpGetID); got != 3 {
		t.Errorf("GetId calls after a fresh token and a second subject = %d, want 3", got)
	}
}

func TestIdentityIDIsNotCachedPastTheTokenExpiry(t *testing.T) {
	// The server's clock runs an hour behind, so it accepts a token whose
	// expiry has passed by the Pool's clock.
	now := time.Now()
	google, err := memidentity.NewIssuer("https://accounts.google.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := identitytest.NewServer(&identitytest.ServerOptions{Now: func() time.Time { return time.Now().Add(-time.Hour) }})
	if err := srv.AddPool(poolID, &identitytest.PoolOptions{Providers: []identitytest.Provider{identitytest.Provider(google.Provider(identity.ProviderGoogle, "client"))}}); err != nil {
		t.Fatal(err)
	}
	p := awscognito.New(start(t, srv), poolID, nil)
	issue := func(expiry time.Time) identity.Login {
		tok, err := google.Issue(memidentity.Claims{Subject: "u1", Audience: "client", IssuedAt: now.Add(-2 * time.Hour), Expiry: expiry})
		if err != nil {
			t.Fatal(err)
		}
		return identity.Login{Provider: identity.ProviderGoogle, Token: tok}
	}
	for _, c := range []struct {
		name      string
		login     identity.Login
		wantCalls int
	}{
		{"valid", issue(now.Add(time.Hour)), 1},
		{"expired", issue(now.Add(-30 * time.Minute)), 2},
	} {
		before := srv.Requests(identitytest.OpGetID)
		for range 2 {
			if _, err := p.IdentityID(t.Context(), c.login); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
		}
		if got := srv.Requests(identitytest.OpGetID) - before; got != c.wantCalls {
			t.Errorf("%s token: GetId calls for two IdentityID = %d, want %d", c.name, got, c.wantCalls)
		}
	}
}

func TestForgedTokenOfACachedSubjectIsNotAuthorized(t *testing.T) {
	f := newFixture(t, nil)
	p := awscognito.New(f.client, poolID, nil)
	alice := f.login(t, "alice")
	id, err := p.IdentityID(t.Context(), alice)
	if err != nil {
		t.Fatal(err)
	}
	// Alice's claims, unsigned.
	_, payload, _ := strings.Cut(alice.Token, ".")
	payload, _, _ = strings.Cut(payload, ".")
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	forged := identity.Login{Provider: identity.ProviderGoogle, Token: header + "." + payload + "."}

	if got, err := p.IdentityID(t.Context(), forged); !errors.Is(err, identity.ErrNotAuthorized) || got != "" {
		t.Errorf("IdentityID(forged) = %q, %v; want \"\", ErrNotAuthorized", got, err)
	}
	if _, err := p.Exchange(t.Context(), forged); !errors.Is(err, identity.ErrNotAuthorized) {
		t.Errorf("Exchange(forged) error = %v, want ErrNotAuthorized", err)
	}
	if got, err := p.IdentityID(t.Context(), alice); err != nil || got != id {
		t.Errorf("IdentityID(alice) after the forgery = %q, %v; want %q", got, err, id)
	}
	// Alice's GetId, then one for each use of the forged token; alice's id
	// came from the cache the second time.
	if got := f.srv.Requests(identitytest.OpGetID); got != 3 {
		t.Errorf("GetId calls = %d, want 3", got)
	}
}

func TestOverlappingExchangesOfOneSubjectDoNotShareAnswers(t *testing.T) {
	f := newFixture(t, nil)
	now := time.Now()
	tok, err := f.google.Issue(memidentity.Claims{Subject: "alice", Audience: "client", IssuedAt: now.Add(-2 * time.Hour), Expiry: now.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	expired := identity.Login{Provider: identity.ProviderGoogle, Token: tok}
	valid := f.login(t, "alice")

	// The expired token's GetId is held at the server until released.
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	releaseOnce := sync.OnceFunc(func() { close(release) })
	client := f.serve(t, func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		if operation(r) == identitytest.OpGetID && bytes.Contains(body, []byte(expired.Token)) {
			arrived <- struct{}{}
			<-release
		}
		return false
	})
	t.Cleanup(releaseOnce)
	p := awscognito.New(client, poolID, nil)

	var wg sync.WaitGroup
	var expiredErr error
	wg.Go(func() { _, expiredErr = p.Exchange(t.Context(), expired) })
	<-arrived
	// The valid login must not wait for the expired one's GetId, nor take
	// its answer; the timeout only bounds how long a failure takes.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := p.Exchange(ctx, valid); err != nil {
		t.Errorf("Exchange(valid) overlapping an expired token of the same subject: %v", err)
	}
	releaseOnce()
	wg.Wait()
	if !errors.Is(expiredErr, identity.ErrNotAuthorized) {
		t.Errorf("Exchange(expired) error = %v, want ErrNotAuthorized", expiredErr)
	}
	if got := f.srv.Requests(identitytest.OpGetID); got != 2 {
		t.Errorf("GetId calls = %d, want 2", got)
	}
}

func TestConcurrentExchangesShareOneGetID(t *testing.T) {
	f := newFixture(t, nil)
	p := awscognito.New(f.client, poolID, nil)
	l := f.login(t, "u1")
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := p.Exchange(t.Context(), l); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	// Callers arriving after the shared call finished read the cache, so
	// exactly one GetId reached the server.
	if got := f.srv.Requests(identitytest.OpGetID); got != 1 {
		t.Errorf("GetId calls = %d, want 1", got)
	}
}

func TestStaleCachedIdentityIsForgotten(t *testing.T) {
	f := newFixture(t, nil)
	p := awscognito.New(f.client, poolID, nil)
	l := f.login(t, "u1")
	first, err := p.Exchange(t.Context(), l)
	if err != nil {
		t.Fatal(err)
	}
	f.srv.FailNext(identitytest.OpGetCredentialsForIdentity, identitytest.Fault{Code: "ResourceNotFoundException", Message: "Identity '" + first.ID + "' not found."})
	again, err := p.Exchange(t.Context(), l)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != first.ID {
		t.Errorf("identity id = %q, want %q", again.ID, first.ID)
	}
	if got := f.srv.Requests(identitytest.OpGetID); got != 2 {
		t.Errorf("GetId calls = %d, want 2 (the stale id was asked for again)", got)
	}
}

func TestErrorMapping(t *testing.T) {
	cases := []struct {
		op, code string
		status   int // zero: the server's default for the code
		want     error
	}{
		{identitytest.OpGetID, "NotAuthorizedException", 0, identity.ErrNotAuthorized},
		{identitytest.OpGetID, "ResourceConflictException", 0, identity.ErrNotAuthorized},
		{identitytest.OpGetID, "TooManyRequestsException", 0, identity.ErrThrottled},
		{identitytest.OpGetID, "LimitExceededException", 0, identity.ErrThrottled},
		{identitytest.OpGetID, "ResourceNotFoundException", 0, identity.ErrMisconfigured},
		{identitytest.OpGetID, "InvalidParameterException", 0, identity.ErrMisconfigured},
		{identitytest.OpGetID, "InternalErrorException", 0, identity.ErrUnavailable},
		{identitytest.OpGetID, "ExternalServiceException", 0, identity.ErrUnavailable},
		{identitytest.OpGetCredentialsForIdentity, "NotAuthorizedException", 0, identity.ErrNotAuthorized},
		{identitytest.OpGetCredentialsForIdentity, "ResourceConflictException", 0, identity.ErrNotAuthorized},
		{identitytest.OpGetCredentialsForIdentity, "TooManyRequestsException", 0, identity.ErrThrottled},
		{identitytest.OpGetCredentialsForIdentity, "InvalidParameterException", 0, identity.ErrMisconfigured},
		{identitytest.OpGetCredentialsForIdentity, "InvalidIdentityPoolConfigurationException", 0, identity.ErrMisconfigured},
		{identitytest.OpGetCredentialsForIdentity, "InternalErrorException", 0, identity.ErrUnavailable},
		{identitytest.OpGetCredentialsForIdentity, "ExternalServiceException", 0, identity.ErrUnavailable},
		// Errors common to every AWS service.
		{identitytest.OpGetID, "ThrottlingException", 400, identity.ErrThrottled},
		{identitytest.OpGetID, "Throttling", 400, identity.ErrThrottled},
		{identitytest.OpGetID, "RequestLimitExceeded", 400, identity.ErrThrottled},
		{identitytest.OpGetCredentialsForIdentity, "ThrottlingException", 400, identity.ErrThrottled},
		{identitytest.OpGetID, "AccessDeniedException", 400, identity.ErrMisconfigured},
		{identitytest.OpGetCredentialsForIdentity, "AccessDeniedException", 403, identity.ErrMisconfigured},
		{identitytest.OpGetID, "UnrecognizedClientException", 400, identity.ErrMisconfigured},
		{identitytest.OpGetID, "ServiceUnavailable", 503, identity.ErrUnavailable},
		{identitytest.OpGetCredentialsForIdentity, "ServiceUnavailable", 503, identity.ErrUnavailable},
		{identitytest.OpGetID, "InternalFailure", 500, identity.ErrUnavailable},
		{identitytest.OpGetID, "RequestTimeoutException", 408, identity.ErrUnavailable},
		// Codes the adapter does not know, by their HTTP status.
		{identitytest.OpGetID, "SomeNewServerException", 500, identity.ErrUnavailable},
		{identitytest.OpGetID, "SomeNewThrottleException", 429, identity.ErrThrottled},
		{identitytest.OpGetID, "SomeNewRequestException", 400, identity.ErrMisconfigured},
	}
	f := newFixture(t, nil)
	for _, c := range cases {
		t.Run(c.op+"/"+c.code, func(t *testing.T) {
			// A new Pool each time, so GetId is not skipped by the cache.
			p := awscognito.New(f.client, poolID, nil)
			f.srv.FailNext(c.op, identitytest.Fault{Code: c.code, Message: "injected " + c.code, Status: c.status})
			_, err := p.Exchange(t.Context(), f.login(t, "u1"))
			if got := sentinels(err); len(got) != 1 || got[0] != c.want {
				t.Fatalf("error = %v, matches %v; want only %v", err, got, c.want)
			}
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != c.code || apiErr.ErrorMessage() != "injected "+c.code {
				t.Errorf("errors.As(smithy.APIError) = %v, want code %s", apiErr, c.code)
			}
		})
	}
	// The typed exceptions are reachable too.
	p := awscognito.New(f.client, poolID, nil)
	f.srv.FailNext(identitytest.OpGetID, identitytest.Fault{Code: "TooManyRequestsException", Message: "Rate exceeded"})
	_, err := p.Exchange(t.Context(), f.login(t, "u1"))
	var tooMany *types.TooManyRequestsException
	if !errors.As(err, &tooMany) {
		t.Errorf("errors.As(*types.TooManyRequestsException) failed for %v", err)
	}
}

// sentinels returns the identity sentinels err matches.
func sentinels(err error) []error {
	var out []error
	for _, s := range []error{identity.ErrNotAuthorized, identity.ErrUnknownProvider, identity.ErrThrottled, identity.ErrMisconfigured, identity.ErrUnavailable} {
		if errors.Is(err, s) {
			out = append(out, s)
		}
	}
	return out
}

func TestErrorsWithoutAnAPIError(t *testing.T) {
	f := newFixture(t, nil)
	l := f.login(t, "u1")

	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	_, err := awscognito.New(identitytest.NewClient(closed.URL, noRetries), poolID, nil).Exchange(t.Context(), l)
	if got := sentinels(err); len(got) != 1 || got[0] != identity.ErrUnavailable {
		t.Errorf("unreachable endpoint: error = %v, matches %v; want only ErrUnavailable", err, got)
	}

	// A proxy in front of the service answers for it.
	for _, c := range []struct {
		name   string
		op     string
		status int
		ctype  string
		body   string
		want   error
	}{
		{"502 page", identitytest.OpGetID, http.StatusBadGateway, "text/html", "<html><body>502 Bad Gateway</body></html>", identity.ErrUnavailable},
		{"503 page", identitytest.OpGetCredentialsForIdentity, http.StatusServiceUnavailable, "text/html", "<html>Service Unavailable</html>", identity.ErrUnavailable},
		{"empty 500", identitytest.OpGetID, http.StatusInternalServerError, "", "", identity.ErrUnavailable},
		{"429 text", identitytest.OpGetID, http.StatusTooManyRequests, "text/plain", "slow down", identity.ErrThrottled},
		{"200 page", identitytest.OpGetID, http.StatusOK, "text/html", "<html>captive portal</html>", identity.ErrUnavailable},
		{"200 page on credentials", identitytest.OpGetCredentialsForIdentity, http.StatusOK, "text/html", "<html>captive portal</html>", identity.ErrUnavailable},
	} {
		t.Run(c.name, func(t *testing.T) {
			client := f.serve(t, func(w http.ResponseWriter, r *http.Request, body []byte) bool {
				if operation(r) != c.op {
					return false
				}
				if c.ctype != "" {
					w.Header().Set("Content-Type", c.ctype)
				}
				w.WriteHeader(c.status)
				io.WriteString(w, c.body)
				return true
			})
			_, err := awscognito.New(client, poolID, nil).Exchange(t.Context(), l)
			if got := sentinels(err); len(got) != 1 || got[0] != c.want {
				t.Errorf("error = %v, matches %v; want only %v", err, got, c.want)
			}
			var respErr *awshttp.ResponseError
			if !errors.As(err, &respErr) || respErr.HTTPStatusCode() != c.status {
				t.Errorf("errors.As(*awshttp.ResponseError) = %v, want status %d", respErr, c.status)
			}
		})
	}
}

func TestContextEndingDuringACall(t *testing.T) {
	for _, op := range []string{identitytest.OpGetID, identitytest.OpGetCredentialsForIdentity} {
		t.Run(op, func(t *testing.T) {
			f := newFixture(t, nil)
			arrived := make(chan struct{}, 1)
			// The shared GetId call outlives its callers' contexts, so
			// the server answers it once the test is done.
			done := make(chan struct{})
			client := f.serve(t, func(w http.ResponseWriter, r *http.Request, body []byte) bool {
				if operation(r) != op {
					return false
				}
				arrived <- struct{}{}
				select {
				case <-r.Context().Done():
				case <-done:
				}
				return true
			})
			defer close(done)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			go func() {
				<-arrived
				cancel()
			}()
			_, err := awscognito.New(client, poolID, nil).Exchange(ctx, f.login(t, "u1"))
			if !errors.Is(err, context.Canceled) {
				t.Errorf("error = %v, want context.Canceled", err)
			}
			if got := sentinels(err); len(got) != 0 {
				t.Errorf("error = %v matches %v; a canceled call is none of them", err, got)
			}
		})
	}
}

func TestPoolConfigurationErrors(t *testing.T) {
	f := newFixture(t, &identitytest.PoolOptions{NoAuthenticatedRole: true})
	ctx := t.Context()

	_, err := awscognito.New(f.client, poolID, nil).Exchange(ctx, f.login(t, "u1"))
	var cfgErr *types.InvalidIdentityPoolConfigurationException
	if !errors.Is(err, identity.ErrMisconfigured) || !errors.As(err, &cfgErr) {
		t.Errorf("pool without role: error = %v, want ErrMisconfigured and InvalidIdentityPoolConfigurationException", err)
	}

	_, err = awscognito.New(f.client, "us-east-1:00000000-0000-4000-8000-000000000000", nil).Exchange(ctx, f.login(t, "u1"))
	var notFound *types.ResourceNotFoundException
	if !errors.Is(err, identity.ErrMisconfigured) || !errors.As(err, &notFound) {
		t.Errorf("unknown pool: error = %v, want ErrMisconfigured and ResourceNotFoundException", err)
	}

	before := f.srv.Requests(identitytest.OpGetID)
	for _, id := range []string{"", "not a pool id", "us-east-1:XYZ"} {
		if _, err := awscognito.New(f.client, id, nil).Exchange(ctx, f.login(t, "u1")); !errors.Is(err, identity.ErrMisconfigured) {
			t.Errorf("pool id %q: error = %v, want ErrMisconfigured", id, err)
		}
	}
	restricted := awscognito.New(f.client, poolID, &awscognito.Options{Providers: []string{identity.ProviderGoogle}})
	l := f.login(t, "u1")
	l.Provider = identity.ProviderFacebook
	if _, err := restricted.Exchange(ctx, l); !errors.Is(err, identity.ErrUnknownProvider) {
		t.Errorf("provider outside Options.Providers: error = %v, want ErrUnknownProvider", err)
	}
	if _, err := restricted.Exchange(ctx, identity.Login{Provider: "", Token: "t"}); !errors.Is(err, identity.ErrUnknownProvider) {
		t.Errorf("empty provider: error = %v, want ErrUnknownProvider", err)
	}
	if got := f.srv.Requests(identitytest.OpGetID); got != before {
		t.Errorf("requests refused locally reached the server: GetId calls %d → %d", before, got)
	}
}

func TestOptionsAreSent(t *testing.T) {
	f := newFixture(t, nil)
	// A malformed account id and role ARN are refused by the server's
	// validation, which shows the adapter sends them.
	_, err := awscognito.New(f.client, poolID, &awscognito.Options{AccountID: "not-digits"}).Exchange(t.Context(), f.login(t, "u1"))
	var invalid *types.InvalidParameterException
	if !errors.As(err, &invalid) {
		t.Errorf("bad AccountID: error = %v, want InvalidParameterException", err)
	}
	_, err = awscognito.New(f.client, poolID, &awscognito.Options{CustomRoleArn: "role"}).Exchange(t.Context(), f.login(t, "u1"))
	if !errors.As(err, &invalid) {
		t.Errorf("bad CustomRoleArn: error = %v, want InvalidParameterException", err)
	}
	good := &awscognito.Options{AccountID: "123456789012", CustomRoleArn: "arn:aws:iam::123456789012:role/Cognito_petuAuth_Role"}
	if _, err := awscognito.New(f.client, poolID, good).Exchange(t.Context(), f.login(t, "u1")); err != nil {
		t.Errorf("valid options: %v", err)
	}
}
