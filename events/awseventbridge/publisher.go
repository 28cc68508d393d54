// Package awseventbridge provides an events.Publisher that puts events on an
// Amazon EventBridge event bus with PutEvents.
//
// # Batching
//
// [Publisher.PublishBatch] sends as few PutEvents requests as the API's
// limits allow: at most 10 entries and 256 KB per request, an entry's size
// counted as EventBridge documents it (14 bytes for the time stamp plus the
// UTF-8 bytes of Source, DetailType, Detail and each resource).
//
// # Failures
//
// PutEvents reports failures per entry. Entries that failed with a
// retryable code (ThrottlingException, InternalFailure) are sent again,
// alone, after a doubling backoff, up to Options.MaxAttempts; the rest are
// reported in a [*PublishError], which wraps events.ErrNotPublished and,
// for a request the SDK gave up on, the SDK's error (reach smithy.APIError
// with errors.As). Events EventBridge would refuse (an "aws." source, an
// entry over 256 KB, a detail that is not a JSON object) fail without a
// request, wrapping events.ErrInvalid.
//
// # Tracing
//
// Called within a Lambda invocation (or runtime.Local), the publisher sets
// each entry's TraceHeader to the invocation's X-Ray trace header.
package awseventbridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/smithy-go"

	"github.com/servous/servous/events"
	"github.com/servous/servous/runtime"
)

// Limits of one PutEvents request.
const (
	MaxBatchEntries = 10
	MaxBatchSize    = 256 * 1024
)

// API is the part of *eventbridge.Client the publisher uses.
type API interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

var _ API = (*eventbridge.Client)(nil)

// Options configures a Publisher. A nil *Options, and zero fields, mean the
// defaults documented on each field.
type Options struct {
	// MaxAttempts bounds how often one entry is sent. Default 4.
	MaxAttempts int
	// Backoff is the wait before the first resend of failed entries; it
	// doubles for each further attempt, up to MaxBackoff. Defaults 100ms and
	// 5s.
	Backoff    time.Duration
	MaxBackoff time.Duration
}

// Publisher puts events on one event bus. It implements events.Publisher and
// is safe for concurrent use.
type Publisher struct {
	client API
	bus    string
	opts   Options
}

var _ events.Publisher = (*Publisher)(nil)

// New returns a Publisher that puts events on the bus named busName (a name
// or ARN; empty means the account's default bus) with client, usually an
// *eventbridge.Client. A nil opts means the defaults of Options.
func New(client API, busName string, opts *Options) *Publisher {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 4
	}
	if o.Backoff <= 0 {
		o.Backoff = 100 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 5 * time.Second
	}
	return &Publisher{client: client, bus: busName, opts: o}
}

// FailedEvent is an event EventBridge did not accept.
type FailedEvent struct {
	Event events.Event
	// Code and Message are EventBridge's per-entry ErrorCode and
	// ErrorMessage, or the API error's code for a failed request.
	Code    string
	Message string
	// Err is the request's error, or one wrapping events.ErrInvalid for an
	// event never sent; nil for a per-entry failure.
	Err error
}

// PublishError lists the events of a PublishBatch call that were not
// published. The others were.
type PublishError struct {
	Failed []FailedEvent
}

// Error names the first failed events and their error codes.
func (e *PublishError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "awseventbridge: %d event(s) not published", len(e.Failed))
	for i, f := range e.Failed {
		if i == 3 {
			fmt.Fprintf(&b, "; …")
			break
		}
		fmt.Fprintf(&b, "; %s %q: %s", f.Event.Source, f.Event.Type, f.Code)
		if f.Message != "" {
			fmt.Fprintf(&b, ": %s", f.Message)
		}
	}
	return b.String()
}

// Unwrap returns events.ErrNotPublished and the failed events' errors.
func (e *PublishError) Unwrap() []error {
	errs := []error{events.ErrNotPublished}
	for _, f := range e.Failed {
		if f.Err != nil {
			errs = append(errs, f.Err)
		}
	}
	return errs
}

// Publish puts one event on the bus; see PublishBatch.
func (p *Publisher) Publish(ctx context.Context, e events.Event) error {
	return p.PublishBatch(ctx, []events.Event{e})
}

type pending struct {
	event events.Event
	entry types.PutEventsRequestEntry
	size  int
}

// PublishBatch puts events on the bus in as few requests as the limits
// allow, resending entries that failed with a retryable code. An event whose
// Payload is an EventBridge event (see events.NewCustom) is sent with its
// envelope's source, detail-type, detail, resources and time; any other event
// is sent with its Source and Type and its Payload, a JSON object, as the
// detail. It returns nil when every event was published, and otherwise a
// *PublishError listing the ones that were not.
func (p *Publisher) PublishBatch(ctx context.Context, evs []events.Event) error {
	var failed []FailedEvent
	todo := make([]pending, 0, len(evs))
	// Inside a Lambda invocation, pass its X-Ray trace on, as the SDK's
	// tracing would, so the events' consumers join the trace.
	trace := runtime.TraceID(ctx)
	if len(trace) > 500 {
		trace = ""
	}
	for _, e := range evs {
		entry, size, err := p.entry(e)
		if err != nil {
			failed = append(failed, FailedEvent{Event: e, Code: "InvalidArgument", Message: err.Error(), Err: err})
			continue
		}
		if trace != "" {
			entry.TraceHeader = &trace
		}
		todo = append(todo, pending{event: e, entry: entry, size: size})
	}
	backoff := p.opts.Backoff
	for attempt := 1; len(todo) > 0; attempt++ {
		var retry []pending
		for _, batch := range batches(todo) {
			r, f := p.put(ctx, batch, attempt == p.opts.MaxAttempts)
			retry = append(retry, r...)
			failed = append(failed, f...)
		}
		todo = retry
		if len(todo) == 0 {
			break
		}
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			for _, pe := range todo {
				failed = append(failed, FailedEvent{Event: pe.event, Code: "Canceled", Message: "gave up retrying", Err: context.Cause(ctx)})
			}
			todo = nil
		}
		backoff = min(2*backoff, p.opts.MaxBackoff)
	}
	if len(failed) > 0 {
		return &PublishError{Failed: failed}
	}
	return nil
}

// batches splits entries into requests within the count and size limits,
// keeping their order.
func batches(todo []pending) [][]pending {
	var out [][]pending
	start, size := 0, 0
	for i, pe := range todo {
		if i > start && (i-start == MaxBatchEntries || size+pe.size > MaxBatchSize) {
			out = append(out, todo[start:i])
			start, size = i, 0
		}
		size += pe.size
	}
	return append(out, todo[start:])
}

// put sends one request, returning the entries to retry and those that
// failed for good.
func (p *Publisher) put(ctx context.Context, batch []pending, last bool) (retry []pending, failed []FailedEvent) {
	entries := make([]types.PutEventsRequestEntry, len(batch))
	for i, pe := range batch {
		entries[i] = pe.entry
	}
	out, err := p.client.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries})
	if err == nil && len(out.Entries) != len(batch) {
		err = fmt.Errorf("PutEvents answered %d entries for %d", len(out.Entries), len(batch))
	}
	if err != nil {
		// The SDK has already retried what it could.
		code := "RequestFailed"
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) {
			code = apiErr.ErrorCode()
		}
		for _, pe := range batch {
			failed = append(failed, FailedEvent{Event: pe.event, Code: code, Message: err.Error(),
				Err: fmt.Errorf("awseventbridge: put events: %w", err)})
		}
		return nil, failed
	}
	for i, r := range out.Entries {
		if r.ErrorCode == nil || *r.ErrorCode == "" {
			continue
		}
		code := *r.ErrorCode
		if retryable(code) && !last {
			retry = append(retry, batch[i])
			continue
		}
		msg := ""
		if r.ErrorMessage != nil {
			msg = *r.ErrorMessage
		}
		failed = append(failed, FailedEvent{Event: batch[i].event, Code: code, Message: msg})
	}
	return retry, failed
}

// retryable reports whether a per-entry error code is worth a resend; the
// API reference lists these as retryable.
func retryable(code string) bool {
	switch code {
	case "ThrottlingException", "InternalFailure", "InternalException", "ServiceUnavailable":
		return true
	}
	return false
}

// entry converts an event to a request entry and its counted size.
func (p *Publisher) entry(e events.Event) (types.PutEventsRequestEntry, int, error) {
	source, detailType, detail := e.Source, e.Type, []byte(e.Payload)
	var resources []string
	t := e.Time
	switch c, err := events.DecodeCustom(e.Payload); {
	case err == nil:
		source, detailType, detail, resources, t = c.Source, c.DetailType, c.Detail, c.Resources, c.Time
	case errors.Is(err, events.ErrMalformed):
		// Not JSON, or an EventBridge event whose detail is not an object:
		// sending it whole as the detail would nest one event in another.
		return types.PutEventsRequestEntry{}, 0, fmt.Errorf("awseventbridge: %w: %w", events.ErrInvalid, err)
	}
	switch {
	case source == "" || detailType == "":
		return types.PutEventsRequestEntry{}, 0, fmt.Errorf("awseventbridge: %w: event needs a source and a detail-type", events.ErrInvalid)
	case strings.HasPrefix(source, "aws."):
		return types.PutEventsRequestEntry{}, 0, fmt.Errorf("awseventbridge: %w: source %q is reserved for AWS services", events.ErrInvalid, source)
	case !isJSONObject(detail):
		return types.PutEventsRequestEntry{}, 0, fmt.Errorf("awseventbridge: %w: detail of %q is not a JSON object", events.ErrInvalid, detailType)
	}
	entry := types.PutEventsRequestEntry{
		Source:     &source,
		DetailType: &detailType,
		Detail:     new(string(detail)),
		Resources:  resources,
	}
	if p.bus != "" {
		entry.EventBusName = &p.bus
	}
	if !t.IsZero() {
		entry.Time = &t
	}
	size := EntrySize(entry)
	if size > MaxBatchSize {
		return types.PutEventsRequestEntry{}, 0, fmt.Errorf("awseventbridge: %w: entry of %d bytes exceeds EventBridge's %d", events.ErrInvalid, size, MaxBatchSize)
	}
	return entry, size, nil
}

// EntrySize returns the size EventBridge counts for an entry: 14 bytes for
// a time stamp, plus the UTF-8 bytes of Source, DetailType, Detail and each
// resource.
func EntrySize(e types.PutEventsRequestEntry) int {
	n := 0
	if e.Time != nil {
		n += 14
	}
	for _, s := range []*string{e.Source, e.DetailType, e.Detail} {
		if s != nil {
			n += len(*s)
		}
	}
	for _, r := range e.Resources {
		n += len(r)
	}
	return n
}

func isJSONObject(b []byte) bool {
	s := strings.TrimSpace(string(b))
	return strings.HasPrefix(s, "{") && json.Valid([]byte(s))
}
