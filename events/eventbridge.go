package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"github.com/servous/servous/internal/uuid"
)

// Envelope holds the fields EventBridge wraps around every event's detail.
type Envelope struct {
	// ID is the event id; encoders generate a UUID when it is empty.
	ID string
	// Account and Region are where the event happened. An empty Region
	// encodes as "us-east-1".
	Account string
	Region  string
	// Time is when the event happened; EventBridge keeps whole seconds.
	// Encoders use the current time when it is zero.
	Time time.Time
	// Resources are the ARNs the event concerns.
	Resources []string
}

func (env Envelope) normalize() Envelope {
	if env.ID == "" {
		env.ID = uuid.New()
	}
	if env.Region == "" {
		env.Region = "us-east-1"
	}
	if env.Time.IsZero() {
		env.Time = time.Now()
	}
	env.Time = env.Time.UTC().Truncate(time.Second)
	if env.Resources == nil {
		// EventBridge always sends the array.
		env.Resources = []string{}
	}
	return env
}

func envelopeOf(e *lambdaevents.EventBridgeEvent) Envelope {
	return Envelope{ID: e.ID, Account: e.AccountID, Region: e.Region, Time: e.Time, Resources: e.Resources}
}

func newEventBridgeEvent(env Envelope, source, detailType string, detail any, bucket, key string) (Event, error) {
	raw, ok := detail.(json.RawMessage)
	if !ok {
		var err error
		if raw, err = marshal(detail); err != nil {
			return Event{}, fmt.Errorf("%w: detail: %w", ErrInvalid, err)
		}
	}
	env = env.normalize()
	payload, err := marshal(lambdaevents.EventBridgeEvent{
		Version:    "0",
		ID:         env.ID,
		DetailType: detailType,
		Source:     source,
		AccountID:  env.Account,
		Time:       env.Time,
		Region:     env.Region,
		Resources:  env.Resources,
		Detail:     raw,
	})
	if err != nil {
		return Event{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return Event{
		ID:      env.ID,
		Source:  source,
		Type:    detailType,
		Time:    env.Time,
		Bucket:  bucket,
		Key:     key,
		Payload: payload,
	}, nil
}

// decodeEventBridge decodes an EventBridge envelope, checking what every
// event has.
func decodeEventBridge(payload []byte) (lambdaevents.EventBridgeEvent, error) {
	var e lambdaevents.EventBridgeEvent
	if err := json.Unmarshal(payload, &e); err != nil {
		return e, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if e.DetailType == "" || e.Source == "" {
		return e, fmt.Errorf("%w: not an EventBridge event (no detail-type or source)", ErrWrongKind)
	}
	if !isJSONObject(e.Detail) {
		return e, fmt.Errorf("%w: EventBridge detail is not a JSON object", ErrMalformed)
	}
	return e, nil
}

func isJSONObject(raw []byte) bool {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	return len(raw) > 0 && raw[0] == '{' && json.Valid(raw)
}

// Custom is an application's own EventBridge event, as PutEvents sends it
// and a rule delivers it to a function.
type Custom struct {
	Envelope
	// Source identifies the application, such as "com.example.orders". The
	// "aws." prefix is reserved for AWS services.
	Source string
	// DetailType says what happened, such as "Order Placed".
	DetailType string
	// Detail is a JSON object; nil encodes as {}.
	Detail json.RawMessage
}

// NewCustom returns c as the event EventBridge delivers to a rule's target.
// The error wraps ErrInvalid when Source or DetailType is empty, Source starts
// with "aws.", or Detail is not a JSON object. Envelope defaults are those
// documented on Envelope.
func NewCustom(c Custom) (Event, error) {
	if err := c.validate(); err != nil {
		return Event{}, err
	}
	if c.Detail == nil {
		c.Detail = json.RawMessage("{}")
	}
	return newEventBridgeEvent(c.Envelope, c.Source, c.DetailType, c.Detail, "", "")
}

func (c Custom) validate() error {
	switch {
	case c.Source == "":
		return fmt.Errorf("%w: custom event without a source", ErrInvalid)
	case strings.HasPrefix(c.Source, "aws."):
		return fmt.Errorf("%w: source %q: the aws. prefix is reserved", ErrInvalid, c.Source)
	case c.DetailType == "":
		return fmt.Errorf("%w: custom event without a detail-type", ErrInvalid)
	case c.Detail != nil && !isJSONObject(c.Detail):
		return fmt.Errorf("%w: detail of %q is not a JSON object", ErrInvalid, c.DetailType)
	}
	return nil
}

// DecodeCustom decodes any EventBridge event (lambdaevents.EventBridgeEvent)
// into a Custom, leaving Detail undecoded. The error wraps ErrWrongKind for
// a payload without detail-type or source and ErrMalformed for one that is
// not JSON or whose detail is not an object.
func DecodeCustom(payload []byte) (Custom, error) {
	e, err := decodeEventBridge(payload)
	if err != nil {
		return Custom{}, err
	}
	return Custom{Envelope: envelopeOf(&e), Source: e.Source, DetailType: e.DetailType, Detail: e.Detail}, nil
}
