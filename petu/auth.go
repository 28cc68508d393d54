package petu

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/servous/servous/identity"
)

// maxCachedLogins bounds the login cache; past it, expired entries go first, then any.
const maxCachedLogins = 10000

// credentialMargin is how long before its credentials expire a cached identity is dropped, so a
// form signed with them stays usable for a while.
const credentialMargin = 5 * time.Minute

// loginCache remembers each token's identity for the token's lifetime, so that a caller's
// requests cost one exchange, not one each. Concurrent first requests with one token share one
// exchange.
type loginCache struct {
	x        identity.Exchanger
	provider string
	now      func() time.Time

	group singleflight.Group
	mu    sync.Mutex
	m     map[[sha256.Size]byte]cachedLogin
}

type cachedLogin struct {
	id    identity.Identity
	until time.Time
}

func newLoginCache(x identity.Exchanger, provider string, now func() time.Time) *loginCache {
	return &loginCache{x: x, provider: provider, now: now, m: make(map[[sha256.Size]byte]cachedLogin)}
}

// identity returns the identity the token signs in as. Errors are never cached: a refused token
// is asked about again, since the cause may have been a throttle.
func (c *loginCache) identity(ctx context.Context, token string) (identity.Identity, error) {
	k := sha256.Sum256([]byte(token))
	now := c.now()
	c.mu.Lock()
	e, ok := c.m[k]
	c.mu.Unlock()
	if ok && now.Before(e.until) {
		return e.id, nil
	}
	v, err, _ := c.group.Do(string(k[:]), func() (any, error) {
		id, err := c.x.Exchange(ctx, identity.Login{Provider: c.provider, Token: token})
		if err != nil {
			return identity.Identity{}, err
		}
		until := id.Credentials.Expires.Add(-credentialMargin)
		if exp, ok := tokenExpiry(token); ok && exp.Before(until) {
			until = exp
		}
		c.put(k, cachedLogin{id: id, until: until})
		return id, nil
	})
	return v.(identity.Identity), err
}

func (c *loginCache) put(k [sha256.Size]byte, e cachedLogin) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxCachedLogins {
		now := c.now()
		for k, e := range c.m {
			if !now.Before(e.until) {
				delete(c.m, k)
			}
		}
		for k := range c.m {
			if len(c.m) < maxCachedLogins {
				break
			}
			delete(c.m, k)
		}
	}
	c.m[k] = e
}

// tokenExpiry reads a JWT's exp claim without verifying the token: it only shortens how long an
// identity the exchange already vouched for is remembered.
func tokenExpiry(token string) (time.Time, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return time.Time{}, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}, false
	}
	var claims struct {
		Exp json.Number `json:"exp"`
	}
	if err := json.Unmarshal(raw, &claims); err != nil {
		return time.Time{}, false
	}
	secs, err := claims.Exp.Int64()
	if err != nil || secs <= 0 {
		return time.Time{}, false
	}
	return time.Unix(secs, 0), true
}
