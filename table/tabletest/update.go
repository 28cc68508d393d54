package tabletest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/servous/servous/table"
)

func (s *suite) testUpdate(t *testing.T) {
	ctx := t.Context()
	t.Run("changes", func(t *testing.T) {
		tb := s.newTable(t, Versioned)
		mustPut(t, tb, Item{PK: "p", SK: "s", Count: 1, Note: "keep", Data: []byte("drop")})
		got, err := tb.Update(ctx, key("p", "s"), []table.Change{
			table.Add("count", 41), table.Set("done", true), table.Remove("data"), table.Set("tags", stringSet{"t"}),
		}, nil)
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
		want := Item{PK: "p", SK: "s", Count: 42, Note: "keep", Done: true, Tags: []string{"t"}, Version: 2}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Update result (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(want, mustGet(t, tb, key("p", "s"))); diff != "" {
			t.Errorf("stored after Update (-want +got):\n%s", diff)
		}
		got, err = tb.Update(ctx, key("p", "s"), []table.Change{table.Add("n", 1.5)}, nil)
		if err != nil || got.N == nil || *got.N != 1.5 || got.Version != 3 {
			t.Fatalf("Update adding to a missing number: n %v version %d, %v; want 1.5 version 3", got.N, got.Version, err)
		}
		got, err = tb.Update(ctx, key("p", "s"), []table.Change{table.Add("n", -2.75)}, nil)
		if err != nil || got.N == nil || *got.N != -1.25 || got.Version != 4 {
			t.Errorf("Update adding fractions: n %v version %d, %v; want -1.25 version 4", got.N, got.Version, err)
		}
	})
	t.Run("creates", func(t *testing.T) {
		tb := s.newTable(t, Versioned)
		got, err := tb.Update(ctx, key("p", "new"), []table.Change{table.Add("count", 1), table.Set("note", "made")}, nil)
		if err != nil {
			t.Fatalf("Update of a missing item: %v", err)
		}
		want := Item{PK: "p", SK: "new", Count: 1, Note: "made", Version: 1}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Update of a missing item (-want +got):\n%s", diff)
		}
		stale := got
		if _, err := tb.Update(ctx, key("p", "new"), []table.Change{table.Add("count", 1)}, nil); err != nil {
			t.Fatal(err)
		}
		wantErr(t, "Put after an Update moved the version", tb.Put(ctx, &stale, nil), table.ErrVersionConflict)
	})
	t.Run("conditional", func(t *testing.T) {
		tb := s.newTable(t, Plain)
		mustPut(t, tb, Item{PK: "p", SK: "s", Count: 5})
		_, err := tb.Update(ctx, key("p", "s"), []table.Change{table.Add("count", 1)},
			&table.UpdateOptions{If: table.LessThan("count", 5)})
		wantErr(t, "Update with a failing condition", err, table.ErrConditionFailed)
		got, err := tb.Update(ctx, key("p", "s"), []table.Change{table.Add("count", 1)},
			&table.UpdateOptions{If: table.LessThan("count", 6)})
		if err != nil || got.Count != 6 {
			t.Errorf("Update with a holding condition: count %d, %v", got.Count, err)
		}
		_, err = tb.Update(ctx, key("p", "absent"), []table.Change{table.Set("note", "x")},
			&table.UpdateOptions{If: table.Exists("pk")})
		wantErr(t, "Update of a missing item if it exists", err, table.ErrConditionFailed)
		wantAbsent(t, tb, key("p", "absent"))
	})
	t.Run("invalid", func(t *testing.T) {
		tb := s.newTable(t, Versioned)
		mustPut(t, tb, Item{PK: "p", SK: "s", Note: "text"})
		for _, tc := range []struct {
			name    string
			changes []table.Change
			want    error
		}{
			{"key attribute", []table.Change{table.Set("sk", "other")}, table.ErrInvalidKey},
			{"version attribute", []table.Change{table.Set("version", 9)}, table.ErrInvalidArgument},
			{"add to a string", []table.Change{table.Add("note", 1)}, table.ErrInvalidArgument},
			{"add a string", []table.Change{table.Add("count", "1")}, table.ErrInvalidArgument},
			{"twice", []table.Change{table.Set("note", "a"), table.Remove("note")}, table.ErrInvalidArgument},
			{"no name", []table.Change{table.Set("", 1)}, table.ErrInvalidArgument},
			{"document path", []table.Change{table.Set("a.b", 1)}, table.ErrInvalidArgument},
		} {
			_, err := tb.Update(ctx, key("p", "s"), tc.changes, nil)
			wantErr(t, "Update changing "+tc.name, err, tc.want)
		}
		if got := mustGet(t, tb, key("p", "s")); got.Note != "text" || got.Version != 1 {
			t.Errorf("invalid Updates changed the item: %+v", got)
		}
	})
}
