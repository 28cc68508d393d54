// Package identity swaps a sign-in token from an identity provider for an
// identity and temporary AWS credentials scoped to it.
//
// A user signs in with a third-party provider (Google, a Cognito user pool,
// any OpenID Connect issuer) and receives an ID token. An [Exchanger] trades
// that token, as a [Login], for an [Identity]: a stable identity id in
// Amazon Cognito's REGION:GUID form and temporary credentials (access key id,
// secret, session token, expiry). [NewCredentialsProvider] turns an exchange
// into an aws.CredentialsProvider that refreshes before the credentials
// expire, so AWS clients can be built with the user's own credentials.
//
// # Adapters
//
//   - identity/awscognito: Amazon Cognito identity pools (GetId, then
//     GetCredentialsForIdentity with the Logins map).
//   - identity/memidentity: a local OpenID-style token issuer, a verifier and
//     in-memory credential minting; it also implements [Authority], so
//     in-memory services can check the credentials they are called with.
//   - identity/identitytest: the conformance suite every adapter runs, a
//     token issuer, and a local server speaking Cognito Identity's wire
//     protocol.
//
// # Errors
//
// Adapters wrap their errors so that errors.Is matches one of the sentinels
// below and, for AWS adapters, errors.As still reaches smithy.APIError:
//
//   - [ErrNotAuthorized]: the token is malformed, unsigned, signed by the
//     wrong key, issued for another audience or by another issuer, expired or
//     not yet valid; or credentials presented to an [Authority] are unknown,
//     expired or do not match their session token.
//   - [ErrUnknownProvider]: the login names a provider the pool does not trust.
//   - [ErrThrottled]: too many requests; retry later.
//   - [ErrMisconfigured]: the pool does not exist or cannot issue credentials
//     (for example, no role is attached to it).
//   - [ErrUnavailable]: the service or the provider it depends on failed.
package identity
