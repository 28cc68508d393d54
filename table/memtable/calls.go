package memtable

import (
	"context"

	"github.com/servous/servous/table"
	"github.com/servous/servous/table/internal/item"
)

// Metering. With Options.OnCall set, every operation reports the DynamoDB requests the
// awsdynamodb adapter makes for it, with the request units DynamoDB bills for them, computed
// from the stored items: sizes as DynamoDB counts them (item.Size), an expired item still
// counting as stored, as it does in DynamoDB until its time-to-live process removes it.
// Calls are reported after the table's lock is released, so OnCall may use the table.

// sizeOf returns the size of the entry's item, expired or not, and 0 for no entry.
func sizeOf(e *entry) int {
	if e == nil {
		return 0
	}
	return e.size
}

func (t *Table[T]) readCall(op string, units float64) table.Call {
	return table.Call{Table: t.name, Op: op, ReadUnits: units}
}

// writeCall is a write of units; failed says its condition refused it.
func (t *Table[T]) writeCall(op string, units float64, failed bool) table.Call {
	return table.Call{Table: t.name, Op: op, WriteUnits: units, Failed: failed}
}

// report passes the calls that were made (Op set) to OnCall.
func (t *Table[T]) report(ctx context.Context, calls []table.Call) {
	if t.onCall == nil {
		return
	}
	for _, c := range calls {
		if c.Op != "" {
			t.onCall(ctx, c)
		}
	}
}

// queryMeter counts the Query requests awsdynamodb sends for one page, and the units of
// each. The adapter filters expired items out with a filter expression, which DynamoDB
// applies after reading (and billing) the items and after Limit; so when Limit is set and
// expired items were read, it sends further requests, each with the Limit still wanting,
// until the page is full, a request ends at 1 MB, or the partition is exhausted. It also
// reads, and drops, the item keyed exactly at the end of a binary prefix's range.
type queryMeter struct {
	limit      int
	consistent bool
	// units are the units of the requests done; budget, scanned and bytes describe the
	// request under way: its Limit (the page's Limit less the items kept so far), the
	// items it read, and their bytes.
	units           []float64
	budget, scanned int
	bytes           int
	kept            int
}

func newQueryMeter(limit int, consistent bool) *queryMeter {
	return &queryMeter{limit: limit, consistent: consistent, budget: limit}
}

// read counts an item DynamoDB reads for the page, kept (not filtered out) or not.
func (m *queryMeter) read(size int, kept bool) {
	if m == nil {
		return
	}
	if m.limit > 0 && m.scanned == m.budget {
		// The request ended at its Limit short of a full page: the adapter asks again.
		m.flush()
		m.budget = m.limit - m.kept
	}
	m.scanned++
	m.bytes += size
	if kept {
		m.kept++
	}
}

func (m *queryMeter) flush() {
	m.units = append(m.units, item.ReadUnits(m.bytes, m.consistent))
	m.scanned, m.bytes = 0, 0
}

// exhausted ends the page at the end of the partition's matching items. A request that
// ended at its Limit came back with a LastEvaluatedKey, so unless the page is full the
// adapter asks once more, and reads nothing.
func (m *queryMeter) exhausted() {
	if m == nil {
		return
	}
	if m.limit > 0 && m.scanned == m.budget && m.kept < m.limit {
		m.flush()
	}
	m.flush()
}

// cut ends the page at a full page or at 1 MB.
func (m *queryMeter) cut() {
	if m != nil {
		m.flush()
	}
}
