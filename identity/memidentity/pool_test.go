package memidentity_test

import (
	"testing"

	"github.com/servous/servous/identity"
	"github.com/servous/servous/identity/identitytest"
	"github.com/servous/servous/identity/memidentity"
)

func TestConformance(t *testing.T) {
	identitytest.RunExchangerTests(t, func(t *testing.T, providers []memidentity.Provider) identity.Exchanger {
		p, err := memidentity.New("us-east-1:0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f", &memidentity.Options{Providers: providers})
		if err != nil {
			t.Fatal(err)
		}
		return p
	})
}
