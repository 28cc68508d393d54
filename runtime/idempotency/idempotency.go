// Package idempotency gives at-least-once events exactly-once effects, with the semantics of
// Powertools for AWS Lambda, backed by any table.Table.
//
// # How it works
//
// Before running the handler for an event, a [Store] writes an in-progress record under the
// event's idempotency key with a conditional put that only one caller can win:
//
//   - The winner runs the handler. On success the record becomes completed and holds the
//     JSON result; on an error or a panic the record is deleted, so a retry can run.
//   - A repeat of a completed key returns the stored result without running the handler.
//   - A repeat while the key is in progress fails with [ErrInProgress], an error meant to be
//     retried: Lambda retries asynchronous events and SQS redelivers the message.
//   - With Options.ValidatePayload, a repeat whose payload differs from the first one's
//     (compared by hash) fails with [ErrPayloadMismatch].
//
// Records expire after Options.Expiry (one hour by default), and an in-progress record
// expires when the invocation's time runs out (runtime.InvocationDeadline: Lambda's
// deadline, not the earlier one of runtime.DeadlineMargin, as the handler may run until
// then), so an attempt that crashed or timed out without cleaning up can be retried at once.
//
// The stored result must fit in one table item (400 KB with DynamoDB); when it does not, the
// call fails and the key stays in progress until the invocation's deadline.
//
// # The table
//
// The table holds [Record] items: partition key "id" (a string), time to live attribute
// "expiration", as Powertools names them, so a table made for Powertools works. On DynamoDB,
// turn time to live on for "expiration"; expired records are ignored before DynamoDB removes
// them.
package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/servous/servous/runtime"
	"github.com/servous/servous/table"
)

var (
	// ErrInProgress means another invocation is handling the same key now. It is meant to
	// be retried later.
	ErrInProgress = errors.New("idempotency: already in progress")
	// ErrPayloadMismatch means the payload differs from the one first seen with its key.
	ErrPayloadMismatch = errors.New("idempotency: payload differs from the first with the same key")
	// ErrInvalidKey means the key function failed or returned an empty key.
	ErrInvalidKey = errors.New("idempotency: invalid key")
)

// Status is the state of a [Record].
type Status string

// The record states, with the values Powertools stores.
const (
	StatusInProgress Status = "INPROGRESS"
	StatusCompleted  Status = "COMPLETED"
)

// Record is an idempotency record as the table stores it.
type Record struct {
	// ID is the hashed idempotency key, prefixed with the function name.
	ID string `dynamodbav:"id" table:"partition"`
	// ExpiresAt is when the record expires, in epoch seconds (DynamoDB time to live).
	ExpiresAt int64 `dynamodbav:"expiration" table:"expires"`
	// InProgressExpiresAt is when an in-progress record stops blocking repeats, in epoch
	// milliseconds: the deadline of the invocation that wrote it.
	InProgressExpiresAt int64 `dynamodbav:"in_progress_expiration,omitempty"`
	// Status is in progress or completed.
	Status Status `dynamodbav:"status"`
	// Data is the handler's JSON result, once completed.
	Data string `dynamodbav:"data,omitempty"`
	// Validation is the payload's hash, when Options.ValidatePayload is set.
	Validation string `dynamodbav:"validation,omitempty"`
}

// DefaultExpiry is how long records live when Options.Expiry is zero.
const DefaultExpiry = time.Hour

// Options configures a [Store]. A nil *Options means the defaults documented on each field.
type Options struct {
	// Expiry is how long a record lives, and so how long a repeat is recognised.
	// Default: DefaultExpiry.
	Expiry time.Duration
	// Prefix is put before the hashed key, so functions can share a table. Default: the
	// function's name (runtime.FunctionName) at each call.
	Prefix string
	// ValidatePayload stores a hash of each payload and refuses a repeat whose payload
	// differs with ErrPayloadMismatch. Leave it off when repeats legitimately differ, as
	// redelivered SQS messages do in their receipt handle and attributes.
	ValidatePayload bool
	// Now returns the current time; nil means time.Now. Give the table the same clock.
	Now func() time.Time
}

// Store makes handlers idempotent with records in a table. It is safe for concurrent use.
type Store struct {
	t table.Table[Record]
	o Options
}

// New returns a Store keeping its records in t. A nil opts means the defaults of [Options].
func New(t table.Table[Record], opts *Options) *Store {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Expiry <= 0 {
		o.Expiry = DefaultExpiry
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Store{t: t, o: o}
}

// cleanupTimeout bounds the writes made after the handler returns once the invocation's context
// has ended or is about to: a handler that failed because its context ended must still release
// its record.
const cleanupTimeout = 5 * time.Second

// cleanupContext is the context of the writes that settle a record: the invocation's own while
// it has no deadline, otherwise one that outlives it by up to cleanupTimeout.
func cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	dl, ok := ctx.Deadline()
	if !ok && ctx.Err() == nil {
		return context.WithCancel(ctx)
	}
	d := cleanupTimeout
	if ok {
		d = max(d, time.Until(dl))
	}
	return context.WithTimeout(context.WithoutCancel(ctx), d)
}

// Do runs fn at most once for key and returns its result, or the result stored by the run
// that completed earlier. payload is what Options.ValidatePayload hashes. The errors are
// fn's own, [ErrInProgress], [ErrPayloadMismatch], [ErrInvalidKey] for an empty key, and
// the table's.
func (s *Store) Do(ctx context.Context, key string, payload []byte, fn func(context.Context) ([]byte, error)) ([]byte, error) {
	if key == "" {
		return nil, fmt.Errorf("%w: empty key", ErrInvalidKey)
	}
	prefix := s.o.Prefix
	if prefix == "" {
		prefix = runtime.FunctionName(ctx)
	}
	id := prefix + "#" + hash([]byte(key))
	var validation string
	if s.o.ValidatePayload {
		validation = hash(payload)
	}

	// A few rounds at most: a record that expires or is deleted between the failed put and
	// the read lets the next put through.
	for range 3 {
		now := s.o.Now()
		rec := Record{
			ID:                  id,
			ExpiresAt:           now.Add(s.o.Expiry).Unix(),
			InProgressExpiresAt: now.Add(s.o.Expiry).UnixMilli(),
			Status:              StatusInProgress,
			Validation:          validation,
		}
		if d, ok := runtime.InvocationDeadline(ctx); ok {
			rec.InProgressExpiresAt = d.UnixMilli()
		}
		err := s.t.Put(ctx, &rec, &table.PutOptions{If: table.Or(
			table.NotExists("id"),
			table.And(table.Equal("status", string(StatusInProgress)), table.LessThan("in_progress_expiration", now.UnixMilli())),
		)})
		if err == nil {
			return s.run(ctx, rec, fn)
		}
		if !errors.Is(err, table.ErrConditionFailed) {
			return nil, fmt.Errorf("idempotency: saving in-progress record: %w", err)
		}
		existing, err := s.t.Get(ctx, table.Key{Partition: table.String(id)}, &table.GetOptions{ConsistentRead: true})
		if errors.Is(err, table.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("idempotency: reading record: %w", err)
		}
		if s.o.ValidatePayload && existing.Validation != validation {
			return nil, fmt.Errorf("%w (key %q)", ErrPayloadMismatch, key)
		}
		switch existing.Status {
		case StatusCompleted:
			return []byte(existing.Data), nil
		case StatusInProgress:
			if existing.InProgressExpiresAt < s.o.Now().UnixMilli() {
				continue
			}
			return nil, fmt.Errorf("%w (key %q)", ErrInProgress, key)
		default:
			return nil, fmt.Errorf("idempotency: record %s has unknown status %q", id, existing.Status)
		}
	}
	return nil, fmt.Errorf("%w (key %q): the record kept changing", ErrInProgress, key)
}

// run calls fn as the owner of the in-progress record rec and settles the record.
func (s *Store) run(ctx context.Context, rec Record, fn func(context.Context) ([]byte, error)) (out []byte, err error) {
	settled := false
	release := func() error {
		cctx, cancel := cleanupContext(ctx)
		defer cancel()
		return s.t.Delete(cctx, table.Key{Partition: table.String(rec.ID)}, nil)
	}
	defer func() {
		if !settled {
			// fn panicked: release the key for a retry, then let the panic go on.
			_ = release()
		}
	}()
	out, err = fn(ctx)
	settled = true
	if err != nil {
		if derr := release(); derr != nil {
			return nil, errors.Join(err, fmt.Errorf("idempotency: deleting the record after the handler failed: %w", derr))
		}
		return nil, err
	}
	rec.Status = StatusCompleted
	rec.Data = string(out)
	rec.InProgressExpiresAt = 0
	rec.ExpiresAt = s.o.Now().Add(s.o.Expiry).Unix()
	cctx, cancel := cleanupContext(ctx)
	defer cancel()
	if err := s.t.Put(cctx, &rec, nil); err != nil {
		return nil, fmt.Errorf("idempotency: saving the result: %w", err)
	}
	return out, nil
}

func hash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Func returns h made idempotent by s: key picks the idempotency key from the input (an
// order id, a message id, a hash of the fields that identify the request). The result is
// stored as JSON and decoded into Out for repeats.
func Func[In, Out any](s *Store, key func(In) (string, error), h func(context.Context, In) (Out, error)) func(context.Context, In) (Out, error) {
	return func(ctx context.Context, in In) (Out, error) {
		var zero Out
		k, err := key(in)
		if err != nil {
			return zero, fmt.Errorf("%w: %w", ErrInvalidKey, err)
		}
		var payload []byte
		if s.o.ValidatePayload {
			if payload, err = json.Marshal(in); err != nil {
				return zero, fmt.Errorf("idempotency: encoding the payload: %w", err)
			}
		}
		var result Out
		ran := false
		data, err := s.Do(ctx, k, payload, func(ctx context.Context) ([]byte, error) {
			out, err := h(ctx, in)
			if err != nil {
				return nil, err
			}
			ran, result = true, out
			return json.Marshal(out)
		})
		if err != nil {
			return zero, err
		}
		if ran {
			return result, nil
		}
		var out Out
		if err := json.Unmarshal(data, &out); err != nil {
			return zero, fmt.Errorf("idempotency: decoding the stored result: %w", err)
		}
		return out, nil
	}
}

// Middleware returns runtime middleware that makes the handler it wraps idempotent by s, with
// key picking the idempotency key from the raw payload. Repeats get the stored response
// bytes. Put it in runtime.Options.Middleware.
func (s *Store) Middleware(key func(payload []byte) (string, error)) runtime.Middleware {
	return func(next lambda.Handler) lambda.Handler {
		return runtime.InvokeFunc(func(ctx context.Context, payload []byte) ([]byte, error) {
			k, err := key(payload)
			if err != nil {
				return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
			}
			return s.Do(ctx, k, payload, func(ctx context.Context) ([]byte, error) {
				return next.Invoke(ctx, payload)
			})
		})
	}
}
