package tabletest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/servous/servous/table"
)

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
