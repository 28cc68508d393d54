package awscognito_test

import (
	"errors"
	"net/http/httptest"
	"sync"
	"testing"

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

func TestConformance(t *testing.T) {
	identitytest.RunExchangerTests(t, func(t *testing.T, providers []memidentity.Provider) identity.Exchanger {
		srv := identitytest.NewServer(nil)
		if _, err := srv.AddPool(poolID, &identitytest.PoolOptions{Providers: providers}); err != nil {
			t.Fatal(err)
		}
		return awscognito.New(start(t, srv), poolID, nil)
	})
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
	opts.Providers = append(opts.Providers, google.Provider(identity.ProviderGoogle, "client"))
	srv := identitytest.NewServer(nil)
	if _, err := srv.AddPool(poolID, opts); err != nil {
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

func TestIdentityIDIsCachedPerLogin(t *testing.T) {
	f := newFixture(t, nil)
	p := awscognito.New(f.client, poolID, nil)
	first, err := p.Exchange(t.Context(), f.login(t, "u1"))
	if err != nil {
		t.Fatal(err)
	}
	// A fresh token for the same subject reuses the cached identity id.
	for range 3 {
		id, err := p.Exchange(t.Context(), f.login(t, "u1"))
		if err != nil {
			t.Fatal(err)
		}
		if id.ID != first.ID {
			t.Fatalf("identity id changed: %q then %q", first.ID, id.ID)
		}
	}
	if got := f.srv.Requests(identitytest.OpGetID); got != 1 {
		t.Errorf("GetId calls = %d, want 1", got)
	}
	if got := f.srv.Requests(identitytest.OpGetCredentialsForIdentity); got != 4 {
		t.Errorf("GetCredentialsForIdentity calls = %d, want 4", got)
	}
	if got, err := p.IdentityID(t.Context(), f.login(t, "u1")); err != nil || got != first.ID {
		t.Errorf("IdentityID = %q, %v; want %q", got, err, first.ID)
	}
	if _, err := p.Exchange(t.Context(), f.login(t, "u2")); err != nil {
		t.Fatal(err)
	}
	if got := f.srv.Requests(identitytest.OpGetID); got != 2 {
		t.Errorf("GetId calls after a second subject = %d, want 2", got)
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
	first, err := p.Exchange(t.Context(), f.login(t, "u1"))
	if err != nil {
		t.Fatal(err)
	}
	f.srv.FailNext(identitytest.OpGetCredentialsForIdentity, identitytest.Fault{Code: "ResourceNotFoundException", Message: "Identity '" + first.ID + "' not found."})
	again, err := p.Exchange(t.Context(), f.login(t, "u1"))
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
		want     error
	}{
		{identitytest.OpGetID, "NotAuthorizedException", identity.ErrNotAuthorized},
		{identitytest.OpGetID, "ResourceConflictException", identity.ErrNotAuthorized},
		{identitytest.OpGetID, "TooManyRequestsException", identity.ErrThrottled},
		{identitytest.OpGetID, "LimitExceededException", identity.ErrThrottled},
		{identitytest.OpGetID, "ResourceNotFoundException", identity.ErrMisconfigured},
		{identitytest.OpGetID, "InvalidParameterException", identity.ErrMisconfigured},
		{identitytest.OpGetID, "InternalErrorException", identity.ErrUnavailable},
		{identitytest.OpGetID, "ExternalServiceException", identity.ErrUnavailable},
		{identitytest.OpGetCredentialsForIdentity, "NotAuthorizedException", identity.ErrNotAuthorized},
		{identitytest.OpGetCredentialsForIdentity, "ResourceConflictException", identity.ErrNotAuthorized},
		{identitytest.OpGetCredentialsForIdentity, "TooManyRequestsException", identity.ErrThrottled},
		{identitytest.OpGetCredentialsForIdentity, "InvalidParameterException", identity.ErrMisconfigured},
		{identitytest.OpGetCredentialsForIdentity, "InvalidIdentityPoolConfigurationException", identity.ErrMisconfigured},
		{identitytest.OpGetCredentialsForIdentity, "InternalErrorException", identity.ErrUnavailable},
		{identitytest.OpGetCredentialsForIdentity, "ExternalServiceException", identity.ErrUnavailable},
	}
	f := newFixture(t, nil)
	for _, c := range cases {
		t.Run(c.op+"/"+c.code, func(t *testing.T) {
			// A new Pool each time, so GetId is not skipped by the cache.
			p := awscognito.New(f.client, poolID, nil)
			f.srv.FailNext(c.op, identitytest.Fault{Code: c.code, Message: "injected " + c.code})
			_, err := p.Exchange(t.Context(), f.login(t, "u1"))
			if !errors.Is(err, c.want) {
				t.Fatalf("error = %v, want %v", err, c.want)
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
