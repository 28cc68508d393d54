package cost

import (
	"context"

	"github.com/servous/servous/identity"
)

// Exchanger returns x counting its exchanges as [UnitExchanges]. Cognito identity pools do
// not charge for them: "Amazon Cognito Identity Pools (Federated Identities) ... is free"
// (https://aws.amazon.com/cognito/pricing/, "Identity pools"), so the count prices at zero
// and shows in a report only to say how often sign-in ran.
func Exchanger(x identity.Exchanger, m *Meter) identity.Exchanger {
	return identity.ExchangerFunc(func(ctx context.Context, login identity.Login) (identity.Identity, error) {
		m.Add(Key{ServiceCognitoIdentity, login.Provider, UnitExchanges}, 1)
		return x.Exchange(ctx, login)
	})
}
