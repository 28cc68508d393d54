package memidentity_test

import (
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/servous/servous/identity"
	"github.com/servous/servous/identity/memidentity"
)

// BenchmarkVerify compares verifying an ES256 token with an RS256 one.
func BenchmarkVerify(b *testing.B) {
	for _, alg := range []jose.SignatureAlgorithm{jose.ES256, jose.RS256} {
		b.Run(string(alg), func(b *testing.B) {
			iss := newIssuer(b, "https://accounts.local", &memidentity.IssuerOptions{Algorithm: alg})
			v, err := memidentity.NewVerifier([]memidentity.Provider{iss.Provider("p", "app")}, nil)
			if err != nil {
				b.Fatal(err)
			}
			l := identity.Login{Provider: "p", Token: issue(b, iss, memidentity.Claims{Subject: "s", Audience: "app"})}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(l); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkIssue compares signing ES256 and RS256 tokens.
func BenchmarkIssue(b *testing.B) {
	for _, alg := range []jose.SignatureAlgorithm{jose.ES256, jose.RS256} {
		b.Run(string(alg), func(b *testing.B) {
			iss := newIssuer(b, "https://accounts.local", &memidentity.IssuerOptions{Algorithm: alg})
			b.ReportAllocs()
			for b.Loop() {
				if _, err := iss.Issue(memidentity.Claims{Subject: "s", Audience: "app"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAuthenticate measures the credential check an in-memory service
// makes on every call, against a pool holding 5,000 live credentials.
func BenchmarkAuthenticate(b *testing.B) {
	iss := newIssuer(b, "https://accounts.local", nil)
	pool, err := memidentity.New(poolID, &memidentity.Options{Providers: []memidentity.Provider{iss.Provider("p", "app")}})
	if err != nil {
		b.Fatal(err)
	}
	l := identity.Login{Provider: "p", Token: issue(b, iss, memidentity.Claims{Subject: "s", Audience: "app"})}
	var last identity.Identity
	for range 5000 {
		if last, err = pool.Exchange(b.Context(), l); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := pool.Authenticate(b.Context(), last.Credentials.AccessKeyID, last.Credentials.SessionToken); err != nil {
			b.Fatal(err)
		}
	}
}
