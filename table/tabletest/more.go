package tabletest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/servous/servous/table"
)

func (s *suite) testUpdate(t *testing.T) {
	ctx := t.Context()
	t.Run("changes", func(t *testing.T) {
		tb := s.newTable(t, Versioned)
		mustPut(t, tb, Item{PK: "p", SK: "s", Count: 1, Note: "keep", Data: []byte("drop")})
		got, err := tb.Update(ctx, key("p", "s"), []table.Change{
			table.Add("count", 41), table.Set("done", true), table.Remove("data"), table.Set("tags", stringSet{"t"}),
		}, nil)
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
		want := Item{PK: "p", SK: "s", Count: 42, Note: "keep", Done: true, Tags: []string{"t"}, Version: 2}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Update result (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(want, mustGet(t, tb, key("p", "s"))); diff != "" {
			t.Errorf("stored after Update (-want +got):\n%s", diff)
		}
		got, err = tb.Update(ctx, key("p", "s"), []table.Change{table.Add("n", 1.5)}, nil)
		if err != nil || got.N == nil || *got.N != 1.5 || got.Version != 3 {
			t.Fatalf("Update adding to a missing number: n %v version %d, %v; want 1.5 version 3", got.N, got.Version, err)
		}
		got, err = tb.Update(ctx, key("p", "s"), []table.Change{table.Add("n", -2.75)}, nil)
		if err != nil || got.N == nil || *got.N != -1.25 || got.Version != 4 {
			t.Errorf("Update adding fractions: n %v version %d, %v; want -1.25 version 4", got.N, got.Version, err)
		}
	})
	t.Run("creates", func(t *testing.T) {
		tb := s.newTable(t, Versioned)
		got, err := tb.Update(ctx, key("p", "new"), []table.Change{table.Add("count", 1), table.Set("note", "made")}, nil)
		if err != nil {
			t.Fatalf("Update of a missing item: %v", err)
		}
		want := Item{PK: "p", SK: "new", Count: 1, Note: "made", Version: 1}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Update of a missing item (-want +got):\n%s", diff)
		}
		stale := got
		if _, err := tb.Update(ctx, key("p", "new"), []table.Change{table.Add("count", 1)}, nil); err != nil {
			t.Fatal(err)
		}
		wantErr(t, "Put after an Update moved the version", tb.Put(ctx, &stale, nil), table.ErrVersionConflict)
	})
	t.Run("conditional", func(t *testing.T) {
		tb := s.newTable(t, Plain)
		mustPut(t, tb, Item{PK: "p", SK: "s", Count: 5})
		_, err := tb.Update(ctx, key("p", "s"), []table.Change{table.Add("count", 1)},
			&table.UpdateOptions{If: table.LessThan("count", 5)})
		wantErr(t, "Update with a failing condition", err, table.ErrConditionFailed)
		got, err := tb.Update(ctx, key("p", "s"), []table.Change{table.Add("count", 1)},
			&table.UpdateOptions{If: table.LessThan("count", 6)})
		if err != nil || got.Count != 6 {
			t.Errorf("Update with a holding condition: count %d, %v", got.Count, err)
		}
		_, err = tb.Update(ctx, key("p", "absent"), []table.Change{table.Set("note", "x")},
			&table.UpdateOptions{If: table.Exists("pk")})
		wantErr(t, "Update of a missing item if it exists", err, table.ErrConditionFailed)
		wantAbsent(t, tb, key("p", "absent"))
	})
	t.Run("invalid", func(t *testing.T) {
		tb := s.newTable(t, Versioned)
		mustPut(t, tb, Item{PK: "p", SK: "s", Note: "text"})
		for _, tc := range []struct {
			name    string
			changes []table.Change
			want    error
		}{
			{"key attribute", []table.Change{table.Set("sk", "other")}, table.ErrInvalidKey},
			{"version attribute", []table.Change{table.Set("version", 9)}, table.ErrInvalidArgument},
			{"add to a string", []table.Change{table.Add("note", 1)}, table.ErrInvalidArgument},
			{"add a string", []table.Change{table.Add("count", "1")}, table.ErrInvalidArgument},
			{"twice", []table.Change{table.Set("note", "a"), table.Remove("note")}, table.ErrInvalidArgument},
			{"no name", []table.Change{table.Set("", 1)}, table.ErrInvalidArgument},
			{"document path", []table.Change{table.Set("a.b", 1)}, table.ErrInvalidArgument},
		} {
			_, err := tb.Update(ctx, key("p", "s"), tc.changes, nil)
			wantErr(t, "Update changing "+tc.name, err, tc.want)
		}
		if got := mustGet(t, tb, key("p", "s")); got.Note != "text" || got.Version != 1 {
			t.Errorf("invalid Updates changed the item: %+v", got)
		}
	})
}

// queryAll follows cursors page by page and checks every page's size.
func queryAll(t *testing.T, tb table.Table[Item], pk table.Value, o table.QueryOptions) []string {
	t.Helper()
	var got []string
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("query does not end")
		}
		p, err := tb.Query(t.Context(), pk, &o)
		if err != nil {
			t.Fatalf("Query %+v: %v", o, err)
		}
		if o.Limit > 0 && len(p.Items) > o.Limit {
			t.Fatalf("page of %d items, limit %d", len(p.Items), o.Limit)
		}
		for _, it := range p.Items {
			if it.PK != pk.Text() {
				t.Fatalf("query of %v returned item of partition %q", pk, it.PK)
			}
			if it.N != nil {
				got = append(got, fmt.Sprint(*it.N))
			} else {
				got = append(got, it.SK)
			}
		}
		if p.Cursor == "" {
			return got
		}
		o.Cursor = p.Cursor
	}
}

func (s *suite) testQuery(t *testing.T) {
	tb := s.newTable(t, Plain)
	var sks []string
	var items []Item
	for i := range 30 {
		sk := fmt.Sprintf("item-%02d", i)
		if i >= 25 {
			sk = fmt.Sprintf("other-%02d", i)
		}
		sks = append(sks, sk)
		items = append(items, Item{PK: "q", SK: sk, Count: int64(i)})
		items = append(items, Item{PK: "q-neighbour", SK: sk})
	}
	if err := tb.BatchWrite(t.Context(), items, nil); err != nil {
		t.Fatal(err)
	}
	slices.Sort(sks)
	filter := func(f func(string) bool) []string {
		var out []string
		for _, sk := range sks {
			if f(sk) {
				out = append(out, sk)
			}
		}
		return out
	}
	for _, tc := range []struct {
		name string
		cond table.SortCondition
		want []string
	}{
		{"all", table.SortCondition{}, sks},
		{"equal", table.SortEQ(table.String("item-07")), []string{"item-07"}},
		{"equal none", table.SortEQ(table.String("item-7")), nil},
		{"less", table.SortLT(table.String("item-03")), filter(func(s string) bool { return s < "item-03" })},
		{"less or equal", table.SortLE(table.String("item-03")), filter(func(s string) bool { return s <= "item-03" })},
		{"greater", table.SortGT(table.String("item-20")), filter(func(s string) bool { return s > "item-20" })},
		{"greater or equal", table.SortGE(table.String("item-20")), filter(func(s string) bool { return s >= "item-20" })},
		{"between", table.SortBetweenValues(table.String("item-05"), table.String("item-10")),
			filter(func(s string) bool { return s >= "item-05" && s <= "item-10" })},
		{"between gaps", table.SortBetweenValues(table.String("item-055"), table.String("item-105")),
			filter(func(s string) bool { return s >= "item-06" && s <= "item-10" })},
		{"begins with", table.SortPrefix(table.String("item-1")), filter(func(s string) bool { return strings.HasPrefix(s, "item-1") })},
		{"begins with other", table.SortPrefix(table.String("other")), filter(func(s string) bool { return strings.HasPrefix(s, "other") })},
		{"begins with none", table.SortPrefix(table.String("zzz")), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, desc := range []bool{false, true} {
				for _, limit := range []int{0, 1, 4} {
					want := slices.Clone(tc.want)
					if desc {
						slices.Reverse(want)
					}
					got := queryAll(t, tb, table.String("q"), table.QueryOptions{Sort: tc.cond, Descending: desc, Limit: limit, ConsistentRead: true})
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("descending=%v limit=%d (-want +got):\n%s", desc, limit, diff)
					}
				}
			}
		})
	}
	p, err := tb.Query(t.Context(), table.String("nobody"), nil)
	if err != nil || len(p.Items) != 0 || p.Cursor != "" {
		t.Errorf("Query of an empty partition = %d items, cursor %q, %v", len(p.Items), p.Cursor, err)
	}
}

func (s *suite) testQueryPages(t *testing.T) {
	tb := s.newTable(t, Plain)
	const n = 95
	var items []Item
	var want []string
	for i := range n {
		sk := fmt.Sprintf("%03d", i)
		items = append(items, Item{PK: "pages", SK: sk})
		want = append(want, sk)
	}
	if err := tb.BatchWrite(t.Context(), items, nil); err != nil {
		t.Fatal(err)
	}
	for _, desc := range []bool{false, true} {
		w := slices.Clone(want)
		if desc {
			slices.Reverse(w)
		}
		// Page by page: full pages of 10, then the rest.
		o := &table.QueryOptions{Limit: 10, Descending: desc}
		var got []string
		pages := 0
		for p, err := range table.Pages(t.Context(), tb, table.String("pages"), o) {
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if len(got)+10 <= n && len(p.Items) != 10 {
				t.Errorf("descending=%v: page %d has %d items, want 10", desc, pages, len(p.Items))
			}
			for _, it := range p.Items {
				got = append(got, it.SK)
			}
		}
		if diff := cmp.Diff(w, got); diff != "" {
			t.Errorf("Pages descending=%v (-want +got):\n%s", desc, diff)
		}
		if pages < 10 || pages > 11 {
			t.Errorf("Pages descending=%v: %d pages, want 10 (or 11 with an empty last page)", desc, pages)
		}
		// All, resuming from the cursor of a first page.
		first, err := tb.Query(t.Context(), table.String("pages"), &table.QueryOptions{Limit: 30, Descending: desc})
		if err != nil || first.Cursor == "" {
			t.Fatalf("first page: cursor %q, %v", first.Cursor, err)
		}
		got = nil
		for it, err := range table.All(t.Context(), tb, table.String("pages"), &table.QueryOptions{Limit: 7, Descending: desc, Cursor: first.Cursor}) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, it.SK)
		}
		if diff := cmp.Diff(w[30:], got); diff != "" {
			t.Errorf("All from a cursor, descending=%v (-want +got):\n%s", desc, diff)
		}
		// Stopping early.
		count := 0
		for _, err := range table.All(t.Context(), tb, table.String("pages"), &table.QueryOptions{Limit: 3, Descending: desc}) {
			if err != nil {
				t.Fatal(err)
			}
			count++
			if count == 5 {
				break
			}
		}
		if count != 5 {
			t.Errorf("All did not stop: %d", count)
		}
	}
	// Items near the 400 KB limit fill 1 MB pages quickly; every item still comes back once.
	big := make([]Item, 6)
	for i := range big {
		big[i] = Item{PK: "big", SK: fmt.Sprint(i), Data: bytes.Repeat([]byte{byte(i)}, 380*1024)}
	}
	if err := tb.BatchWrite(t.Context(), big, nil); err != nil {
		t.Fatal(err)
	}
	got := queryAll(t, tb, table.String("big"), table.QueryOptions{})
	if diff := cmp.Diff([]string{"0", "1", "2", "3", "4", "5"}, got); diff != "" {
		t.Errorf("query of large items (-want +got):\n%s", diff)
	}
}

func (s *suite) testQueryNumberSort(t *testing.T) {
	tb := s.newTable(t, NumberSort)
	nums := []float64{-100, -2.5, -1, 0, 0.25, 1, 2, 10, 11, 100, 1e6}
	var items []Item
	for _, n := range slices.Backward(nums) {
		items = append(items, Item{PK: "n", N: ptr(n)})
	}
	if err := tb.BatchWrite(t.Context(), items, nil); err != nil {
		t.Fatal(err)
	}
	str := func(fs ...float64) []string {
		var out []string
		for _, f := range fs {
			out = append(out, fmt.Sprint(f))
		}
		return out
	}
	for _, tc := range []struct {
		name string
		cond table.SortCondition
		want []string
	}{
		{"all in numeric order", table.SortCondition{}, str(nums...)},
		{"greater", table.SortGT(table.Number(1)), str(2, 10, 11, 100, 1e6)},
		{"less or equal", table.SortLE(table.Number(0)), str(-100, -2.5, -1, 0)},
		{"between", table.SortBetweenValues(table.Number(-1), table.NumberText("10.0")), str(-1, 0, 0.25, 1, 2, 10)},
		{"equal text form", table.SortEQ(table.NumberText("1e2")), str(100)},
	} {
		got := queryAll(t, tb, table.String("n"), table.QueryOptions{Sort: tc.cond, Limit: 3})
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
	it := mustGet(t, tb, table.Key{Partition: table.String("n"), Sort: table.NumberText("0.250")})
	if it.N == nil || *it.N != 0.25 {
		t.Errorf("Get by number text 0.250 = %v", it.N)
	}
	_, err := tb.Query(t.Context(), table.String("n"), &table.QueryOptions{Sort: table.SortPrefix(table.Number(1))})
	wantErr(t, "begins_with on a number sort key", err, table.ErrInvalidArgument)
	_, err = tb.Query(t.Context(), table.String("n"), &table.QueryOptions{Sort: table.SortGT(table.String("1"))})
	wantErr(t, "string condition on a number sort key", err, table.ErrInvalidArgument)
}

func (s *suite) testQueryBinarySort(t *testing.T) {
	tb := s.newTable(t, BinarySort)
	keys := [][]byte{{0x00}, {0x01}, {0x01, 0x00}, {0x01, 0xff}, {0x01, 0xff, 0x05}, {0x02}, {0x02, 0x00}, {0xff}, {0xff, 0xff}, {0xff, 0xff, 0x01}}
	var items []Item
	for _, k := range keys {
		items = append(items, Item{PK: "b", Bin: k, Note: fmt.Sprintf("%x", k)})
	}
	if err := tb.BatchWrite(t.Context(), items, nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		prefix []byte
		want   []string
	}{
		// The key 0x02 sorts right after every key beginning with 0x01 and must not match.
		{"prefix 01", []byte{0x01}, []string{"01", "0100", "01ff", "01ff05"}},
		{"prefix 01ff", []byte{0x01, 0xff}, []string{"01ff", "01ff05"}},
		{"prefix ffff", []byte{0xff, 0xff}, []string{"ffff", "ffff01"}},
		{"prefix 03", []byte{0x03}, nil},
	} {
		for _, desc := range []bool{false, true} {
			want := slices.Clone(tc.want)
			if desc {
				slices.Reverse(want)
			}
			var got []string
			for it, err := range table.All(t.Context(), tb, table.String("b"), &table.QueryOptions{Sort: table.SortPrefix(table.Binary(tc.prefix)), Descending: desc, Limit: 2}) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, it.Note)
				if len(got) > len(keys) {
					t.Fatalf("%s descending=%v: query returns more items than stored: %v", tc.name, desc, got)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s descending=%v (-want +got):\n%s", tc.name, desc, diff)
			}
		}
	}
	got := queryAll(t, tb, table.String("b"), table.QueryOptions{Sort: table.SortGT(table.Binary([]byte{0x01, 0xff})), Limit: 3})
	if len(got) != 6 {
		t.Errorf("binary keys above 01ff: %d items, want 6", len(got))
	}
	p := mustGet(t, tb, table.Key{Partition: table.String("b"), Sort: table.Binary([]byte{0x01, 0xff, 0x05})})
	if p.Note != "01ff05" {
		t.Errorf("Get by binary sort key = %+v", p)
	}
	err := tb.Put(t.Context(), &Item{PK: "b", Bin: []byte{0x01}, Note: "again"}, &table.PutOptions{If: table.BeginsWith("bin", []byte{0x01})})
	if err != nil {
		t.Errorf("Put if the binary key begins with 01: %v", err)
	}
	err = tb.Put(t.Context(), &Item{PK: "b", Bin: []byte{0x02}, Note: "again"}, &table.PutOptions{If: table.BeginsWith("bin", []byte{0x01})})
	wantErr(t, "Put of key 02 if it begins with 01", err, table.ErrConditionFailed)
	err = tb.Put(t.Context(), &Item{PK: "b", Bin: []byte{0xff, 0xff, 0x01}}, &table.PutOptions{If: table.BeginsWith("bin", []byte{0xff, 0xff})})
	if err != nil {
		t.Errorf("Put if the binary key begins with ffff: %v", err)
	}
}

func (s *suite) testPartitionOnly(t *testing.T) {
	tb := s.newTable(t, BinaryPartition)
	k := table.Key{Partition: table.Binary([]byte{0, 1, 2})}
	mustPut(t, tb, Item{Bin: []byte{0, 1, 2}, Note: "binary"})
	mustPut(t, tb, Item{Bin: []byte{0, 1, 3}, Note: "neighbour"})
	if got := mustGet(t, tb, k); got.Note != "binary" {
		t.Errorf("Get = %+v", got)
	}
	p, err := tb.Query(t.Context(), table.Binary([]byte{0, 1, 2}), nil)
	if err != nil || len(p.Items) != 1 || p.Items[0].Note != "binary" || p.Cursor != "" {
		t.Errorf("Query of a partition-only table = %+v, %v", p, err)
	}
	_, err = tb.Get(t.Context(), table.Key{Partition: table.Binary([]byte{1}), Sort: table.String("x")}, nil)
	wantErr(t, "Get with a sort key in a table without one", err, table.ErrInvalidKey)
	_, err = tb.Get(t.Context(), table.Key{Partition: table.String("x")}, nil)
	wantErr(t, "Get with a string key in a binary-keyed table", err, table.ErrInvalidKey)
	if err := tb.Delete(t.Context(), k, nil); err != nil {
		t.Fatal(err)
	}
	wantAbsent(t, tb, k)
}

func (s *suite) testBatch(t *testing.T) {
	tb := s.newTable(t, Plain)
	ctx := t.Context()
	const n = 1000
	puts := make([]Item, n)
	keys := make([]table.Key, 0, n+2)
	for i := range puts {
		puts[i] = Item{PK: fmt.Sprintf("p%d", i%7), SK: fmt.Sprintf("s%04d", i), Count: int64(i)}
		keys = append(keys, key(puts[i].PK, puts[i].SK))
	}
	if err := tb.BatchWrite(ctx, puts, nil); err != nil {
		t.Fatalf("BatchWrite of %d items: %v", n, err)
	}
	// Ask in reverse order, with two missing keys among them.
	slices.Reverse(keys)
	keys = slices.Insert(keys, 500, key("p0", "missing"))
	keys = append(keys, key("nobody", "x"))
	got, err := tb.BatchGet(ctx, keys, &table.BatchGetOptions{ConsistentRead: true})
	if err != nil {
		t.Fatalf("BatchGet of %d keys: %v", len(keys), err)
	}
	want := slices.Clone(puts)
	slices.Reverse(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("BatchGet (-want +got):\n%s", diff)
	}
	// Delete every other item and replace the rest in one call.
	var dels []table.Key
	var again []Item
	for i, it := range puts {
		if i%2 == 0 {
			dels = append(dels, key(it.PK, it.SK))
		} else {
			it.Note = "again"
			again = append(again, it)
		}
	}
	if err := tb.BatchWrite(ctx, again, dels); err != nil {
		t.Fatalf("BatchWrite of puts and deletes: %v", err)
	}
	got, err = tb.BatchGet(ctx, keys, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n/2 {
		t.Errorf("after deleting half, BatchGet found %d items, want %d", len(got), n/2)
	}
	for _, it := range got {
		if it.Count%2 != 1 || it.Note != "again" {
			t.Errorf("unexpected item after batch write: %+v", it)
			break
		}
	}
	if got, err := tb.BatchGet(ctx, nil, nil); err != nil || len(got) != 0 {
		t.Errorf("BatchGet of no keys = %v, %v", got, err)
	}
	if err := tb.BatchWrite(ctx, nil, nil); err != nil {
		t.Errorf("BatchWrite of nothing: %v", err)
	}
	_, err = tb.BatchGet(ctx, []table.Key{key("a", "b"), key("a", "b")}, nil)
	wantErr(t, "BatchGet with a key twice", err, table.ErrInvalidArgument)
	err = tb.BatchWrite(ctx, []Item{{PK: "a", SK: "b"}}, []table.Key{key("a", "b")})
	wantErr(t, "BatchWrite with a key twice", err, table.ErrInvalidArgument)
	err = tb.BatchWrite(ctx, []Item{{PK: "a"}}, nil)
	wantErr(t, "BatchWrite of an item without a sort key", err, table.ErrInvalidKey)
}

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

func (s *suite) testExpiry(t *testing.T) {
	tb := s.newTable(t, Versioned)
	ctx := t.Context()
	now := time.Now().Unix()
	past, future := now-3600, now+3600
	items := []Item{
		{PK: "e", SK: "1-live", ExpiresAt: future},
		{PK: "e", SK: "2-expired", ExpiresAt: past, Note: "old", Count: 7},
		{PK: "e", SK: "3-forever"},
		{PK: "e", SK: "4-expired", ExpiresAt: past},
		{PK: "e", SK: "5-live", ExpiresAt: future},
	}
	for i := range items {
		items[i].Version = 1
	}
	if err := tb.BatchWrite(ctx, items, nil); err != nil {
		t.Fatal(err)
	}
	wantAbsent(t, tb, key("e", "2-expired"))
	if _, err := tb.Get(ctx, key("e", "2-expired"), nil); !errors.Is(err, table.ErrNotFound) {
		t.Errorf("eventually consistent Get of an expired item: %v", err)
	}
	if got := mustGet(t, tb, key("e", "1-live")); got.ExpiresAt != future {
		t.Errorf("live item expires at %d, want %d", got.ExpiresAt, future)
	}
	for _, desc := range []bool{false, true} {
		want := []string{"1-live", "3-forever", "5-live"}
		if desc {
			slices.Reverse(want)
		}
		for _, limit := range []int{0, 1, 2} {
			got := queryAll(t, tb, table.String("e"), table.QueryOptions{Descending: desc, Limit: limit})
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Query descending=%v limit=%d shows expired items (-want +got):\n%s", desc, limit, diff)
			}
		}
	}
	got, err := tb.BatchGet(ctx, []table.Key{key("e", "1-live"), key("e", "2-expired"), key("e", "4-expired")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].SK != "1-live" {
		t.Errorf("BatchGet returned %+v, want only 1-live", got)
	}

	// Writes see an expired item as absent.
	fresh := Item{PK: "e", SK: "2-expired", Note: "new"}
	if err := tb.Create(ctx, &fresh); err != nil {
		t.Fatalf("Create over an expired item: %v", err)
	}
	if fresh.Version != 1 {
		t.Errorf("Create over an expired item: version %d, want 1", fresh.Version)
	}
	fresh.ExpiresAt = past
	if err := tb.Put(ctx, &fresh, nil); err != nil {
		t.Fatal(err)
	}
	again := Item{PK: "e", SK: "2-expired", Note: "versioned"}
	if err := tb.Put(ctx, &again, nil); err != nil {
		t.Errorf("versioned Put of version 0 over an expired item: %v", err)
	}
	err = tb.Put(ctx, &Item{PK: "e", SK: "4-expired", Version: 1}, nil)
	wantErr(t, "versioned Put of the expired item's version", err, table.ErrVersionConflict)
	err = tb.Delete(ctx, key("e", "4-expired"), &table.DeleteOptions{If: table.Exists("pk")})
	wantErr(t, "Delete of an expired item if it exists", err, table.ErrConditionFailed)
	if err := tb.Delete(ctx, key("e", "4-expired"), &table.DeleteOptions{If: table.NotExists("pk")}); err != nil {
		t.Errorf("Delete of an expired item if it does not exist: %v", err)
	}
	mustPut(t, tb, Item{PK: "e", SK: "6-expired", ExpiresAt: past, Note: "stale", Count: 10})
	up, err := tb.Update(ctx, key("e", "6-expired"), []table.Change{table.Add("count", 1)}, nil)
	if err != nil {
		t.Fatalf("Update of an expired item: %v", err)
	}
	if diff := cmp.Diff(Item{PK: "e", SK: "6-expired", Count: 1, Version: 1}, up); diff != "" {
		t.Errorf("Update of an expired item did not start afresh (-want +got):\n%s", diff)
	}
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
