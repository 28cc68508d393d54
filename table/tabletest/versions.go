package tabletest

import (
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/servous/servous/table"
)

// testVersionZeroOverUnversioned checks that version 0 means "no live item stored", even
// when the stored item has no version attribute: BatchWrite writes items as they are.
func (s *suite) testVersionZeroOverUnversioned(t *testing.T) {
	tb := s.newTable(t, Versioned)
	ctx := t.Context()
	raw := Item{PK: "p", SK: "raw", Note: "as written"}
	if err := tb.BatchWrite(ctx, []Item{raw}, nil); err != nil {
		t.Fatal(err)
	}
	over := Item{PK: "p", SK: "raw", Note: "over"}
	wantErr(t, "Put of version 0 over an item without a version", tb.Put(ctx, &over, nil), table.ErrVersionConflict)
	err := tb.Put(ctx, &over, &table.PutOptions{If: table.Exists("note")})
	wantErr(t, "Put of version 0 with a holding condition over an item without a version", err, table.ErrConditionFailed)
	if errors.Is(err, table.ErrVersionConflict) {
		t.Errorf("Put with a condition and a version check: err %v matches ErrVersionConflict, want ErrConditionFailed alone", err)
	}
	if over.Version != 0 {
		t.Errorf("failed Puts set the caller's version to %d", over.Version)
	}
	one := Item{PK: "p", SK: "raw", Note: "one", Version: 1}
	wantErr(t, "Put of version 1 over an item without a version", tb.Put(ctx, &one, nil), table.ErrVersionConflict)
	if diff := cmp.Diff(raw, mustGet(t, tb, key("p", "raw"))); diff != "" {
		t.Errorf("refused Puts changed the item (-want +got):\n%s", diff)
	}

	// Update gives the item a version, which a versioned Put then follows.
	up, err := tb.Update(ctx, key("p", "raw"), []table.Change{table.Set("count", 1)}, nil)
	if err != nil {
		t.Fatalf("Update of an item without a version: %v", err)
	}
	if up.Version != 1 {
		t.Errorf("Update of an item without a version: version %d, want 1", up.Version)
	}
	up.Note = "versioned"
	if err := tb.Put(ctx, &up, nil); err != nil {
		t.Fatalf("Put of the version Update stored: %v", err)
	}
	if up.Version != 2 {
		t.Errorf("version after Put = %d, want 2", up.Version)
	}

	// Once the item is gone, version 0 writes again.
	if err := tb.BatchWrite(ctx, nil, []table.Key{key("p", "raw")}); err != nil {
		t.Fatal(err)
	}
	again := Item{PK: "p", SK: "raw", Note: "again"}
	if err := tb.Put(ctx, &again, nil); err != nil || again.Version != 1 {
		t.Errorf("Put of version 0 after the item was deleted: version %d, %v; want version 1", again.Version, err)
	}
}

// testVersionLimit checks the highest version: a write that would move a version past
// math.MaxInt64 is refused with ErrInvalidArgument, before any other check and with
// nothing written, rather than wrap round or store a number an int64 cannot hold.
func (s *suite) testVersionLimit(t *testing.T) {
	tb := s.newTable(t, Versioned)
	ctx := t.Context()
	top := Item{PK: "p", SK: "top", Note: "top", Version: math.MaxInt64}
	past := time.Now().Add(-time.Hour).Unix()
	expired := Item{PK: "p", SK: "expired", Version: math.MaxInt64, ExpiresAt: past}
	if err := tb.BatchWrite(ctx, []Item{top, expired}, nil); err != nil {
		t.Fatal(err)
	}
	got := mustGet(t, tb, key("p", "top"))
	if diff := cmp.Diff(top, got); diff != "" {
		t.Fatalf("item at the highest version (-want +got):\n%s", diff)
	}
	refused := func(what string, err error) {
		t.Helper()
		wantErr(t, what, err, table.ErrInvalidArgument)
		if errors.Is(err, table.ErrConditionFailed) {
			t.Errorf("%s: err %v matches ErrConditionFailed", what, err)
		}
	}
	next := got
	next.Note = "next"
	refused("Put of the highest version", tb.Put(ctx, &next, nil))
	refused("Put of the highest version with a failing condition", tb.Put(ctx, &next, &table.PutOptions{If: table.Equal("note", "other")}))
	if next.Version != math.MaxInt64 {
		t.Errorf("refused Put changed the caller's version to %d", next.Version)
	}
	_, err := tb.Update(ctx, key("p", "top"), []table.Change{table.Set("count", 1)}, nil)
	refused("Update of an item at the highest version", err)
	_, err = tb.Update(ctx, key("p", "top"), []table.Change{table.Set("count", 1)}, &table.UpdateOptions{If: table.Equal("note", "other")})
	refused("Update with a failing condition of an item at the highest version", err)
	if diff := cmp.Diff(top, mustGet(t, tb, key("p", "top"))); diff != "" {
		t.Errorf("refused writes changed the item (-want +got):\n%s", diff)
	}
	refused("Create of the highest version", tb.Create(ctx, &Item{PK: "p", SK: "new", Version: math.MaxInt64}))
	wantAbsent(t, tb, key("p", "new"))

	// Other writes are checked as ever: a stale version conflicts, a condition fails.
	below := Item{PK: "p", SK: "top", Version: math.MaxInt64 - 1}
	wantErr(t, "Put of the version below the stored highest", tb.Put(ctx, &below, nil), table.ErrVersionConflict)
	_, err = tb.Update(ctx, key("p", "absent"), []table.Change{table.Set("count", 1)}, &table.UpdateOptions{If: table.Exists("pk")})
	wantErr(t, "Update of a missing item if it exists", err, table.ErrConditionFailed)

	// The highest version itself can be reached, and an expired item at it is no item.
	made := Item{PK: "p", SK: "made", Version: math.MaxInt64 - 1}
	if err := tb.Create(ctx, &made); err != nil || made.Version != math.MaxInt64 {
		t.Errorf("Create reaching the highest version: version %d, %v", made.Version, err)
	}
	up, err := tb.Update(ctx, key("p", "expired"), []table.Change{table.Set("count", 2)}, nil)
	if err != nil || up.Version != 1 {
		t.Errorf("Update of an expired item at the highest version: version %d, %v; want a fresh item at version 1", up.Version, err)
	}
	if err := tb.Delete(ctx, key("p", "top"), nil); err != nil {
		t.Fatal(err)
	}
	fresh := Item{PK: "p", SK: "top"}
	if err := tb.Put(ctx, &fresh, nil); err != nil || fresh.Version != 1 {
		t.Errorf("Put of version 0 after deleting the highest version: version %d, %v", fresh.Version, err)
	}
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
	n := s.tg.Writers
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
	n := s.tg.Writers
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
