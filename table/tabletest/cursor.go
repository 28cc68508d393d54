package tabletest

import (
	"errors"
	"math"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/servous/servous/table"
)

// testQueryLimits checks that any positive Limit works, however large.
func (s *suite) testQueryLimits(t *testing.T) {
	tb := s.newTable(t, Plain)
	items := []Item{{PK: "p", SK: "a"}, {PK: "p", SK: "b"}, {PK: "p", SK: "c"}}
	if err := tb.BatchWrite(t.Context(), items, nil); err != nil {
		t.Fatal(err)
	}
	limits := []int{math.MaxInt32, math.MaxInt}
	if strconv.IntSize == 64 {
		big := int64(1) << 31
		limits = append(limits, int(big), int(big<<1+2))
	}
	for _, limit := range limits {
		p, err := tb.Query(t.Context(), table.String("p"), &table.QueryOptions{Limit: limit})
		if err != nil {
			t.Errorf("Query with limit %d: %v", limit, err)
			continue
		}
		var got []string
		for _, it := range p.Items {
			got = append(got, it.SK)
		}
		if diff := cmp.Diff([]string{"a", "b", "c"}, got); diff != "" || p.Cursor != "" {
			t.Errorf("Query with limit %d: cursor %q (-want +got):\n%s", limit, p.Cursor, diff)
		}
	}
}

// testCursors checks that a cursor continues only the query that made it: the same
// partition, direction and a sort condition its position satisfies, as DynamoDB checks a
// starting key.
func (s *suite) testCursors(t *testing.T) {
	tb := s.newTable(t, Plain)
	ctx := t.Context()
	var items []Item
	for _, pk := range []string{"p", "q"} {
		for _, sk := range []string{"a", "b", "c"} {
			items = append(items, Item{PK: pk, SK: sk})
		}
	}
	if err := tb.BatchWrite(ctx, items, nil); err != nil {
		t.Fatal(err)
	}
	first, err := tb.Query(ctx, table.String("p"), &table.QueryOptions{Limit: 1})
	if err != nil || len(first.Items) != 1 || first.Cursor == "" {
		t.Fatalf("first page: %+v, %v", first, err)
	}
	sks := func(p table.Page[Item]) []string {
		var out []string
		for _, it := range p.Items {
			out = append(out, it.SK)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		sort table.SortCondition
		want []string
	}{
		{"no sort condition", table.SortCondition{}, []string{"b", "c"}},
		{"a sort condition it satisfies", table.SortGE(table.String("a")), []string{"b", "c"}},
		{"a prefix it has", table.SortPrefix(table.String("a")), nil},
	} {
		p, err := tb.Query(ctx, table.String("p"), &table.QueryOptions{Cursor: first.Cursor, Sort: tc.sort})
		if err != nil {
			t.Errorf("Query from a cursor with %s: %v", tc.name, err)
			continue
		}
		if diff := cmp.Diff(tc.want, sks(p)); diff != "" || p.Cursor != "" {
			t.Errorf("Query from a cursor with %s: cursor %q (-want +got):\n%s", tc.name, p.Cursor, diff)
		}
	}
	for _, tc := range []struct {
		name      string
		partition string
		o         table.QueryOptions
	}{
		{"of another partition", "q", table.QueryOptions{Cursor: first.Cursor}},
		{"of another partition with a sort condition", "q", table.QueryOptions{Cursor: first.Cursor, Sort: table.SortGE(table.String("a"))}},
		{"in the other direction", "p", table.QueryOptions{Cursor: first.Cursor, Descending: true}},
		{"below the sort condition", "p", table.QueryOptions{Cursor: first.Cursor, Sort: table.SortGT(table.String("a"))}},
		{"above the sort condition", "p", table.QueryOptions{Cursor: first.Cursor, Sort: table.SortLT(table.String("a"))}},
		{"outside a range", "p", table.QueryOptions{Cursor: first.Cursor, Sort: table.SortBetweenValues(table.String("b"), table.String("c"))}},
		{"outside a prefix", "p", table.QueryOptions{Cursor: first.Cursor, Sort: table.SortPrefix(table.String("b"))}},
		{"made by hand", "p", table.QueryOptions{Cursor: "YVNzMQ"}},
		{"made by hand as JSON", "p", table.QueryOptions{Cursor: "eyJrIjp7InBrIjpbIlMiLCJwIl19fQ"}},
	} {
		p, err := tb.Query(ctx, table.String(tc.partition), &tc.o)
		if !errors.Is(err, table.ErrInvalidArgument) {
			t.Errorf("Query with a cursor %s: %v, %d items; want ErrInvalidArgument", tc.name, err, len(p.Items))
		}
	}
}

// testFullLastPage checks a query whose items fill its last page exactly: as DynamoDB's
// LastEvaluatedKey does, the page has a cursor, which leads to an empty final page.
func (s *suite) testFullLastPage(t *testing.T) {
	ctx := t.Context()
	tb := s.newTable(t, Plain)
	if err := tb.BatchWrite(ctx, []Item{{PK: "p", SK: "a"}, {PK: "p", SK: "b"}, {PK: "p", SK: "c"}, {PK: "p", SK: "d"}}, nil); err != nil {
		t.Fatal(err)
	}
	for _, desc := range []bool{false, true} {
		var sizes []int
		o := &table.QueryOptions{Limit: 2, Descending: desc}
		for p, err := range table.Pages(ctx, tb, table.String("p"), o) {
			if err != nil {
				t.Fatalf("descending=%v: %v", desc, err)
			}
			sizes = append(sizes, len(p.Items))
			if len(sizes) > 3 {
				t.Fatalf("descending=%v: paging does not end", desc)
			}
		}
		if diff := cmp.Diff([]int{2, 2, 0}, sizes); diff != "" {
			t.Errorf("page sizes, descending=%v (-want +got):\n%s", desc, diff)
		}
	}
	// A table without a sort key: a partition holds one item.
	one := s.newTable(t, BinaryPartition)
	mustPut(t, one, Item{Bin: []byte{1}})
	p, err := one.Query(ctx, table.Binary([]byte{1}), &table.QueryOptions{Limit: 1})
	if err != nil || len(p.Items) != 1 {
		t.Fatalf("Query of a one-item partition: %+v, %v", p, err)
	}
	if p.Cursor != "" {
		next, err := one.Query(ctx, table.Binary([]byte{1}), &table.QueryOptions{Limit: 1, Cursor: p.Cursor})
		if err != nil || len(next.Items) != 0 || next.Cursor != "" {
			t.Errorf("Query after the only item: %+v, %v; want an empty last page", next, err)
		}
	}
}
