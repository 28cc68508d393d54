package identity_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"

	"github.com/servous/servous/identity"
)

// counting is an Exchanger that mints credentials expiring after ttl and
// counts its exchanges.
type counting struct {
	ttl    time.Duration
	calls  atomic.Int64
	logins chan identity.Login
}

func (c *counting) Exchange(ctx context.Context, l identity.Login) (identity.Identity, error) {
	n := c.calls.Add(1)
	if c.logins != nil {
		c.logins <- l
	}
	return identity.Identity{
		ID: "us-east-1:00000000-0000-0000-0000-000000000001",
		Credentials: aws.Credentials{
			AccessKeyID:     fmt.Sprintf("ASIA%016d", n),
			SecretAccessKey: "secret",
			SessionToken:    "token",
			CanExpire:       true,
			Expires:         time.Now().Add(c.ttl),
		},
	}, nil
}

func TestCredentialsProviderCachesUntilExpiryWindow(t *testing.T) {
	x := &counting{ttl: time.Hour}
	p := identity.NewCredentialsProvider(x, identity.Login{Provider: "p", Token: "t"}, nil)
	for range 3 {
		c, err := p.Retrieve(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if c.AccessKeyID != "ASIA0000000000000001" {
			t.Fatalf("AccessKeyID = %q, want the first exchange's", c.AccessKeyID)
		}
	}
	if got := x.calls.Load(); got != 1 {
		t.Errorf("exchanges = %d, want 1", got)
	}
}

func TestCredentialsProviderRefreshesInsideExpiryWindow(t *testing.T) {
	// Credentials that expire in 4 minutes are already inside the default
	// 5-minute window, so every Retrieve must exchange again.
	x := &counting{ttl: 4 * time.Minute}
	p := identity.NewCredentialsProvider(x, identity.Login{Provider: "p", Token: "t"}, nil)
	var keys []string
	for range 3 {
		c, err := p.Retrieve(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, c.AccessKeyID)
	}
	want := []string{"ASIA0000000000000001", "ASIA0000000000000002", "ASIA0000000000000003"}
	if d := cmp.Diff(want, keys); d != "" {
		t.Errorf("access keys (-want +got):\n%s", d)
	}

	// A smaller window keeps the same credentials.
	x2 := &counting{ttl: 4 * time.Minute}
	p2 := identity.NewCredentialsProvider(x2, identity.Login{Provider: "p", Token: "t"}, &identity.ProviderOptions{ExpiryWindow: time.Minute})
	for range 3 {
		if _, err := p2.Retrieve(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if got := x2.calls.Load(); got != 1 {
		t.Errorf("exchanges with a 1m window = %d, want 1", got)
	}
}

func TestCredentialsProviderConcurrentRetrieveSharesOneExchange(t *testing.T) {
	x := &counting{ttl: time.Hour}
	p := identity.NewCredentialsProvider(x, identity.Login{Provider: "p", Token: "t"}, nil)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if _, err := p.Retrieve(t.Context()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := x.calls.Load(); got != 1 {
		t.Errorf("exchanges = %d, want 1", got)
	}
}

func TestCredentialsProviderLoginFuncAndOnIdentity(t *testing.T) {
	x := &counting{ttl: time.Minute, logins: make(chan identity.Login, 2)}
	var n int
	var ids []string
	p := identity.NewCredentialsProvider(x, identity.Login{Provider: "unused", Token: "unused"}, &identity.ProviderOptions{
		Login: func(ctx context.Context) (identity.Login, error) {
			n++
			return identity.Login{Provider: "p", Token: fmt.Sprint("token-", n)}, nil
		},
		OnIdentity: func(id identity.Identity) { ids = append(ids, id.ID) },
	})
	for range 2 {
		if _, err := p.Retrieve(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	got := []identity.Login{<-x.logins, <-x.logins}
	want := []identity.Login{{Provider: "p", Token: "token-1"}, {Provider: "p", Token: "token-2"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("logins exchanged (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"us-east-1:00000000-0000-0000-0000-000000000001", "us-east-1:00000000-0000-0000-0000-000000000001"}, ids); d != "" {
		t.Errorf("OnIdentity ids (-want +got):\n%s", d)
	}
}

func TestCredentialsProviderErrors(t *testing.T) {
	refused := identity.ExchangerFunc(func(ctx context.Context, l identity.Login) (identity.Identity, error) {
		return identity.Identity{}, fmt.Errorf("test: %w", identity.ErrNotAuthorized)
	})
	p := identity.NewCredentialsProvider(refused, identity.Login{Provider: "p", Token: "t"}, nil)
	if _, err := p.Retrieve(t.Context()); !errors.Is(err, identity.ErrNotAuthorized) {
		t.Errorf("Retrieve error = %v, want ErrNotAuthorized", err)
	}

	loginErr := errors.New("no token")
	p = identity.NewCredentialsProvider(refused, identity.Login{}, &identity.ProviderOptions{
		Login: func(context.Context) (identity.Login, error) { return identity.Login{}, loginErr },
	})
	if _, err := p.Retrieve(t.Context()); !errors.Is(err, loginErr) {
		t.Errorf("Retrieve error = %v, want the Login func's error", err)
	}
}

func TestUserPoolProvider(t *testing.T) {
	got := identity.UserPoolProvider("eu-west-1_AbCdEf123")
	if want := "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"; got != want {
		t.Errorf("UserPoolProvider = %q, want %q", got, want)
	}
}
