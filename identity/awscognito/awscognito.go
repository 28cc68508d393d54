// Package awscognito provides an identity.Exchanger backed by an Amazon
// Cognito identity pool.
//
// It follows Cognito's enhanced (simplified) authflow: GetId maps the login
// to an identity id, then GetCredentialsForIdentity returns temporary
// credentials for the pool's authenticated role. Both calls carry the
// Logins map with the provider's token, so Cognito verifies it each time.
//
// # Providers
//
// A Login's Provider is the key of the Logins map: "accounts.google.com"
// for Google, "cognito-idp.<region>.amazonaws.com/<user pool id>" for a
// Cognito user pool (see identity.UserPoolProvider), or an OpenID Connect
// provider's issuer host and path.
//
// # Caching
//
// The identity id of a login is cached, keyed by the provider and a hash of
// the token, until the token expires, so repeated exchanges of one token
// (as an identity.NewCredentialsProvider refreshing credentials makes) cost
// one GetCredentialsForIdentity call. Concurrent exchanges of one login
// share a single GetId call. Nothing read from an unverified token decides
// what it is answered: a new token, even for the same subject, is sent to
// GetId, and Cognito verifies it. The cached id is never trusted on its
// own either: Cognito verifies the token again before it returns
// credentials.
//
// # Errors
//
// Every error is mapped to an identity sentinel; errors.As still reaches
// the SDK's error where there is one (smithy.APIError or the typed
// exception from the types package; awshttp.ResponseError for an answer
// that is not the service's):
//
//   - NotAuthorizedException, ResourceConflictException: identity.ErrNotAuthorized,
//     or identity.ErrUnknownProvider when Cognito says the token is not from
//     a supported provider of the pool.
//   - TooManyRequestsException, LimitExceededException, the throttling
//     codes common to AWS services (ThrottlingException, Throttling,
//     RequestLimitExceeded …) and HTTP 429: identity.ErrThrottled.
//   - ResourceNotFoundException, InvalidParameterException,
//     InvalidIdentityPoolConfigurationException, AccessDeniedException and
//     the other errors of a wrongly configured client or IAM policy, and
//     any other 4xx error code: identity.ErrMisconfigured.
//   - InternalErrorException, ExternalServiceException, ServiceUnavailable,
//     any other 5xx answer, a body that is not the service's JSON, and no
//     answer at all (the endpoint is unreachable, the connection broke, the
//     call timed out): identity.ErrUnavailable.
//
// When the caller's context ends during a call, the error wraps the
// context's error (context.Canceled or context.DeadlineExceeded) and no
// sentinel: the service did nothing wrong.
package awscognito

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/singleflight"

	"github.com/servous/servous/identity"
)

// CredentialsSource is the Source of the aws.Credentials an Exchange returns.
const CredentialsSource = "awscognito"

// getIDTimeout bounds a GetId call shared by concurrent exchanges.
const getIDTimeout = 30 * time.Second

// maxCached bounds the identity id cache.
const maxCached = 10000

var poolIDPattern = regexp.MustCompile(`^[\w-]+:[0-9a-f-]+$`)

// Options configure New. A nil *Options means the defaults.
type Options struct {
	// AccountID is the AWS account id sent with GetId. Optional.
	AccountID string
	// CustomRoleArn selects one of the pool's roles when the pool lets
	// the token choose (role-based access control). Optional.
	CustomRoleArn string
	// Providers, if non-empty, lists the provider names the pool trusts:
	// a login naming another provider fails with identity.ErrUnknownProvider
	// without calling Cognito.
	Providers []string
}

// Pool exchanges logins with a Cognito identity pool. It is safe for
// concurrent use.
type Pool struct {
	client *cognitoidentity.Client
	poolID string
	opts   Options

	group singleflight.Group
	mu    sync.Mutex
	ids   map[string]cachedID // cacheKey → identity id
}

// cachedID is an identity id GetId returned for a token.
type cachedID struct {
	id string
	// expires is the token's expiry, after which the entry no longer
	// answers; zero if the token states none.
	expires time.Time
}

// fresh reports whether the entry may still answer at now.
func (c cachedID) fresh(now time.Time) bool {
	return c.expires.IsZero() || now.Before(c.expires)
}

// New returns a Pool for the identity pool poolID ("us-east-1:0c1d…")
// using client, which the caller configures (region, endpoint, retries).
// GetId and GetCredentialsForIdentity are unsigned calls, so the client
// needs no credentials.
func New(client *cognitoidentity.Client, poolID string, opts *Options) *Pool {
	p := &Pool{client: client, poolID: poolID, ids: map[string]cachedID{}}
	if opts != nil {
		p.opts = *opts
		p.opts.Providers = slices.Clone(opts.Providers)
	}
	return p
}

// Exchange implements identity.Exchanger.
func (p *Pool) Exchange(ctx context.Context, login identity.Login) (identity.Identity, error) {
	if err := ctx.Err(); err != nil {
		return identity.Identity{}, fmt.Errorf("awscognito: exchange: %w", err)
	}
	if err := p.check(login); err != nil {
		return identity.Identity{}, err
	}
	key := cacheKey(login)
	for attempt := 0; ; attempt++ {
		id, cached, err := p.identityID(ctx, key, login)
		if err != nil {
			return identity.Identity{}, err
		}
		c, err := p.credentials(ctx, id, login)
		if err == nil {
			return identity.Identity{ID: id, Credentials: c}, nil
		}
		// An identity deleted since it was cached is not found: forget it
		// and ask GetId again, once.
		var apiErr smithy.APIError
		if cached && attempt == 0 && errors.As(err, &apiErr) && apiErr.ErrorCode() == "ResourceNotFoundException" {
			p.forget(key, id)
			continue
		}
		return identity.Identity{}, err
	}
}

// IdentityID returns the identity id of login, from the cache or by calling
// GetId.
func (p *Pool) IdentityID(ctx context.Context, login identity.Login) (string, error) {
	if err := p.check(login); err != nil {
		return "", err
	}
	id, _, err := p.identityID(ctx, cacheKey(login), login)
	return id, err
}

func (p *Pool) check(login identity.Login) error {
	switch {
	case !poolIDPattern.MatchString(p.poolID) || len(p.poolID) > 55:
		return fmt.Errorf("awscognito: identity pool id %q does not match REGION:GUID: %w", p.poolID, identity.ErrMisconfigured)
	case login.Provider == "" || len(login.Provider) > 128:
		return fmt.Errorf("awscognito: provider name %q must have 1 to 128 characters: %w", login.Provider, identity.ErrUnknownProvider)
	case len(p.opts.Providers) > 0 && !slices.Contains(p.opts.Providers, login.Provider):
		return fmt.Errorf("awscognito: provider %q is not one of the pool's: %w", login.Provider, identity.ErrUnknownProvider)
	case login.Token == "":
		return fmt.Errorf("awscognito: provider %q: token is empty: %w", login.Provider, identity.ErrNotAuthorized)
	case len(login.Token) > 50000:
		return fmt.Errorf("awscognito: provider %q: token is longer than 50000 characters: %w", login.Provider, identity.ErrNotAuthorized)
	}
	return nil
}

// lookup returns the cached identity id of key, if it may still answer.
func (p *Pool) lookup(key string) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.ids[key]
	if !ok || !c.fresh(time.Now()) {
		return "", false
	}
	return c.id, true
}

// store caches id for key until expires, keeping the cache within
// maxCached entries: expired entries go first, and if that frees nothing
// the cache starts afresh.
func (p *Pool) store(key, id string, expires time.Time) {
	now := time.Now()
	if !expires.IsZero() && !now.Before(expires) {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.ids) >= maxCached {
		maps.DeleteFunc(p.ids, func(_ string, c cachedID) bool { return !c.fresh(now) })
		if len(p.ids) >= maxCached {
			clear(p.ids)
		}
	}
	p.ids[key] = cachedID{id: id, expires: expires}
}

func (p *Pool) identityID(ctx context.Context, key string, login identity.Login) (id string, cached bool, err error) {
	if id, ok := p.lookup(key); ok {
		return id, true, nil
	}
	// Only exchanges of the very same login share a call, so its answer,
	// error or id, is the one each of them would have had alone. The
	// shared call must not fail for every waiter because the first one's
	// context ended, so it runs detached, bounded by getIDTimeout; each
	// caller still stops waiting when its own context ends.
	ch := p.group.DoChan(key, func() (any, error) {
		// A call that finished between this caller's cache miss and
		// DoChan has filled the cache already.
		if id, ok := p.lookup(key); ok {
			return id, nil
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), getIDTimeout)
		defer cancel()
		in := &cognitoidentity.GetIdInput{
			IdentityPoolId: aws.String(p.poolID),
			Logins:         map[string]string{login.Provider: login.Token},
		}
		if p.opts.AccountID != "" {
			in.AccountId = aws.String(p.opts.AccountID)
		}
		out, err := p.client.GetId(ctx, in)
		if err != nil {
			// No caller canceled this call: if its own timeout ended
			// it, Cognito did not answer in time.
			return "", mapError(context.Background(), "get id", err)
		}
		id := aws.ToString(out.IdentityId)
		if id == "" {
			return "", fmt.Errorf("awscognito: get id: response lacks an identity id: %w", identity.ErrUnavailable)
		}
		p.store(key, id, tokenExpiry(login.Token))
		return id, nil
	})
	select {
	case <-ctx.Done():
		return "", false, fmt.Errorf("awscognito: get id: %w", ctx.Err())
	case r := <-ch:
		if r.Err != nil {
			return "", false, r.Err
		}
		return r.Val.(string), false, nil
	}
}

func (p *Pool) forget(key, id string) {
	p.mu.Lock()
	if p.ids[key].id == id {
		delete(p.ids, key)
	}
	p.mu.Unlock()
}

func (p *Pool) credentials(ctx context.Context, id string, login identity.Login) (aws.Credentials, error) {
	in := &cognitoidentity.GetCredentialsForIdentityInput{
		IdentityId: aws.String(id),
		Logins:     map[string]string{login.Provider: login.Token},
	}
	if p.opts.CustomRoleArn != "" {
		in.CustomRoleArn = aws.String(p.opts.CustomRoleArn)
	}
	out, err := p.client.GetCredentialsForIdentity(ctx, in)
	if err != nil {
		return aws.Credentials{}, mapError(ctx, "get credentials for identity "+id, err)
	}
	c := out.Credentials
	if c == nil || c.AccessKeyId == nil || c.SecretKey == nil || c.Expiration == nil {
		return aws.Credentials{}, fmt.Errorf("awscognito: get credentials for identity %s: response lacks credentials: %w", id, identity.ErrUnavailable)
	}
	return aws.Credentials{
		AccessKeyID:     *c.AccessKeyId,
		SecretAccessKey: *c.SecretKey,
		SessionToken:    aws.ToString(c.SessionToken),
		Source:          CredentialsSource,
		CanExpire:       true,
		Expires:         *c.Expiration,
	}, nil
}

// cacheKey keys shared GetId calls and the identity id cache by the login
// itself: its provider and a SHA-256 of its token. The token is not
// verified here, so nothing read from it (such as its subject) may decide
// which answer it gets: a different token, even for the same subject,
// makes its own GetId call, and Cognito verifies it. The hash is of fixed
// length, so the key is unambiguous whatever the provider contains.
func cacheKey(l identity.Login) string {
	h := sha256.Sum256([]byte(l.Token))
	return l.Provider + "\x00" + string(h[:])
}

// tokenExpiry returns the expiry ("exp") of a JWT, or the zero time if the
// token is not a JWT or states none. It reads a token Cognito has just
// accepted, so the claim is the provider's.
func tokenExpiry(token string) time.Time {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return time.Time{}
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}
	}
	var c struct {
		Exp float64 `json:"exp"`
	}
	// Bounds keep the conversion to int64 defined; an absurd expiry is
	// treated as none.
	if json.Unmarshal(payload, &c) != nil || c.Exp <= 0 || c.Exp > 1<<40 {
		return time.Time{}
	}
	return time.Unix(int64(c.Exp), 0)
}

var _ identity.Exchanger = (*Pool)(nil)
