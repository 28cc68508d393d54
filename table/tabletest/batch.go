package tabletest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/servous/servous/table"
)

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
