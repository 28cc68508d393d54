package memidentity_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/go-cmp/cmp"

	"github.com/servous/servous/identity"
	"github.com/servous/servous/identity/identitytest"
	"github.com/servous/servous/identity/memidentity"
)

const poolID = "eu-west-1:0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f"

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newIssuer(t testing.TB, url string, opts *memidentity.IssuerOptions) *memidentity.Issuer {
	t.Helper()
	i, err := memidentity.NewIssuer(url, opts)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func issue(t testing.TB, i *memidentity.Issuer, c memidentity.Claims) string {
	t.Helper()
	tok, err := i.Issue(c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestAuthenticate(t *testing.T) {
	clk := &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	iss := newIssuer(t, "https://accounts.local", &memidentity.IssuerOptions{Now: clk.Now})
	pool, err := memidentity.New(poolID, &memidentity.Options{
		Providers:           []memidentity.Provider{iss.Provider("accounts.local", "app")},
		CredentialsLifetime: 15 * time.Minute,
		Now:                 clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	id, err := pool.Exchange(t.Context(), identity.Login{Provider: "accounts.local", Token: issue(t, iss, memidentity.Claims{Subject: "u1", Audience: "app"})})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := id.Credentials.Expires, clk.Now().Add(15*time.Minute); !got.Equal(want) {
		t.Errorf("Expires = %v, want %v", got, want)
	}
	if id.ID[:len("eu-west-1:")] != "eu-west-1:" {
		t.Errorf("identity id %q lacks the pool's region", id.ID)
	}
	c := id.Credentials

	gotID, secret, err := pool.Authenticate(t.Context(), c.AccessKeyID, c.SessionToken)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{id.ID, c.SecretAccessKey}, []string{gotID, secret}); d != "" {
		t.Errorf("Authenticate (-want +got):\n%s", d)
	}

	for name, creds := range map[string][2]string{
		"unknown key":   {"ASIAAAAAAAAAAAAAAAAA", c.SessionToken},
		"wrong token":   {c.AccessKeyID, c.SessionToken + "x"},
		"empty token":   {c.AccessKeyID, ""},
		"empty key":     {"", ""},
		"secret as tok": {c.AccessKeyID, c.SecretAccessKey},
	} {
		if _, _, err := pool.Authenticate(t.Context(), creds[0], creds[1]); !errors.Is(err, identity.ErrNotAuthorized) {
			t.Errorf("%s: Authenticate error = %v, want ErrNotAuthorized", name, err)
		}
	}

	clk.Add(15*time.Minute - time.Second)
	if _, _, err := pool.Authenticate(t.Context(), c.AccessKeyID, c.SessionToken); err != nil {
		t.Errorf("a second before expiry: %v", err)
	}
	clk.Add(time.Second)
	if _, _, err := pool.Authenticate(t.Context(), c.AccessKeyID, c.SessionToken); !errors.Is(err, identity.ErrNotAuthorized) {
		t.Errorf("at expiry: Authenticate error = %v, want ErrNotAuthorized", err)
	}
}

func TestExpiredCredentialsAreSwept(t *testing.T) {
	clk := &clock{now: time.Now()}
	iss := newIssuer(t, "https://accounts.local", &memidentity.IssuerOptions{Now: clk.Now})
	pool, err := memidentity.New(poolID, &memidentity.Options{
		Providers: []memidentity.Provider{iss.Provider("accounts.local", "app")},
		Now:       clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	var first identity.Identity
	for i := range 200 {
		// Tokens are issued afresh: the issuer shares the moving clock.
		id, err := pool.Exchange(t.Context(), identity.Login{Provider: "accounts.local", Token: issue(t, iss, memidentity.Claims{Subject: "u", Audience: "app"})})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = id
		}
		clk.Add(2 * time.Minute)
	}
	// Whether swept or not, expired credentials are refused.
	if _, _, err := pool.Authenticate(t.Context(), first.Credentials.AccessKeyID, first.Credentials.SessionToken); !errors.Is(err, identity.ErrNotAuthorized) {
		t.Errorf("expired credentials: Authenticate error = %v, want ErrNotAuthorized", err)
	}
}

func TestVerifierClockSkew(t *testing.T) {
	now := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	iss := newIssuer(t, "https://accounts.local", nil)
	v, err := memidentity.NewVerifier([]memidentity.Provider{iss.Provider("p", "app")}, &memidentity.VerifierOptions{
		ClockSkew: 30 * time.Second,
		Now:       func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		iat, exp time.Time
		ok       bool
	}{
		{"valid", now.Add(-time.Minute), now.Add(time.Hour), true},
		{"expired within skew", now.Add(-time.Hour), now.Add(-29 * time.Second), true},
		{"expired beyond skew", now.Add(-time.Hour), now.Add(-31 * time.Second), false},
		{"issued ahead within skew", now.Add(29 * time.Second), now.Add(time.Hour), true},
		{"issued ahead beyond skew", now.Add(31 * time.Second), now.Add(time.Hour), false},
	} {
		tok := issue(t, iss, memidentity.Claims{Subject: "s", Audience: "app", IssuedAt: c.iat, Expiry: c.exp})
		claims, err := v.Verify(identity.Login{Provider: "p", Token: tok})
		if c.ok {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			} else if claims.Subject != "s" || claims.Audience != "app" || claims.Issuer != "https://accounts.local" {
				t.Errorf("%s: claims = %+v", c.name, claims)
			}
		} else if !errors.Is(err, identity.ErrNotAuthorized) {
			t.Errorf("%s: error = %v, want ErrNotAuthorized", c.name, err)
		}
	}
}

func TestVerifierRS256AndClaims(t *testing.T) {
	iss := newIssuer(t, "https://rs.local", &memidentity.IssuerOptions{Algorithm: jose.RS256})
	v, err := memidentity.NewVerifier([]memidentity.Provider{iss.Provider("rs", "a", "b")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	iat := time.Now().Truncate(time.Second)
	want := memidentity.Claims{Issuer: "https://rs.local", Subject: "s1", Audience: "b", IssuedAt: iat, Expiry: iat.Add(time.Hour),
		Name: "Sam", Email: "sam@example.com", EmailVerified: true, Nonce: "n0"}
	got, err := v.Verify(identity.Login{Provider: "rs", Token: issue(t, iss, want)})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("claims (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"rs"}, v.Providers()); d != "" {
		t.Errorf("Providers (-want +got):\n%s", d)
	}
}

func TestBadConfiguration(t *testing.T) {
	iss := newIssuer(t, "https://accounts.local", nil)
	for _, id := range []string{"", "us-east-1", "us-east-1:XYZ", "us east-1:0a", "us-east-1:" + string(make([]byte, 60))} {
		if _, err := memidentity.New(id, nil); !errors.Is(err, identity.ErrMisconfigured) {
			t.Errorf("New(%q) error = %v, want ErrMisconfigured", id, err)
		}
	}
	good := iss.Provider("p", "app")
	for name, p := range map[string]memidentity.Provider{
		"no name":     {Issuer: good.Issuer, Audiences: good.Audiences, Keys: good.Keys},
		"no issuer":   {Name: "p", Audiences: good.Audiences, Keys: good.Keys},
		"no audience": {Name: "p", Issuer: good.Issuer, Keys: good.Keys},
		"no keys":     {Name: "p", Issuer: good.Issuer, Audiences: good.Audiences},
	} {
		if _, err := memidentity.New(poolID, &memidentity.Options{Providers: []memidentity.Provider{p}}); !errors.Is(err, identity.ErrMisconfigured) {
			t.Errorf("%s: New error = %v, want ErrMisconfigured", name, err)
		}
	}
	if _, err := memidentity.NewIssuer("", nil); err == nil {
		t.Error("NewIssuer with no URL succeeded")
	}
	if _, err := memidentity.NewIssuer("https://x", &memidentity.IssuerOptions{Algorithm: jose.HS256}); err == nil {
		t.Error("NewIssuer with HS256 succeeded")
	}
	for _, c := range []memidentity.Claims{{Audience: "a"}, {Subject: "s"}} {
		if _, err := iss.Issue(c); err == nil {
			t.Errorf("Issue(%+v) succeeded, want an error for the missing claim", c)
		}
	}
}

func TestLinkingAndCredentialsForIdentity(t *testing.T) {
	a := newIssuer(t, "https://a.local", nil)
	b := newIssuer(t, "https://b.local", nil)
	pool, err := memidentity.New(poolID, &memidentity.Options{Providers: []memidentity.Provider{a.Provider("a", "app"), b.Provider("b", "app")}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	la := identity.Login{Provider: "a", Token: issue(t, a, memidentity.Claims{Subject: "x", Audience: "app"})}
	lb := identity.Login{Provider: "b", Token: issue(t, b, memidentity.Claims{Subject: "y", Audience: "app"})}
	lb2 := identity.Login{Provider: "b", Token: issue(t, b, memidentity.Claims{Subject: "z", Audience: "app"})}

	id, err := pool.IdentityID(ctx, la)
	if err != nil {
		t.Fatal(err)
	}
	linked, err := pool.IdentityID(ctx, la, lb)
	if err != nil {
		t.Fatal(err)
	}
	if linked != id {
		t.Errorf("linking b to a's identity gave %q, want %q", linked, id)
	}
	if got, err := pool.IdentityID(ctx, lb); err != nil || got != id {
		t.Errorf("IdentityID(b) = %q, %v; want the linked %q", got, err, id)
	}
	other, err := pool.IdentityID(ctx, lb2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.IdentityID(ctx, la, lb2); !errors.Is(err, memidentity.ErrLinkConflict) || !errors.Is(err, identity.ErrNotAuthorized) {
		t.Errorf("linking two identities: error = %v, want ErrLinkConflict", err)
	}

	if _, err := pool.Credentials(ctx, id, lb); err != nil {
		t.Errorf("Credentials with a linked login: %v", err)
	}
	if _, err := pool.Credentials(ctx, other, la); !errors.Is(err, identity.ErrNotAuthorized) {
		t.Errorf("Credentials with another identity's login: error = %v, want ErrNotAuthorized", err)
	}
	if _, err := pool.Credentials(ctx, id); !errors.Is(err, identity.ErrNotAuthorized) {
		t.Errorf("Credentials without logins: error = %v, want ErrNotAuthorized", err)
	}
	if _, err := pool.Credentials(ctx, "eu-west-1:00000000-0000-4000-8000-000000000000", la); !errors.Is(err, memidentity.ErrUnknownIdentity) {
		t.Errorf("Credentials for an unknown identity: error = %v, want ErrUnknownIdentity", err)
	}
}

func TestHandlerServesDiscoveryAndKeys(t *testing.T) {
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	t.Cleanup(srv.Close)
	iss := newIssuer(t, srv.URL+"/issuer", nil)
	srv.Config.Handler = iss.Handler()

	get := func(path string, v any) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", path, resp.Status)
		}
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatal(err)
		}
	}
	var disc struct {
		Issuer  string   `json:"issuer"`
		JWKSURI string   `json:"jwks_uri"`
		Algs    []string `json:"id_token_signing_alg_values_supported"`
	}
	get("/issuer/.well-known/openid-configuration", &disc)
	if d := cmp.Diff([]string{iss.URL(), srv.URL + "/issuer/.well-known/jwks.json", "ES256"}, []string{disc.Issuer, disc.JWKSURI, disc.Algs[0]}); d != "" {
		t.Errorf("discovery (-want +got):\n%s", d)
	}
	var keys jose.JSONWebKeySet
	get("/issuer/.well-known/jwks.json", &keys)
	for _, k := range keys.Keys {
		if !k.IsPublic() {
			t.Fatalf("JWKS serves a private key %q", k.KeyID)
		}
	}
	// Keys fetched over HTTP verify the issuer's tokens.
	v, err := memidentity.NewVerifier([]memidentity.Provider{{Name: "local", Issuer: disc.Issuer, Audiences: []string{"app"}, Keys: keys}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(identity.Login{Provider: "local", Token: issue(t, iss, memidentity.Claims{Subject: "s", Audience: "app"})}); err != nil {
		t.Errorf("verify with fetched keys: %v", err)
	}
}

func FuzzVerify(f *testing.F) {
	iss, err := identitytest.NewIssuer("https://accounts.google.com", jose.ES256)
	if err != nil {
		f.Fatal(err)
	}
	impostor, err := identitytest.NewIssuer("https://accounts.google.com", jose.ES256)
	if err != nil {
		f.Fatal(err)
	}
	for _, tok := range identitytest.BadTokens(f, iss, impostor) {
		f.Add(tok)
	}
	valid, err := iss.Issue(jwt.Claims{Subject: "s", Audience: jwt.Audience{identitytest.Audience}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	p := iss.Provider("p", identitytest.Audience)
	v, err := memidentity.NewVerifier([]memidentity.Provider{{Name: p.Name, Issuer: p.Issuer, Audiences: p.Audiences, Keys: p.Keys}}, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := v.Verify(identity.Login{Provider: "p", Token: tok})
		if err != nil {
			if !errors.Is(err, identity.ErrNotAuthorized) {
				t.Fatalf("error %v does not wrap ErrNotAuthorized", err)
			}
			return
		}
		if c.Subject == "" || c.Issuer != iss.URL() || c.Audience != identitytest.Audience {
			t.Fatalf("accepted token with claims %+v", c)
		}
	})
}
