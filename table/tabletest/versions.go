package tabletest

import (
	"errors"
	"math"
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
