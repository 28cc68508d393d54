package events

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Sources of the events AWS services emit, as EventBridge names them.
const (
	SourceS3           = "aws.s3"
	SourceMediaConvert = "aws.mediaconvert"
	SourceDynamoDB     = "aws.dynamodb"
)

// Errors returned by decoders and encoders. Returned errors wrap them, so test
// with errors.Is.
var (
	// ErrMalformed reports a payload that is not valid JSON or lacks fields
	// its kind requires.
	ErrMalformed = errors.New("events: malformed payload")
	// ErrWrongKind reports a well-formed payload of another kind, such as a
	// DynamoDB stream record given to DecodeObjectEvents.
	ErrWrongKind = errors.New("events: payload is another kind of event")
	// ErrInvalid reports a value an encoder cannot turn into an event AWS
	// would send, such as an object event without a bucket.
	ErrInvalid = errors.New("events: invalid event")
	// ErrNotPublished reports an event a Publisher did not accept, such as
	// one refused by a full in-memory bus or by EventBridge.
	ErrNotPublished = errors.New("events: not published")
)

// Publisher accepts events for delivery. Implementations deliver
// asynchronously: a nil error means the event was accepted, not that any
// handler has run.
type Publisher interface {
	Publish(ctx context.Context, e Event) error
}

// Event is one published event: a header for routing and filtering without
// decoding, and the payload a Lambda function receives.
type Event struct {
	// ID identifies the event. Redeliveries of one event share it. For
	// EventBridge events it is the envelope's id; for S3 notifications the
	// request id joined with the sequencer; for stream records the eventID.
	ID string
	// Source names the producer: SourceS3, SourceMediaConvert,
	// SourceDynamoDB, or an application's own source.
	Source string
	// Type is the S3 event name ("ObjectCreated:Put"), the EventBridge
	// detail-type ("MediaConvert Job State Change", "Object Created"), or the
	// stream record's event name ("INSERT").
	Type string
	// Time is when the event happened.
	Time time.Time
	// Bucket and Key name the object of an S3 event, the key decoded; empty
	// for other events.
	Bucket string
	Key    string
	// Payload is the JSON a Lambda function receives, byte for byte.
	Payload json.RawMessage
}
