// Package identitytest provides the conformance suite for identity
// adapters and a local server that speaks Amazon Cognito Identity's wire
// protocol.
//
// # Conformance
//
// [RunExchangerTests] runs every behaviour of identity.Exchanger against an
// adapter: identity ids in REGION:GUID form, stable per provider and
// subject, temporary credentials, 100 concurrent exchanges of one login
// yielding one identity, and the refusal of malformed, unsigned, wrong-key,
// wrong-issuer, wrong-audience, expired and future-dated tokens, even
// when they name a subject the adapter already knows.
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
