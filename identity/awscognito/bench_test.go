package awscognito_test

import (
	"net/http/httptest"
	"testing"

	"github.com/servous/servous/identity"
	"github.com/servous/servous/identity/awscognito"
	"github.com/servous/servous/identity/identitytest"
	"github.com/servous/servous/identity/memidentity"
)

// BenchmarkExchange compares one exchange through awscognito (the SDK
// client over HTTP to the local Cognito server, identity id cached) with
// the same exchange in memidentity, in process.
func BenchmarkExchange(b *testing.B) {
	google, err := memidentity.NewIssuer("https://accounts.google.com", nil)
	if err != nil {
		b.Fatal(err)
	}
	providers := []identitytest.Provider{identitytest.Provider(google.Provider(identity.ProviderGoogle, "client"))}
	tok, err := google.Issue(memidentity.Claims{Subject: "s", Audience: "client"})
	if err != nil {
		b.Fatal(err)
	}
	login := identity.Login{Provider: identity.ProviderGoogle, Token: tok}

	srv := identitytest.NewServer(nil)
	if err := srv.AddPool(poolID, &identitytest.PoolOptions{Providers: providers}); err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	b.Cleanup(ts.Close)
	mem, err := memidentity.New(poolID, &memidentity.Options{Providers: []memidentity.Provider{google.Provider(identity.ProviderGoogle, "client")}})
	if err != nil {
		b.Fatal(err)
	}
	for name, x := range map[string]identity.Exchanger{
		"awscognito":  awscognito.New(identitytest.NewClient(ts.URL), poolID, nil),
		"memidentity": mem,
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := x.Exchange(b.Context(), login); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
