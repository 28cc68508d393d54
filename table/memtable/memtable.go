// Package memtable provides an in-memory table.
//
// A memtable.Table keeps items as DynamoDB would: it marshals them with aws-sdk-go-v2's
// attributevalue package on the way in and unmarshals them on the way out, so callers never
// share memory with stored items, numbers come back in DynamoDB's canonical form, and item
// sizes count against the 400 KB limit exactly as DynamoDB counts them.
//
// # Order and cost
//
// Items of a partition are kept in sort key order, so Get costs O(log n) and a query
// returning k items O(log n + k). One read-write mutex guards the table; reads share it.
// Query pages stop at Limit items or 1 MB, as DynamoDB's do.
//
// # Expiry
//
// Expired items are invisible at once; they stay in memory until overwritten, deleted or
// removed by Table.Sweep, as they stay in DynamoDB until its time-to-live process removes
// them.
//
// # Metering
//
// With Options.OnCall set, every operation reports the requests the awsdynamodb adapter makes
// to DynamoDB for it (table.Call), with the read and write request units DynamoDB's on-demand
// mode bills them, computed from the stored items as DynamoDB computes them: the same calls,
// and the same units, as the adapter reports against DynamoDB for the same operations. See
// table.Call for the rules.
//
// # Streams
//
// With Options.Stream set, every write publishes a DynamoDB stream record
// (events.ItemChange: INSERT, MODIFY or REMOVE, with keys and new and old images) to an
// events.Publisher, in the order the writes took effect, as a DynamoDB stream feeds a
// Lambda function.
package memtable

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/servous/servous/table"
	"github.com/servous/servous/table/internal/item"
)

// Options configure a Table; nil means the schema from T's table struct tags, the system
// clock and no stream.
type Options struct {
	// Schema overrides the schema read from T's struct tags by table.SchemaOf.
	Schema *table.Schema
	// Now returns the current time for expiry; nil means time.Now.
	Now func() time.Time
	// Stream, when set, publishes a stream record for every write.
	Stream *StreamOptions
	// OnCall, when set, is called with every request the operations make, as their AWS
	// twin makes them, and the request units DynamoDB bills for it; after the operation,
	// outside the table's lock, in the goroutine that called the operation.
	OnCall func(ctx context.Context, c table.Call)
}

// Table is an in-memory table.Table. Create one with New.
type Table[T any] struct {
	name   string
	schema table.Schema
	now    func() time.Time
	stream *streamer
	onCall func(context.Context, table.Call)

	mu    sync.RWMutex
	parts map[string]*partition
}

var _ table.Table[struct{}] = (*Table[struct{}])(nil)

// New returns an empty table named name (the name appears in errors and stream ARNs). The
// error wraps table.ErrInvalidArgument when T has no usable schema.
func New[T any](name string, opts *Options) (*Table[T], error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	var s table.Schema
	if o.Schema != nil {
		s = *o.Schema
		if err := s.Validate(); err != nil {
			return nil, fmt.Errorf("memtable: new %q: %w", name, err)
		}
		s = s.WithDefaults()
	} else {
		var err error
		if s, err = table.SchemaOf[T](); err != nil {
			return nil, fmt.Errorf("memtable: new %q: %w", name, err)
		}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	t := &Table[T]{name: name, schema: s, now: o.Now, onCall: o.OnCall, parts: map[string]*partition{}}
	if o.Stream != nil {
		st, err := newStreamer(name, s, *o.Stream, o.Now)
		if err != nil {
			return nil, fmt.Errorf("memtable: new %q: %w", name, err)
		}
		t.stream = st
	}
	return t, nil
}

// Schema returns the table's schema.
func (t *Table[T]) Schema() table.Schema { return t.schema }

// Sweep removes the expired items, as DynamoDB's time-to-live process does in the
// background, and returns how many it removed. With a stream, each removal publishes a
// REMOVE record carrying the service identity DynamoDB gives time-to-live deletions.
// Expired items are invisible whether or not they have been swept; sweeping frees their
// memory and tells stream readers they are gone.
func (t *Table[T]) Sweep(ctx context.Context) int {
	if t.schema.ExpiresAt == "" {
		return 0
	}
	now := t.nowUnix()
	t.mu.Lock()
	defer t.mu.Unlock()
	removed := 0
	for pk, p := range t.parts {
		var expired []*entry
		for q := (pos{}); p.at(q) != nil; q = p.next(q) {
			if e := p.at(q); item.Expired(e.item, t.schema.ExpiresAt, now) {
				expired = append(expired, e)
			}
		}
		for _, e := range expired {
			p.remove(e.ord)
			removed++
			if t.stream != nil {
				k, _ := item.KeyOf(t.schema, e.item)
				t.stream.publishAs(ctx, k, t.schema, e.item, nil, ttlIdentity)
			}
		}
		if p.n == 0 {
			delete(t.parts, pk)
		}
	}
	return removed
}

// Len returns the number of stored items, expired ones included.
func (t *Table[T]) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n := 0
	for _, p := range t.parts {
		n += p.n
	}
	return n
}

func (t *Table[T]) errorf(op string, k table.Key, err error) error {
	return fmt.Errorf("memtable: %s %s %v: %w", op, t.name, k, err)
}

func (t *Table[T]) nowUnix() int64 { return t.now().Unix() }

// sortOrd returns the ordering key of a checked key's sort value; tables without a sort key
// keep one entry per partition under the zero Ord.
func (t *Table[T]) sortOrd(k table.Key) item.Ord {
	if t.schema.SortKey == "" {
		return item.Ord{}
	}
	return item.OrdOfValue(k.Sort)
}

// partKey maps a checked partition key value to its partition. Every partition key of a
// table has the schema's kind, so the text alone identifies it once numbers are canonical.
func partKey(v table.Value) string {
	if v.Kind() == table.KindNumber {
		n, _ := item.NormalizeNumber(v.Text())
		return n
	}
	return v.Text()
}

// slot is where an item with a key lives or would live.
type slot struct {
	part string
	ord  item.Ord
}

func (t *Table[T]) slotOf(k table.Key) slot {
	return slot{part: partKey(k.Partition), ord: t.sortOrd(k)}
}

// lookup returns the stored entry in the slot, live or not; callers hold t.mu.
func (t *Table[T]) lookup(s slot) *entry {
	p := t.parts[s.part]
	if p == nil {
		return nil
	}
	e, _ := p.find(s.ord)
	return e
}

// live returns the entry's item when it exists and has not expired, else nil.
func (t *Table[T]) live(e *entry, now int64) item.Item {
	if e == nil || item.Expired(e.item, t.schema.ExpiresAt, now) {
		return nil
	}
	return e.item
}

// store replaces the item with the key (e nil deletes it) and publishes the change from old,
// the live item it replaces, unless neither is live; callers hold t.mu for writing.
func (t *Table[T]) store(ctx context.Context, k table.Key, s slot, e *entry, old item.Item) {
	p := t.parts[s.part]
	if e != nil {
		if p == nil {
			p = &partition{}
			t.parts[s.part] = p
		}
		e.ord = s.ord
		p.set(e)
	} else if p != nil {
		p.remove(s.ord)
		if p.n == 0 {
			delete(t.parts, s.part)
		}
	}
	if t.stream != nil && (old != nil || e != nil) {
		var newItem item.Item
		if e != nil {
			newItem = e.item
		}
		t.stream.publish(ctx, k, t.schema, old, newItem)
	}
}

func (t *Table[T]) decode(it item.Item) (T, error) {
	var v T
	if err := attributevalue.UnmarshalMap(it, &v); err != nil {
		return v, fmt.Errorf("unmarshal: %w", err)
	}
	return v, nil
}

// Get implements table.Table.
func (t *Table[T]) Get(ctx context.Context, key table.Key, opts *table.GetOptions) (T, error) {
	var zero T
	if err := item.CheckKey(t.schema, key); err != nil {
		return zero, t.errorf("get", key, err)
	}
	if err := ctx.Err(); err != nil {
		return zero, t.errorf("get", key, err)
	}
	sl := t.slotOf(key)
	now := t.nowUnix()
	t.mu.RLock()
	e := t.lookup(sl)
	it, size := t.live(e, now), sizeOf(e)
	t.mu.RUnlock()
	if t.onCall != nil {
		t.onCall(ctx, t.readCall(item.OpGet, item.ReadUnits(size, opts != nil && opts.ConsistentRead)))
	}
	if it == nil {
		return zero, t.errorf("get", key, table.ErrNotFound)
	}
	v, err := t.decode(it)
	if err != nil {
		return zero, t.errorf("get", key, err)
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
		return t.errorf(op, w.Key, err)
	}
	key := w.Key
	if err := ctx.Err(); err != nil {
		return t.errorf(op, key, err)
	}
	sl := t.slotOf(key)
	now := t.nowUnix()
	var calls [1]table.Call
	defer t.report(ctx, calls[:])
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.lookup(sl)
	old, stored := t.live(e, now), sizeOf(e)
	// A refused write is billed for the larger of the stored item and the item it would
	// have stored (see item.WriteUnits).
	calls[0] = t.writeCall(item.OpPut, item.WriteUnits(max(stored, w.Size)), true)
	switch {
	case create && old != nil:
		return t.errorf(op, key, table.ErrAlreadyExists)
	case !create && t.schema.Version != "":
		// Version 0 means no live item, whatever the live item holds: one written without
		// a version (by BatchWrite) is still an item, as DynamoDB's attribute_not_exists on
		// the partition key sees it.
		stored, _ := item.Version(old, t.schema.Version)
		if (w.Version == 0 && old != nil) || stored != w.Version {
			if w.Cond != nil {
				return t.errorf(op, key, table.ErrConditionFailed)
			}
			if old == nil {
				return t.errorf(op, key, fmt.Errorf("no live item, item has version %d: %w", w.Version, table.ErrVersionConflict))
			}
			if w.Version == 0 {
				return t.errorf(op, key, fmt.Errorf("a live item is stored, item has version 0: %w", table.ErrVersionConflict))
			}
			return t.errorf(op, key, fmt.Errorf("stored version %d, item has %d: %w", stored, w.Version, table.ErrVersionConflict))
		}
	}
	if !w.Cond.Eval(old) {
		return t.errorf(op, key, table.ErrConditionFailed)
	}
	calls[0] = t.writeCall(item.OpPut, item.WriteUnits(max(stored, w.Size)), false)
	t.store(ctx, key, sl, &entry{item: w.Item, size: w.Size}, old)
	if t.schema.Version != "" {
		out, err := t.decode(w.Item)
		if err != nil {
			return t.errorf(op, key, err)
		}
		*v = out
	}
	return nil
}

// Delete implements table.Table.
func (t *Table[T]) Delete(ctx context.Context, key table.Key, opts *table.DeleteOptions) error {
	if err := item.CheckKey(t.schema, key); err != nil {
		return t.errorf("delete", key, err)
	}
	var cond table.Condition
	if opts != nil {
		cond = opts.If
	}
	c, err := item.CompileCondition(cond)
	if err != nil {
		return t.errorf("delete", key, err)
	}
	if err := ctx.Err(); err != nil {
		return t.errorf("delete", key, err)
	}
	sl := t.slotOf(key)
	now := t.nowUnix()
	var calls [1]table.Call
	defer t.report(ctx, calls[:])
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.lookup(sl)
	old := t.live(e, now)
	ok := c.Eval(old)
	calls[0] = t.writeCall(item.OpDelete, item.WriteUnits(sizeOf(e)), !ok)
	if !ok {
		return t.errorf("delete", key, table.ErrConditionFailed)
	}
	if e == nil {
		return nil
	}
	// Removing an expired item publishes nothing: to a stream reader it was gone already.
	t.store(ctx, key, sl, nil, old)
	return nil
}

// Update implements table.Table.
func (t *Table[T]) Update(ctx context.Context, key table.Key, changes []table.Change, opts *table.UpdateOptions) (T, error) {
	var zero T
	keyItem, err := item.KeyItem(t.schema, key)
	if err != nil {
		return zero, t.errorf("update", key, err)
	}
	vals, err := item.CheckChanges(t.schema, changes)
	if err != nil {
		return zero, t.errorf("update", key, err)
	}
	var cond table.Condition
	if opts != nil {
		cond = opts.If
	}
	c, err := item.CompileCondition(cond)
	if err != nil {
		return zero, t.errorf("update", key, err)
	}
	if err := ctx.Err(); err != nil {
		return zero, t.errorf("update", key, err)
	}
	sl := t.slotOf(key)
	now := t.nowUnix()
	var calls [4]table.Call
	defer t.report(ctx, calls[:])
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.lookup(sl)
	old, stored := t.live(e, now), sizeOf(e)
	// The requests awsdynamodb makes once its UpdateItem, whose condition requires a live
	// item, has failed: the consistent GetItem of a versioned table, which tells a version at
	// its maximum apart, then, when the condition holds for no item, the DeleteItem of an
	// expired item in the way (refused unless it is one). The refused UpdateItem is billed
	// for the larger of the stored item and the item the update would have made of it.
	refused := func(expired bool) int {
		would := stored
		if t.onCall != nil {
			var base item.Item
			if e != nil {
				base = e.item
			}
			if it, err := item.Updated(t.schema, base, keyItem, changes, vals); err == nil {
				would = max(would, item.Size(it))
			}
		}
		calls[0] = t.writeCall(item.OpUpdate, item.WriteUnits(would), true)
		n := 1
		if t.schema.Version != "" {
			calls[n] = t.readCall(item.OpGet, item.ReadUnits(stored, true))
			n++
		}
		if t.schema.ExpiresAt != "" && c.Eval(nil) {
			calls[n] = t.writeCall(item.OpDelete, item.WriteUnits(stored), !expired)
			n++
		}
		return n
	}
	if t.schema.Version != "" && old != nil {
		// Checked before the condition, as awsdynamodb tells this failure apart from a
		// failed condition by reading the item.
		if v, err := item.Version(old, t.schema.Version); err == nil {
			if _, err := item.NextVersion(t.schema.Version, v); err != nil {
				calls[0] = t.writeCall(item.OpUpdate, item.WriteUnits(stored), true)
				calls[1] = t.readCall(item.OpGet, item.ReadUnits(stored, true))
				return zero, t.errorf("update", key, err)
			}
		}
	}
	if !c.Eval(old) {
		refused(false)
		return zero, t.errorf("update", key, table.ErrConditionFailed)
	}
	next := 0
	if e != nil && old == nil {
		// An expired item: refused, deleted, and the update made again over no item.
		next = refused(true)
		stored = 0
	}
	it, err := item.Updated(t.schema, old, keyItem, changes, vals)
	if err != nil {
		return zero, t.errorf("update", key, err)
	}
	size, err := item.CheckSize(it)
	if err != nil {
		return zero, t.errorf("update", key, err)
	}
	calls[next] = t.writeCall(item.OpUpdate, item.WriteUnits(max(stored, size)), false)
	t.store(ctx, key, sl, &entry{item: it, size: size}, old)
	out, err := t.decode(it)
	if err != nil {
		return zero, t.errorf("update", key, fmt.Errorf("updated, but the result: %w", err))
	}
	return out, nil
}

// BatchGet implements table.Table.
func (t *Table[T]) BatchGet(ctx context.Context, keys []table.Key, opts *table.BatchGetOptions) ([]T, error) {
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		if err := item.CheckKey(t.schema, k); err != nil {
			return nil, t.errorf("batch get", k, err)
		}
		ks := item.KeyString(k)
		if seen[ks] {
			return nil, t.errorf("batch get", k, fmt.Errorf("key given twice: %w", table.ErrInvalidArgument))
		}
		seen[ks] = true
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memtable: batch get %s: %w", t.name, err)
	}
	slots := make([]slot, len(keys))
	for i, k := range keys {
		slots[i] = t.slotOf(k)
	}
	found := make([]item.Item, 0, len(keys))
	now := t.nowUnix()
	// Each key of a BatchGetItem is billed as a GetItem, one request per 100 keys.
	var calls []table.Call
	if t.onCall != nil {
		calls = make([]table.Call, 0, (len(keys)+item.BatchGetSize-1)/item.BatchGetSize)
	}
	consistent := opts != nil && opts.ConsistentRead
	t.mu.RLock()
	for i, sl := range slots {
		e := t.lookup(sl)
		if it := t.live(e, now); it != nil {
			found = append(found, it)
		}
		if calls != nil {
			if i%item.BatchGetSize == 0 {
				calls = append(calls, t.readCall(item.OpBatchGet, 0))
			}
			calls[len(calls)-1].ReadUnits += item.ReadUnits(sizeOf(e), consistent)
		}
	}
	t.mu.RUnlock()
	t.report(ctx, calls)
	out := make([]T, len(found))
	for i, it := range found {
		v, err := t.decode(it)
		if err != nil {
			return nil, fmt.Errorf("memtable: batch get %s: %w", t.name, err)
		}
		out[i] = v
	}
	return out, nil
}

// BatchWrite implements table.Table. It checks every write before making any.
func (t *Table[T]) BatchWrite(ctx context.Context, puts []T, deletes []table.Key) error {
	type write struct {
		key  table.Key
		slot slot
		it   item.Item
		size int
	}
	ws := make([]write, 0, len(puts)+len(deletes))
	seen := make(map[string]bool, cap(ws))
	add := func(k table.Key, it item.Item, size int) error {
		ks := item.KeyString(k)
		if seen[ks] {
			return t.errorf("batch write", k, fmt.Errorf("key given twice: %w", table.ErrInvalidArgument))
		}
		seen[ks] = true
		ws = append(ws, write{k, t.slotOf(k), it, size})
		return nil
	}
	for i := range puts {
		it, k, err := item.Encode(t.schema, &puts[i])
		if err != nil {
			return t.errorf("batch write", k, err)
		}
		size, err := item.CheckSize(it)
		if err != nil {
			return t.errorf("batch write", k, err)
		}
		if err := add(k, it, size); err != nil {
			return err
		}
	}
	for _, k := range deletes {
		if err := item.CheckKey(t.schema, k); err != nil {
			return t.errorf("batch write", k, err)
		}
		if err := add(k, nil, 0); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memtable: batch write %s: %w", t.name, err)
	}
	now := t.nowUnix()
	// Each write of a BatchWriteItem is billed as a PutItem or DeleteItem, one request per
	// 25 writes.
	var calls []table.Call
	if t.onCall != nil {
		calls = make([]table.Call, 0, (len(ws)+item.BatchWriteSize-1)/item.BatchWriteSize)
	}
	defer func() { t.report(ctx, calls) }()
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, w := range ws {
		e := t.lookup(w.slot)
		old := t.live(e, now)
		if calls != nil {
			if i%item.BatchWriteSize == 0 {
				calls = append(calls, t.writeCall(item.OpBatchWrite, 0, false))
			}
			calls[len(calls)-1].WriteUnits += item.WriteUnits(max(sizeOf(e), w.size))
		}
		if w.it == nil {
			if e != nil {
				t.store(ctx, w.key, w.slot, nil, old)
			}
			continue
		}
		t.store(ctx, w.key, w.slot, &entry{item: w.it, size: w.size}, old)
	}
	return nil
}
