// Package memidentity provides an in-memory identity pool with a local
// OpenID-style token issuer, for tests and local runs.
//
// # Issuing tokens
//
// An [Issuer] signs ID tokens (JWTs with iss, aud, sub, iat, exp and
// optionally name and email) with a key generated when it is created. It
// plays the part Google plays in production: a local sign-in page asks it for
// a token, directly with [Issuer.Issue] or over HTTP through
// [Issuer.SignInHandler]. Its [Issuer.Handler] serves the OpenID discovery
// document and the JSON Web Key Set, so other processes can verify its tokens.
//
// # Verifying tokens
//
// A [Verifier] checks tokens against registered [Provider]s: the signature
// with the provider's keys (ES256, ES384, ES512, RS256, RS384, RS512; never
// "none"), the issuer, the audience, the expiry and the issue time, allowing a
// small clock skew. Any failure is identity.ErrNotAuthorized; a login naming
// no registered provider is identity.ErrUnknownProvider.
//
// # Pools
//
// A [Pool] is the in-memory twin of a Cognito identity pool. Exchange
// verifies the login, gives each provider and subject a stable identity id in
// REGION:GUID form, and mints temporary credentials (ASIA… access key id,
// secret, session token) that expire. The Pool implements identity.Authority,
// so in-memory services can check the credentials they receive and learn the
// identity id of the caller — as IAM does for a policy on
// ${cognito-identity.amazonaws.com:sub}.
package memidentity
