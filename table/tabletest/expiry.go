package tabletest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/servous/servous/table"
)

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
