package memtable_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/servous/servous/table"
	"github.com/servous/servous/table/memtable"
)

type benchItem struct {
	PK    string `dynamodbav:"pk" table:"partition"`
	SK    string `dynamodbav:"sk" table:"sort"`
	Title string `dynamodbav:"title"`
	Count int64  `dynamodbav:"count"`
}

const benchItems = 100

func newBenchItem(i int) benchItem {
	return benchItem{PK: fmt.Sprintf("p%d", i%10), SK: fmt.Sprintf("s%03d", i), Title: "a video title of some length", Count: int64(i)}
}

// benchTables returns a table holding benchItems items without OnCall and one with an
// OnCall that sums the units, as a meter would.
func benchTables(b *testing.B) map[string]*memtable.Table[benchItem] {
	var units float64
	tbs := map[string]*memtable.Table[benchItem]{}
	for name, onCall := range map[string]func(context.Context, table.Call){
		"OnCall=nil": nil,
		"OnCall=set": func(_ context.Context, c table.Call) { units += c.ReadUnits + c.WriteUnits },
	} {
		tb, err := memtable.New[benchItem]("bench", &memtable.Options{OnCall: onCall})
		if err != nil {
			b.Fatal(err)
		}
		items := make([]benchItem, benchItems)
		for i := range items {
			items[i] = newBenchItem(i)
		}
		if err := tb.BatchWrite(context.Background(), items, nil); err != nil {
			b.Fatal(err)
		}
		tbs[name] = tb
	}
	return tbs
}

// BenchmarkCalls measures what reporting calls adds to each operation: OnCall=nil is the
// table without metering, OnCall=set the same table reporting to a function that sums the
// units.
func BenchmarkCalls(b *testing.B) {
	ctx := context.Background()
	tbs := benchTables(b)
	key := func(i int) table.Key {
		it := newBenchItem(i % benchItems)
		return table.Key{Partition: table.String(it.PK), Sort: table.String(it.SK)}
	}
	keys := make([]table.Key, 20)
	for i := range keys {
		keys[i] = key(i)
	}
	ops := []struct {
		name string
		do   func(tb *memtable.Table[benchItem], i int) error
	}{
		{"Get", func(tb *memtable.Table[benchItem], i int) error {
			_, err := tb.Get(ctx, key(i), nil)
			return err
		}},
		{"Put", func(tb *memtable.Table[benchItem], i int) error {
			it := newBenchItem(i % benchItems)
			return tb.Put(ctx, &it, nil)
		}},
		{"Update", func(tb *memtable.Table[benchItem], i int) error {
			_, err := tb.Update(ctx, key(i), []table.Change{table.Add("count", 1)}, nil)
			return err
		}},
		{"Delete", func(tb *memtable.Table[benchItem], i int) error {
			return tb.Delete(ctx, key(i), &table.DeleteOptions{If: table.NotExists("pk")})
		}},
		{"Query", func(tb *memtable.Table[benchItem], i int) error {
			_, err := tb.Query(ctx, table.String(fmt.Sprintf("p%d", i%10)), nil)
			return err
		}},
		{"BatchGet", func(tb *memtable.Table[benchItem], i int) error {
			_, err := tb.BatchGet(ctx, keys, nil)
			return err
		}},
	}
	for _, op := range ops {
		for _, variant := range []string{"OnCall=nil", "OnCall=set"} {
			b.Run(op.name+"/"+variant, func(b *testing.B) {
				tb := tbs[variant]
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					err := op.do(tb, i)
					if err != nil && op.name != "Delete" {
						b.Fatal(err)
					}
					i++
				}
			})
		}
	}
}

// TestCallsAllocateNothing checks that reporting a single-item operation's calls allocates
// nothing: the same allocations with OnCall set as without (which the table without OnCall
// shares with the table before metering existed; see BenchmarkCalls).
func TestCallsAllocateNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts vary under the race detector")
	}
	ctx := context.Background()
	tbs := map[string]*memtable.Table[benchItem]{}
	for name, onCall := range map[string]func(context.Context, table.Call){
		"OnCall=nil": nil,
		"OnCall=set": func(context.Context, table.Call) {},
	} {
		tb, err := memtable.New[benchItem]("allocs", &memtable.Options{OnCall: onCall})
		if err != nil {
			t.Fatal(err)
		}
		tbs[name] = tb
	}
	it := newBenchItem(1)
	key := table.Key{Partition: table.String(it.PK), Sort: table.String(it.SK)}
	for name, op := range map[string]func(tb *memtable.Table[benchItem]){
		"Put": func(tb *memtable.Table[benchItem]) { v := it; _ = tb.Put(ctx, &v, nil) },
		"Get": func(tb *memtable.Table[benchItem]) { _, _ = tb.Get(ctx, key, nil) },
		"Update": func(tb *memtable.Table[benchItem]) {
			_, _ = tb.Update(ctx, key, []table.Change{table.Add("count", 1)}, nil)
		},
		"Delete": func(tb *memtable.Table[benchItem]) {
			_ = tb.Delete(ctx, key, &table.DeleteOptions{If: table.NotExists("pk")})
		},
	} {
		without := testing.AllocsPerRun(100, func() { op(tbs["OnCall=nil"]) })
		with := testing.AllocsPerRun(100, func() { op(tbs["OnCall=set"]) })
		if with != without {
			t.Errorf("%s: %v allocations with OnCall set, %v without", name, with, without)
		}
	}
}
