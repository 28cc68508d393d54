package tabletest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/servous/servous/table"
)

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
