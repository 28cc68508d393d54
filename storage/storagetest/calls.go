package storagetest

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/servous/servous/storage"
)

// Calls records the calls a bucket adapter reports: give Record as the adapter's OnCall.
type Calls struct {
	mu    sync.Mutex
	calls []storage.Call
}

// Record records c. It is safe for concurrent use.
func (r *Calls) Record(_ context.Context, c storage.Call) {
	r.mu.Lock()
	r.calls = append(r.calls, c)
	r.mu.Unlock()
}

// Take returns the calls recorded since the last Take, in the order they were recorded.
func (r *Calls) Take() []storage.Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.calls
	r.calls = nil
	return c
}

// CallOut is what two adapters must agree on in a call: everything but the bucket's name.
type CallOut struct {
	Op, Key     string
	Size, Bytes int64
	Signed      bool
	Failed      bool
}

// CallsOut returns calls without their buckets' names, with the requests that a multipart upload
// sends concurrently (consecutive UploadPart or UploadPartCopy calls) in a canonical order, so
// that two adapters' calls for the same operations compare equal when they agree.
func CallsOut(calls []storage.Call) []CallOut {
	out := make([]CallOut, len(calls))
	for i, c := range calls {
		out[i] = CallOut{Op: c.Op, Key: c.Key, Size: c.Size, Bytes: c.Bytes, Signed: c.Signed, Failed: c.Failed}
	}
	for i := 0; i < len(out); {
		j := i + 1
		if concurrent(out[i].Op) {
			for j < len(out) && out[j].Op == out[i].Op {
				j++
			}
			slices.SortStableFunc(out[i:j], func(a, b CallOut) int {
				if a.Failed != b.Failed {
					if a.Failed {
						return 1
					}
					return -1
				}
				return strings.Compare(a.Key, b.Key)
			})
		}
		i = j
	}
	return out
}

// concurrent reports whether requests of op are sent concurrently by the adapters.
func concurrent(op string) bool { return op == "UploadPart" || op == "UploadPartCopy" }
