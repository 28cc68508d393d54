package tabletest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/servous/servous/table"
	"github.com/servous/servous/table/memtable"
)

// reversed answers queries in the wrong order once a page holds two items.
type reversed struct{ table.Table[Item] }

func (r reversed) Query(ctx context.Context, p table.Value, o *table.QueryOptions) (table.Page[Item], error) {
	page, err := r.Table.Query(ctx, p, o)
	if len(page.Items) >= 2 {
		page.Items[0], page.Items[1] = page.Items[1], page.Items[0]
	}
	return page, err
}

func memPair(t *testing.T, s table.Schema, now func() time.Time) DiffPair {
	var tbs [2]table.Table[Item]
	var recs [2]CallRecorder
	for i := range tbs {
		tb, err := memtable.New[Item]("diff", &memtable.Options{Schema: &s, Now: now, OnCall: recs[i].Record})
		if err != nil {
			t.Fatal(err)
		}
		tbs[i] = tb
	}
	return DiffPair{Reference: tbs[0], Subject: tbs[1], ReferenceCalls: &recs[0], SubjectCalls: &recs[1]}
}

// TestDifferentialRunner checks that the runner agrees with itself on two memtables, replays
// a seed identically, and reports a subject that orders a query wrongly.
func TestDifferentialRunner(t *testing.T) {
	for _, s := range Schemas {
		clock := &Clock{now: time.Unix(1_800_000_000, 0)}
		r := newRun(t, 1, s, clock, memPair(t, s, clock.Now))
		if err := r.run(t.Context(), 300); err != nil {
			t.Errorf("two memtables of schema %s diverge: %v", schemaName(s.WithDefaults()), err)
		}
	}

	var msgs []string
	for range 2 {
		clock := &Clock{now: time.Unix(1_800_000_000, 0)}
		pair := memPair(t, Plain, clock.Now)
		pair.Subject = reversed{pair.Subject}
		err := newRun(t, 3, Plain, clock, pair).run(t.Context(), 2000)
		if err == nil {
			t.Fatal("a subject answering queries out of order passed")
		}
		msgs = append(msgs, err.Error())
	}
	if !strings.Contains(msgs[0], "divergence at seed 3, op ") || !strings.Contains(msgs[0], "Query(") || !strings.Contains(msgs[0], "-tabletest.seed=3") {
		t.Errorf("the divergence does not say which seed, operation and replay:\n%s", msgs[0])
	}
	if msgs[0] != msgs[1] {
		t.Errorf("a seed replayed differently:\n%s\n---\n%s", msgs[0], msgs[1])
	}
}

// TestCallCases runs the targeted metering cases on two memtables.
func TestCallCases(t *testing.T) {
	RunCallTests(t, memPair)
}
