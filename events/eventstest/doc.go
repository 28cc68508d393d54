// Package eventstest provides the conformance suite for event buses and an
// in-process EventBridge server for tests.
//
// # Conformance
//
// [RunBusTests] runs every behaviour of a bus that invokes Lambda handlers
// asynchronously (delivery of the exact payload, filtering, fan-out,
// retries, dead letters, panics, waiting) as subtests against buses the
// caller makes, each described by a [BusTarget]. memevents' tests call it.
//
// # EventBridge
//
// [NewServer] starts an httptest server that speaks EventBridge's JSON 1.1
// protocol for PutEvents, validates requests as the API reference does, and
// records the entries it accepted; aws-sdk-go-v2's eventbridge client talks
// to it unchanged. Tests inject per-entry failures with [Server.FailNext].
package eventstest
