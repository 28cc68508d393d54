package tabletest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
	"github.com/servous/servous/table"
)

func key(pk, sk string) table.Key {
	return table.Key{Partition: table.String(pk), Sort: table.String(sk)}
}

func ptr[T any](v T) *T { return &v }

func mustPut(t *testing.T, tb table.Table[Item], it Item) Item {
	t.Helper()
	if err := tb.Put(t.Context(), &it, nil); err != nil {
		t.Fatalf("Put %s/%s: %v", it.PK, it.SK, err)
	}
	return it
}

func mustGet(t *testing.T, tb table.Table[Item], k table.Key) Item {
	t.Helper()
	it, err := tb.Get(t.Context(), k, &table.GetOptions{ConsistentRead: true})
	if err != nil {
		t.Fatalf("Get %v: %v", k, err)
	}
	return it
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: err = %v, want %v", what, err, target)
	}
}

func wantAbsent(t *testing.T, tb table.Table[Item], k table.Key) {
	t.Helper()
	_, err := tb.Get(t.Context(), k, &table.GetOptions{ConsistentRead: true})
	wantErr(t, fmt.Sprintf("Get %v", k), err, table.ErrNotFound)
}

func (s *suite) testGetPut(t *testing.T) {
	tb := s.newTable(t, Plain)
	want := Item{PK: "p", SK: "s", Count: 42, Note: "héllo", Data: []byte{0, 1, 2, 255},
		Tags: []string{"a", "b"}, Done: true, N: ptr(-1.25)}
	mustPut(t, tb, want)
	got := mustGet(t, tb, key("p", "s"))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Get after Put (-want +got):\n%s", diff)
	}
	eventual, err := tb.Get(t.Context(), key("p", "s"), nil)
	if err != nil {
		t.Fatalf("eventually consistent Get: %v", err)
	}
	if diff := cmp.Diff(want, eventual); diff != "" {
		t.Errorf("eventually consistent Get (-want +got):\n%s", diff)
	}

	replaced := Item{PK: "p", SK: "s", Note: "replaced"}
	mustPut(t, tb, replaced)
	if diff := cmp.Diff(replaced, mustGet(t, tb, key("p", "s"))); diff != "" {
		t.Errorf("Put did not replace the whole item (-want +got):\n%s", diff)
	}
	wantAbsent(t, tb, key("p", "other"))
	wantAbsent(t, tb, key("other", "s"))
}

func (s *suite) testCopies(t *testing.T) {
	tb := s.newTable(t, Plain)
	in := Item{PK: "p", SK: "s", Data: []byte("original"), Tags: []string{"x"}}
	if err := tb.Put(t.Context(), &in, nil); err != nil {
		t.Fatal(err)
	}
	in.Data[0] = 'X'
	in.Tags[0] = "changed"
	out := mustGet(t, tb, key("p", "s"))
	if string(out.Data) != "original" || out.Tags[0] != "x" {
		t.Fatalf("stored item shares memory with the caller's: %+v", out)
	}
	out.Data[0] = 'Y'
	again := mustGet(t, tb, key("p", "s"))
	if string(again.Data) != "original" {
		t.Errorf("returned item shares memory with the stored one: %q", again.Data)
	}
}

func (s *suite) testCreate(t *testing.T) {
	for _, schema := range []table.Schema{Plain, Versioned} {
		t.Run(fmt.Sprintf("version=%q", schema.Version), func(t *testing.T) {
			tb := s.newTable(t, schema)
			first := Item{PK: "p", SK: "s", Note: "first"}
			if err := tb.Create(t.Context(), &first); err != nil {
				t.Fatalf("Create: %v", err)
			}
			second := Item{PK: "p", SK: "s", Note: "second"}
			err := tb.Create(t.Context(), &second)
			wantErr(t, "second Create", err, table.ErrAlreadyExists)
			if errors.Is(err, table.ErrNotFound) {
				t.Errorf("Create error %v matches ErrNotFound", err)
			}
			got := mustGet(t, tb, key("p", "s"))
			if got.Note != "first" {
				t.Errorf("after failed Create, note = %q, want first", got.Note)
			}
			wantVersion := int64(0)
			if schema.Version != "" {
				wantVersion = 1
			}
			if got.Version != wantVersion || first.Version != wantVersion {
				t.Errorf("versions after Create: stored %d, caller's %d; want %d", got.Version, first.Version, wantVersion)
			}
		})
	}
}

func (s *suite) testDelete(t *testing.T) {
	tb := s.newTable(t, Plain)
	mustPut(t, tb, Item{PK: "p", SK: "s", Count: 3})
	err := tb.Delete(t.Context(), key("p", "s"), &table.DeleteOptions{If: table.Equal("count", 4)})
	wantErr(t, "Delete with failing condition", err, table.ErrConditionFailed)
	mustGet(t, tb, key("p", "s"))

	if err := tb.Delete(t.Context(), key("p", "s"), &table.DeleteOptions{If: table.Equal("count", 3)}); err != nil {
		t.Fatalf("Delete with holding condition: %v", err)
	}
	wantAbsent(t, tb, key("p", "s"))

	if err := tb.Delete(t.Context(), key("p", "missing"), nil); err != nil {
		t.Errorf("Delete of a missing item: %v", err)
	}
	err = tb.Delete(t.Context(), key("p", "missing"), &table.DeleteOptions{If: table.Exists("pk")})
	wantErr(t, "Delete of a missing item if it exists", err, table.ErrConditionFailed)
}

func (s *suite) testConditions(t *testing.T) {
	stored := Item{PK: "p", SK: "s", Count: 5, Note: "hello", Data: []byte{1, 2, 3}, Tags: []string{"a", "b"}}
	for _, tc := range []struct {
		name  string
		cond  table.Condition
		holds bool
	}{
		{"exists", table.Exists("count"), true},
		{"exists missing", table.Exists("nothing"), false},
		{"not exists", table.NotExists("nothing"), true},
		{"not exists present", table.NotExists("pk"), false},
		{"equal number", table.Equal("count", 5), true},
		{"equal number as float", table.Equal("count", 5.0), true},
		{"equal number Value", table.Equal("count", table.NumberText("5.000")), true},
		{"equal other number", table.Equal("count", 6), false},
		{"equal string", table.Equal("note", "hello"), true},
		{"equal binary", table.Equal("data", []byte{1, 2, 3}), true},
		{"equal string set any order", table.Equal("tags", stringSet{"b", "a"}), true},
		{"equal string set other", table.Equal("tags", stringSet{"a"}), false},
		{"equal type mismatch", table.Equal("count", "5"), false},
		{"not equal", table.NotEqual("count", 6), true},
		{"not equal same", table.NotEqual("count", 5), false},
		{"not equal missing", table.NotEqual("nothing", 1), true},
		{"less", table.LessThan("count", 6), true},
		{"less equal value", table.LessThan("count", 5), false},
		{"less or equal", table.LessOrEqual("count", 5), true},
		{"greater", table.GreaterThan("count", 4), true},
		{"greater negative", table.GreaterThan("count", -10), true},
		{"greater false", table.GreaterThan("count", 5), false},
		{"greater or equal", table.GreaterOrEqual("count", 5), true},
		{"string order", table.LessThan("note", "help"), true},
		{"compare missing", table.LessThan("nothing", 100), false},
		{"compare type mismatch", table.LessThan("note", 100), false},
		{"begins with", table.BeginsWith("note", "hel"), true},
		{"begins with other", table.BeginsWith("note", "world"), false},
		{"begins with binary", table.BeginsWith("data", []byte{1, 2}), true},
		{"and", table.And(table.Exists("note"), table.Equal("count", 5)), true},
		{"and false", table.And(table.Exists("note"), table.Equal("count", 4)), false},
		{"or", table.Or(table.NotExists("pk"), table.LessThan("count", 10)), true},
		{"or false", table.Or(table.NotExists("pk"), table.LessThan("count", 1)), false},
		{"not", table.Not(table.Equal("count", 4)), true},
		{"nested", table.Not(table.And(table.Exists("note"), table.Or(table.Equal("count", 1), table.Equal("count", 5)))), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tb := s.newTable(t, Plain)
			mustPut(t, tb, stored)
			next := Item{PK: "p", SK: "s", Note: "next"}
			err := tb.Put(t.Context(), &next, &table.PutOptions{If: tc.cond})
			got := mustGet(t, tb, key("p", "s"))
			if tc.holds {
				if err != nil {
					t.Fatalf("Put with a holding condition: %v", err)
				}
				if got.Note != "next" {
					t.Errorf("note = %q, want next", got.Note)
				}
				return
			}
			wantErr(t, "Put with a failing condition", err, table.ErrConditionFailed)
			if diff := cmp.Diff(stored, got); diff != "" {
				t.Errorf("failed conditional Put changed the item (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("absent item", func(t *testing.T) {
		t.Parallel()
		tb := s.newTable(t, Plain)
		it := Item{PK: "p", SK: "new"}
		err := tb.Put(t.Context(), &it, &table.PutOptions{If: table.Exists("pk")})
		wantErr(t, "Put if exists on no item", err, table.ErrConditionFailed)
		cond := table.Or(table.NotExists("pk"), table.LessThan("expires_at", time.Now().Unix()))
		if err := tb.Put(t.Context(), &it, &table.PutOptions{If: cond}); err != nil {
			t.Fatalf("Put if not exists or expired: %v", err)
		}
		err = tb.Put(t.Context(), &it, &table.PutOptions{If: cond})
		wantErr(t, "second Put if not exists or expired", err, table.ErrConditionFailed)
	})
}

// stringSet marshals as a string set, the way the tags attribute is stored.
type stringSet []string

func (s stringSet) MarshalDynamoDBAttributeValue() (types.AttributeValue, error) {
	return &types.AttributeValueMemberSS{Value: s}, nil
}

func (s *suite) testVersioning(t *testing.T) {
	tb := s.newTable(t, Versioned)
	ctx := t.Context()
	it := Item{PK: "p", SK: "s", Note: "v1"}
	if err := tb.Put(ctx, &it, nil); err != nil {
		t.Fatalf("Put of a new item with version 0: %v", err)
	}
	if it.Version != 1 {
		t.Fatalf("version after first Put = %d, want 1", it.Version)
	}
	stale := it
	it.Note = "v2"
	if err := tb.Put(ctx, &it, nil); err != nil {
		t.Fatalf("Put with the current version: %v", err)
	}
	if it.Version != 2 {
		t.Errorf("version after second Put = %d, want 2", it.Version)
	}
	stale.Note = "lost"
	err := tb.Put(ctx, &stale, nil)
	wantErr(t, "Put with a stale version", err, table.ErrVersionConflict)
	wantErr(t, "Put with a stale version", err, table.ErrConditionFailed)
	if stale.Version != 1 {
		t.Errorf("failed Put changed the caller's version to %d", stale.Version)
	}
	fresh := Item{PK: "p", SK: "s", Note: "as new"}
	wantErr(t, "Put of version 0 over a stored item", tb.Put(ctx, &fresh, nil), table.ErrVersionConflict)
	ahead := Item{PK: "p", SK: "s", Version: 7}
	wantErr(t, "Put of a version ahead", tb.Put(ctx, &ahead, nil), table.ErrVersionConflict)

	got := mustGet(t, tb, key("p", "s"))
	if got.Note != "v2" || got.Version != 2 {
		t.Errorf("stored = %q version %d, want v2 version 2", got.Note, got.Version)
	}
	err = tb.Put(ctx, &got, &table.PutOptions{If: table.Equal("note", "other")})
	wantErr(t, "versioned Put with a failing condition", err, table.ErrConditionFailed)
	if err := tb.Put(ctx, &got, &table.PutOptions{If: table.Equal("note", "v2")}); err != nil {
		t.Errorf("versioned Put with a holding condition: %v", err)
	}
	err = tb.Delete(ctx, key("p", "s"), &table.DeleteOptions{If: table.Equal("version", 2)})
	wantErr(t, "Delete of a stale version", err, table.ErrConditionFailed)
	if err := tb.Delete(ctx, key("p", "s"), &table.DeleteOptions{If: table.Equal("version", 3)}); err != nil {
		t.Errorf("Delete of the current version: %v", err)
	}
}

// testVersionedCounter has writers increment one counter by read-modify-write with retries
// on version conflicts: no update may be lost.
func (s *suite) testVersionedCounter(t *testing.T) {
	tb := s.newTable(t, Versioned)
	ctx := t.Context()
	if err := tb.Create(ctx, &Item{PK: "counter", SK: "c"}); err != nil {
		t.Fatal(err)
	}
	n := s.cfg.Writers
	var wg sync.WaitGroup
	errs := make(chan error, n)
	conflicts := make(chan int, n)
	for range n {
		wg.Go(func() {
			retries := 0
			for {
				it, err := tb.Get(ctx, key("counter", "c"), &table.GetOptions{ConsistentRead: true})
				if err != nil {
					errs <- err
					return
				}
				it.Count++
				err = tb.Put(ctx, &it, nil)
				if err == nil {
					conflicts <- retries
					return
				}
				if !errors.Is(err, table.ErrVersionConflict) {
					errs <- err
					return
				}
				retries++
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("writer: %v", err)
	}
	got := mustGet(t, tb, key("counter", "c"))
	if got.Count != int64(n) || got.Version != int64(n)+1 {
		t.Errorf("counter = %d version %d, want %d version %d", got.Count, got.Version, n, n+1)
	}
}

func (s *suite) testRacingCreates(t *testing.T) {
	tb := s.newTable(t, Versioned)
	n := s.cfg.Writers
	var wg sync.WaitGroup
	results := make(chan error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			it := Item{PK: "race", SK: "r", Count: int64(i)}
			err := tb.Create(t.Context(), &it)
			results <- err
		})
	}
	close(start)
	wg.Wait()
	close(results)
	won := 0
	for err := range results {
		switch {
		case err == nil:
			won++
		case errors.Is(err, table.ErrAlreadyExists):
		default:
			t.Errorf("Create: %v", err)
		}
	}
	if won != 1 {
		t.Errorf("%d of %d racing Creates succeeded, want exactly 1", won, n)
	}
}

func (s *suite) testCanceled(t *testing.T) {
	tb := s.newTable(t, Plain)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := tb.Get(ctx, key("p", "s"), nil)
	wantErr(t, "Get with a canceled context", err, context.Canceled)
	wantErr(t, "Put with a canceled context", tb.Put(ctx, &Item{PK: "p", SK: "s"}, nil), context.Canceled)
	wantErr(t, "BatchWrite with a canceled context", tb.BatchWrite(ctx, []Item{{PK: "p", SK: "s"}}, nil), context.Canceled)
	_, err = tb.Query(ctx, table.String("p"), nil)
	wantErr(t, "Query with a canceled context", err, context.Canceled)
}
