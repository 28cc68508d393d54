// Package identitytest provides the conformance suite for identity
// adapters, a token issuer, and a local server that speaks Amazon Cognito
// Identity's wire protocol.
//
// # Conformance
//
// [RunExchangerTests] runs every behaviour of identity.Exchanger as subtests
// against exchangers the caller makes, each described by a [Target]: the
// exchanger, a way to make it trust a [Provider], and a clock to move.
// The suite signs its own tokens with [Issuer]s it creates, so no adapter's
// types are part of the contract. It checks identity ids in REGION:GUID
// form, stable per provider and subject, temporary credentials dated by the
// target's clock, 100 concurrent exchanges of one login yielding one
// identity, tokens that expire as the clock moves, and the refusal of
// malformed, unsigned, wrong-key, wrong-issuer, wrong-audience, expired and
// future-dated tokens, even when they name a subject the adapter already
// knows. Every adapter's own tests call it.
//
// # Issuer
//
// An [Issuer] signs OpenID Connect ID tokens with a key it generates, as
// Google or a Cognito user pool does; its [Issuer.Provider] describes it to
// a pool.
//
// # Server
//
// [Server] is an httptest server implementing the Cognito Identity
// operations GetId and GetCredentialsForIdentity over the JSON 1.1 protocol.
// It validates requests as the API reference describes, verifies login
// tokens against configured providers, and answers with Cognito's error
// shapes, so the real aws-sdk-go-v2 client can be tested without an AWS
// account.
package identitytest
