package identity

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// DefaultExpiryWindow is how long before temporary credentials expire a
// provider from NewCredentialsProvider fetches new ones, unless
// ProviderOptions.ExpiryWindow says otherwise.
const DefaultExpiryWindow = 5 * time.Minute

// ProviderOptions configure NewCredentialsProvider. A nil *ProviderOptions
// means the defaults.
type ProviderOptions struct {
	// ExpiryWindow is how long before the credentials expire they are
	// refreshed. Zero means DefaultExpiryWindow.
	ExpiryWindow time.Duration
	// Login, if non-nil, is called before every exchange for the login to
	// use, instead of the fixed login given to NewCredentialsProvider.
	// Provider tokens expire too (Google's after an hour); Login lets a
	// long-running client present a fresh one.
	Login func(ctx context.Context) (Login, error)
	// OnIdentity, if non-nil, is called with each identity obtained, for
	// example to learn the identity id. It must not block.
	OnIdentity func(Identity)
}

// NewCredentialsProvider returns an aws.CredentialsProvider that exchanges
// login with x and caches the credentials, exchanging again when they are
// within the expiry window of expiring. Concurrent callers share one
// exchange. Use it as the Credentials of an AWS client's options to act as
// the signed-in user.
//
// An exchange's error is returned from Retrieve, wrapping the sentinels as
// x returned them.
func NewCredentialsProvider(x Exchanger, login Login, opts *ProviderOptions) *aws.CredentialsCache {
	var o ProviderOptions
	if opts != nil {
		o = *opts
	}
	if o.ExpiryWindow <= 0 {
		o.ExpiryWindow = DefaultExpiryWindow
	}
	p := &exchangeProvider{x: x, login: login, loginFunc: o.Login, onIdentity: o.OnIdentity}
	return aws.NewCredentialsCache(p, func(c *aws.CredentialsCacheOptions) {
		c.ExpiryWindow = o.ExpiryWindow
	})
}

// exchangeProvider is the uncached provider: one exchange per Retrieve.
type exchangeProvider struct {
	x          Exchanger
	login      Login
	loginFunc  func(context.Context) (Login, error)
	onIdentity func(Identity)
	mu         sync.Mutex // serializes onIdentity calls
}

func (p *exchangeProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	login := p.login
	if p.loginFunc != nil {
		l, err := p.loginFunc(ctx)
		if err != nil {
			return aws.Credentials{}, fmt.Errorf("identity: get login: %w", err)
		}
		login = l
	}
	id, err := p.x.Exchange(ctx, login)
	if err != nil {
		return aws.Credentials{}, err
	}
	if p.onIdentity != nil {
		p.mu.Lock()
		p.onIdentity(id)
		p.mu.Unlock()
	}
	return id.Credentials, nil
}
