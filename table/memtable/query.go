package memtable

import (
	"context"
	"fmt"

	"github.com/servous/servous/table"
	"github.com/servous/servous/table/internal/expr"
	"github.com/servous/servous/table/internal/item"
)

// pageBytes is DynamoDB's query page size: a page ends once it has read 1 MB of items.
const pageBytes = 1 << 20

func before(a, b pos) bool { return a.c < b.c || (a.c == b.c && a.i < b.i) }

// Query implements table.Table.
func (t *Table[T]) Query(ctx context.Context, partition table.Value, opts *table.QueryOptions) (table.Page[T], error) {
	var page table.Page[T]
	var o table.QueryOptions
	if opts != nil {
		o = *opts
	}
	fail := func(err error) (table.Page[T], error) {
		return page, fmt.Errorf("memtable: query %s %v: %w", t.name, partition, err)
	}
	pkOnly := t.schema
	pkOnly.SortKey, pkOnly.SortKeyKind = "", table.KindNone
	if err := item.CheckKey(pkOnly, table.Key{Partition: partition}); err != nil {
		return fail(err)
	}
	sc, err := item.CompileSort(t.schema, o.Sort)
	if err != nil {
		return fail(err)
	}
	if o.Limit < 0 {
		return fail(fmt.Errorf("negative limit %d: %w", o.Limit, table.ErrInvalidArgument))
	}
	var after *item.Ord
	if o.Cursor != "" {
		if after, err = t.decodeCursor(o.Cursor, partition, sc, o.Descending); err != nil {
			return fail(err)
		}
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}

	var found []item.Item
	var m *queryMeter
	if t.onCall != nil {
		m = newQueryMeter(o.Limit, o.ConsistentRead)
	}
	t.mu.RLock()
	p := t.parts[partKey(partition)]
	// Without a sort key a partition holds one item, so a cursor leaves nothing to read.
	if p != nil && p.n > 0 && (o.Cursor == "" || t.schema.SortKey != "") {
		found, page.Cursor = t.scan(p, sc, after, o, m)
	} else {
		m.exhausted()
	}
	t.mu.RUnlock()
	if m != nil {
		for _, u := range m.units {
			t.onCall(ctx, t.readCall(item.OpQuery, u))
		}
	}

	page.Items = make([]T, len(found))
	for i, it := range found {
		if page.Items[i], err = t.decode(it); err != nil {
			return fail(err)
		}
	}
	return page, nil
}

// scan collects one page of live items, counting what DynamoDB reads for it in m (when not
// nil); callers hold t.mu.
func (t *Table[T]) scan(p *partition, sc *item.SortCond, after *item.Ord, o table.QueryOptions, m *queryMeter) ([]item.Item, string) {
	now := t.nowUnix()
	match := func(e *entry) bool {
		if sc == nil || t.schema.SortKey == "" {
			return true
		}
		return sc.Match(e.item[t.schema.SortKey])
	}
	step := p.next
	var q pos
	if !o.Descending {
		q = pos{0, 0}
		if sc != nil {
			switch sc.Op {
			case expr.SortEqual, expr.SortGreaterOrEqual, expr.SortBetween, expr.SortBeginsWith:
				q = p.lowerBound(item.OrdOf(sc.Low), false)
			case expr.SortGreater:
				q = p.lowerBound(item.OrdOf(sc.Low), true)
			}
		}
		if after != nil {
			if c := p.lowerBound(*after, true); before(q, c) {
				q = c
			}
		}
	} else {
		step = p.prev
		q = p.prev(pos{len(p.chunks), 0})
		if sc != nil {
			switch sc.Op {
			case expr.SortEqual, expr.SortLessOrEqual:
				q = p.prev(p.lowerBound(item.OrdOf(sc.Low), true))
			case expr.SortBetween:
				q = p.prev(p.lowerBound(item.OrdOf(sc.High), true))
			case expr.SortLess:
				q = p.prev(p.lowerBound(item.OrdOf(sc.Low), false))
			case expr.SortBeginsWith:
				if end, ok := item.PrefixEnd(item.OrdOf(sc.Low)); ok {
					q = p.prev(p.lowerBound(end, false))
				}
			}
		}
		if after != nil {
			if c := p.prev(p.lowerBound(*after, false)); before(c, q) {
				q = c
			}
		}
	}
	// awsdynamodb reads a binary prefix's range up to and including the least value past
	// it, and drops the item keyed so: DynamoDB reads (and bills) it first when descending
	// from the start, last when ascending.
	var beyond *entry
	if m != nil && sc != nil && sc.Op == expr.SortBeginsWith && t.schema.SortKeyKind == table.KindBinary {
		if end, ok := item.PrefixEnd(item.OrdOf(sc.Low)); ok {
			beyond, _ = p.find(end)
		}
	}
	if beyond != nil && o.Descending && after == nil {
		m.read(beyond.size, false)
	}
	var out []item.Item
	read := 0
	var last *entry
	for e := p.at(q); e != nil && match(e); e = p.at(q) {
		q = step(q)
		if (o.Limit > 0 && len(out) == o.Limit) || read >= pageBytes {
			// Another matching item follows a full page.
			m.cut()
			return out, t.encodeCursor(last, o.Descending)
		}
		last = e
		read += e.size
		live := !item.Expired(e.item, t.schema.ExpiresAt, now)
		m.read(e.size, live)
		if live {
			out = append(out, e.item)
		}
	}
	if beyond != nil && !o.Descending && (o.Limit == 0 || len(out) < o.Limit) && read < pageBytes {
		m.read(beyond.size, false)
	}
	m.exhausted()
	if o.Limit > 0 && len(out) == o.Limit {
		// DynamoDB returns a LastEvaluatedKey whenever Limit cut the page, even with
		// nothing left to read; so does its adapter, and so does this one.
		return out, t.encodeCursor(last, o.Descending)
	}
	return out, ""
}

// encodeCursor returns the cursor after the entry: the direction and the entry's key, as
// DynamoDB's LastEvaluatedKey is that key (see item.EncodeCursor).
func (t *Table[T]) encodeCursor(e *entry, desc bool) string {
	return item.EncodeCursor(t.schema, e.item, desc)
}

// decodeCursor returns the sort key position a cursor continues after: nil for a table
// without a sort key. A cursor of another partition, direction or schema, or whose sort
// key lies outside the sort condition, is refused as DynamoDB refuses such a starting key.
func (t *Table[T]) decodeCursor(s string, partition table.Value, sc *item.SortCond, desc bool) (*item.Ord, error) {
	key, err := item.DecodeCursor(t.schema, s, partition, sc, desc)
	if err != nil || t.schema.SortKey == "" {
		return nil, err
	}
	o := item.OrdOf(key[t.schema.SortKey])
	return &o, nil
}
