package memtable

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/servous/servous/table"
	"github.com/servous/servous/table/internal/item"
)

// TestPartitionModel drives a partition through random inserts, replacements and removals,
// enough to split chunks many times and empty some, and compares it with a sorted slice.
func TestPartitionModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var p partition
	model := map[string]bool{}
	ord := func(s string) item.Ord { return item.OrdOfValue(table.String(s)) }
	for i := range 20000 {
		k := fmt.Sprintf("%05d", rng.IntN(4000))
		if rng.IntN(3) == 0 {
			got := p.remove(ord(k)) != nil
			if got != model[k] {
				t.Fatalf("op %d: remove(%s) found=%v, model has %v", i, k, got, model[k])
			}
			delete(model, k)
			continue
		}
		replaced := p.set(&entry{ord: ord(k), item: item.Item{"k": nil}})
		if (replaced != nil) != model[k] {
			t.Fatalf("op %d: set(%s) replaced=%v, model has %v", i, k, replaced != nil, model[k])
		}
		model[k] = true
	}
	want := make([]string, 0, len(model))
	for k := range model {
		want = append(want, k)
	}
	slices.Sort(want)
	var got []string
	for q := (pos{}); p.at(q) != nil; q = p.next(q) {
		got = append(got, p.at(q).ord.String())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("forward order (-want +got):\n%s", diff)
	}
	if p.n != len(want) {
		t.Errorf("n = %d, want %d", p.n, len(want))
	}
	got = got[:0]
	for q := p.prev(pos{len(p.chunks), 0}); q.c >= 0; q = p.prev(q) {
		got = append(got, p.at(q).ord.String())
	}
	slices.Reverse(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("backward order (-want +got):\n%s", diff)
	}
	for _, ch := range p.chunks {
		if len(ch) == 0 || len(ch) > maxChunk {
			t.Fatalf("chunk of %d entries", len(ch))
		}
	}
	if len(p.chunks) < 2 {
		t.Errorf("only %d chunks: splitting was not exercised", len(p.chunks))
	}
	// lowerBound agrees with a binary search of the model.
	slices.Reverse(want)
	for _, probe := range []string{"", "00000", "01234", "01234x", "03999", "9"} {
		for _, strict := range []bool{false, true} {
			i, found := slices.BinarySearch(want, probe)
			if strict && found {
				i++
			}
			e := p.at(p.lowerBound(ord(probe), strict))
			switch {
			case i == len(want) && e != nil:
				t.Errorf("lowerBound(%q, %v) = %s, want end", probe, strict, e.ord.String())
			case i < len(want) && (e == nil || e.ord.String() != want[i]):
				t.Errorf("lowerBound(%q, %v) = %v, want %s", probe, strict, e, want[i])
			}
		}
	}
}
