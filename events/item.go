package events

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"github.com/servous/servous/internal/uuid"
)

// DynamoDB stream event names.
const (
	ItemInserted = "INSERT"
	ItemModified = "MODIFY"
	ItemRemoved  = "REMOVE"
)

// Stream view types: what a stream record carries besides the keys.
const (
	StreamKeysOnly        = "KEYS_ONLY"
	StreamNewImage        = "NEW_IMAGE"
	StreamOldImage        = "OLD_IMAGE"
	StreamNewAndOldImages = "NEW_AND_OLD_IMAGES"
)

// ItemChange is a DynamoDB stream record: one item inserted, modified or
// removed.
type ItemChange struct {
	// EventID identifies the record; encoders generate one when empty.
	EventID string
	// Name is ItemInserted, ItemModified or ItemRemoved.
	Name string
	// SourceARN is the stream's ARN; see StreamARN.
	SourceARN string
	// Region is the table's region; empty encodes as "us-east-1".
	Region string
	// Keys holds the item's primary key; NewImage and OldImage the item
	// after and before the change, as the stream view type provides them.
	Keys     map[string]lambdaevents.DynamoDBAttributeValue
	NewImage map[string]lambdaevents.DynamoDBAttributeValue
	OldImage map[string]lambdaevents.DynamoDBAttributeValue
	// SequenceNumber orders records of one item; encoders generate an
	// increasing one when empty.
	SequenceNumber string
	// SizeBytes is the record's size; encoders compute it when zero.
	SizeBytes int64
	// StreamViewType is one of the Stream* constants; empty encodes as
	// StreamNewAndOldImages.
	StreamViewType string
	// Time is the record's approximate creation time (whole seconds).
	Time time.Time
	// UserIdentity is set for items deleted by Time to Live.
	UserIdentity *lambdaevents.DynamoDBUserIdentity
	// EventVersion is the record format's version; empty encodes as "1.1".
	EventVersion string
}

// StreamARN returns the ARN of a table's stream, the eventSourceARN of its
// records; label is the stream's creation time.
func StreamARN(region, account, table string, label time.Time) string {
	return "arn:" + partition(region) + ":dynamodb:" + region + ":" + account + ":table/" + table +
		"/stream/" + label.UTC().Format("2006-01-02T15:04:05.000")
}

// NewItemChange returns c as the event Lambda receives from a DynamoDB
// stream: a Records array holding one record. The error wraps ErrInvalid
// for an unknown Name, no Keys or no SourceARN.
func NewItemChange(c ItemChange) (Event, error) {
	switch c.Name {
	case ItemInserted, ItemModified, ItemRemoved:
	default:
		return Event{}, fmt.Errorf("%w: stream event name %q", ErrInvalid, c.Name)
	}
	if len(c.Keys) == 0 {
		return Event{}, fmt.Errorf("%w: stream record without keys", ErrInvalid)
	}
	if c.SourceARN == "" {
		return Event{}, fmt.Errorf("%w: stream record without an event source ARN", ErrInvalid)
	}
	if c.EventID == "" {
		u := uuid.New()
		c.EventID = u[:8] + u[9:13] + u[14:18] + u[19:23] + u[24:]
	}
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.SequenceNumber == "" {
		c.SequenceNumber = formatSequence()
	}
	if c.StreamViewType == "" {
		c.StreamViewType = StreamNewAndOldImages
	}
	if c.EventVersion == "" {
		c.EventVersion = "1.1"
	}
	if c.Time.IsZero() {
		c.Time = time.Now()
	}
	c.Time = c.Time.UTC().Truncate(time.Second)
	if c.SizeBytes == 0 {
		c.SizeBytes = itemSize(c.Keys) + itemSize(c.NewImage) + itemSize(c.OldImage)
	}
	payload, err := marshal(lambdaevents.DynamoDBEvent{Records: []lambdaevents.DynamoDBEventRecord{{
		AWSRegion: c.Region,
		Change: lambdaevents.DynamoDBStreamRecord{
			ApproximateCreationDateTime: lambdaevents.SecondsEpochTime{Time: c.Time},
			Keys:                        c.Keys,
			NewImage:                    c.NewImage,
			OldImage:                    c.OldImage,
			SequenceNumber:              c.SequenceNumber,
			SizeBytes:                   c.SizeBytes,
			StreamViewType:              c.StreamViewType,
		},
		EventID:        c.EventID,
		EventName:      c.Name,
		EventSource:    "aws:dynamodb",
		EventVersion:   c.EventVersion,
		EventSourceArn: c.SourceARN,
		UserIdentity:   c.UserIdentity,
	}}})
	if err != nil {
		return Event{}, fmt.Errorf("%w: stream record: %w", ErrInvalid, err)
	}
	return Event{ID: c.EventID, Source: SourceDynamoDB, Type: c.Name, Time: c.Time, Payload: payload}, nil
}

// itemSize approximates DynamoDB's item size: names plus values.
func itemSize(m map[string]lambdaevents.DynamoDBAttributeValue) int64 {
	var n int64
	for name, v := range m {
		n += int64(len(name)) + valueSize(v)
	}
	return n
}

func valueSize(v lambdaevents.DynamoDBAttributeValue) int64 {
	switch v.DataType() {
	case lambdaevents.DataTypeString:
		return int64(len(v.String()))
	case lambdaevents.DataTypeNumber:
		return int64(len(v.Number())/2 + 1)
	case lambdaevents.DataTypeBinary:
		return int64(len(v.Binary()))
	case lambdaevents.DataTypeBoolean, lambdaevents.DataTypeNull:
		return 1
	case lambdaevents.DataTypeStringSet:
		var n int64
		for _, s := range v.StringSet() {
			n += int64(len(s))
		}
		return n
	case lambdaevents.DataTypeNumberSet:
		var n int64
		for _, s := range v.NumberSet() {
			n += int64(len(s)/2 + 1)
		}
		return n
	case lambdaevents.DataTypeBinarySet:
		var n int64
		for _, b := range v.BinarySet() {
			n += int64(len(b))
		}
		return n
	case lambdaevents.DataTypeList:
		n := int64(3)
		for _, e := range v.List() {
			n += 1 + valueSize(e)
		}
		return n
	case lambdaevents.DataTypeMap:
		return 3 + itemSize(v.Map())
	}
	return 0
}

// DecodeItemChanges decodes a DynamoDB stream event
// (lambdaevents.DynamoDBEvent) into its records. The error wraps
// ErrWrongKind for records from another source and ErrMalformed for a payload
// that is not JSON.
func DecodeItemChanges(payload []byte) ([]ItemChange, error) {
	var e lambdaevents.DynamoDBEvent
	if err := json.Unmarshal(payload, &e); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if e.Records == nil {
		return nil, fmt.Errorf("%w: no Records: not a DynamoDB stream event", ErrWrongKind)
	}
	out := make([]ItemChange, 0, len(e.Records))
	for _, r := range e.Records {
		if r.EventSource != "aws:dynamodb" {
			return nil, fmt.Errorf("%w: record from %q, want aws:dynamodb", ErrWrongKind, r.EventSource)
		}
		var t time.Time
		if !r.Change.ApproximateCreationDateTime.IsZero() {
			t = r.Change.ApproximateCreationDateTime.UTC()
		}
		out = append(out, ItemChange{
			EventID:        r.EventID,
			Name:           r.EventName,
			SourceARN:      r.EventSourceArn,
			Region:         r.AWSRegion,
			Keys:           r.Change.Keys,
			NewImage:       r.Change.NewImage,
			OldImage:       r.Change.OldImage,
			SequenceNumber: r.Change.SequenceNumber,
			SizeBytes:      r.Change.SizeBytes,
			StreamViewType: r.Change.StreamViewType,
			Time:           t,
			UserIdentity:   r.UserIdentity,
			EventVersion:   r.EventVersion,
		})
	}
	return out, nil
}

// AttributeValueOf converts a Go value to a DynamoDB attribute value: nil to
// NULL, string to S, bool to BOOL, []byte to B, integers, floats and
// json.Number to N, []any and other slices to L, map[string]any to M. A
// DynamoDBAttributeValue is returned as is. Other types yield an error
// wrapping ErrInvalid.
func AttributeValueOf(v any) (lambdaevents.DynamoDBAttributeValue, error) {
	switch x := v.(type) {
	case nil:
		return lambdaevents.NewNullAttribute(), nil
	case lambdaevents.DynamoDBAttributeValue:
		return x, nil
	case string:
		return lambdaevents.NewStringAttribute(x), nil
	case bool:
		return lambdaevents.NewBooleanAttribute(x), nil
	case []byte:
		return lambdaevents.NewBinaryAttribute(x), nil
	case json.Number:
		return lambdaevents.NewNumberAttribute(x.String()), nil
	case map[string]any:
		m, err := AttributeValuesOf(x)
		if err != nil {
			return lambdaevents.DynamoDBAttributeValue{}, err
		}
		return lambdaevents.NewMapAttribute(m), nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return lambdaevents.NewNumberAttribute(strconv.FormatInt(rv.Int(), 10)), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return lambdaevents.NewNumberAttribute(strconv.FormatUint(rv.Uint(), 10)), nil
	case reflect.Float32, reflect.Float64:
		f := rv.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return lambdaevents.DynamoDBAttributeValue{}, fmt.Errorf("%w: DynamoDB has no number %v", ErrInvalid, f)
		}
		return lambdaevents.NewNumberAttribute(strconv.FormatFloat(f, 'f', -1, rv.Type().Bits())), nil
	case reflect.Slice, reflect.Array:
		l := make([]lambdaevents.DynamoDBAttributeValue, rv.Len())
		for i := range l {
			av, err := AttributeValueOf(rv.Index(i).Interface())
			if err != nil {
				return lambdaevents.DynamoDBAttributeValue{}, err
			}
			l[i] = av
		}
		return lambdaevents.NewListAttribute(l), nil
	}
	return lambdaevents.DynamoDBAttributeValue{}, fmt.Errorf("%w: no DynamoDB attribute value for %T", ErrInvalid, v)
}

// AttributeValuesOf converts an item in map form with AttributeValueOf.
func AttributeValuesOf(item map[string]any) (map[string]lambdaevents.DynamoDBAttributeValue, error) {
	m := make(map[string]lambdaevents.DynamoDBAttributeValue, len(item))
	for name, v := range item {
		av, err := AttributeValueOf(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", name, err)
		}
		m[name] = av
	}
	return m, nil
}
