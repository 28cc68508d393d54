package tabletest

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/servous/servous/table"
)

// sized returns an item of exactly size bytes as DynamoDB counts them.
func sized(sk string, size int) Item {
	// Attributes: pk "p" (2+1), sk (2+len), data (4+len).
	return Item{PK: "p", SK: sk, Data: bytes.Repeat([]byte{'x'}, size-3-(2+len(sk))-4)}
}

func (s *suite) testItemSize(t *testing.T) {
	tb := s.newTable(t, Plain)
	ctx := t.Context()
	limit := table.ItemSizeLimit
	at := sized("at", limit)
	mustPut(t, tb, at)
	if got := mustGet(t, tb, key("p", "at")); len(got.Data) != len(at.Data) {
		t.Errorf("item of exactly 400 KB came back with %d data bytes, want %d", len(got.Data), len(at.Data))
	}
	over := sized("over", limit+1)
	wantErr(t, "Put of 400 KB + 1", tb.Put(ctx, &over, nil), table.ErrTooLarge)
	wantErr(t, "Create of 400 KB + 1", tb.Create(ctx, &over), table.ErrTooLarge)
	wantErr(t, "BatchWrite of 400 KB + 1", tb.BatchWrite(ctx, []Item{sized("ok", 1000), over}, nil), table.ErrTooLarge)
	wantAbsent(t, tb, key("p", "over"))

	// A number counts by its digits: 12345 is 4 bytes, so with "count" (5) this is 400 KB.
	withCount := sized("n", limit-9)
	withCount.Count = 12345
	mustPut(t, tb, withCount)
	withCount.Count = 1234567
	wantErr(t, "Put where a longer number crosses 400 KB", tb.Put(ctx, &withCount, nil), table.ErrTooLarge)

	under := sized("grow", limit-10)
	mustPut(t, tb, under)
	_, err := tb.Update(ctx, key("p", "grow"), []table.Change{table.Set("note", "0123456789")}, nil)
	wantErr(t, "Update growing an item past 400 KB", err, table.ErrTooLarge)
	if _, err := tb.Update(ctx, key("p", "grow"), []table.Change{table.Set("note", "0")}, nil); err != nil {
		t.Errorf("Update growing an item to 400 KB - 5: %v", err)
	}
}

func (s *suite) testKeyLimits(t *testing.T) {
	tb := s.newTable(t, Plain)
	ctx := t.Context()
	longPK := strings.Repeat("p", table.MaxPartitionKeyLen)
	longSK := strings.Repeat("s", table.MaxSortKeyLen)
	mustPut(t, tb, Item{PK: longPK, SK: longSK})
	mustGet(t, tb, key(longPK, longSK))
	// A multi-byte string counts in UTF-8 bytes: 1024 bytes of two-byte runes.
	mustPut(t, tb, Item{PK: "p", SK: strings.Repeat("é", table.MaxSortKeyLen/2)})

	for _, tc := range []struct {
		name string
		it   Item
	}{
		{"partition key over 2048 bytes", Item{PK: longPK + "p", SK: "s"}},
		{"sort key over 1024 bytes", Item{PK: "p", SK: longSK + "s"}},
		{"sort key over 1024 UTF-8 bytes", Item{PK: "p", SK: strings.Repeat("é", table.MaxSortKeyLen/2) + "s"}},
		{"no partition key", Item{SK: "s"}},
		{"no sort key", Item{PK: "p"}},
	} {
		it := tc.it
		wantErr(t, "Put with "+tc.name, tb.Put(ctx, &it, nil), table.ErrInvalidKey)
	}
	for _, tc := range []struct {
		name string
		k    table.Key
	}{
		{"empty partition key", key("", "s")},
		{"empty sort key", key("p", "")},
		{"no sort key", table.Key{Partition: table.String("p")}},
		{"number partition key", table.Key{Partition: table.Number(1), Sort: table.String("s")}},
		{"partition key over 2048 bytes", key(longPK+"p", "s")},
		{"sort key over 1024 bytes", key("p", longSK+"s")},
	} {
		_, err := tb.Get(ctx, tc.k, nil)
		wantErr(t, "Get with "+tc.name, err, table.ErrInvalidKey)
		wantErr(t, "Delete with "+tc.name, tb.Delete(ctx, tc.k, nil), table.ErrInvalidKey)
		_, err = tb.BatchGet(ctx, []table.Key{tc.k}, nil)
		wantErr(t, "BatchGet with "+tc.name, err, table.ErrInvalidKey)
	}
	_, err := tb.Query(ctx, table.String(""), nil)
	wantErr(t, "Query of an empty partition key", err, table.ErrInvalidKey)
}

func (s *suite) testInvalidArguments(t *testing.T) {
	tb := s.newTable(t, Plain)
	ctx := t.Context()
	mustPut(t, tb, Item{PK: "p", SK: "s"})
	_, err := tb.Query(ctx, table.String("p"), &table.QueryOptions{Cursor: "not a cursor"})
	wantErr(t, "Query with a bad cursor", err, table.ErrInvalidArgument)
	_, err = tb.Query(ctx, table.String("p"), &table.QueryOptions{Limit: -1})
	wantErr(t, "Query with a negative limit", err, table.ErrInvalidArgument)
	_, err = tb.Query(ctx, table.String("p"), &table.QueryOptions{Sort: table.SortBetweenValues(table.String("b"), table.String("a"))})
	wantErr(t, "Query between a high and a low bound", err, table.ErrInvalidArgument)
	for _, c := range []table.Condition{
		table.Equal("", 1), table.And(table.Condition{}), table.Not(table.Condition{}), table.LessThan("count", []int{1}),
		table.BeginsWith("note", 5), table.Exists("a[0]"), table.Equal("a.b", 1),
	} {
		err := tb.Put(ctx, &Item{PK: "p", SK: "s"}, &table.PutOptions{If: c})
		wantErr(t, fmt.Sprintf("Put with condition %s", condString(c)), err, table.ErrInvalidArgument)
	}
	wantErr(t, "Put of nil", tb.Put(ctx, nil, nil), table.ErrInvalidArgument)
	wantErr(t, "Put of a string that is not UTF-8", tb.Put(ctx, &Item{PK: "p", SK: "s", Note: "bad \xff"}, nil), table.ErrInvalidArgument)
	wantErr(t, "Put of a key that is not UTF-8", tb.Put(ctx, &Item{PK: "p", SK: "\xff"}, nil), table.ErrInvalidKey)
	_, err = tb.Update(ctx, key("p", "s"), []table.Change{table.Set("note", "\xfe")}, nil)
	wantErr(t, "Update to a string that is not UTF-8", err, table.ErrInvalidArgument)
	_, err = tb.Update(ctx, key("p", "s"), []table.Change{table.Add("count", table.NumberText("1e200"))}, nil)
	wantErr(t, "Update adding a number beyond DynamoDB's range", err, table.ErrInvalidArgument)
	if got := mustGet(t, tb, key("p", "s")); got.Note != "" || got.Count != 0 {
		t.Errorf("refused writes changed the item: %+v", got)
	}
}
