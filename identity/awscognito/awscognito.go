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
// The identity id of a login is cached — keyed by provider and the token's
// subject when the token is a JWT, and by the token otherwise — so repeated
// exchanges cost one GetCredentialsForIdentity call. Concurrent exchanges of
// one login share a single GetId call. The cached id is never trusted on its
// own: Cognito still verifies the token before it returns credentials.
//
// # Errors
//
// Every error Cognito documents for the two operations is mapped to an
// identity sentinel; errors.As still reaches the SDK's error
// (smithy.APIError or the typed exception from the types package):
//
//   - NotAuthorizedException, ResourceConflictException: identity.ErrNotAuthorized,
//     or identity.ErrUnknownProvider when Cognito says the token is not from
//     a supported provider of the pool.
//   - TooManyRequestsException, LimitExceededException: identity.ErrThrottled.
//   - ResourceNotFoundException, InvalidParameterException,
//     InvalidIdentityPoolConfigurationException: identity.ErrMisconfigured.
//   - InternalErrorException, ExternalServiceException: identity.ErrUnavailable.
package awscognito

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
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

// maxCached bounds the identity id cache; when full it starts afresh.
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
	ids   map[string]string // cache key → identity id
}

// New returns a Pool for the identity pool poolID ("us-east-1:0c1d…")
// using client, which the caller configures (region, endpoint, retries).
// GetId and GetCredentialsForIdentity are unsigned calls, so the client
// needs no credentials.
func New(client *cognitoidentity.Client, poolID string, opts *Options) *Pool {
	p := &Pool{client: client, poolID: poolID, ids: map[string]string{}}
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

func (p *Pool) identityID(ctx context.Context, key string, login identity.Login) (id string, cached bool, err error) {
	p.mu.Lock()
	id, ok := p.ids[key]
	p.mu.Unlock()
	if ok {
		return id, true, nil
	}
	// The shared call must not fail for every waiter because the first
	// one's context ended, so it runs detached, bounded by getIDTimeout;
	// each caller still stops waiting when its own context ends.
	ch := p.group.DoChan(key, func() (any, error) {
		// A call that finished between this caller's cache miss and
		// DoChan has filled the cache already.
		p.mu.Lock()
		id, ok := p.ids[key]
		p.mu.Unlock()
		if ok {
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
			return "", mapError("get id", err)
		}
		id = aws.ToString(out.IdentityId)
		if id == "" {
			return "", fmt.Errorf("awscognito: get id: response lacks an identity id: %w", identity.ErrUnavailable)
		}
		p.mu.Lock()
		if len(p.ids) >= maxCached {
			clear(p.ids)
		}
		p.ids[key] = id
		p.mu.Unlock()
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
	if p.ids[key] == id {
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
		return aws.Credentials{}, mapError("get credentials for identity "+id, err)
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

// mapError wraps err with the identity sentinel for its Cognito error code.
func mapError(op string, err error) error {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return fmt.Errorf("awscognito: %s: %w", op, err)
	}
	var sentinel error
	switch apiErr.ErrorCode() {
	case "NotAuthorizedException":
		sentinel = identity.ErrNotAuthorized
		// Cognito reports an untrusted provider as not authorized; its
		// message is the only thing that tells the two apart.
		if strings.Contains(apiErr.ErrorMessage(), "not from a supported provider") {
			sentinel = identity.ErrUnknownProvider
		}
	case "ResourceConflictException":
		sentinel = identity.ErrNotAuthorized
	case "TooManyRequestsException", "LimitExceededException":
		sentinel = identity.ErrThrottled
	case "ResourceNotFoundException", "InvalidParameterException", "InvalidIdentityPoolConfigurationException":
		sentinel = identity.ErrMisconfigured
	case "InternalErrorException", "ExternalServiceException":
		sentinel = identity.ErrUnavailable
	default:
		return fmt.Errorf("awscognito: %s: %w", op, err)
	}
	return fmt.Errorf("awscognito: %s: %w: %w", op, sentinel, err)
}

// cacheKey keys the identity id cache by provider and subject, read from
// the token without verifying it; Cognito verifies the token on every call,
// so a forged subject gains nothing but a refusal.
func cacheKey(l identity.Login) string {
	parts := strings.Split(l.Token, ".")
	if len(parts) == 3 {
		if payload, err := base64.RawURLEncoding.DecodeString(parts[1]); err == nil {
			var c struct {
				Iss string `json:"iss"`
				Sub string `json:"sub"`
			}
			if json.Unmarshal(payload, &c) == nil && c.Sub != "" {
				return l.Provider + "\x00sub\x00" + c.Iss + "\x00" + c.Sub
			}
		}
	}
	return l.Provider + "\x00token\x00" + l.Token
}

var _ identity.Exchanger = (*Pool)(nil)
