package table

import "context"

// Table is a key-value table of items of type T. Implementations are safe for concurrent
// use. Items are copied in and out: a caller never shares memory with a stored item.
type Table[T any] interface {
	// Get returns the live item with the key, or an error wrapping ErrNotFound.
	Get(ctx context.Context, key Key, opts *GetOptions) (T, error)

	// Put stores item, replacing any item with its key. With a version attribute in the
	// schema it writes only if the stored version equals item's (zero: no live item
	// stored, even one without a version attribute), failing with ErrVersionConflict
	// otherwise, and sets item's version to the stored one, incremented by one. An item
	// whose version is math.MaxInt64 is refused with ErrInvalidArgument before any other
	// check. opts.If adds a condition on the stored item; when it fails, the error wraps
	// ErrConditionFailed (ErrConditionFailed alone, not ErrVersionConflict, when both
	// checks were requested).
	Put(ctx context.Context, item *T, opts *PutOptions) error

	// Create stores item only if no live item has its key, failing with an error wrapping
	// ErrAlreadyExists otherwise. An expired item counts as absent and is replaced. With a
	// version attribute, the stored version is item's incremented by one, and item is
	// updated to it; an item whose version is math.MaxInt64 is refused with
	// ErrInvalidArgument.
	Create(ctx context.Context, item *T) error

	// Delete removes the item with the key; deleting a missing item succeeds unless
	// opts.If fails, which wraps ErrConditionFailed.
	Delete(ctx context.Context, key Key, opts *DeleteOptions) error

	// Update applies changes to the item with the key without reading it first, creating
	// the item if no live item exists (as DynamoDB's UpdateItem does), and returns the item
	// as stored afterwards. Changes may not touch key attributes or the version
	// attribute; with a version attribute in the schema, Update increments it, and a live
	// item stored at version math.MaxInt64 is refused with ErrInvalidArgument before
	// opts.If is checked. When opts.If fails, the error wraps ErrConditionFailed.
	Update(ctx context.Context, key Key, changes []Change, opts *UpdateOptions) (T, error)

	// Query returns one page of the live items in the partition whose sort keys match
	// opts.Sort. Use Pages or All to iterate over every page.
	Query(ctx context.Context, partition Value, opts *QueryOptions) (Page[T], error)

	// BatchGet returns the live items with the given keys, in the order of keys, leaving
	// out keys without a live item. It takes any number of keys, reading at most 100 per
	// request and retrying unprocessed keys with backoff until done or ctx ends. A key may
	// appear once.
	BatchGet(ctx context.Context, keys []Key, opts *BatchGetOptions) ([]T, error)

	// BatchWrite stores puts and removes the items with keys deletes, unconditionally and
	// without version checks: items are written as they are. It takes any number of
	// writes, sending at most 25 per request and retrying unprocessed ones with backoff
	// until done or ctx ends. A key may appear once across puts and deletes. The writes
	// are not atomic: after an error, some may have been made.
	BatchWrite(ctx context.Context, puts []T, deletes []Key) error
}

// GetOptions are the options of Table.Get; nil means an eventually consistent read.
type GetOptions struct {
	// ConsistentRead asks for a strongly consistent read.
	ConsistentRead bool
}

// PutOptions are the options of Table.Put; nil means no condition beyond the version check.
type PutOptions struct {
	// If is a condition the stored item must satisfy.
	If Condition
}

// DeleteOptions are the options of Table.Delete; nil means an unconditional delete.
type DeleteOptions struct {
	// If is a condition the stored item must satisfy.
	If Condition
}

// UpdateOptions are the options of Table.Update; nil means an unconditional update.
type UpdateOptions struct {
	// If is a condition the stored item must satisfy.
	If Condition
}

// BatchGetOptions are the options of Table.BatchGet; nil means eventually consistent reads.
type BatchGetOptions struct {
	// ConsistentRead asks for strongly consistent reads.
	ConsistentRead bool
}
