package memstorage_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/servous/servous/identity"
	"github.com/servous/servous/storage/memstorage"
	"github.com/servous/servous/storage/storagetest"
)

// clock is a manual clock for expiry tests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// authority accepts a fixed set of credentials, the way memidentity's minted ones are checked.
type authority struct {
	mu    sync.Mutex
	creds map[string]struct{ id, secret, token string }
}

func (a *authority) add(id string) aws.Credentials {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.creds == nil {
		a.creds = map[string]struct{ id, secret, token string }{}
	}
	c := aws.Credentials{
		AccessKeyID:     fmt.Sprintf("ASIA%012d", len(a.creds)),
		SecretAccessKey: "secret-of-" + id,
		SessionToken:    "token-of-" + id,
	}
	a.creds[c.AccessKeyID] = struct{ id, secret, token string }{id, c.SecretAccessKey, c.SessionToken}
	return c
}

func (a *authority) Authenticate(_ context.Context, accessKeyID, sessionToken string) (string, string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	c, ok := a.creds[accessKeyID]
	if !ok || c.token != sessionToken {
		return "", "", fmt.Errorf("%w: unknown credentials", identity.ErrNotAuthorized)
	}
	return c.id, c.secret, nil
}

var _ identity.Authority = (*authority)(nil)

// newServed returns a bucket served over HTTP by its own handler.
func newServed(t *testing.T, opts *memstorage.Options) (*memstorage.Bucket, *httptest.Server) {
	srv := httptest.NewUnstartedServer(nil)
	o := memstorage.Options{}
	if opts != nil {
		o = *opts
	}
	o.BaseURL = "http://" + srv.Listener.Addr().String() + "/media"
	b := memstorage.New("media", &o)
	srv.Config.Handler = b.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	return b, srv
}

func TestConformance(t *testing.T) {
	storagetest.RunBucketTests(t, func(t *testing.T) storagetest.Target {
		clk := &clock{now: time.Now()}
		auth := &authority{}
		b, srv := newServed(t, &memstorage.Options{Now: clk.Now, Authority: auth})
		return storagetest.Target{
			Bucket:     b,
			HTTPClient: srv.Client(),
			Advance:    clk.Advance,
			User: func(t *testing.T) (aws.Credentials, string) {
				return auth.add("us-east-1:user-a"), "uploads/us-east-1:user-a/"
			},
		}
	})
}
