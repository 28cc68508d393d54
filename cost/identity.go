package cost

import (
	"context"

	"github.com/servous/servous/identity"
)

// Exchanger returns x counting its exchanges as [UnitExchanges], per provider (the resource
// of the [Key]). Cognito identity pools (federated identities) carry no charge of their own:
// Amazon Cognito's pricing (https://aws.amazon.com/cognito/pricing/) bills user pools' monthly
// active users and machine-to-machine requests, and the developer guide's "Monitoring costs"
// lists only user pool dimensions; the credentials an identity pool issues cost what the
// services they call bill. So the count prices at zero and shows in a report only to say how
// often sign-in ran.
func Exchanger(x identity.Exchanger, m *Meter) identity.Exchanger {
	return identity.ExchangerFunc(func(ctx context.Context, login identity.Login) (identity.Identity, error) {
		m.Add(Key{ServiceCognitoIdentity, login.Provider, UnitExchanges}, 1)
		return x.Exchange(ctx, login)
	})
}
