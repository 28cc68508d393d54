// Package awsdynamodb provides a table.Table backed by Amazon DynamoDB.
//
// A Table works over a *dynamodb.Client the caller built, a table name and the table's
// schema (key attribute names and kinds, and optionally version and expiry attributes),
// read from T's struct tags unless given in Options. Items are marshaled with
// aws-sdk-go-v2's attributevalue package; conditions, updates and key conditions are built
// with its expression package.
//
// # Semantics
//
// Versioned Put, Create and conditional writes become DynamoDB condition expressions, so they
// hold under any number of concurrent writers. Expired items — whose expiry attribute is a
// positive number of epoch seconds not after now — are filtered from every read and treated
// as absent by every condition, whether or not DynamoDB's time to live has deleted them yet.
// Update of an expired item deletes it first (conditionally) and then applies the changes to
// a fresh item, as the in-memory adapter does.
//
// A write whose answer is lost (DynamoDB may have applied it, the connection dropped or a 5xx
// came back, the SDK sent it again) can fail its condition against its own result on the
// retry. Create and conditional Delete tell that case apart: when the retry after such an
// attempt fails its condition, the item is read back (strongly consistent), and a Create that
// finds, attribute for attribute, the item it wrote, or a Delete that finds no item, reports
// success; a Create never reports ErrAlreadyExists against its own first attempt. The wire
// cannot tell that apart from another writer having stored the very same item meanwhile (then
// too the Create reports success), so items that must have a single creator (a lease, an
// idempotency record) should hold something of their writer's own, such as a random token.
// A versioned Put, and an Update, whose answer was lost report ErrVersionConflict (or
// ErrConditionFailed) on the retry even when the stored item is their own: concurrent
// read-modify-write loops often write identical items (a counter moved from 6 to 7 by two
// writers), and counting another's write as one's own would lose an update silently. A
// caller that gets a conflict re-reads, as it does for any conflict; where applying a change
// twice matters, the change carries an idempotency key (runtime/idempotency).
//
// Batch calls split their work into requests of 100 keys (BatchGetItem) and 25 writes
// (BatchWriteItem) and resend unprocessed keys and writes with exponential backoff until
// done or the context ends.
//
// # Metering
//
// With Options.OnCall set, every request asks DynamoDB for the capacity it consumed
// (ReturnConsumedCapacity TOTAL) and is reported as a table.Call with the read or write
// request units DynamoDB returned: one call per request, batches' retries of unprocessed
// work and the adapter's own reads (after a write of unknown outcome, after a refused
// versioned update) included. A write refused by its condition is reported as Failed, with
// the units DynamoDB bills for it: a unit per 1 KB of the larger of the stored item, which it
// asks DynamoDB to return (ReturnValuesOnConditionCheckFailure ALL_OLD), and the item the
// write would have made. Without OnCall, requests ask for neither.
//
// # Errors
//
// Errors wrap the table sentinels and the SDK's error, so errors.Is(err,
// table.ErrConditionFailed) and errors.As(err, &apiErr) (smithy.APIError) both work:
// ConditionalCheckFailedException becomes ErrConditionFailed, ErrVersionConflict or
// ErrAlreadyExists; a ValidationException about item size becomes ErrTooLarge, one about the
// item's key (missing, of the wrong type, empty or too large) ErrInvalidKey, and others —
// bad conditions, updates, expression values and cursors — ErrInvalidArgument. Item and key limits are also checked before
// a request is sent.
package awsdynamodb

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/servous/servous/table"
	"github.com/servous/servous/table/internal/expr"
	"github.com/servous/servous/table/internal/item"
)

// Options configure a Table; nil means the schema from T's table struct tags and the
// system clock.
type Options struct {
	// Schema overrides the schema read from T's struct tags by table.SchemaOf. It must
	// match the DynamoDB table's key schema.
	Schema *table.Schema
	// Now returns the current time for expiry; nil means time.Now.
	Now func() time.Time
	// OnCall, when set, is called with every request the table makes that DynamoDB
	// answered or refused by a condition, and the request units DynamoDB consumed for it;
	// in the goroutine that called the operation, after the request.
	OnCall func(ctx context.Context, c table.Call)
}

// Table is a table.Table over a DynamoDB table. Create one with New.
type Table[T any] struct {
	client *dynamodb.Client
	name   string
	schema table.Schema
	now    func() time.Time
	onCall func(context.Context, table.Call)
}

var _ table.Table[struct{}] = (*Table[struct{}])(nil)

// New returns a Table over the DynamoDB table name, reached through client. It sends no
// request. The error wraps table.ErrInvalidArgument when T has no usable schema.
func New[T any](client *dynamodb.Client, name string, opts *Options) (*Table[T], error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if client == nil || name == "" {
		return nil, fmt.Errorf("awsdynamodb: new: client and table name required: %w", table.ErrInvalidArgument)
	}
	var s table.Schema
	if o.Schema != nil {
		s = *o.Schema
		if err := s.Validate(); err != nil {
			return nil, fmt.Errorf("awsdynamodb: new %q: %w", name, err)
		}
		s = s.WithDefaults()
	} else {
		var err error
		if s, err = table.SchemaOf[T](); err != nil {
			return nil, fmt.Errorf("awsdynamodb: new %q: %w", name, err)
		}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Table[T]{client: client, name: name, schema: s, now: o.Now, onCall: o.OnCall}, nil
}

// Client returns the DynamoDB client the table uses.
func (t *Table[T]) Client() *dynamodb.Client { return t.client }

// Name returns the DynamoDB table name.
func (t *Table[T]) Name() string { return t.name }

// Schema returns the table's schema.
func (t *Table[T]) Schema() table.Schema { return t.schema }

// failure wraps err (an SDK error or a local check) with the operation, the key and the
// sentinel that describes it; onCondition is the sentinel for a failed condition check.
func (t *Table[T]) failure(op string, k table.Key, err error, onCondition error) error {
	where := fmt.Sprintf("awsdynamodb: %s %s %v", op, t.name, k)
	if op == "batch get" || op == "batch write" {
		where = fmt.Sprintf("awsdynamodb: %s %s", op, t.name)
	}
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return fmt.Errorf("%s: %w: %w", where, onCondition, err)
	}
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "ValidationException" {
		return fmt.Errorf("%s: %w: %w", where, validationSentinel(api.ErrorMessage()), err)
	}
	return fmt.Errorf("%s: %w", where, err)
}

// keyProblems are the parts of DynamoDB's ValidationException messages about the item's
// own key: missing, of the wrong type, empty or too large, or changed by an update.
var keyProblems = []string{
	"provided key element does not match the schema",
	"type mismatch for key",
	"missing the key",
	"required keys was not given a value",
	"for a key attribute cannot contain an empty",
	"size of hashkey has exceeded",
	"range keys has exceeded",
	"this attribute is part of the key",
	"key attributes must be scalars",
}

// validationSentinel maps a ValidationException's message to a table sentinel. "key" alone
// says little: DynamoDB also speaks of expression values ("... for key :0") and of query
// cursors ("The provided starting key is invalid"), which are bad arguments, not bad keys.
func validationSentinel(message string) error {
	msg := strings.ToLower(message)
	switch {
	case strings.Contains(msg, "item size"):
		return table.ErrTooLarge
	case strings.Contains(msg, "starting key") || strings.Contains(msg, "exclusivestartkey") ||
		strings.Contains(msg, "expressionattributevalues"):
		return table.ErrInvalidArgument
	}
	for _, p := range keyProblems {
		if strings.Contains(msg, p) {
			return table.ErrInvalidKey
		}
	}
	return table.ErrInvalidArgument
}

func (t *Table[T]) nowUnix() int64 { return t.now().Unix() }

func (t *Table[T]) decode(it item.Item) (T, error) {
	var v T
	if err := attributevalue.UnmarshalMap(it, &v); err != nil {
		return v, fmt.Errorf("unmarshal: %w", err)
	}
	return v, nil
}

func (t *Table[T]) expired(it item.Item, now int64) bool {
	return item.Expired(it, t.schema.ExpiresAt, now)
}

// Get implements table.Table.
func (t *Table[T]) Get(ctx context.Context, key table.Key, opts *table.GetOptions) (T, error) {
	var zero T
	k, err := item.KeyItem(t.schema, key)
	if err != nil {
		return zero, t.failure("get", key, err, nil)
	}
	in := &dynamodb.GetItemInput{TableName: &t.name, Key: k, ReturnConsumedCapacity: t.capacity()}
	if opts != nil && opts.ConsistentRead {
		in.ConsistentRead = aws.Bool(true)
	}
	out, err := t.client.GetItem(ctx, in)
	if err != nil {
		return zero, t.failure("get", key, err, nil)
	}
	t.reportRead(ctx, item.OpGet, units(out.ConsumedCapacity))
	if out.Item == nil || t.expired(out.Item, t.nowUnix()) {
		return zero, t.failure("get", key, table.ErrNotFound, nil)
	}
	v, err := t.decode(out.Item)
	if err != nil {
		return zero, t.failure("get", key, err, nil)
	}
	return v, nil
}

// Put implements table.Table.
func (t *Table[T]) Put(ctx context.Context, v *T, opts *table.PutOptions) error {
	var cond table.Condition
	if opts != nil {
		cond = opts.If
	}
	return t.put(ctx, "put", v, cond, false)
}

// Create implements table.Table.
func (t *Table[T]) Create(ctx context.Context, v *T) error {
	return t.put(ctx, "create", v, table.Condition{}, true)
}

func (t *Table[T]) put(ctx context.Context, op string, v *T, cond table.Condition, create bool) error {
	w, err := item.PrepareWrite(t.schema, v, cond)
	if err != nil {
		return t.failure(op, w.Key, err, nil)
	}
	key, it, c := w.Key, w.Item, w.Cond
	now := t.nowUnix()
	var conds []expression.ConditionBuilder
	onCondition := table.ErrConditionFailed
	switch {
	case create:
		conds = append(conds, t.absent(now))
		onCondition = table.ErrAlreadyExists
	case t.schema.Version != "":
		if w.Version == 0 {
			conds = append(conds, t.absent(now))
		} else {
			vc := expression.Name(t.schema.Version).Equal(expression.Value(w.Version))
			if live, ok := t.live(now); ok {
				vc = vc.And(live)
			}
			conds = append(conds, vc)
		}
		if c == nil {
			onCondition = table.ErrVersionConflict
		}
	}
	if c != nil {
		conds = append(conds, t.condition(c, now))
	}
	in := &dynamodb.PutItemInput{TableName: &t.name, Item: it, ReturnConsumedCapacity: t.capacity()}
	if len(conds) > 0 {
		in.ReturnValuesOnConditionCheckFailure = t.onConditionFailure()
		expr, err := expression.NewBuilder().WithCondition(and(conds)).Build()
		if err != nil {
			return t.failure(op, key, fmt.Errorf("%w: %w", table.ErrInvalidArgument, err), nil)
		}
		in.ConditionExpression = expr.Condition()
		in.ExpressionAttributeNames = expr.Names()
		in.ExpressionAttributeValues = expr.Values()
	}
	var unknown unknownOutcomes
	out, err := t.client.PutItem(ctx, in, unknown.option)
	t.reportWrite(ctx, item.OpPut, consumed(out), err, func(item.Item) int { return item.Size(it) })
	if err != nil {
		k, kerr := item.KeyItem(t.schema, key)
		if !create || kerr != nil || !t.ownWrite(ctx, err, &unknown, k, it) {
			return t.failure(op, key, err, onCondition)
		}
	}
	if t.schema.Version != "" {
		out, err := t.decode(it)
		if err != nil {
			return t.failure(op, key, err, nil)
		}
		*v = out
	}
	return nil
}

// Delete implements table.Table.
func (t *Table[T]) Delete(ctx context.Context, key table.Key, opts *table.DeleteOptions) error {
	k, err := item.KeyItem(t.schema, key)
	if err != nil {
		return t.failure("delete", key, err, nil)
	}
	var cond table.Condition
	if opts != nil {
		cond = opts.If
	}
	c, err := item.CompileCondition(cond)
	if err != nil {
		return t.failure("delete", key, err, nil)
	}
	in := &dynamodb.DeleteItemInput{TableName: &t.name, Key: k, ReturnConsumedCapacity: t.capacity()}
	if c != nil {
		in.ReturnValuesOnConditionCheckFailure = t.onConditionFailure()
		expr, err := expression.NewBuilder().WithCondition(t.condition(c, t.nowUnix())).Build()
		if err != nil {
			return t.failure("delete", key, fmt.Errorf("%w: %w", table.ErrInvalidArgument, err), nil)
		}
		in.ConditionExpression = expr.Condition()
		in.ExpressionAttributeNames = expr.Names()
		in.ExpressionAttributeValues = expr.Values()
	}
	var unknown unknownOutcomes
	out, err := t.client.DeleteItem(ctx, in, unknown.option)
	t.reportWrite(ctx, item.OpDelete, consumed(out), err, nil)
	if err != nil {
		if in.ConditionExpression == nil || !t.ownWrite(ctx, err, &unknown, k, nil) {
			return t.failure("delete", key, err, table.ErrConditionFailed)
		}
	}
	return nil
}

// Update implements table.Table.
func (t *Table[T]) Update(ctx context.Context, key table.Key, changes []table.Change, opts *table.UpdateOptions) (T, error) {
	var zero T
	k, err := item.KeyItem(t.schema, key)
	if err != nil {
		return zero, t.failure("update", key, err, nil)
	}
	vals, err := item.CheckChanges(t.schema, changes)
	if err != nil {
		return zero, t.failure("update", key, err, nil)
	}
	var cond table.Condition
	if opts != nil {
		cond = opts.If
	}
	c, err := item.CompileCondition(cond)
	if err != nil {
		return zero, t.failure("update", key, err, nil)
	}
	var up expression.UpdateBuilder
	hasUpdate := false
	for i, c := range changes {
		ch := expr.ChangeOf(c)
		hasUpdate = true
		switch ch.Op {
		case expr.ChangeSet:
			up = up.Set(expression.Name(ch.Name), expression.Value(av{vals[i]}))
		case expr.ChangeRemove:
			up = up.Remove(expression.Name(ch.Name))
		case expr.ChangeAdd:
			up = up.Add(expression.Name(ch.Name), expression.Value(av{vals[i]}))
		}
	}
	if t.schema.Version != "" {
		up = up.Add(expression.Name(t.schema.Version), expression.Value(1))
		hasUpdate = true
	}
	// An expired item must not lend its attributes to the update: the write requires a
	// live item or none, and an expired one is deleted first and the update retried.
	for attempt := 0; ; attempt++ {
		now := t.nowUnix()
		b := expression.NewBuilder()
		var conds []expression.ConditionBuilder
		if live, ok := t.live(now); ok {
			conds = append(conds, live)
		}
		if c != nil {
			conds = append(conds, t.condition(c, now))
		}
		if t.schema.Version != "" {
			// ADD would move a version at its maximum to 2^63, which no int64 holds.
			conds = append(conds, expression.Name(t.schema.Version).NotEqual(expression.Value(int64(item.MaxVersion))))
		}
		if len(conds) > 0 {
			b = b.WithCondition(and(conds))
		}
		if hasUpdate {
			b = b.WithUpdate(up)
		}
		in := &dynamodb.UpdateItemInput{TableName: &t.name, Key: k, ReturnValues: types.ReturnValueAllNew, ReturnConsumedCapacity: t.capacity()}
		if len(conds) > 0 {
			in.ReturnValuesOnConditionCheckFailure = t.onConditionFailure()
		}
		if hasUpdate || len(conds) > 0 {
			expr, err := b.Build()
			if err != nil {
				return zero, t.failure("update", key, fmt.Errorf("%w: %w", table.ErrInvalidArgument, err), nil)
			}
			in.ConditionExpression = expr.Condition()
			in.UpdateExpression = expr.Update()
			in.ExpressionAttributeNames = expr.Names()
			in.ExpressionAttributeValues = expr.Values()
		}
		out, err := t.client.UpdateItem(ctx, in)
		t.reportWrite(ctx, item.OpUpdate, consumed(out), err, func(stored item.Item) int {
			would, err := item.Updated(t.schema, stored, k, changes, vals)
			if err != nil {
				return 0
			}
			return item.Size(would)
		})
		if err == nil {
			v, err := t.decode(out.Attributes)
			if err != nil {
				return zero, t.failure("update", key, fmt.Errorf("updated, but the result: %w", err), nil)
			}
			return v, nil
		}
		var ccf *types.ConditionalCheckFailedException
		if !errors.As(err, &ccf) {
			return zero, t.failure("update", key, err, table.ErrConditionFailed)
		}
		if verr := t.versionExhausted(ctx, k, now); verr != nil {
			return zero, t.failure("update", key, verr, nil)
		}
		if t.schema.ExpiresAt == "" || attempt >= 3 || !c.Eval(nil) {
			return zero, t.failure("update", key, err, table.ErrConditionFailed)
		}
		// The condition holds for an absent item, so the failure may be an expired one in
		// the way. Delete it only if it is still the expired item, then try again.
		removed, derr := t.deleteExpired(ctx, k, now)
		if derr != nil {
			return zero, t.failure("update", key, derr, table.ErrConditionFailed)
		}
		if !removed {
			return zero, t.failure("update", key, err, table.ErrConditionFailed)
		}
	}
}

// versionExhausted tells a failed update's cause apart: it returns the error of
// item.NextVersion when the live item with the key holds the highest version, and nil
// otherwise (a failed condition, or an expired item in the way). DynamoDB reports only that
// some condition failed, so the item is read back.
func (t *Table[T]) versionExhausted(ctx context.Context, k item.Item, now int64) error {
	if t.schema.Version == "" {
		return nil
	}
	out, err := t.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &t.name, Key: k, ConsistentRead: aws.Bool(true), ReturnConsumedCapacity: t.capacity()})
	if err != nil {
		return nil
	}
	t.reportRead(ctx, item.OpGet, units(out.ConsumedCapacity))
	if out.Item == nil || t.expired(out.Item, now) {
		return nil
	}
	v, err := item.Version(out.Item, t.schema.Version)
	if err != nil {
		return nil
	}
	_, err = item.NextVersion(t.schema.Version, v)
	return err
}

// deleteExpired deletes the item with the key if it has expired; it reports whether it did.
func (t *Table[T]) deleteExpired(ctx context.Context, k item.Item, now int64) (bool, error) {
	expired, _ := t.expiredCond(now)
	expr, err := expression.NewBuilder().WithCondition(expired).Build()
	if err != nil {
		return false, err
	}
	out, err := t.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: &t.name, Key: k,
		ConditionExpression:                 expr.Condition(),
		ExpressionAttributeNames:            expr.Names(),
		ExpressionAttributeValues:           expr.Values(),
		ReturnConsumedCapacity:              t.capacity(),
		ReturnValuesOnConditionCheckFailure: t.onConditionFailure(),
	})
	t.reportWrite(ctx, item.OpDelete, consumed(out), err, nil)
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	return err == nil, err
}

// backoff waits before resending unprocessed batch work: exponential from 25 ms to 2 s,
// with full jitter, as AWS recommends.
func backoff(ctx context.Context, attempt int) error {
	d := 25 * time.Millisecond << min(attempt, 7)
	d = min(d, 2*time.Second)
	d = time.Duration(rand.Int64N(int64(d)) + 1)
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
