package memidentity_test

import (
	"testing"
	"time"

	"github.com/servous/servous/identity/identitytest"
	"github.com/servous/servous/identity/memidentity"
)

func TestConformance(t *testing.T) {
	identitytest.RunExchangerTests(t, func(t *testing.T) identitytest.Target {
		c := &clock{now: time.Now()}
		p, err := memidentity.New("us-east-1:0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f", &memidentity.Options{Now: c.Now})
		if err != nil {
			t.Fatal(err)
		}
		return identitytest.Target{
			Exchanger: p,
			Trust: func(pr identitytest.Provider) error {
				return p.AddProvider(memidentity.Provider{Name: pr.Name, Issuer: pr.Issuer, Audiences: pr.Audiences, Keys: pr.Keys})
			},
			Advance: c.Add,
		}
	})
}
