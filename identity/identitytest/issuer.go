package identitytest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Provider is an OpenID Connect identity provider an exchanger is told to trust, as an
// identity pool is configured with one: the name its logins carry, the issuer its ID tokens
// name, the client ids they may be for, and its public signing keys.
type Provider struct {
	// Name is the login provider name, the key of Cognito's Logins map.
	Name string
	// Issuer is the "iss" claim of the provider's tokens.
	Issuer string
	// Audiences are the client ids accepted in the "aud" claim.
	Audiences []string
	// Keys are the provider's public signing keys.
	Keys jose.JSONWebKeySet
}

// Issuer signs ID tokens with a key it generates, as an OpenID Connect provider does. The
// conformance suite signs its tokens with Issuers of its own; tests of the Server use one to
// stand in for Google. It is safe for concurrent use.
type Issuer struct {
	url    string
	signer jose.Signer
	public jose.JSONWebKey
}

// NewIssuer returns an Issuer whose tokens name url as their issuer and are signed with alg,
// jose.ES256 or jose.RS256.
func NewIssuer(url string, alg jose.SignatureAlgorithm) (*Issuer, error) {
	if url == "" {
		return nil, errors.New("identitytest: issuer URL is empty")
	}
	var key crypto.Signer
	var err error
	switch alg {
	case jose.ES256:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jose.RS256:
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		return nil, fmt.Errorf("identitytest: signing algorithm %q is not ES256 or RS256", alg)
	}
	if err != nil {
		return nil, fmt.Errorf("identitytest: generate key: %w", err)
	}
	kid := make([]byte, 9)
	rand.Read(kid)
	jwk := jose.JSONWebKey{Key: key, KeyID: base64.RawURLEncoding.EncodeToString(kid), Algorithm: string(alg), Use: "sig"}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jwk}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, fmt.Errorf("identitytest: new signer: %w", err)
	}
	return &Issuer{url: url, signer: signer, public: jwk.Public()}, nil
}

// URL returns the issuer's URL, the "iss" claim of its tokens.
func (i *Issuer) URL() string { return i.url }

// Provider returns the Provider named name that trusts this issuer's tokens for the given
// audiences.
func (i *Issuer) Provider(name string, audiences ...string) Provider {
	return Provider{Name: name, Issuer: i.url, Audiences: audiences, Keys: jose.JSONWebKeySet{Keys: []jose.JSONWebKey{i.public}}}
}

// Issue signs an ID token with the claims c. An empty Issuer becomes the issuer's URL, a nil
// IssuedAt the current time and a nil Expiry an hour after IssuedAt, as Google's tokens last.
func (i *Issuer) Issue(c jwt.Claims) (string, error) {
	if c.Issuer == "" {
		c.Issuer = i.url
	}
	if c.IssuedAt == nil {
		c.IssuedAt = jwt.NewNumericDate(time.Now())
	}
	if c.Expiry == nil {
		c.Expiry = jwt.NewNumericDate(c.IssuedAt.Time().Add(time.Hour))
	}
	tok, err := jwt.Signed(i.signer).Claims(c).Serialize()
	if err != nil {
		return "", fmt.Errorf("identitytest: issue: %w", err)
	}
	return tok, nil
}
