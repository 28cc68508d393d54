package awscognito_test

import (
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"

	"github.com/servous/servous/identity"
	"github.com/servous/servous/identity/awscognito"
	"github.com/servous/servous/identity/identitytest"
	"github.com/servous/servous/internal/faultproxy"
)

// faultAttempts is the SDK client's attempts under faults: at a 10% fault rate, ten attempts
// all faulted happen once in 10^10 requests.
const faultAttempts = 10

// proxied serves srv behind a fault proxy and returns a client for it that retries attempts
// times.
func proxied(t *testing.T, srv *identitytest.Server, attempts int, opts *faultproxy.Options) (*cognitoidentity.Client, *faultproxy.Proxy) {
	t.Helper()
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	proxy := faultproxy.New(t, faultproxy.CognitoIdentity, ts.URL, opts)
	return identitytest.NewClient(proxy.URL, func(o *cognitoidentity.Options) {
		o.HTTPClient = proxy.Client()
		o.Retryer = faultproxy.Retryer(attempts)()
	}), proxy
}

// TestConformanceUnderFaults runs the suite with a tenth of the SDK's requests throttled,
// failed, reset (before or after Cognito answered: GetId and GetCredentialsForIdentity change
// nothing when asked again) or delayed.
func TestConformanceUnderFaults(t *testing.T) {
	var tally faultproxy.Tally
	identitytest.RunExchangerTests(t, func(t *testing.T) identitytest.Target {
		c := &clock{now: time.Now()}
		srv := identitytest.NewServer(&identitytest.ServerOptions{Now: c.Now})
		if err := srv.AddPool(poolID, nil); err != nil {
			t.Fatal(err)
		}
		client, proxy := proxied(t, srv, faultAttempts, &faultproxy.Options{Seed: faultproxy.TestSeed(t), Rate: 0.1})
		tally.Watch(t, proxy)
		return identitytest.Target{
			Exchanger: awscognito.New(client, poolID, nil),
			Trust:     func(p identitytest.Provider) error { return srv.AddProvider(poolID, p) },
			Advance:   c.Add,
		}
	})
	tally.Check(t)
}

// TestExchangeUnderThrottling exchanges one user's tokens from many pools at once (as many
// function instances would) while Cognito throttles, fails and drops connections: each
// exchange returns credentials or an error wrapping an identity sentinel, and every one that
// succeeds names the same identity, the one the user has when the faults are over.
func TestExchangeUnderThrottling(t *testing.T) {
	for _, tc := range []struct {
		name     string
		attempts int
		opts     faultproxy.Options
		want     error // the sentinel of the failures; nil means none may fail
	}{
		{"absorbed", faultAttempts, faultproxy.Options{Rate: 0.3}, nil},
		{"throttled", 3, faultproxy.Options{Rate: 1, Faults: []faultproxy.Fault{faultproxy.Throttle}}, identity.ErrThrottled},
		{"server errors", 3, faultproxy.Options{Rate: 1, Faults: []faultproxy.Fault{faultproxy.ServerError}}, identity.ErrUnavailable},
		{"answers lost", 3, faultproxy.Options{Rate: 1, Faults: []faultproxy.Fault{faultproxy.ResetAfterProcessing}}, identity.ErrUnavailable},
		{"half faulted", 3, faultproxy.Options{Rate: 0.5, Faults: []faultproxy.Fault{faultproxy.Throttle, faultproxy.ResetAfterProcessing}}, identity.ErrThrottled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			opts := tc.opts
			opts.Seed = faultproxy.TestSeed(t)
			client, proxy := proxied(t, f.srv, tc.attempts, &opts)
			const exchanges = 12
			ids := make([]string, exchanges)
			errs := make([]error, exchanges)
			var wg sync.WaitGroup
			for i := range exchanges {
				login := f.login(t, "carol")
				wg.Go(func() {
					id, err := awscognito.New(client, poolID, nil).Exchange(t.Context(), login)
					ids[i], errs[i] = id.ID, err
					if err == nil && (id.Credentials.AccessKeyID == "" || id.Credentials.SecretAccessKey == "" || id.Credentials.SessionToken == "") {
						t.Errorf("exchange %d: incomplete credentials %+v", i, id.Credentials)
					}
				})
			}
			wg.Wait()
			t.Logf("faults injected: %v", proxy.Counts())
			// The user's identity, asked without faults.
			want, err := awscognito.New(f.client, poolID, nil).Exchange(t.Context(), f.login(t, "carol"))
			if err != nil {
				t.Fatal(err)
			}
			ok := 0
			for i, err := range errs {
				switch {
				case err == nil:
					ok++
					if ids[i] != want.ID {
						t.Errorf("exchange %d: identity %s, want the user's one identity %s", i, ids[i], want.ID)
					}
				case tc.want == nil:
					t.Errorf("exchange %d: %v, want credentials", i, err)
				case !errors.Is(err, identity.ErrThrottled) && !errors.Is(err, identity.ErrUnavailable):
					t.Errorf("exchange %d: %v, want ErrThrottled or ErrUnavailable", i, err)
				}
			}
			if tc.opts.Rate == 1 && ok != 0 {
				t.Errorf("%d exchanges succeeded with every request faulted", ok)
			}
			if tc.opts.Rate == 1 {
				for i, err := range errs {
					if !errors.Is(err, tc.want) {
						t.Errorf("exchange %d: %v, want %v", i, err, tc.want)
					}
				}
			}
		})
	}
}
