// Package events provides portable event types, the Publisher interface, and
// codecs for the JSON payloads AWS delivers to Lambda functions.
//
// # Events
//
// An [Event] is what a source publishes: a routing header (Source, Type, ID,
// Time, and for object events Bucket and Key) plus Payload, the exact JSON a
// Lambda function receives from AWS. A handler invoked with Payload cannot tell
// whether S3 and EventBridge delivered it or an in-memory adapter did.
//
// # Portable types
//
// [ObjectEvent] (S3 object created or removed), [JobStateChange] (MediaConvert
// job state change), [ItemChange] (DynamoDB stream record) and [Custom]
// (an application's own EventBridge event) are plain values. Constructors turn
// them into Events carrying AWS's JSON: [NewObjectEvent] writes an S3
// notification, [NewObjectEventBridgeEvent] the EventBridge "Object Created"
// or "Object Deleted" form, [NewJobStateChange], [NewItemChange] and
// [NewCustom] the rest.
//
// # Decoding
//
// Decoders accept what Lambda hands a function. [DecodeObjectEvents] reads S3
// notifications delivered directly, through SQS (and SNS), or as EventBridge
// events, and returns the same [ObjectEvent] values for all of them. Keys in S3
// notifications are form-URL-encoded ("red flower.jpg" arrives as
// "red+flower.jpg"), in EventBridge events they are not; decoders return the
// key as stored either way. The payload types of
// github.com/aws/aws-lambda-go/events are reused, not redefined.
//
// # Errors
//
// A payload that is not JSON, or lacks what its kind requires, yields an error
// wrapping [ErrMalformed]; a payload of another kind wraps [ErrWrongKind]; an
// encoder given a value AWS would never send wraps [ErrInvalid]. Publishers
// wrap [ErrNotPublished] around events they did not accept.
//
// # Ordering and duplicates
//
// AWS delivers events at least once and in no guaranteed order, and so do
// the in-memory sources. Handlers compare the sequencers of two events on one
// key with [CompareSequencers] to tell which happened later.
package events
