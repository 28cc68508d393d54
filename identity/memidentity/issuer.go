package memidentity

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// DefaultTokenLifetime is how long an ID token from an Issuer is valid,
// unless IssuerOptions.TokenLifetime says otherwise. It matches Google's.
const DefaultTokenLifetime = time.Hour

// IssuerOptions configure NewIssuer. A nil *IssuerOptions means the
// defaults.
type IssuerOptions struct {
	// Algorithm signs the tokens: jose.ES256 (the default) or jose.RS256.
	Algorithm jose.SignatureAlgorithm
	// TokenLifetime is how long a token is valid when Claims.Expiry is
	// zero. Zero means DefaultTokenLifetime.
	TokenLifetime time.Duration
	// Now returns the current time; nil means time.Now. Tests set it to
	// control expiry.
	Now func() time.Time
}

// Issuer signs OpenID Connect ID tokens with a key it generates. It is safe
// for concurrent use.
type Issuer struct {
	url      string
	alg      jose.SignatureAlgorithm
	lifetime time.Duration
	now      func() time.Time
	signer   jose.Signer
	public   jose.JSONWebKey
}

// NewIssuer returns an Issuer whose tokens carry url as their "iss" claim,
// for example "https://accounts.local" or the URL its Handler is served at.
func NewIssuer(url string, opts *IssuerOptions) (*Issuer, error) {
	var o IssuerOptions
	if opts != nil {
		o = *opts
	}
	if url == "" {
		return nil, errors.New("memidentity: issuer URL is empty")
	}
	if o.Algorithm == "" {
		o.Algorithm = jose.ES256
	}
	if o.TokenLifetime <= 0 {
		o.TokenLifetime = DefaultTokenLifetime
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	var key crypto.Signer
	var err error
	switch o.Algorithm {
	case jose.ES256:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jose.RS256:
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		return nil, fmt.Errorf("memidentity: unsupported signing algorithm %q (want ES256 or RS256)", o.Algorithm)
	}
	if err != nil {
		return nil, fmt.Errorf("memidentity: generate key: %w", err)
	}
	kid := make([]byte, 12)
	rand.Read(kid)
	jwk := jose.JSONWebKey{Key: key, KeyID: base64.RawURLEncoding.EncodeToString(kid), Algorithm: string(o.Algorithm), Use: "sig"}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: o.Algorithm, Key: jwk}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, fmt.Errorf("memidentity: new signer: %w", err)
	}
	return &Issuer{url: url, alg: o.Algorithm, lifetime: o.TokenLifetime, now: o.Now, signer: signer, public: jwk.Public()}, nil
}

// URL returns the issuer's URL, the "iss" claim of its tokens.
func (i *Issuer) URL() string { return i.url }

// KeySet returns the issuer's public signing key as a JSON Web Key Set.
func (i *Issuer) KeySet() jose.JSONWebKeySet {
	return jose.JSONWebKeySet{Keys: []jose.JSONWebKey{i.public}}
}

// Provider returns the Provider that trusts this issuer's tokens for the
// given audiences (client ids) under the login provider name.
func (i *Issuer) Provider(name string, audiences ...string) Provider {
	return Provider{Name: name, Issuer: i.url, Audiences: audiences, Keys: i.KeySet()}
}

// Claims are the claims of an ID token.
type Claims struct {
	// Issuer is "iss". Issue fills in the issuer's URL when it is empty.
	Issuer string
	// Subject is "sub", the user's id at the provider. Required.
	Subject string
	// Audience is "aud", the client id the token is for. Required.
	Audience string
	// IssuedAt is "iat". Issue uses the current time when it is zero.
	IssuedAt time.Time
	// Expiry is "exp". Issue uses IssuedAt plus the token lifetime when it
	// is zero.
	Expiry time.Time
	// Name, Email and EmailVerified describe the user, as Google's tokens
	// do; empty values are left out.
	Name          string
	Email         string
	EmailVerified bool
	// Nonce is echoed from the sign-in request, if any.
	Nonce string
}

// wireClaims is the JSON form of Claims.
type wireClaims struct {
	jwt.Claims
	Name          string `json:"name,omitempty"`
	Email         string `json:"email,omitempty"`
	EmailVerified bool   `json:"email_verified,omitempty"`
	Nonce         string `json:"nonce,omitempty"`
}

// Issue signs an ID token with the claims c.
func (i *Issuer) Issue(c Claims) (string, error) {
	if c.Subject == "" {
		return "", errors.New("memidentity: issue: subject is empty")
	}
	if c.Audience == "" {
		return "", errors.New("memidentity: issue: audience is empty")
	}
	if c.Issuer == "" {
		c.Issuer = i.url
	}
	if c.IssuedAt.IsZero() {
		c.IssuedAt = i.now()
	}
	if c.Expiry.IsZero() {
		c.Expiry = c.IssuedAt.Add(i.lifetime)
	}
	w := wireClaims{
		Claims: jwt.Claims{
			Issuer:   c.Issuer,
			Subject:  c.Subject,
			Audience: jwt.Audience{c.Audience},
			IssuedAt: jwt.NewNumericDate(c.IssuedAt),
			Expiry:   jwt.NewNumericDate(c.Expiry),
		},
		Name: c.Name, Email: c.Email, EmailVerified: c.EmailVerified, Nonce: c.Nonce,
	}
	tok, err := jwt.Signed(i.signer).Claims(w).Serialize()
	if err != nil {
		return "", fmt.Errorf("memidentity: issue: %w", err)
	}
	return tok, nil
}

// Handler serves the issuer's OpenID Connect discovery document at
// /.well-known/openid-configuration and its key set at
// /.well-known/jwks.json, relative to the issuer's URL path. Serve it at the
// issuer's URL so that verifiers elsewhere can fetch the keys.
func (i *Issuer) Handler() http.Handler {
	base := strings.TrimSuffix(i.url, "/")
	path := ""
	if j := strings.Index(base, "://"); j >= 0 {
		if k := strings.IndexByte(base[j+3:], '/'); k >= 0 {
			path = base[j+3+k:]
		}
	}
	discovery, _ := json.Marshal(map[string]any{
		"issuer":                                i.url,
		"jwks_uri":                              base + "/.well-known/jwks.json",
		"response_types_supported":              []string{"id_token"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{string(i.alg)},
		"claims_supported":                      []string{"iss", "sub", "aud", "iat", "exp", "name", "email", "email_verified", "nonce"},
	})
	jwks, _ := json.Marshal(i.KeySet())
	serve := func(body []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "public, max-age=300")
			w.Header().Set("Access-Control-Allow-Origin", "*")
			w.Write(body)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+path+"/.well-known/openid-configuration", serve(discovery))
	mux.Handle("GET "+path+"/.well-known/jwks.json", serve(jwks))
	return mux
}
