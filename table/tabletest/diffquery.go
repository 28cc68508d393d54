package tabletest

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/servous/servous/table"
	"github.com/servous/servous/table/internal/expr"
)

// queryOp is a query, the cursor it starts from (one per side) and where the next
// continuation goes.
type queryOp struct {
	partition table.Value
	opts      table.QueryOptions
	from      [2]string
	// fromSK holds the sort keys where the cursors in from stand.
	fromSK [2]string
	// origin names the query whose cursors from holds.
	origin string
	next   cursorEntry
}

func (r *run) randomSort() table.SortCondition {
	if r.keys.schema.SortKey == "" || r.chance(0.3) {
		return table.SortCondition{}
	}
	v := pick(r, r.keys.sortOperands)
	switch r.rng.IntN(7) {
	case 0:
		return table.SortEQ(v)
	case 1:
		return table.SortLT(v)
	case 2:
		return table.SortLE(v)
	case 3:
		return table.SortGT(v)
	case 4:
		return table.SortGE(v)
	case 5:
		w := pick(r, r.keys.sortOperands)
		if r.chance(0.9) && compareValues(v, w) > 0 {
			v, w = w, v
		}
		return table.SortBetweenValues(v, w)
	}
	if r.keys.schema.SortKeyKind == table.KindString {
		v = table.String(pick(r, []string{"a", "a/", "a//", "%", "?", "é", "日", ""}))
	}
	return table.SortPrefix(v)
}

// compareValues orders two key values of one kind as DynamoDB does.
func compareValues(a, b table.Value) int {
	if a.Kind() == table.KindNumber {
		var x, y float64
		_, _ = fmt.Sscan(a.Text(), &x)
		_, _ = fmt.Sscan(b.Text(), &y)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	}
	return strings.Compare(a.Text(), b.Text())
}

func (r *run) newQuery() *queryOp {
	return &queryOp{
		partition: pick(r, r.keys.partitions),
		opts: table.QueryOptions{
			Sort:           r.randomSort(),
			Descending:     r.chance(0.4),
			Limit:          pick(r, []int{0, 0, 1, 2, 3, 5}),
			ConsistentRead: true,
		},
	}
}

// opContinue continues an earlier query from its cursor or, misuse set, uses its cursor
// with another partition, direction, sort condition or limit.
func (r *run) opContinue(misuse bool) op {
	i := r.rng.IntN(len(r.cursors))
	e := r.cursors[i]
	r.cursors = slices.Delete(r.cursors, i, i+1)
	q := &queryOp{partition: e.partition, opts: e.opts, from: e.cursor, fromSK: e.lastSK,
		origin: fmt.Sprintf("the cursors %q of %s", e.cursor, queryString(e.partition, e.opts))}
	if misuse {
		switch r.rng.IntN(4) {
		case 0:
			q.partition = pick(r, r.keys.partitions)
		case 1:
			q.opts.Descending = !q.opts.Descending
		case 2:
			q.opts.Sort = r.randomSort()
		default:
			q.opts.Limit = pick(r, []int{0, 1, 4})
		}
	}
	return r.opQuery(q)
}

func (r *run) opQuery(q *queryOp) op {
	q.next = cursorEntry{partition: q.partition, opts: q.opts}
	desc := queryString(q.partition, q.opts)
	if q.origin != "" {
		desc += " from " + q.origin
	}
	o := op{
		desc:  desc,
		query: q,
		do: func(ctx context.Context, tb table.Table[Item], side int) outcome {
			opts := q.opts
			opts.Cursor = q.from[side]
			p, err := tb.Query(ctx, q.partition, &opts)
			o := result(err)
			if err == nil {
				o.Items = p.Items
				if o.Items == nil {
					o.Items = []Item{}
				}
				o.More = p.Cursor != ""
				q.next.cursor[side] = p.Cursor
				if len(p.Items) > 0 {
					q.next.lastSK[side] = p.Items[len(p.Items)-1].SK
				} else {
					q.next.lastSK[side] = q.fromSK[side]
				}
			}
			return o
		},
	}
	o.after = func() {
		if q.next.cursor[0] != "" && q.next.cursor[1] != "" {
			r.cursors = append(r.cursors, q.next)
			if len(r.cursors) > 16 {
				r.cursors = r.cursors[1:]
			}
		}
	}
	return o
}

func queryString(p table.Value, o table.QueryOptions) string {
	return fmt.Sprintf("Query(%v, Sort: %s, Descending: %v, Limit: %d)", p, sortString(o.Sort), o.Descending, o.Limit)
}

func sortString(sc table.SortCondition) string {
	c := expr.SortOf(sc)
	names := [...]string{"all", "EQ", "LT", "LE", "GT", "GE", "Between", "Prefix"}
	switch c.Op {
	case expr.SortNone:
		return "all"
	case expr.SortBetween:
		return fmt.Sprintf("Between(%v, %v)", c.Value, c.High)
	}
	return fmt.Sprintf("%s(%v)", names[c.Op], c.Value)
}
