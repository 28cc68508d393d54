package identity

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Well-known provider names, as they appear as keys of Cognito's Logins map.
// A Cognito user pool is named "cognito-idp.<region>.amazonaws.com/<pool id>"
// (see [UserPoolProvider]); any other OpenID Connect provider by its issuer's
// host and path, without "https://".
const (
	ProviderGoogle   = "accounts.google.com"
	ProviderFacebook = "graph.facebook.com"
	ProviderAmazon   = "www.amazon.com"
	ProviderApple    = "appleid.apple.com"
)

// UserPoolProvider returns the provider name of a Cognito user pool, for
// example "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123". The
// region is the part of the pool id before the underscore.
func UserPoolProvider(userPoolID string) string {
	region, _, _ := strings.Cut(userPoolID, "_")
	return "cognito-idp." + region + ".amazonaws.com/" + userPoolID
}

// Login is a sign-in token and the provider that issued it.
type Login struct {
	// Provider names the identity provider, as a key of Cognito's Logins
	// map: "accounts.google.com", "cognito-idp.<region>.amazonaws.com/<user
	// pool id>", or an OpenID Connect issuer's host and path.
	Provider string
	// Token is the provider's token, usually an OpenID Connect ID token
	// (a signed JWT).
	Token string
}

// Identity is who a login belongs to, with temporary credentials to act as
// them.
type Identity struct {
	// ID is the identity id in Cognito's REGION:GUID form, for example
	// "us-east-1:4f1c2a8e-3b9d-4c6e-9a7f-2d5b8e1c0a3f". It is the same for
	// every exchange of the same provider and subject, so it can key the
	// user's data: an IAM policy can grant access to
	// ${cognito-identity.amazonaws.com:sub}, which is this id.
	ID string
	// Credentials are temporary: CanExpire is true and Expires is set.
	Credentials aws.Credentials
}

// Exchanger exchanges a login for an identity and temporary credentials.
//
// Exchange returns an error wrapping ErrNotAuthorized when the token is not
// accepted, ErrUnknownProvider when the provider is not trusted,
// ErrThrottled, ErrMisconfigured or ErrUnavailable otherwise. Exchange is
// safe for concurrent use.
type Exchanger interface {
	Exchange(ctx context.Context, login Login) (Identity, error)
}

// ExchangerFunc adapts a function to an Exchanger.
type ExchangerFunc func(ctx context.Context, login Login) (Identity, error)

// Exchange calls f(ctx, login).
func (f ExchangerFunc) Exchange(ctx context.Context, login Login) (Identity, error) {
	return f(ctx, login)
}

// Authority checks credentials presented to a service, as AWS does before
// it evaluates an IAM policy. In-memory services use it to learn who is
// calling and to verify the caller's signature with the secret.
//
// Authenticate returns the identity id the credentials were issued to and
// their secret access key. Its error wraps ErrNotAuthorized when the access
// key id is unknown, the credentials have expired or the session token does
// not match.
type Authority interface {
	Authenticate(ctx context.Context, accessKeyID, sessionToken string) (identityID, secretAccessKey string, err error)
}
