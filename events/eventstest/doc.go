// Package eventstest provides the conformance suites for event publishers
// and buses, and an in-process EventBridge server for tests.
//
// # Conformance
//
// [RunPublisherTests] runs every behaviour of events.Publisher for the
// custom events an application publishes, as subtests against publishers the
// caller makes, each described by a [PublisherTarget]: the event its
// destination accepts is the one published (source, detail-type, detail,
// resources, time), each event once, from concurrent publishers too; events
// EventBridge would refuse (no source, detail-type or payload, a payload or
// detail that is not a JSON object, an entry over 256 KB) fail with
// events.ErrInvalid; a canceled context publishes nothing; batches are split
// within PutEvents' 10 entries and 256 KB; events the destination refuses are
// reported with events.ErrNotPublished while the others are published.
// awseventbridge (against [Server]) and memevents run it.
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
