package memidentity

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/servous/servous/identity"
	"github.com/servous/servous/internal/uuid"
)

// DefaultCredentialsLifetime is how long minted credentials are valid,
// unless Options.CredentialsLifetime says otherwise. It matches Cognito's.
const DefaultCredentialsLifetime = time.Hour

// CredentialsSource is the Source of the aws.Credentials a Pool mints.
const CredentialsSource = "memidentity"

// idPattern is the pattern of identity pool ids and identity ids in the
// Cognito Identity API reference.
var idPattern = regexp.MustCompile(`^[\w-]+:[0-9a-f-]+$`)

// ErrLinkConflict is returned, wrapping identity.ErrNotAuthorized, when the
// logins given together already belong to different identities — Cognito's
// ResourceConflictException.
var ErrLinkConflict = fmt.Errorf("memidentity: logins belong to different identities: %w", identity.ErrNotAuthorized)

// ErrUnknownIdentity is returned, wrapping identity.ErrNotAuthorized, when an
// identity id is not in the pool — Cognito's ResourceNotFoundException.
var ErrUnknownIdentity = fmt.Errorf("memidentity: identity not found: %w", identity.ErrNotAuthorized)

// Options configure New. A nil *Options means the defaults.
type Options struct {
	// Providers are the identity providers the pool trusts. More can be
	// added with AddProvider.
	Providers []Provider
	// CredentialsLifetime is how long minted credentials are valid. Zero
	// means DefaultCredentialsLifetime.
	CredentialsLifetime time.Duration
	// ClockSkew is the leeway allowed when checking token times; see
	// VerifierOptions.
	ClockSkew time.Duration
	// Now returns the current time, for token and credential expiry; nil
	// means time.Now.
	Now func() time.Time
}

// Pool is an in-memory identity pool. It is safe for concurrent use.
type Pool struct {
	id       string
	region   string
	verifier *Verifier
	lifetime time.Duration
	now      func() time.Time

	mu     sync.Mutex
	ids    map[subject]string // provider and subject → identity id
	known  map[string]bool    // identity ids
	creds  map[string]minted  // access key id → credentials
	sweepN int                // len(creds) after the last sweep
}

type subject struct{ provider, sub string }

type minted struct {
	identityID, secret, token string
	expires                   time.Time
}

// New returns an empty identity pool. poolID is an identity pool id in
// Cognito's form, "us-east-1:0c1d2e3f-…"; its region prefixes every identity
// id. The error wraps identity.ErrMisconfigured if poolID or a provider is
// invalid.
func New(poolID string, opts *Options) (*Pool, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if len(poolID) > 55 || !idPattern.MatchString(poolID) {
		return nil, fmt.Errorf("memidentity: identity pool id %q does not match REGION:GUID: %w", poolID, identity.ErrMisconfigured)
	}
	if o.CredentialsLifetime <= 0 {
		o.CredentialsLifetime = DefaultCredentialsLifetime
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	v, err := NewVerifier(o.Providers, &VerifierOptions{ClockSkew: o.ClockSkew, Now: o.Now})
	if err != nil {
		return nil, err
	}
	region, _, _ := strings.Cut(poolID, ":")
	return &Pool{
		id: poolID, region: region, verifier: v, lifetime: o.CredentialsLifetime, now: o.Now,
		ids: map[subject]string{}, known: map[string]bool{}, creds: map[string]minted{},
	}, nil
}

// ID returns the identity pool id.
func (p *Pool) ID() string { return p.id }

// AddProvider adds a trusted provider, or replaces one of the same name.
func (p *Pool) AddProvider(pr Provider) error { return p.verifier.AddProvider(pr) }

// Verifier returns the pool's token verifier.
func (p *Pool) Verifier() *Verifier { return p.verifier }

// Exchange verifies login, finds or creates the identity of its provider
// and subject, and mints credentials for it.
func (p *Pool) Exchange(ctx context.Context, login identity.Login) (identity.Identity, error) {
	id, err := p.IdentityID(ctx, login)
	if err != nil {
		return identity.Identity{}, err
	}
	return identity.Identity{ID: id, Credentials: p.mint(id)}, nil
}

// IdentityID verifies the logins and returns the identity they belong to,
// creating it if none does — Cognito's GetId. Logins given together are
// linked to one identity; if they already belong to different identities
// the error is ErrLinkConflict.
func (p *Pool) IdentityID(ctx context.Context, logins ...identity.Login) (string, error) {
	subs, err := p.verifyAll(ctx, logins)
	if err != nil {
		return "", err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	id := ""
	for _, s := range subs {
		if got, ok := p.ids[s]; ok {
			if id != "" && got != id {
				return "", ErrLinkConflict
			}
			id = got
		}
	}
	if id == "" {
		id = p.region + ":" + uuid.New()
		p.known[id] = true
	}
	for _, s := range subs {
		p.ids[s] = id
	}
	return id, nil
}

// Credentials verifies the logins, checks that they belong to identityID
// and mints credentials for it — Cognito's GetCredentialsForIdentity. The
// error wraps identity.ErrNotAuthorized if no login is given (the pool has
// no unauthenticated identities), if a login belongs to another identity,
// or, as ErrUnknownIdentity, if identityID is not in the pool.
func (p *Pool) Credentials(ctx context.Context, identityID string, logins ...identity.Login) (aws.Credentials, error) {
	if len(logins) == 0 {
		return aws.Credentials{}, fmt.Errorf("memidentity: identity %q: no logins (unauthenticated access is not supported): %w", identityID, identity.ErrNotAuthorized)
	}
	subs, err := p.verifyAll(ctx, logins)
	if err != nil {
		return aws.Credentials{}, err
	}
	p.mu.Lock()
	if !p.known[identityID] {
		p.mu.Unlock()
		return aws.Credentials{}, fmt.Errorf("%w: %q", ErrUnknownIdentity, identityID)
	}
	for _, s := range subs {
		if got := p.ids[s]; got != identityID {
			p.mu.Unlock()
			return aws.Credentials{}, fmt.Errorf("memidentity: login %q does not belong to identity %q: %w", s.provider, identityID, identity.ErrNotAuthorized)
		}
	}
	p.mu.Unlock()
	return p.mint(identityID), nil
}

func (p *Pool) verifyAll(ctx context.Context, logins []identity.Login) ([]subject, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(logins) == 0 {
		return nil, fmt.Errorf("memidentity: no logins: %w", identity.ErrNotAuthorized)
	}
	subs := make([]subject, 0, len(logins))
	for _, l := range logins {
		c, err := p.verifier.Verify(l)
		if err != nil {
			return nil, err
		}
		subs = append(subs, subject{l.Provider, c.Subject})
	}
	return subs, nil
}

// Authenticate implements identity.Authority: it returns the identity id
// and secret of credentials the pool minted. The error wraps
// identity.ErrNotAuthorized if the access key id is unknown, the
// credentials have expired, or the session token does not match.
func (p *Pool) Authenticate(ctx context.Context, accessKeyID, sessionToken string) (identityID, secretAccessKey string, err error) {
	if err := ctx.Err(); err != nil {
		return "", "", err
	}
	p.mu.Lock()
	m, ok := p.creds[accessKeyID]
	p.mu.Unlock()
	switch {
	case !ok:
		return "", "", fmt.Errorf("memidentity: access key %q is unknown: %w", accessKeyID, identity.ErrNotAuthorized)
	case !p.now().Before(m.expires):
		return "", "", fmt.Errorf("memidentity: access key %q has expired: %w", accessKeyID, identity.ErrNotAuthorized)
	case subtle.ConstantTimeCompare([]byte(m.token), []byte(sessionToken)) != 1:
		return "", "", fmt.Errorf("memidentity: session token does not match access key %q: %w", accessKeyID, identity.ErrNotAuthorized)
	}
	return m.identityID, m.secret, nil
}

var keyEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// mint makes temporary credentials for an identity, shaped like STS's:
// a 20-character ASIA access key id, a 40-character secret and a session
// token.
func (p *Pool) mint(identityID string) aws.Credentials {
	var b [10 + 30 + 120]byte
	rand.Read(b[:])
	akid := "ASIA" + keyEncoding.EncodeToString(b[:10])
	secret := base64.StdEncoding.EncodeToString(b[10:40])
	token := base64.StdEncoding.EncodeToString(b[40:])
	now := p.now()
	expires := now.Add(p.lifetime).Truncate(time.Second)
	p.mu.Lock()
	p.sweepLocked(now)
	p.creds[akid] = minted{identityID: identityID, secret: secret, token: token, expires: expires}
	p.mu.Unlock()
	return aws.Credentials{
		AccessKeyID:     akid,
		SecretAccessKey: secret,
		SessionToken:    token,
		Source:          CredentialsSource,
		CanExpire:       true,
		Expires:         expires,
	}
}

// sweepLocked drops expired credentials once the table has doubled since
// the last sweep, so memory stays bounded at amortized constant cost.
func (p *Pool) sweepLocked(now time.Time) {
	if len(p.creds) < 2*p.sweepN+64 {
		return
	}
	for k, m := range p.creds {
		if !now.Before(m.expires) {
			delete(p.creds, k)
		}
	}
	p.sweepN = len(p.creds)
}

var (
	_ identity.Exchanger = (*Pool)(nil)
	_ identity.Authority = (*Pool)(nil)
)
