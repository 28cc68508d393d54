package events

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"github.com/servous/servous/internal/uuid"
)

// S3 event names, as they appear in a notification's eventName.
const (
	ObjectCreatedPut                     = "ObjectCreated:Put"
	ObjectCreatedPost                    = "ObjectCreated:Post"
	ObjectCreatedCopy                    = "ObjectCreated:Copy"
	ObjectCreatedCompleteMultipartUpload = "ObjectCreated:CompleteMultipartUpload"
	ObjectRemovedDelete                  = "ObjectRemoved:Delete"
	ObjectRemovedDeleteMarkerCreated     = "ObjectRemoved:DeleteMarkerCreated"
	LifecycleExpirationDelete            = "LifecycleExpiration:Delete"
	LifecycleExpirationDeleteMarker      = "LifecycleExpiration:DeleteMarkerCreated"
)

// EventBridge detail-types of S3 object events.
const (
	DetailTypeObjectCreated = "Object Created"
	DetailTypeObjectDeleted = "Object Deleted"
)

// ObjectEvent is an S3 object created or removed event, whichever way it was
// delivered.
type ObjectEvent struct {
	// Name is the S3 event name, such as ObjectCreatedPut.
	Name string
	// Bucket and Key name the object; Key is decoded.
	Bucket string
	Key    string
	// EncodedKey is the key as the notification carried it. Encoders use it
	// when it decodes to Key, so a decoded notification re-encodes byte for
	// byte; otherwise they encode Key with EncodeObjectKey.
	EncodedKey string
	// Size and ETag describe created objects; removal events carry neither.
	Size int64
	ETag string
	// VersionID is set for versioned buckets.
	VersionID string
	// Sequencer orders events on one key; compare with CompareSequencers.
	Sequencer string
	// Time is when the event happened; notifications keep milliseconds.
	Time time.Time
	// Region is the bucket's region.
	Region string
	// Principal is who made the request (S3's userIdentity, EventBridge's
	// requester); SourceIP is where it came from.
	Principal string
	SourceIP  string
	// RequestID and HostID are S3's x-amz-request-id and x-amz-id-2.
	RequestID string
	HostID    string
	// Owner is the bucket owner's principal id (S3 notifications); Account
	// the bucket owner's account id (EventBridge).
	Owner   string
	Account string
	// ConfigurationID names the bucket's notification configuration.
	ConfigurationID string
	// EventVersion is the notification's eventVersion; empty means "2.1".
	EventVersion string
	// EventID is the EventBridge event id; empty when delivered as an S3
	// notification.
	EventID string
}

// Created reports whether the event is an ObjectCreated event.
func (o ObjectEvent) Created() bool { return strings.HasPrefix(o.Name, "ObjectCreated:") }

// Removed reports whether the event removed an object or created a delete
// marker, by request or by lifecycle expiration.
func (o ObjectEvent) Removed() bool {
	return strings.HasPrefix(o.Name, "ObjectRemoved:") || strings.HasPrefix(o.Name, "LifecycleExpiration:")
}

// sequence feeds generated sequencers and stream sequence numbers; seeding it
// with the clock keeps values increasing across runs of a process.
var sequence atomic.Uint64

func init() { sequence.Store(uint64(time.Now().UnixNano())) }

func nextSequencer() string {
	return fmt.Sprintf("%018X", sequence.Add(1))
}

// normalize checks o and fills the defaults encoders share.
func (o ObjectEvent) normalize() (ObjectEvent, error) {
	if o.Bucket == "" {
		return o, fmt.Errorf("%w: object event without a bucket", ErrInvalid)
	}
	if !o.Created() && !o.Removed() {
		return o, fmt.Errorf("%w: object event name %q", ErrInvalid, o.Name)
	}
	if o.Key == "" && o.EncodedKey != "" {
		key, err := DecodeObjectKey(o.EncodedKey)
		if err != nil {
			return o, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		o.Key = key
	}
	if o.Key == "" {
		return o, fmt.Errorf("%w: object event without a key", ErrInvalid)
	}
	if !utf8.ValidString(o.Key) {
		// S3 keys are UTF-8; a notification's percent-encoding can still
		// spell other bytes.
		return o, fmt.Errorf("%w: object key %q is not UTF-8", ErrInvalid, o.Key)
	}
	if o.EncodedKey != "" {
		if k, err := DecodeObjectKey(o.EncodedKey); err != nil || k != o.Key {
			o.EncodedKey = ""
		}
	}
	if o.EncodedKey == "" {
		o.EncodedKey = EncodeObjectKey(o.Key)
	}
	if o.Size < 0 {
		return o, fmt.Errorf("%w: object size %d", ErrInvalid, o.Size)
	}
	if o.Time.IsZero() {
		o.Time = time.Now()
	}
	o.Time = o.Time.UTC()
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.Sequencer == "" {
		o.Sequencer = nextSequencer()
	}
	if o.RequestID == "" {
		o.RequestID = strings.ToUpper(strings.ReplaceAll(uuid.New(), "-", "")[:16])
	}
	if o.EventVersion == "" {
		o.EventVersion = "2.1"
	}
	return o, nil
}

func partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

func bucketARN(region, bucket string) string {
	return "arn:" + partition(region) + ":s3:::" + bucket
}

// NewObjectEvent returns o as an S3 event notification, the payload S3 sends
// to a Lambda function: a Records array holding one record. Defaults fill what
// o leaves empty: Time now, Region "us-east-1", a generated RequestID and
// Sequencer, EventVersion "2.1". It returns an error wrapping ErrInvalid
// without a bucket, a key, or an ObjectCreated, ObjectRemoved or
// LifecycleExpiration name.
func NewObjectEvent(o ObjectEvent) (Event, error) {
	o, err := o.normalize()
	if err != nil {
		return Event{}, err
	}
	return Event{
		ID:      o.RequestID + "/" + o.Sequencer,
		Source:  SourceS3,
		Type:    o.Name,
		Time:    o.Time,
		Bucket:  o.Bucket,
		Key:     o.Key,
		Payload: appendS3Notification(make([]byte, 0, 768), &o),
	}, nil
}

// appendS3Notification writes the notification by hand: the field order,
// the millisecond time and the optional fields must be S3's, which the
// aws-lambda-go types (made for decoding) do not reproduce.
func appendS3Notification(b []byte, o *ObjectEvent) []byte {
	b = append(b, `{"Records":[{`...)
	b = appendStringField(b, "eventVersion", o.EventVersion)
	b = appendStringField(b, "eventSource", "aws:s3")
	b = appendStringField(b, "awsRegion", o.Region)
	b = appendS3Time(appendField(b, "eventTime"), o.Time)
	b = appendStringField(b, "eventName", o.Name)
	b = append(appendField(b, "userIdentity"), '{')
	b = append(appendStringField(b, "principalId", o.Principal), '}')
	b = append(appendField(b, "requestParameters"), '{')
	b = append(appendStringField(b, "sourceIPAddress", o.SourceIP), '}')
	b = append(appendField(b, "responseElements"), '{')
	b = appendStringField(b, "x-amz-request-id", o.RequestID)
	b = append(appendStringField(b, "x-amz-id-2", o.HostID), '}')
	b = append(appendField(b, "s3"), '{')
	b = appendStringField(b, "s3SchemaVersion", "1.0")
	b = appendStringField(b, "configurationId", o.ConfigurationID)
	b = append(appendField(b, "bucket"), '{')
	b = appendStringField(b, "name", o.Bucket)
	b = append(appendField(b, "ownerIdentity"), '{')
	b = append(appendStringField(b, "principalId", o.Owner), '}')
	b = append(appendStringField(b, "arn", bucketARN(o.Region, o.Bucket)), '}')
	b = append(appendField(b, "object"), '{')
	b = appendStringField(b, "key", o.EncodedKey)
	if o.Created() {
		b = appendIntField(b, "size", o.Size)
		b = appendStringField(b, "eTag", o.ETag)
	}
	if o.VersionID != "" {
		b = appendStringField(b, "versionId", o.VersionID)
	}
	b = appendStringField(b, "sequencer", o.Sequencer)
	return append(b, `}}}]}`...)
}

// s3Reasons maps S3 event names to EventBridge's reason and deletion-type.
var s3Reasons = map[string][2]string{
	ObjectCreatedPut:                     {"PutObject", ""},
	ObjectCreatedPost:                    {"POST Object", ""},
	ObjectCreatedCopy:                    {"CopyObject", ""},
	ObjectCreatedCompleteMultipartUpload: {"CompleteMultipartUpload", ""},
	ObjectRemovedDelete:                  {"DeleteObject", "Permanently Deleted"},
	ObjectRemovedDeleteMarkerCreated:     {"DeleteObject", "Delete Marker Created"},
	LifecycleExpirationDelete:            {"Lifecycle Expiration", "Permanently Deleted"},
	LifecycleExpirationDeleteMarker:      {"Lifecycle Expiration", "Delete Marker Created"},
}

func s3NameFromReason(detailType, reason, deletionType string) (string, bool) {
	for name, r := range s3Reasons {
		if r[0] == reason && r[1] == deletionType && (detailType == DetailTypeObjectCreated) == (r[1] == "") {
			return name, true
		}
	}
	return "", false
}

// s3Detail is the detail of S3's EventBridge events.
type s3Detail struct {
	Version string `json:"version"`
	Bucket  struct {
		Name string `json:"name"`
	} `json:"bucket"`
	Object struct {
		Key       string `json:"key"`
		Size      *int64 `json:"size,omitempty"`
		ETag      string `json:"etag,omitempty"`
		VersionID string `json:"version-id,omitempty"`
		Sequencer string `json:"sequencer,omitempty"`
	} `json:"object"`
	RequestID    string `json:"request-id"`
	Requester    string `json:"requester"`
	SourceIP     string `json:"source-ip-address,omitempty"`
	Reason       string `json:"reason"`
	DeletionType string `json:"deletion-type,omitempty"`
}

// NewObjectEventBridgeEvent returns o as S3 sends it to EventBridge: an
// "Object Created" or "Object Deleted" event. Keys travel unencoded in this
// form. Defaults are those of NewObjectEvent, plus a generated EventID.
// EventBridge has no event for a lifecycle delete of an object version that
// leaves a delete marker other than "Object Deleted"; every removal maps to it.
func NewObjectEventBridgeEvent(o ObjectEvent) (Event, error) {
	o, err := o.normalize()
	if err != nil {
		return Event{}, err
	}
	reason, ok := s3Reasons[o.Name]
	if !ok {
		return Event{}, fmt.Errorf("%w: S3 sends no EventBridge event for %q", ErrInvalid, o.Name)
	}
	var d s3Detail
	d.Version = "0"
	d.Bucket.Name = o.Bucket
	d.Object.Key = o.Key
	if o.Created() {
		size := o.Size
		d.Object.Size = &size
		d.Object.ETag = o.ETag
	}
	d.Object.VersionID = o.VersionID
	d.Object.Sequencer = o.Sequencer
	d.RequestID = o.RequestID
	d.Requester = o.Principal
	d.SourceIP = o.SourceIP
	d.Reason, d.DeletionType = reason[0], reason[1]
	detailType := DetailTypeObjectCreated
	if o.Removed() {
		detailType = DetailTypeObjectDeleted
	}
	return newEventBridgeEvent(Envelope{
		ID:        o.EventID,
		Account:   o.Account,
		Region:    o.Region,
		Time:      o.Time,
		Resources: []string{bucketARN(o.Region, o.Bucket)},
	}, SourceS3, detailType, d, o.Bucket, o.Key)
}

// wirePayload holds any of the payloads DecodeObjectEvents accepts, so one
// pass of encoding/json reads them all.
type wirePayload struct {
	Records []wireRecord `json:"Records"`
	// An EventBridge event, decoded again in full when present: its other
	// fields would fail messages of other kinds that share their names.
	DetailType string `json:"detail-type"`
	// An SNS notification, as an SQS message body, and S3's test event,
	// sent when a notification configuration is saved. Raw, since bodies of
	// other kinds may use these names for other types.
	Type    json.RawMessage `json:"Type"`
	Message json.RawMessage `json:"Message"`
	Event   json.RawMessage `json:"Event"`
}

type wireRecord struct {
	lambdaevents.S3EventRecord
	Body string   `json:"body"`
	SNS  *wireSNS `json:"Sns"`
}

type wireSNS struct {
	Message string `json:"Message"`
}

// maxNesting bounds how deep DecodeObjectEvents follows payloads in message
// bodies (SQS holding SNS holding S3 is three).
const maxNesting = 4

// DecodeObjectEvents decodes the S3 object events in a Lambda payload:
//
//   - an S3 event notification (lambdaevents.S3Event);
//   - an SQS event (lambdaevents.SQSEvent) whose message bodies hold S3
//     notifications, SNS notifications of them, or EventBridge events;
//   - an SNS event (lambdaevents.SNSEvent) whose messages hold S3
//     notifications;
//   - an EventBridge "Object Created" or "Object Deleted" event from S3.
//
// All forms of one event decode to the same ObjectEvent, except for the
// fields a form does not carry. Keys are returned as stored: S3
// notifications carry them form-URL-encoded and are decoded ("+" is a
// space); EventBridge events carry them as they are. S3's test event
// ("s3:TestEvent") holds no object event and decodes to none. The error wraps
// ErrMalformed for a payload that is not JSON or an invalid key encoding, and
// ErrWrongKind for other events.
func DecodeObjectEvents(payload []byte) ([]ObjectEvent, error) {
	return decodeObjectEvents(payload, nil, 0)
}

func decodeObjectEvents(payload []byte, out []ObjectEvent, depth int) ([]ObjectEvent, error) {
	if depth >= maxNesting {
		return out, fmt.Errorf("%w: object events nested more than %d deep", ErrMalformed, maxNesting)
	}
	var p wirePayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return out, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	switch {
	case p.Records != nil:
		for i := range p.Records {
			r := &p.Records[i]
			var err error
			switch r.EventSource {
			case "aws:s3":
				out = append(out, objectFromRecord(&r.S3EventRecord))
			case "aws:sqs":
				out, err = decodeObjectEvents([]byte(r.Body), out, depth+1)
			case "aws:sns":
				if r.SNS == nil {
					return out, fmt.Errorf("%w: SNS record without Sns", ErrMalformed)
				}
				out, err = decodeObjectEvents([]byte(r.SNS.Message), out, depth+1)
			default:
				return out, fmt.Errorf("%w: record from %q, want aws:s3, aws:sqs or aws:sns", ErrWrongKind, r.EventSource)
			}
			if err != nil {
				return out, err
			}
		}
		return out, nil
	case p.DetailType != "":
		e, err := decodeEventBridge(payload)
		if err != nil {
			return out, err
		}
		o, err := objectFromEventBridge(&e)
		if err != nil {
			return out, err
		}
		return append(out, o), nil
	case string(p.Event) == `"s3:TestEvent"`:
		return out, nil
	case string(p.Type) == `"Notification"`:
		var msg string
		if err := json.Unmarshal(p.Message, &msg); err != nil {
			return out, fmt.Errorf("%w: SNS notification without a Message string", ErrMalformed)
		}
		return decodeObjectEvents([]byte(msg), out, depth+1)
	}
	return out, fmt.Errorf("%w: not an S3 notification, SQS, SNS or EventBridge event", ErrWrongKind)
}

func objectFromRecord(r *lambdaevents.S3EventRecord) ObjectEvent {
	return ObjectEvent{
		Name:            r.EventName,
		Bucket:          r.S3.Bucket.Name,
		Key:             r.S3.Object.URLDecodedKey,
		EncodedKey:      r.S3.Object.Key,
		Size:            r.S3.Object.Size,
		ETag:            r.S3.Object.ETag,
		VersionID:       r.S3.Object.VersionID,
		Sequencer:       r.S3.Object.Sequencer,
		Time:            r.EventTime,
		Region:          r.AWSRegion,
		Principal:       r.PrincipalID.PrincipalID,
		SourceIP:        r.RequestParameters.SourceIPAddress,
		RequestID:       r.ResponseElements["x-amz-request-id"],
		HostID:          r.ResponseElements["x-amz-id-2"],
		Owner:           r.S3.Bucket.OwnerIdentity.PrincipalID,
		ConfigurationID: r.S3.ConfigurationID,
		EventVersion:    r.EventVersion,
	}
}

func objectFromEventBridge(e *lambdaevents.EventBridgeEvent) (ObjectEvent, error) {
	if e.Source != SourceS3 || (e.DetailType != DetailTypeObjectCreated && e.DetailType != DetailTypeObjectDeleted) {
		return ObjectEvent{}, fmt.Errorf("%w: EventBridge event %q from %q, want an S3 object event", ErrWrongKind, e.DetailType, e.Source)
	}
	var d s3Detail
	if err := json.Unmarshal(e.Detail, &d); err != nil {
		return ObjectEvent{}, fmt.Errorf("%w: S3 event detail: %w", ErrMalformed, err)
	}
	name, ok := s3NameFromReason(e.DetailType, d.Reason, d.DeletionType)
	if !ok {
		// S3 may add reasons; keep the event, named by its detail-type.
		name = "ObjectCreated:" + strings.ReplaceAll(d.Reason, " ", "")
		if e.DetailType == DetailTypeObjectDeleted {
			name = "ObjectRemoved:" + strings.ReplaceAll(d.Reason, " ", "")
		}
	}
	o := ObjectEvent{
		Name:       name,
		Bucket:     d.Bucket.Name,
		Key:        d.Object.Key,
		EncodedKey: EncodeObjectKey(d.Object.Key),
		ETag:       d.Object.ETag,
		VersionID:  d.Object.VersionID,
		Sequencer:  d.Object.Sequencer,
		Time:       e.Time,
		Region:     e.Region,
		Principal:  d.Requester,
		SourceIP:   d.SourceIP,
		RequestID:  d.RequestID,
		Account:    e.AccountID,
		EventID:    e.ID,
	}
	if d.Object.Size != nil {
		o.Size = *d.Object.Size
	}
	return o, nil
}

// formatSequence returns a decimal stream sequence number.
func formatSequence() string {
	return strconv.FormatUint(sequence.Add(1), 10)
}
