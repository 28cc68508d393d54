package tabletest

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/servous/servous/table"
)

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
