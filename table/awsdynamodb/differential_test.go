package awsdynamodb_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/servous/servous/table"
	"github.com/servous/servous/table/awsdynamodb"
	"github.com/servous/servous/table/memtable"
	"github.com/servous/servous/table/tabletest"
)

// TestDifferential compares the adapter on dynalite with memtable, operation by operation:
// answers, and the requests each reports with the units they were billed.
// Replay one seed with -tabletest.seed=N; run longer with -tabletest.seeds and
// -tabletest.ops.
func TestDifferential(t *testing.T) {
	tabletest.RunDifferentialTests(t, func(t *testing.T, s table.Schema, now func() time.Time) tabletest.DiffPair {
		var refCalls, subCalls tabletest.CallRecorder
		ref, err := memtable.New[tabletest.Item](t.Name(), &memtable.Options{Schema: &s, Now: now, OnCall: refCalls.Record})
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("diff%d", tableSeq.Add(1))
		if err := dynalite.CreateTable(t.Context(), name, s); err != nil {
			t.Fatal(err)
		}
		sub, err := awsdynamodb.New[tabletest.Item](dynalite.Client, name, &awsdynamodb.Options{Schema: &s, Now: now, OnCall: subCalls.Record})
		if err != nil {
			t.Fatal(err)
		}
		return tabletest.DiffPair{Reference: ref, Subject: sub, OnDynalite: true, ReferenceCalls: &refCalls, SubjectCalls: &subCalls}
	}, nil)
}

// TestCalls runs the targeted metering cases on memtable and the adapter on dynalite.
func TestCalls(t *testing.T) {
	tabletest.RunCallTests(t, func(t *testing.T, s table.Schema, now func() time.Time) tabletest.DiffPair {
		var refCalls, subCalls tabletest.CallRecorder
		ref, err := memtable.New[tabletest.Item](t.Name(), &memtable.Options{Schema: &s, Now: now, OnCall: refCalls.Record})
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("calls%d", tableSeq.Add(1))
		if err := dynalite.CreateTable(t.Context(), name, s); err != nil {
			t.Fatal(err)
		}
		sub, err := awsdynamodb.New[tabletest.Item](dynalite.Client, name, &awsdynamodb.Options{Schema: &s, Now: now, OnCall: subCalls.Record})
		if err != nil {
			t.Fatal(err)
		}
		return tabletest.DiffPair{Reference: ref, Subject: sub, OnDynalite: true, ReferenceCalls: &refCalls, SubjectCalls: &subCalls}
	})
}
