package tablebench_test

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/servous/servous/table"
	"github.com/servous/servous/table/memtable"
	"gocloud.dev/docstore"
	"gocloud.dev/docstore/memdocstore"
)

// benchItem is stored by both memtable and gocloud.dev's memdocstore, the comparison peer.
type benchItem struct {
	PK    string `dynamodbav:"pk" docstore:"pk" table:"partition"`
	SK    string `dynamodbav:"sk" docstore:"sk" table:"sort"`
	Title string `dynamodbav:"title" docstore:"title"`
	Count int64  `dynamodbav:"count" docstore:"count"`
}

func benchKey(i int) (string, string) {
	return fmt.Sprintf("p%05d", i/100), fmt.Sprintf("s%03d", i%100)
}

func newBenchItem(i int) benchItem {
	pk, sk := benchKey(i)
	return benchItem{PK: pk, SK: sk, Title: "a video title of some length", Count: int64(i)}
}

func loadMemtable(b *testing.B, n int) *memtable.Table[benchItem] {
	tb, err := memtable.New[benchItem]("bench", nil)
	if err != nil {
		b.Fatal(err)
	}
	const chunk = 10000
	items := make([]benchItem, 0, chunk)
	for i := range n {
		items = append(items, newBenchItem(i))
		if len(items) == chunk || i == n-1 {
			if err := tb.BatchWrite(context.Background(), items, nil); err != nil {
				b.Fatal(err)
			}
			items = items[:0]
		}
	}
	return tb
}

func loadMemdocstore(b *testing.B, n int) *docstore.Collection {
	coll, err := memdocstore.OpenCollectionWithKeyFunc(func(d docstore.Document) any {
		it := d.(*benchItem)
		return [2]string{it.PK, it.SK}
	}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { coll.Close() })
	ctx := context.Background()
	const chunk = 1000
	for lo := 0; lo < n; lo += chunk {
		acts := coll.Actions()
		for i := lo; i < min(lo+chunk, n); i++ {
			it := newBenchItem(i)
			acts.Put(&it)
		}
		if err := acts.Do(ctx); err != nil {
			b.Fatal(err)
		}
	}
	return coll
}

const benchItems = 10000

// BenchmarkGet compares memtable.Get with memdocstore's Collection.Get on 10,000 items.
func BenchmarkGet(b *testing.B) {
	ctx := context.Background()
	b.Run("memtable", func(b *testing.B) {
		tb := loadMemtable(b, benchItems)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			pk, sk := benchKey(i % benchItems)
			if _, err := tb.Get(ctx, table.Key{Partition: table.String(pk), Sort: table.String(sk)}, nil); err != nil {
				b.Fatal(err)
			}
			i += 7
		}
	})
	b.Run("memdocstore", func(b *testing.B) {
		coll := loadMemdocstore(b, benchItems)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			pk, sk := benchKey(i % benchItems)
			it := benchItem{PK: pk, SK: sk}
			if err := coll.Get(ctx, &it); err != nil {
				b.Fatal(err)
			}
			i += 7
		}
	})
}

// BenchmarkPut compares memtable.Put with memdocstore's Collection.Put, replacing items of
// a 10,000-item table.
func BenchmarkPut(b *testing.B) {
	ctx := context.Background()
	b.Run("memtable", func(b *testing.B) {
		tb := loadMemtable(b, benchItems)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			it := newBenchItem(i % benchItems)
			if err := tb.Put(ctx, &it, nil); err != nil {
				b.Fatal(err)
			}
			i += 7
		}
	})
	b.Run("memdocstore", func(b *testing.B) {
		coll := loadMemdocstore(b, benchItems)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			it := newBenchItem(i % benchItems)
			if err := coll.Put(ctx, &it); err != nil {
				b.Fatal(err)
			}
			i += 7
		}
	})
}

// BenchmarkQuery100 compares reading the 100 items of one partition from a
// 1,000,000-item table: memtable.Query against a memdocstore query on the partition field.
func BenchmarkQuery100(b *testing.B) {
	const n = 1000000
	ctx := context.Background()
	b.Run("memtable", func(b *testing.B) {
		tb := loadMemtable(b, n)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			pk, _ := benchKey(i % n)
			p, err := tb.Query(ctx, table.String(pk), &table.QueryOptions{Limit: 100})
			if err != nil || len(p.Items) != 100 {
				b.Fatalf("query: %d items, %v", len(p.Items), err)
			}
			i += 7919 * 100
		}
	})
	b.Run("memdocstore", func(b *testing.B) {
		coll := loadMemdocstore(b, n)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			pk, _ := benchKey(i % n)
			iter := coll.Query().Where("pk", "=", pk).Limit(100).Get(ctx)
			got := 0
			for {
				var it benchItem
				err := iter.Next(ctx, &it)
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
				got++
			}
			iter.Stop()
			if got != 100 {
				b.Fatalf("memdocstore query: %d items", got)
			}
			i += 7919 * 100
		}
	})
}
