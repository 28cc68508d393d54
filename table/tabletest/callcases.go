package tabletest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/servous/servous/table"
	"github.com/servous/servous/table/internal/item"
)

// callCase is one targeted metering case: setup runs unmetered, then op, whose calls must be
// want on both tables; departure names a way dynalite bills the case otherwise.
type callCase struct {
	name      string
	schema    table.Schema
	setup     func(ctx context.Context, tb table.Table[Item]) error
	op        func(ctx context.Context, tb table.Table[Item]) error
	want      []billed
	departure string
}

// callsClock is the time of the targeted cases; an item expiring before it has expired.
var callsClock = time.Unix(1_800_000_000, 0).UTC()

// ofSize returns an item of schema s keyed (pk, sk), expired if asked, whose size as DynamoDB
// counts it once stored (with version 1 in a versioned schema) is n bytes.
func ofSize(s table.Schema, pk, sk string, n int, expired bool) Item {
	return filled(s, Item{PK: pk, SK: sk}, n, expired)
}

// filled returns it, expired if asked, with data making its size n bytes as ofSize counts it.
func filled(s table.Schema, it Item, n int, expired bool) Item {
	it.Data = []byte{'d'}
	if expired {
		it.ExpiresAt = callsClock.Unix() - 10
	}
	if s.Version != "" {
		it.Version = 1
	}
	av, _ := attributevalue.MarshalMap(it) // an Item always marshals
	it.Version = 0
	it.Data = bytes.Repeat([]byte{'d'}, n-item.Size(av)+1)
	return it
}

func putAll(items ...Item) func(ctx context.Context, tb table.Table[Item]) error {
	return func(ctx context.Context, tb table.Table[Item]) error { return tb.BatchWrite(ctx, items, nil) }
}

func callCases() []callCase {
	const kb = 1 << 10
	p := Plain
	key := table.Key{Partition: table.String("p"), Sort: table.String("s")}
	strong := &table.GetOptions{ConsistentRead: true}
	var cases []callCase
	// Writes: a unit per 1 KB of the larger of the item before and after.
	for _, n := range []int{kb, kb + 1, 4*kb + 1, 8 * kb} {
		it := ofSize(p, "p", "s", n, false)
		cases = append(cases, callCase{
			name: fmt.Sprintf("PutItem of %d bytes", n), schema: p,
			op:   func(ctx context.Context, tb table.Table[Item]) error { return tb.Put(ctx, &it, nil) },
			want: []billed{{Op: "PutItem", WriteUnits: float64((n + kb - 1) / kb)}},
		})
	}
	small, big := ofSize(p, "p", "s", 100, false), ofSize(p, "p", "s", 8*kb, false)
	cases = append(cases, callCase{
		name: "PutItem of 100 bytes over 8 KB", schema: p, setup: putAll(big),
		op:   func(ctx context.Context, tb table.Table[Item]) error { return tb.Put(ctx, &small, nil) },
		want: []billed{{Op: "PutItem", WriteUnits: 8}},
	})
	// Reads: a unit per 4 KB strongly consistent, half eventually; a missing item costs the
	// minimum.
	for _, n := range []int{kb, kb + 1, 4*kb + 1, 8 * kb} {
		it := ofSize(p, "p", "s", n, false)
		units := float64((n + 4*kb - 1) / (4 * kb))
		cases = append(cases, callCase{
			name: fmt.Sprintf("GetItem of %d bytes, strongly consistent", n), schema: p, setup: putAll(it),
			op:   func(ctx context.Context, tb table.Table[Item]) error { _, err := tb.Get(ctx, key, strong); return err },
			want: []billed{{Op: "GetItem", ReadUnits: units}},
		}, callCase{
			name: fmt.Sprintf("GetItem of %d bytes, eventually consistent", n), schema: p, setup: putAll(it),
			op:   func(ctx context.Context, tb table.Table[Item]) error { _, err := tb.Get(ctx, key, nil); return err },
			want: []billed{{Op: "GetItem", ReadUnits: units / 2}},
		})
	}
	cases = append(cases, callCase{
		name: "GetItem of a missing item", schema: p,
		op: func(ctx context.Context, tb table.Table[Item]) error {
			if _, err := tb.Get(ctx, key, nil); !errors.Is(err, table.ErrNotFound) {
				return fmt.Errorf("got %v, want ErrNotFound", err)
			}
			return nil
		},
		want: []billed{{Op: "GetItem", ReadUnits: 0.5}},
	}, callCase{
		name: "GetItem of an expired item of 8 KB", schema: p, setup: putAll(ofSize(p, "p", "s", 8*kb, true)),
		op: func(ctx context.Context, tb table.Table[Item]) error {
			if _, err := tb.Get(ctx, key, strong); !errors.Is(err, table.ErrNotFound) {
				return fmt.Errorf("got %v, want ErrNotFound", err)
			}
			return nil
		},
		want: []billed{{Op: "GetItem", ReadUnits: 2}},
	}, callCase{
		name: "DeleteItem of 8 KB", schema: p, setup: putAll(big),
		op:   func(ctx context.Context, tb table.Table[Item]) error { return tb.Delete(ctx, key, nil) },
		want: []billed{{Op: "DeleteItem", WriteUnits: 8}},
	}, callCase{
		name: "DeleteItem of a missing item", schema: p,
		op:   func(ctx context.Context, tb table.Table[Item]) error { return tb.Delete(ctx, key, nil) },
		want: []billed{{Op: "DeleteItem", WriteUnits: 1}},
	}, callCase{
		name: "UpdateItem of 1 KB to 1 KB + 5", schema: p, setup: putAll(ofSize(p, "p", "s", kb, false)),
		op: func(ctx context.Context, tb table.Table[Item]) error {
			_, err := tb.Update(ctx, key, []table.Change{table.Set("note", "x")}, nil)
			return err
		},
		want: []billed{{Op: "UpdateItem", WriteUnits: 2}},
	})
	// Refused writes: a unit per 1 KB of the larger of the stored item and the item the
	// write would have made, at least one.
	refused := func(err error) error {
		if !errors.Is(err, table.ErrConditionFailed) && !errors.Is(err, table.ErrAlreadyExists) {
			return fmt.Errorf("got %v, want a refused condition", err)
		}
		return nil
	}
	nope := table.Equal("note", "nope")
	cases = append(cases, callCase{
		name: "refused Create over 8 KB", schema: p, setup: putAll(big),
		op: func(ctx context.Context, tb table.Table[Item]) error {
			it := small
			return refused(tb.Create(ctx, &it))
		},
		want:      []billed{{Op: "PutItem", WriteUnits: 8, Failed: true}},
		departure: departFailedWrite,
	}, callCase{
		name: "refused conditional DeleteItem over 8 KB", schema: p, setup: putAll(big),
		op: func(ctx context.Context, tb table.Table[Item]) error {
			return refused(tb.Delete(ctx, key, &table.DeleteOptions{If: nope}))
		},
		want:      []billed{{Op: "DeleteItem", WriteUnits: 8, Failed: true}},
		departure: departFailedWrite,
	}, callCase{
		name: "refused conditional PutItem over no item", schema: p,
		op: func(ctx context.Context, tb table.Table[Item]) error {
			it := small
			return refused(tb.Put(ctx, &it, &table.PutOptions{If: table.Exists("note")}))
		},
		want: []billed{{Op: "PutItem", WriteUnits: 1, Failed: true}},
	}, callCase{
		name: "refused conditional PutItem of 8 KB over no item", schema: p,
		op: func(ctx context.Context, tb table.Table[Item]) error {
			it := big
			return refused(tb.Put(ctx, &it, &table.PutOptions{If: table.Exists("note")}))
		},
		want: []billed{{Op: "PutItem", WriteUnits: 8, Failed: true}},
	}, callCase{
		name: "refused Create of 8 KB over 1 KB", schema: p, setup: putAll(ofSize(p, "p", "s", kb, false)),
		op:   func(ctx context.Context, tb table.Table[Item]) error { it := big; return refused(tb.Create(ctx, &it)) },
		want: []billed{{Op: "PutItem", WriteUnits: 8, Failed: true}},
	}, callCase{
		name: "refused UpdateItem setting 8 KB over no item", schema: p,
		op: func(ctx context.Context, tb table.Table[Item]) error {
			_, err := tb.Update(ctx, key, []table.Change{table.Set("data", big.Data)}, &table.UpdateOptions{If: table.Exists("note")})
			return refused(err)
		},
		want: []billed{{Op: "UpdateItem", WriteUnits: 8, Failed: true}},
	}, callCase{
		name: "refused UpdateItem on a versioned table over 8 KB", schema: Versioned,
		setup: func(ctx context.Context, tb table.Table[Item]) error {
			it := ofSize(Versioned, "p", "s", 8*kb, false)
			return tb.Create(ctx, &it)
		},
		op: func(ctx context.Context, tb table.Table[Item]) error {
			_, err := tb.Update(ctx, key, nil, &table.UpdateOptions{If: nope})
			return refused(err)
		},
		// The adapter reads the item back to tell a version at its maximum apart.
		want:      []billed{{Op: "UpdateItem", WriteUnits: 8, Failed: true}, {Op: "GetItem", ReadUnits: 2}},
		departure: departFailedWrite,
	}, callCase{
		name: "UpdateItem over an expired item", schema: p, setup: putAll(ofSize(p, "p", "s", 1000, true)),
		op: func(ctx context.Context, tb table.Table[Item]) error {
			_, err := tb.Update(ctx, key, []table.Change{table.Set("note", "x")}, nil)
			return err
		},
		// Refused (the item has expired), the expired item deleted, the update made again.
		want: []billed{{Op: "UpdateItem", WriteUnits: 1, Failed: true}, {Op: "DeleteItem", WriteUnits: 1}, {Op: "UpdateItem", WriteUnits: 1}},
	})
	// Queries: the items read in a request, summed, then rounded up to 4 KB once.
	mixed := []Item{ofSize(p, "q", "a", kb, false), ofSize(p, "q", "b", kb+1, false), ofSize(p, "q", "c", 4*kb+1, false), ofSize(p, "q", "d", 8*kb, false)}
	q := table.String("q")
	cases = append(cases, callCase{
		name: "Query over items of 1 KB, 1 KB + 1, 4 KB + 1 and 8 KB, strongly consistent", schema: p, setup: putAll(mixed...),
		op: func(ctx context.Context, tb table.Table[Item]) error {
			_, err := tb.Query(ctx, q, &table.QueryOptions{ConsistentRead: true})
			return err
		},
		want: []billed{{Op: "Query", ReadUnits: 4}}, // 14,338 bytes
	}, callCase{
		name: "Query over items of 1 KB, 1 KB + 1, 4 KB + 1 and 8 KB, eventually consistent", schema: p, setup: putAll(mixed...),
		op: func(ctx context.Context, tb table.Table[Item]) error {
			_, err := tb.Query(ctx, q, nil)
			return err
		},
		want: []billed{{Op: "Query", ReadUnits: 2}},
	}, callCase{
		name: "Query with Limit 2 over an expired item", schema: p,
		setup: putAll(ofSize(p, "q", "a", 3*kb, true), ofSize(p, "q", "b", 2*kb, false), ofSize(p, "q", "c", 3*kb, false)),
		op: func(ctx context.Context, tb table.Table[Item]) error {
			page, err := tb.Query(ctx, q, &table.QueryOptions{Limit: 2, ConsistentRead: true})
			if err == nil && len(page.Items) != 2 {
				err = fmt.Errorf("%d items, want 2", len(page.Items))
			}
			return err
		},
		// The first request reads a and b (5 KB) and keeps b; the second reads c.
		want: []billed{{Op: "Query", ReadUnits: 2}, {Op: "Query", ReadUnits: 1}},
	})
	// A binary prefix's query: the adapter reads up to and including the least key past the
	// prefix ({2} past {1}), and drops that item, which DynamoDB still reads and bills.
	bs := BinarySort
	prefixed := putAll(filled(bs, Item{PK: "q", Bin: []byte{1}}, kb, false), filled(bs, Item{PK: "q", Bin: []byte{1, 5}}, kb, false),
		filled(bs, Item{PK: "q", Bin: []byte{2}}, 8*kb, false))
	prefix := table.SortPrefix(table.Binary([]byte{1}))
	for _, c := range []struct {
		desc      bool
		limit     int
		want      []billed
		departure string
	}{
		{false, 0, []billed{{Op: "Query", ReadUnits: 3}}, ""}, // 10 KB
		{true, 0, []billed{{Op: "Query", ReadUnits: 3}}, ""},
		// The first request reads {2} and drops it, the second reads {1, 5}.
		{true, 1, []billed{{Op: "Query", ReadUnits: 2}, {Op: "Query", ReadUnits: 1}}, ""},
		// The page is full before {2}.
		{false, 2, []billed{{Op: "Query", ReadUnits: 1}}, ""},
		// {2} fills the first request's Limit; the second reads nothing more.
		{false, 3, []billed{{Op: "Query", ReadUnits: 3}, {Op: "Query", ReadUnits: 1}}, departEmptyQuery},
	} {
		cases = append(cases, callCase{
			name: fmt.Sprintf("Query of a binary prefix, descending %v, Limit %d", c.desc, c.limit), schema: bs, setup: prefixed,
			op: func(ctx context.Context, tb table.Table[Item]) error {
				page, err := tb.Query(ctx, q, &table.QueryOptions{Sort: prefix, Descending: c.desc, Limit: c.limit, ConsistentRead: true})
				want := 2
				if c.limit > 0 {
					want = min(2, c.limit)
				}
				if err == nil && len(page.Items) != want {
					err = fmt.Errorf("%d items, want %d", len(page.Items), want)
				}
				return err
			},
			want: c.want, departure: c.departure,
		})
	}
	cases = append(cases, callCase{
		name: "Query of an empty partition", schema: p,
		op: func(ctx context.Context, tb table.Table[Item]) error {
			_, err := tb.Query(ctx, q, nil)
			return err
		},
		want:      []billed{{Op: "Query", ReadUnits: 0.5}},
		departure: departEmptyQuery,
	})
	// Batches: per item, per request of 25 writes or 100 keys.
	var puts []Item
	var keys []table.Key
	for i := range 120 {
		sk := fmt.Sprintf("k%03d", i)
		if i < 30 {
			puts = append(puts, ofSize(p, "b", sk, kb+1, false))
		}
		keys = append(keys, table.Key{Partition: table.String("b"), Sort: table.String(sk)})
	}
	cases = append(cases, callCase{
		name: "BatchWriteItem of 30 items of 1 KB + 1", schema: p,
		op:   putAll(puts...),
		want: []billed{{Op: "BatchWriteItem", WriteUnits: 50}, {Op: "BatchWriteItem", WriteUnits: 10}},
	}, callCase{
		name: "BatchWriteItem deleting 30 items of 1 KB + 1 and 90 missing", schema: p, setup: putAll(puts...),
		op:   func(ctx context.Context, tb table.Table[Item]) error { return tb.BatchWrite(ctx, nil, keys) },
		want: []billed{{Op: "BatchWriteItem", WriteUnits: 50}, {Op: "BatchWriteItem", WriteUnits: 30}, {Op: "BatchWriteItem", WriteUnits: 25}, {Op: "BatchWriteItem", WriteUnits: 25}, {Op: "BatchWriteItem", WriteUnits: 20}},
	}, callCase{
		name: "BatchGetItem of 120 keys, 30 items of 1 KB + 1", schema: p, setup: putAll(puts...),
		op: func(ctx context.Context, tb table.Table[Item]) error {
			_, err := tb.BatchGet(ctx, keys, nil)
			return err
		},
		want: []billed{{Op: "BatchGetItem", ReadUnits: 50}, {Op: "BatchGetItem", ReadUnits: 10}},
	}, callCase{
		name: "BatchGetItem of 120 keys, strongly consistent", schema: p, setup: putAll(puts...),
		op: func(ctx context.Context, tb table.Table[Item]) error {
			_, err := tb.BatchGet(ctx, keys, &table.BatchGetOptions{ConsistentRead: true})
			return err
		},
		want: []billed{{Op: "BatchGetItem", ReadUnits: 100}, {Op: "BatchGetItem", ReadUnits: 20}},
	})
	return cases
}

// RunCallTests runs targeted operations on pairs of tables that record their calls
// (DiffPair.ReferenceCalls and SubjectCalls must be set) and checks that both report the
// requests, and the request units, DynamoDB bills for them by the rules of the Amazon
// DynamoDB Developer Guide ("DynamoDB read and write operations"): items of 1 KB, 1 KB + 1,
// 4 KB + 1 and 8 KB, strongly and eventually consistent reads, missing and expired items,
// queries over items of mixed sizes and over expired items, refused conditional writes over
// large items, and batches over 25 writes and 100 keys. Where the pair's subject runs on
// dynalite and dynalite bills a case otherwise, the subject's part of that case is skipped
// with the reason.
func RunCallTests(t *testing.T, newPair NewDiffPair) {
	for _, c := range callCases() {
		t.Run(c.name, func(t *testing.T) {
			ctx := t.Context()
			pair := newPair(t, c.schema, func() time.Time { return callsClock })
			if pair.ReferenceCalls == nil || pair.SubjectCalls == nil {
				t.Fatal("the pair records no calls")
			}
			sides := []struct {
				name string
				tb   table.Table[Item]
				rec  *CallRecorder
			}{{"reference", pair.Reference, pair.ReferenceCalls}, {"subject", pair.Subject, pair.SubjectCalls}}
			for _, side := range sides {
				if c.departure != "" && pair.OnDynalite && side.name == "subject" {
					t.Skipf("subject on dynalite: %s", c.departure)
				}
				if c.setup != nil {
					if err := c.setup(ctx, side.tb); err != nil {
						t.Fatalf("%s: setup: %v", side.name, err)
					}
				}
				side.rec.Take()
				if err := c.op(ctx, side.tb); err != nil {
					t.Fatalf("%s: %v", side.name, err)
				}
				if got := billedOf(side.rec.Take()); !equalBilled(got, c.want) {
					t.Errorf("%s reported %v, want %v", side.name, got, c.want)
				}
			}
		})
	}
}

func equalBilled(a, b []billed) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
