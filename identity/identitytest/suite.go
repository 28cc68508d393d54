package identitytest

import (
	"context"
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/servous/servous/identity"
	"github.com/servous/servous/identity/memidentity"
)

// Names of the providers the suite registers with the adapter under test.
const (
	// GoogleProvider is registered with GoogleIssuer's keys.
	GoogleProvider = identity.ProviderGoogle
	// UserPoolProvider names a Cognito user pool.
	UserPoolProvider = "cognito-idp.us-east-1.amazonaws.com/us-east-1_SuiteP00l"
	// OIDCProvider names a generic OpenID Connect provider.
	OIDCProvider = "login.example.com/oidc"
	// Audience is the client id every suite provider accepts.
	Audience = "suite-client-id"
)

// idRE is the identity id pattern of the Cognito Identity API reference.
var idRE = regexp.MustCompile(`^[\w-]+:[0-9a-f-]+$`)

// RunExchangerTests runs the identity conformance suite. newExchanger
// returns the adapter under test, trusting exactly the given providers; it is
// called once per subtest and must register its own cleanup with t.
func RunExchangerTests(t *testing.T, newExchanger func(t *testing.T, providers []memidentity.Provider) identity.Exchanger) {
	s := newSuite(t)
	run := func(name string, f func(t *testing.T, x identity.Exchanger)) {
		t.Run(name, func(t *testing.T) {
			f(t, newExchanger(t, s.providers()))
		})
	}
	run("ExchangeReturnsIdentityAndTemporaryCredentials", s.testExchange)
	run("EveryProviderKind", s.testProviders)
	run("SameSubjectSameIdentity", s.testStable)
	run("DistinctSubjectsAndProviders", s.testDistinct)
	run("ConcurrentExchangesOfOneLogin", s.testConcurrent)
	run("BadTokensAreNotAuthorized", s.testBadTokens)
	run("UnknownProvider", s.testUnknownProvider)
	run("CanceledContext", s.testCanceled)
	run("CredentialsProvider", s.testCredentialsProvider)
}

type suite struct {
	google, userPool, oidc *memidentity.Issuer
	// impostor has google's URL but its own key.
	impostor *memidentity.Issuer
}

func newSuite(t *testing.T) *suite {
	t.Helper()
	mk := func(url string, alg jose.SignatureAlgorithm) *memidentity.Issuer {
		i, err := memidentity.NewIssuer(url, &memidentity.IssuerOptions{Algorithm: alg})
		if err != nil {
			t.Fatal(err)
		}
		return i
	}
	return &suite{
		google:   mk("https://accounts.google.com", jose.ES256),
		userPool: mk("https://"+UserPoolProvider, jose.RS256),
		oidc:     mk("https://"+OIDCProvider, jose.ES256),
		impostor: mk("https://accounts.google.com", jose.ES256),
	}
}

func (s *suite) providers() []memidentity.Provider {
	return []memidentity.Provider{
		s.google.Provider(GoogleProvider, Audience),
		s.userPool.Provider(UserPoolProvider, Audience, "another-client"),
		s.oidc.Provider(OIDCProvider, Audience),
	}
}

func (s *suite) login(t *testing.T, i *memidentity.Issuer, provider, sub string) identity.Login {
	t.Helper()
	tok, err := i.Issue(memidentity.Claims{Subject: sub, Audience: Audience, Email: sub + "@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	return identity.Login{Provider: provider, Token: tok}
}

func exchange(t *testing.T, x identity.Exchanger, l identity.Login) identity.Identity {
	t.Helper()
	id, err := x.Exchange(t.Context(), l)
	if err != nil {
		t.Fatalf("Exchange(%s): %v", l.Provider, err)
	}
	checkIdentity(t, id)
	return id
}

func checkIdentity(t *testing.T, id identity.Identity) {
	t.Helper()
	if len(id.ID) > 55 || !idRE.MatchString(id.ID) {
		t.Errorf("identity id %q does not match REGION:GUID", id.ID)
	}
	c := id.Credentials
	if !strings.HasPrefix(c.AccessKeyID, "ASIA") || len(c.AccessKeyID) != 20 {
		t.Errorf("AccessKeyID = %q, want a 20-character temporary key id starting ASIA", c.AccessKeyID)
	}
	if c.SecretAccessKey == "" || c.SessionToken == "" {
		t.Errorf("credentials lack a secret or session token: %+v", c)
	}
	if !c.CanExpire || !c.Expires.After(time.Now().Add(5*time.Minute)) {
		t.Errorf("credentials CanExpire=%v Expires=%v, want expiring temporary credentials valid for more than 5 minutes", c.CanExpire, c.Expires)
	}
	if !c.HasKeys() {
		t.Errorf("credentials HasKeys() = false")
	}
}

func (s *suite) testExchange(t *testing.T, x identity.Exchanger) {
	id := exchange(t, x, s.login(t, s.google, GoogleProvider, "alice"))
	if id.Credentials.Source == "" {
		t.Errorf("credentials Source is empty, want the adapter's name")
	}
}

func (s *suite) testProviders(t *testing.T, x identity.Exchanger) {
	for _, c := range []struct {
		provider string
		issuer   *memidentity.Issuer
	}{
		{GoogleProvider, s.google},
		{UserPoolProvider, s.userPool},
		{OIDCProvider, s.oidc},
	} {
		t.Run(c.provider, func(t *testing.T) {
			exchange(t, x, s.login(t, c.issuer, c.provider, "bob"))
		})
	}
}

func (s *suite) testStable(t *testing.T, x identity.Exchanger) {
	first := exchange(t, x, s.login(t, s.google, GoogleProvider, "carol"))
	// A later sign-in brings a new token for the same subject.
	tok, err := s.google.Issue(memidentity.Claims{Subject: "carol", Audience: Audience, IssuedAt: time.Now().Add(-time.Second), Name: "Carol"})
	if err != nil {
		t.Fatal(err)
	}
	second := exchange(t, x, identity.Login{Provider: GoogleProvider, Token: tok})
	if first.ID != second.ID {
		t.Errorf("identity ids differ for one subject: %q then %q", first.ID, second.ID)
	}
	if first.Credentials.AccessKeyID == second.Credentials.AccessKeyID {
		t.Errorf("two exchanges returned the same access key id %q, want fresh credentials", first.Credentials.AccessKeyID)
	}
}

func (s *suite) testDistinct(t *testing.T, x identity.Exchanger) {
	a := exchange(t, x, s.login(t, s.google, GoogleProvider, "dave"))
	b := exchange(t, x, s.login(t, s.google, GoogleProvider, "erin"))
	c := exchange(t, x, s.login(t, s.oidc, OIDCProvider, "dave"))
	if a.ID == b.ID {
		t.Errorf("subjects dave and erin share identity %q", a.ID)
	}
	if a.ID == c.ID {
		t.Errorf("subject dave at two providers shares identity %q", a.ID)
	}
}

func (s *suite) testConcurrent(t *testing.T, x identity.Exchanger) {
	const n = 100
	l := s.login(t, s.google, GoogleProvider, "frank")
	ids := make([]identity.Identity, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { ids[i], errs[i] = x.Exchange(t.Context(), l) })
	}
	wg.Wait()
	seen := map[string]int{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("exchange %d: %v", i, errs[i])
		}
		checkIdentity(t, ids[i])
		seen[ids[i].ID]++
	}
	if len(seen) != 1 {
		t.Errorf("%d concurrent exchanges of one login gave %d identity ids: %v", n, len(seen), seen)
	}
}

// BadTokens returns tokens that every verifier must refuse for the provider
// GoogleProvider, keyed by what is wrong with them. google signs the valid
// variants; impostor has google's issuer URL and another key.
func BadTokens(t testing.TB, google, impostor *memidentity.Issuer) map[string]string {
	t.Helper()
	now := time.Now()
	issue := func(c memidentity.Claims, i *memidentity.Issuer) string {
		tok, err := i.Issue(c)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	valid := issue(memidentity.Claims{Subject: "mallory", Audience: Audience}, google)
	parts := strings.Split(valid, ".")
	b64 := base64.RawURLEncoding.EncodeToString
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	tampered := strings.Replace(string(payload), "mallory", "alice00", 1)

	// An HS256 token whose secret is the provider's public key bytes: the
	// classic confusion attack. A verifier must not accept HMAC at all.
	hs, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte(strings.Repeat("k", 32))}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	hmacTok, err := jwt.Signed(hs).Claims(jwt.Claims{Issuer: google.URL(), Subject: "mallory", Audience: jwt.Audience{Audience},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Hour))}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"empty":                   "",
		"not a JWT":               "not-a-jwt",
		"garbage segments":        "a.b.c",
		"only header and payload": parts[0] + "." + parts[1],
		"alg none":                b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + ".",
		"alg none no signature":   b64([]byte(`{"alg":"none"}`)) + "." + parts[1],
		"HS256":                   hmacTok,
		"tampered payload":        parts[0] + "." + b64([]byte(tampered)) + "." + parts[2],
		"truncated signature":     valid[:len(valid)-8],
		"wrong key":               issue(memidentity.Claims{Subject: "mallory", Audience: Audience}, impostor),
		"wrong issuer":            issue(memidentity.Claims{Issuer: "https://evil.example.com", Subject: "mallory", Audience: Audience}, google),
		"wrong audience":          issue(memidentity.Claims{Subject: "mallory", Audience: "someone-else"}, google),
		"expired":                 issue(memidentity.Claims{Subject: "mallory", Audience: Audience, IssuedAt: now.Add(-2 * time.Hour), Expiry: now.Add(-10 * time.Minute)}, google),
		"issued in the future":    issue(memidentity.Claims{Subject: "mallory", Audience: Audience, IssuedAt: now.Add(10 * time.Minute), Expiry: now.Add(time.Hour)}, google),
		"oversized":               strings.Repeat("a", memidentity.MaxTokenLength+1),
	}
}

func (s *suite) testBadTokens(t *testing.T, x identity.Exchanger) {
	// The bad tokens name a subject the adapter already knows, so an
	// adapter that answers by the subject read from an unverified token
	// is caught.
	exchange(t, x, s.login(t, s.google, GoogleProvider, "mallory"))
	for name, tok := range BadTokens(t, s.google, s.impostor) {
		t.Run(name, func(t *testing.T) {
			_, err := x.Exchange(t.Context(), identity.Login{Provider: GoogleProvider, Token: tok})
			if !errors.Is(err, identity.ErrNotAuthorized) {
				t.Errorf("Exchange error = %v, want identity.ErrNotAuthorized", err)
			}
			if errors.Is(err, identity.ErrUnknownProvider) {
				t.Errorf("Exchange error = %v also matches ErrUnknownProvider", err)
			}
		})
	}
	// A token valid at one provider is refused at another.
	t.Run("token of another provider", func(t *testing.T) {
		l := s.login(t, s.oidc, OIDCProvider, "mallory")
		l.Provider = GoogleProvider
		if _, err := x.Exchange(t.Context(), l); !errors.Is(err, identity.ErrNotAuthorized) {
			t.Errorf("Exchange error = %v, want identity.ErrNotAuthorized", err)
		}
	})
}

func (s *suite) testUnknownProvider(t *testing.T, x identity.Exchanger) {
	for _, provider := range []string{"graph.facebook.com", "cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"} {
		l := s.login(t, s.google, provider, "grace")
		_, err := x.Exchange(t.Context(), l)
		if !errors.Is(err, identity.ErrUnknownProvider) {
			t.Errorf("Exchange with provider %q: error = %v, want identity.ErrUnknownProvider", provider, err)
		}
	}
}

func (s *suite) testCanceled(t *testing.T, x identity.Exchanger) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := x.Exchange(ctx, s.login(t, s.google, GoogleProvider, "heidi"))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Exchange with a canceled context: error = %v, want context.Canceled", err)
	}
}

func (s *suite) testCredentialsProvider(t *testing.T, x identity.Exchanger) {
	var ids []string
	p := identity.NewCredentialsProvider(x, s.login(t, s.google, GoogleProvider, "ivan"), &identity.ProviderOptions{
		OnIdentity: func(id identity.Identity) { ids = append(ids, id.ID) },
	})
	c1, err := p.Retrieve(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	c2, err := p.Retrieve(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if c1.AccessKeyID != c2.AccessKeyID {
		t.Errorf("credentials refreshed while valid: %q then %q", c1.AccessKeyID, c2.AccessKeyID)
	}
	direct := exchange(t, x, s.login(t, s.google, GoogleProvider, "ivan"))
	if len(ids) != 1 || ids[0] != direct.ID {
		t.Errorf("provider identities = %q, want [%q]", ids, direct.ID)
	}
	p.Invalidate()
	c3, err := p.Retrieve(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if c3.AccessKeyID == c1.AccessKeyID {
		t.Errorf("credentials not refreshed after Invalidate")
	}
}
