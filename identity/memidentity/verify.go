package memidentity

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/servous/servous/identity"
)

// DefaultClockSkew is the clock skew a Verifier allows when it checks the
// "exp" and "iat" claims, unless VerifierOptions.ClockSkew says otherwise.
const DefaultClockSkew = time.Minute

// MaxTokenLength is the longest token a Verifier considers, the limit of a
// Logins map value in Cognito's API.
const MaxTokenLength = 50000

// algorithms are the signature algorithms a Verifier accepts. "none" and
// the HMAC algorithms are absent on purpose: a public key must never be
// usable as a shared secret.
var algorithms = []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.ES512, jose.RS256, jose.RS384, jose.RS512}

// Provider is an identity provider whose tokens a Verifier trusts.
type Provider struct {
	// Name is the login provider name, the key of Cognito's Logins map:
	// "accounts.google.com", "cognito-idp.<region>.amazonaws.com/<pool id>"
	// or an OpenID Connect issuer's host and path.
	Name string
	// Issuer must equal the token's "iss" claim exactly.
	Issuer string
	// Audiences are the client ids accepted in the "aud" claim; a token is
	// accepted if it names any of them. At least one is required.
	Audiences []string
	// Keys are the provider's public signing keys.
	Keys jose.JSONWebKeySet
}

// VerifierOptions configure NewVerifier. A nil *VerifierOptions means the
// defaults.
type VerifierOptions struct {
	// ClockSkew is the leeway allowed on "exp" and "iat". Zero means
	// DefaultClockSkew; negative means none.
	ClockSkew time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Verifier verifies ID tokens from registered providers. It is safe for
// concurrent use.
type Verifier struct {
	skew time.Duration
	now  func() time.Time

	mu        sync.RWMutex
	providers map[string]Provider
}

// NewVerifier returns a Verifier trusting the given providers.
func NewVerifier(providers []Provider, opts *VerifierOptions) (*Verifier, error) {
	var o VerifierOptions
	if opts != nil {
		o = *opts
	}
	if o.ClockSkew == 0 {
		o.ClockSkew = DefaultClockSkew
	} else if o.ClockSkew < 0 {
		o.ClockSkew = 0
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	v := &Verifier{skew: o.ClockSkew, now: o.Now, providers: map[string]Provider{}}
	for _, p := range providers {
		if err := v.AddProvider(p); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// AddProvider registers p, replacing any provider of the same name. Its
// error wraps identity.ErrMisconfigured when p lacks a name, an issuer, an
// audience or a key.
func (v *Verifier) AddProvider(p Provider) error {
	switch {
	case p.Name == "":
		return fmt.Errorf("memidentity: provider has no name: %w", identity.ErrMisconfigured)
	case p.Issuer == "":
		return fmt.Errorf("memidentity: provider %q has no issuer: %w", p.Name, identity.ErrMisconfigured)
	case len(p.Audiences) == 0:
		return fmt.Errorf("memidentity: provider %q has no audience: %w", p.Name, identity.ErrMisconfigured)
	case len(p.Keys.Keys) == 0:
		return fmt.Errorf("memidentity: provider %q has no keys: %w", p.Name, identity.ErrMisconfigured)
	}
	keys := make([]jose.JSONWebKey, 0, len(p.Keys.Keys))
	for _, k := range p.Keys.Keys {
		// Keep only public halves, so a private key handed in by mistake is
		// never held longer than needed.
		pub := k.Public()
		if !pub.Valid() {
			return fmt.Errorf("memidentity: provider %q: key %q is not a valid public key: %w", p.Name, k.KeyID, identity.ErrMisconfigured)
		}
		keys = append(keys, pub)
	}
	p.Keys = jose.JSONWebKeySet{Keys: keys}
	p.Audiences = slices.Clone(p.Audiences)
	v.mu.Lock()
	v.providers[p.Name] = p
	v.mu.Unlock()
	return nil
}

// Providers returns the names of the registered providers, sorted.
func (v *Verifier) Providers() []string {
	v.mu.RLock()
	defer v.mu.RUnlock()
	names := make([]string, 0, len(v.providers))
	for n := range v.providers {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Verify checks login's token against the provider it names and returns
// its claims. The error wraps identity.ErrUnknownProvider if no such provider
// is registered, and identity.ErrNotAuthorized if the token is refused for
// any reason: malformed, unsigned or signed with an unexpected algorithm,
// signed by a key not the provider's, from another issuer, for another
// audience, expired, issued in the future beyond the clock skew, or lacking
// a subject.
func (v *Verifier) Verify(login identity.Login) (Claims, error) {
	v.mu.RLock()
	p, ok := v.providers[login.Provider]
	v.mu.RUnlock()
	if !ok {
		return Claims{}, fmt.Errorf("memidentity: provider %q: %w", login.Provider, identity.ErrUnknownProvider)
	}
	c, err := v.verify(p, login.Token)
	if err != nil {
		return Claims{}, fmt.Errorf("memidentity: provider %q: %w: %w", login.Provider, identity.ErrNotAuthorized, err)
	}
	return c, nil
}

var (
	errMalformed  = errors.New("token is malformed")
	errSignature  = errors.New("signature is not from a key of the provider")
	errMissing    = errors.New("token lacks a required claim (iss, sub, aud, iat, exp)")
	errTooLong    = errors.New("token is too long")
	errIssuer     = errors.New("issuer does not match the provider")
	errAudience   = errors.New("audience is not a client of the provider")
	errExpired    = errors.New("token has expired")
	errFuture     = errors.New("token is issued in the future")
	errNotYet     = errors.New("token is not valid yet")
	errMultiSigns = errors.New("token has more than one signature")
)

func (v *Verifier) verify(p Provider, token string) (Claims, error) {
	if len(token) > MaxTokenLength {
		return Claims{}, errTooLong
	}
	tok, err := jwt.ParseSigned(token, algorithms)
	if err != nil {
		return Claims{}, fmt.Errorf("%w: %w", errMalformed, err)
	}
	if len(tok.Headers) != 1 {
		return Claims{}, errMultiSigns
	}
	h := tok.Headers[0]
	var w wireClaims
	verified := false
	for _, k := range p.Keys.Keys {
		if h.KeyID != "" && k.KeyID != "" && k.KeyID != h.KeyID {
			continue
		}
		if k.Algorithm != "" && k.Algorithm != h.Algorithm {
			continue
		}
		if err := tok.Claims(k.Key, &w); err == nil {
			verified = true
			break
		}
	}
	if !verified {
		return Claims{}, errSignature
	}
	if w.Issuer == "" || w.Subject == "" || len(w.Audience) == 0 || w.IssuedAt == nil || w.Expiry == nil {
		return Claims{}, errMissing
	}
	if w.Issuer != p.Issuer {
		return Claims{}, fmt.Errorf("%w: %q", errIssuer, w.Issuer)
	}
	if !slices.ContainsFunc(p.Audiences, w.Audience.Contains) {
		return Claims{}, fmt.Errorf("%w: %q", errAudience, []string(w.Audience))
	}
	now := v.now()
	if !now.Before(w.Expiry.Time().Add(v.skew)) {
		return Claims{}, errExpired
	}
	if w.IssuedAt.Time().After(now.Add(v.skew)) {
		return Claims{}, errFuture
	}
	if w.NotBefore != nil && w.NotBefore.Time().After(now.Add(v.skew)) {
		return Claims{}, errNotYet
	}
	c := Claims{
		Issuer:        w.Issuer,
		Subject:       w.Subject,
		IssuedAt:      w.IssuedAt.Time(),
		Expiry:        w.Expiry.Time(),
		Name:          w.Name,
		Email:         w.Email,
		EmailVerified: w.EmailVerified,
		Nonce:         w.Nonce,
	}
	// Report the audience the provider accepted.
	for _, a := range w.Audience {
		if slices.Contains(p.Audiences, a) {
			c.Audience = a
			break
		}
	}
	return c, nil
}
