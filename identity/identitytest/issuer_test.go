package identitytest_test

import (
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/servous/servous/identity/identitytest"
)

func TestIssuerSignsWhatItsProviderVerifies(t *testing.T) {
	for _, alg := range []jose.SignatureAlgorithm{jose.ES256, jose.RS256} {
		t.Run(string(alg), func(t *testing.T) {
			iss, err := identitytest.NewIssuer("https://login.example.com", alg)
			if err != nil {
				t.Fatal(err)
			}
			p := iss.Provider("login.example.com", "app", "other")
			if p.Name != "login.example.com" || p.Issuer != iss.URL() || len(p.Audiences) != 2 || len(p.Keys.Keys) != 1 {
				t.Fatalf("Provider = %+v", p)
			}
			if k := p.Keys.Keys[0]; !k.IsPublic() || k.KeyID == "" || k.Algorithm != string(alg) {
				t.Fatalf("provider key: public %v, id %q, algorithm %q; want a public %s key with an id", k.IsPublic(), k.KeyID, k.Algorithm, alg)
			}
			before := time.Now().Add(-time.Second)
			tok, err := iss.Issue(jwt.Claims{Subject: "s", Audience: jwt.Audience{"app"}})
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{alg})
			if err != nil {
				t.Fatal(err)
			}
			var c jwt.Claims
			if err := parsed.Claims(p.Keys.Keys[0].Key, &c); err != nil {
				t.Fatalf("token does not verify with the provider's key: %v", err)
			}
			if c.Issuer != iss.URL() || c.IssuedAt == nil || c.IssuedAt.Time().Before(before.Truncate(time.Second)) || c.Expiry == nil || c.Expiry.Time().Sub(c.IssuedAt.Time()) != time.Hour {
				t.Errorf("claims = %+v, want the issuer's URL, issued now, expiring an hour later", c)
			}
			other, err := identitytest.NewIssuer("https://login.example.com", alg)
			if err != nil {
				t.Fatal(err)
			}
			if err := parsed.Claims(other.Provider("x", "app").Keys.Keys[0].Key, &c); err == nil {
				t.Error("another issuer's key verifies the token")
			}
		})
	}
	if _, err := identitytest.NewIssuer("", jose.ES256); err == nil {
		t.Error("NewIssuer accepted an empty URL")
	}
	if _, err := identitytest.NewIssuer("https://x", jose.HS256); err == nil {
		t.Error("NewIssuer accepted HS256")
	}
}
