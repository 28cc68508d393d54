package tabletest

import (
	"context"
	"fmt"
	"reflect"
	"sync"

	"github.com/google/go-cmp/cmp"
	"github.com/servous/servous/table"
)

// CallRecorder records the calls a table reports; pass its Record method as the table's
// OnCall option. Its zero value is ready to use, and it is safe for concurrent use.
type CallRecorder struct {
	mu    sync.Mutex
	calls []table.Call
}

// Record records c.
func (r *CallRecorder) Record(_ context.Context, c table.Call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, c)
}

// Take returns the calls recorded since the last Take, in the order they were made.
func (r *CallRecorder) Take() []table.Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.calls
	r.calls = nil
	return c
}

// billed is what a differential run compares of a call: the table's name differs between
// the two tables.
type billed struct {
	Op                    string
	ReadUnits, WriteUnits float64
	Failed                bool
}

func (b billed) String() string {
	s := fmt.Sprintf("%s r=%v w=%v", b.Op, b.ReadUnits, b.WriteUnits)
	if b.Failed {
		s += " failed"
	}
	return s
}

func billedOf(calls []table.Call) []billed {
	out := make([]billed, len(calls))
	for i, c := range calls {
		out[i] = billed{c.Op, c.ReadUnits, c.WriteUnits, c.Failed}
	}
	return out
}

// Where dynalite bills otherwise than DynamoDB: the runner and RunCallTests skip these cases
// against dynalite, and only these.
const (
	// DynamoDB bills a refused conditional write for the larger of the stored item and the
	// item the write would have made, and returns the stored item with
	// ReturnValuesOnConditionCheckFailure ALL_OLD; dynalite ignores ALL_OLD, so the adapter
	// bills the item the write would have made of no stored item.
	departFailedWrite = "dynalite returns no stored item with a refused conditional write (ALL_OLD), so the adapter bills less"
	// DynamoDB bills a Query that reads nothing the minimum ("For Query/Scan operations,
	// you'll still be charged additional read throughput ... even if no data exists");
	// dynalite reports 0.
	departEmptyQuery = "dynalite bills nothing for a Query that reads no item, DynamoDB the minimum"
	// dynalite ends a BatchGetItem's response at about 1.4 MB of items (DynamoDB at 16 MB)
	// and bills a unit for each key it leaves unprocessed.
	departBatchGet = "dynalite leaves keys of a BatchGetItem unprocessed past about 1.4 MB and bills them"
	// DynamoDB sizes strings in UTF-8 bytes, dynalite in UTF-16 code units, fewer for
	// characters past U+007F: an item or a page just past a unit's boundary by DynamoDB's
	// count can be a unit (or half, for an eventually consistent read) cheaper on dynalite.
	departUTF16 = "dynalite sizes strings in UTF-16 code units, DynamoDB in UTF-8 bytes"
)

// unitStep reports whether sub is less than ref by the smallest step of their units' rounding
// per item: half a unit or one.
func unitStep(ref, sub float64) bool {
	return sub < ref && (ref-sub == 0.5 || ref-sub == 1)
}

// diffCalls compares the calls of the reference and the subject for one operation. It
// returns "" when they agree, or a departure of dynalite that explains every difference
// (when onDynalite), or the difference.
func diffCalls(ref, sub []table.Call, onDynalite bool) (diff, departure string) {
	a, b := billedOf(ref), billedOf(sub)
	if reflect.DeepEqual(a, b) {
		return "", ""
	}
	d := cmp.Diff(a, b)
	if !onDynalite {
		return d, ""
	}
	if len(a) != len(b) {
		batchGets := func(bs []billed) int {
			n := 0
			for _, c := range bs {
				if c.Op == "BatchGetItem" {
					n++
				}
			}
			return n
		}
		if nb := batchGets(b); nb > 0 && nb > batchGets(a) {
			return "", departBatchGet
		}
		return d, ""
	}
	for i := range a {
		x, y := a[i], b[i]
		switch {
		case x == y:
		case x.Op == y.Op && x.Failed && y.Failed && x.ReadUnits == y.ReadUnits && y.WriteUnits < x.WriteUnits:
			departure = departFailedWrite
		case x.Op == "Query" && y.Op == "Query" && y.ReadUnits == 0 && (x.ReadUnits == 0.5 || x.ReadUnits == 1) && !x.Failed && !y.Failed:
			departure = departEmptyQuery
		case x.Op == y.Op && x.Failed == y.Failed && ((x.ReadUnits == y.ReadUnits && unitStep(x.WriteUnits, y.WriteUnits)) ||
			(x.WriteUnits == y.WriteUnits && (unitStep(x.ReadUnits, y.ReadUnits) || (x.Op == "BatchGetItem" && y.ReadUnits < x.ReadUnits)))):
			departure = departUTF16
		default:
			return d, ""
		}
	}
	return "", departure
}
