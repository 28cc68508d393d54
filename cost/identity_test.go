package cost_test

import (
	"testing"

	"github.com/servous/servous/cost"
	"github.com/servous/servous/identity"
	"github.com/servous/servous/identity/memidentity"
)

// Cognito identity pools are free: exchanges are counted and priced at zero.
func TestExchangerWithMemidentity(t *testing.T) {
	issuer, err := memidentity.NewIssuer("https://accounts.localhost", nil)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := memidentity.New("us-east-1:0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f", &memidentity.Options{
		Providers: []memidentity.Provider{issuer.Provider("accounts.localhost", "petu")},
	})
	if err != nil {
		t.Fatal(err)
	}
	token, err := issuer.Issue(memidentity.Claims{Subject: "u1", Audience: "petu"})
	if err != nil {
		t.Fatal(err)
	}
	m := cost.NewMeter(nil)
	x := cost.Exchanger(pool, m)
	for range 3 {
		if _, err := x.Exchange(t.Context(), identity.Login{Provider: "accounts.localhost", Token: token}); err != nil {
			t.Fatal(err)
		}
	}
	u := m.Usage()
	near(t, "exchanges", u.Get("cognito-identity", "accounts.localhost", cost.UnitExchanges), 3)
	r := u.Report(cost.USEast1())
	if r.Total != 0 || len(r.Lines) != 1 || r.Lines[0].Unpriced {
		t.Errorf("report of free exchanges: %+v", r)
	}
}
