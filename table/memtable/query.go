package memtable

import (
	"context"
	"encoding/base64"
	"fmt"

	"github.com/servous/servous/table"
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
		c, err := t.decodeCursor(o.Cursor, o.Descending)
		if err != nil {
			return fail(err)
		}
		after = &c
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}

	var found []item.Item
	t.mu.RLock()
	p := t.parts[partKey(partition)]
	if p != nil && p.n > 0 {
		found, page.Cursor = t.scan(p, sc, after, o)
	}
	t.mu.RUnlock()

	page.Items = make([]T, len(found))
	for i, it := range found {
		if page.Items[i], err = t.decode(it); err != nil {
			return fail(err)
		}
	}
	return page, nil
}

// scan collects one page of live items; callers hold t.mu.
func (t *Table[T]) scan(p *partition, sc *item.SortCond, after *item.Ord, o table.QueryOptions) ([]item.Item, string) {
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
			case table.SortEqual, table.SortGreaterOrEqual, table.SortBetween, table.SortBeginsWith:
				q = p.lowerBound(item.OrdOf(sc.Low), false)
			case table.SortGreater:
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
			case table.SortEqual, table.SortLessOrEqual:
				q = p.prev(p.lowerBound(item.OrdOf(sc.Low), true))
			case table.SortBetween:
				q = p.prev(p.lowerBound(item.OrdOf(sc.High), true))
			case table.SortLess:
				q = p.prev(p.lowerBound(item.OrdOf(sc.Low), false))
			case table.SortBeginsWith:
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
	var out []item.Item
	read := 0
	var last *entry
	for e := p.at(q); e != nil && match(e); e = p.at(q) {
		q = step(q)
		if (o.Limit > 0 && len(out) == o.Limit) || read >= pageBytes {
			// Another matching item follows a full page.
			return out, t.encodeCursor(last, o.Descending)
		}
		last = e
		read += e.size
		if !item.Expired(e.item, t.schema.ExpiresAt, now) {
			out = append(out, e.item)
		}
	}
	return out, ""
}

// A cursor is the direction and the sort key of the last item read.
func (t *Table[T]) encodeCursor(e *entry, desc bool) string {
	dir := "a"
	if desc {
		dir = "d"
	}
	v, _ := item.KeyValue(e.item[t.schema.SortKey])
	return base64.RawURLEncoding.EncodeToString([]byte(dir + v.Kind().String() + v.Text()))
}

func (t *Table[T]) decodeCursor(s string, desc bool) (item.Ord, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	bad := fmt.Errorf("cursor %q is not one of this table's: %w", s, table.ErrInvalidArgument)
	if err != nil || len(b) < 2 || (b[0] == 'd') != desc || (b[0] != 'a' && b[0] != 'd') {
		return item.Ord{}, bad
	}
	var v table.Value
	switch string(b[1:2]) {
	case "S":
		v = table.String(string(b[2:]))
	case "N":
		v = table.NumberText(string(b[2:]))
	case "B":
		v = table.Binary(b[2:])
	}
	if v.Kind() != t.schema.SortKeyKind {
		return item.Ord{}, bad
	}
	av, err := item.ValueOf(v)
	if err != nil {
		return item.Ord{}, bad
	}
	return item.OrdOf(av), nil
}
