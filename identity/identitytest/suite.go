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
)

// Names of the providers the suite asks the adapter under test to trust.
const (
	// GoogleProvider is Google's login provider name.
	GoogleProvider = identity.ProviderGoogle
	// UserPoolProvider names a Cognito user pool.
	UserPoolProvider = "cognito-idp.us-east-1.amazonaws.com/us-east-1_SuiteP00l"
	// OIDCProvider names a generic OpenID Connect provider.
	OIDCProvider = "login.example.com/oidc"
	// Audience is the client id every suite provider accepts.
	Audience = "suite-client-id"
)

// maxTokenLength is the longest login token Cognito's API takes.
const maxTokenLength = 50000

// idRE is the identity id pattern of the Cognito Identity API reference.
var idRE = regexp.MustCompile(`^[\w-]+:[0-9a-f-]+$`)

// Target is an exchanger under test and the means to make it trust the suite's providers.
type Target struct {
	// Exchanger is a new exchanger that trusts no provider.
	Exchanger identity.Exchanger
	// Trust makes Exchanger accept the ID tokens of p from now on, as adding an OpenID Connect
	// provider to an identity pool does.
	Trust func(p Provider) error
	// Advance moves forward the clock that the exchanger checks token expiry against and
	// dates credentials by. The clock starts at the current time. Nil skips the subtests that
	// need it.
	Advance func(d time.Duration)
}

// RunExchangerTests runs the conformance suite. newTarget is called once per subtest and must
// return a new exchanger trusting no provider.
func RunExchangerTests(t *testing.T, newTarget func(t *testing.T) Target) {
	s := newSuite(t)
	tests := []struct {
		name string
		fn   func(t *testing.T, tg *target)
	}{
		{"ExchangeReturnsIdentityAndTemporaryCredentials", s.testExchange},
		{"EveryProviderKind", s.testProviders},
		{"SameSubjectSameIdentity", s.testStable},
		{"DistinctSubjectsAndProviders", s.testDistinct},
		{"ConcurrentExchangesOfOneLogin", s.testConcurrent},
		{"BadTokensAreNotAuthorized", s.testBadTokens},
		{"UnknownProvider", s.testUnknownProvider},
		{"TokensExpire", s.testTokensExpire},
		{"CanceledContext", s.testCanceled},
		{"CredentialsProvider", s.testCredentialsProvider},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := &target{Target: newTarget(t)}
			if tg.Exchanger == nil || tg.Trust == nil {
				t.Fatal("Target.Exchanger and Target.Trust must be set")
			}
			for _, p := range s.providers() {
				if err := tg.Trust(p); err != nil {
					t.Fatalf("Trust(%s): %v", p.Name, err)
				}
			}
			tt.fn(t, tg)
		})
	}
}

// target is a Target and the time its clock has been moved by.
type target struct {
	Target
	mu     sync.Mutex
	offset time.Duration
}

// now returns the time on the target's clock.
func (tg *target) now() time.Time {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return time.Now().Add(tg.offset)
}

func (tg *target) advance(t *testing.T, d time.Duration) {
	t.Helper()
	if tg.Advance == nil {
		t.Skip("the target has no clock to move (Target.Advance is nil)")
	}
	tg.Advance(d)
	tg.mu.Lock()
	tg.offset += d
	tg.mu.Unlock()
}

type suite struct {
	google, userPool, oidc *Issuer
	// impostor has google's URL but its own key.
	impostor *Issuer
}

func newSuite(t *testing.T) *suite {
	t.Helper()
	mk := func(url string, alg jose.SignatureAlgorithm) *Issuer {
		i, err := NewIssuer(url, alg)
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

func (s *suite) providers() []Provider {
	return []Provider{
		s.google.Provider(GoogleProvider, Audience),
		s.userPool.Provider(UserPoolProvider, Audience, "another-client"),
		s.oidc.Provider(OIDCProvider, Audience),
	}
}

// issue signs a token for sub, issued now on tg's clock.
func issue(t *testing.T, tg *target, i *Issuer, sub string, lifetime time.Duration) string {
	t.Helper()
	now := tg.now()
	tok, err := i.Issue(jwt.Claims{Subject: sub, Audience: jwt.Audience{Audience},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(lifetime))})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func login(t *testing.T, tg *target, i *Issuer, provider, sub string) identity.Login {
	t.Helper()
	return identity.Login{Provider: provider, Token: issue(t, tg, i, sub, time.Hour)}
}

func exchange(t *testing.T, tg *target, l identity.Login) identity.Identity {
	t.Helper()
	id, err := tg.Exchanger.Exchange(t.Context(), l)
	if err != nil {
		t.Fatalf("Exchange(%s): %v", l.Provider, err)
	}
	checkIdentity(t, tg, id)
	return id
}

func checkIdentity(t *testing.T, tg *target, id identity.Identity) {
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
	now := tg.now()
	if !c.CanExpire || !c.Expires.After(now.Add(5*time.Minute)) || c.Expires.After(now.Add(12*time.Hour)) {
		t.Errorf("credentials CanExpire=%v Expires=%v, want temporary credentials valid for more than 5 minutes and at most 12 hours after %v", c.CanExpire, c.Expires, now)
	}
	if !c.HasKeys() {
		t.Errorf("credentials HasKeys() = false")
	}
}

func (s *suite) testExchange(t *testing.T, tg *target) {
	id := exchange(t, tg, login(t, tg, s.google, GoogleProvider, "alice"))
	if id.Credentials.Source == "" {
		t.Errorf("credentials Source is empty, want the adapter's name")
	}
}

func (s *suite) testProviders(t *testing.T, tg *target) {
	for _, c := range []struct {
		provider string
		issuer   *Issuer
	}{
		{GoogleProvider, s.google},
		{UserPoolProvider, s.userPool},
		{OIDCProvider, s.oidc},
	} {
		t.Run(c.provider, func(t *testing.T) {
			exchange(t, tg, login(t, tg, c.issuer, c.provider, "bob"))
		})
	}
	// A provider may accept several clients.
	now := tg.now()
	tok, err := s.userPool.Issue(jwt.Claims{Subject: "bob", Audience: jwt.Audience{"another-client"},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	exchange(t, tg, identity.Login{Provider: UserPoolProvider, Token: tok})
}

func (s *suite) testStable(t *testing.T, tg *target) {
	first := exchange(t, tg, login(t, tg, s.google, GoogleProvider, "carol"))
	// A later sign-in brings a new token for the same subject.
	now := tg.now()
	tok, err := s.google.Issue(jwt.Claims{Subject: "carol", Audience: jwt.Audience{Audience},
		IssuedAt: jwt.NewNumericDate(now.Add(-time.Second)), Expiry: jwt.NewNumericDate(now.Add(30 * time.Minute))})
	if err != nil {
		t.Fatal(err)
	}
	second := exchange(t, tg, identity.Login{Provider: GoogleProvider, Token: tok})
	if first.ID != second.ID {
		t.Errorf("identity ids differ for one subject: %q then %q", first.ID, second.ID)
	}
	if first.Credentials.AccessKeyID == second.Credentials.AccessKeyID {
		t.Errorf("two exchanges returned the same access key id %q, want fresh credentials", first.Credentials.AccessKeyID)
	}
}

func (s *suite) testDistinct(t *testing.T, tg *target) {
	a := exchange(t, tg, login(t, tg, s.google, GoogleProvider, "dave"))
	b := exchange(t, tg, login(t, tg, s.google, GoogleProvider, "erin"))
	c := exchange(t, tg, login(t, tg, s.oidc, OIDCProvider, "dave"))
	if a.ID == b.ID {
		t.Errorf("subjects dave and erin share identity %q", a.ID)
	}
	if a.ID == c.ID {
		t.Errorf("subject dave at two providers shares identity %q", a.ID)
	}
}

func (s *suite) testConcurrent(t *testing.T, tg *target) {
	const n = 100
	l := login(t, tg, s.google, GoogleProvider, "frank")
	ids := make([]identity.Identity, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { ids[i], errs[i] = tg.Exchanger.Exchange(t.Context(), l) })
	}
	wg.Wait()
	seen := map[string]int{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("exchange %d: %v", i, errs[i])
		}
		checkIdentity(t, tg, ids[i])
		seen[ids[i].ID]++
	}
	if len(seen) != 1 {
		t.Errorf("%d concurrent exchanges of one login gave %d identity ids: %v", n, len(seen), seen)
	}
}

// BadTokens returns tokens that every verifier must refuse for a provider trusting google's
// tokens for Audience, keyed by what is wrong with them: google signs the valid variants;
// impostor has google's issuer URL and another key.
func BadTokens(t testing.TB, google, impostor *Issuer) map[string]string {
	t.Helper()
	now := time.Now()
	issue := func(c jwt.Claims, i *Issuer) string {
		t.Helper()
		tok, err := i.Issue(c)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	claims := func(iss, aud string, iat, exp time.Time) jwt.Claims {
		return jwt.Claims{Issuer: iss, Subject: "mallory", Audience: jwt.Audience{aud},
			IssuedAt: jwt.NewNumericDate(iat), Expiry: jwt.NewNumericDate(exp)}
	}
	valid := issue(claims("", Audience, now, now.Add(time.Hour)), google)
	parts := strings.Split(valid, ".")
	b64 := base64.RawURLEncoding.EncodeToString
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	tampered := strings.Replace(string(payload), "mallory", "alice00", 1)

	// An HS256 token whose secret is guessable: a verifier must not accept HMAC at all, or a
	// public key could serve as the shared secret.
	hs, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte(strings.Repeat("k", 32))}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	hmacTok, err := jwt.Signed(hs).Claims(claims(google.URL(), Audience, now, now.Add(time.Hour))).Serialize()
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
		"wrong key":               issue(claims("", Audience, now, now.Add(time.Hour)), impostor),
		"wrong issuer":            issue(claims("https://evil.example.com", Audience, now, now.Add(time.Hour)), google),
		"wrong audience":          issue(claims("", "someone-else", now, now.Add(time.Hour)), google),
		"expired":                 issue(claims("", Audience, now.Add(-2*time.Hour), now.Add(-10*time.Minute)), google),
		"issued in the future":    issue(claims("", Audience, now.Add(10*time.Minute), now.Add(time.Hour)), google),
		"oversized":               strings.Repeat("a", maxTokenLength+1),
	}
}

func (s *suite) testBadTokens(t *testing.T, tg *target) {
	// The bad tokens name a subject the adapter already knows, so an
	// adapter that answers by the subject read from an unverified token
	// is caught.
	exchange(t, tg, login(t, tg, s.google, GoogleProvider, "mallory"))
	for name, tok := range BadTokens(t, s.google, s.impostor) {
		t.Run(name, func(t *testing.T) {
			_, err := tg.Exchanger.Exchange(t.Context(), identity.Login{Provider: GoogleProvider, Token: tok})
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
		l := login(t, tg, s.oidc, OIDCProvider, "mallory")
		l.Provider = GoogleProvider
		if _, err := tg.Exchanger.Exchange(t.Context(), l); !errors.Is(err, identity.ErrNotAuthorized) {
			t.Errorf("Exchange error = %v, want identity.ErrNotAuthorized", err)
		}
	})
}

func (s *suite) testUnknownProvider(t *testing.T, tg *target) {
	for _, provider := range []string{"graph.facebook.com", "cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"} {
		l := login(t, tg, s.google, provider, "grace")
		_, err := tg.Exchanger.Exchange(t.Context(), l)
		if !errors.Is(err, identity.ErrUnknownProvider) {
			t.Errorf("Exchange with provider %q: error = %v, want identity.ErrUnknownProvider", provider, err)
		}
	}
}

// testTokensExpire moves the target's clock past a token's expiry: the token that was
// accepted is refused, and a new sign-in finds the same identity with credentials dated by
// the moved clock.
func (s *suite) testTokensExpire(t *testing.T, tg *target) {
	l := identity.Login{Provider: GoogleProvider, Token: issue(t, tg, s.google, "judy", 10*time.Minute)}
	first := exchange(t, tg, l)
	// Well past the expiry and any clock skew a verifier allows.
	tg.advance(t, 2*time.Hour)
	if _, err := tg.Exchanger.Exchange(t.Context(), l); !errors.Is(err, identity.ErrNotAuthorized) {
		t.Errorf("Exchange of a token expired on the target's clock: error = %v, want identity.ErrNotAuthorized", err)
	}
	again := exchange(t, tg, login(t, tg, s.google, GoogleProvider, "judy"))
	if again.ID != first.ID {
		t.Errorf("a new sign-in after expiry gave identity %q, want %q", again.ID, first.ID)
	}
}

func (s *suite) testCanceled(t *testing.T, tg *target) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := tg.Exchanger.Exchange(ctx, login(t, tg, s.google, GoogleProvider, "heidi"))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Exchange with a canceled context: error = %v, want context.Canceled", err)
	}
}

func (s *suite) testCredentialsProvider(t *testing.T, tg *target) {
	var ids []string
	p := identity.NewCredentialsProvider(tg.Exchanger, login(t, tg, s.google, GoogleProvider, "ivan"), &identity.ProviderOptions{
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
	direct := exchange(t, tg, login(t, tg, s.google, GoogleProvider, "ivan"))
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
