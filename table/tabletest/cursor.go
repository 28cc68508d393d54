package tabletest

import (
	"math"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/servous/servous/table"
)

// testQueryLimits checks that any positive Limit works, however large.
func (s *suite) testQueryLimits(t *testing.T) {
	tb := s.newTable(t, Plain)
	items := []Item{{PK: "p", SK: "a"}, {PK: "p", SK: "b"}, {PK: "p", SK: "c"}}
	if err := tb.BatchWrite(t.Context(), items, nil); err != nil {
		t.Fatal(err)
	}
	limits := []int{math.MaxInt32, math.MaxInt}
	if strconv.IntSize == 64 {
		big := int64(1) << 31
		limits = append(limits, int(big), int(big<<1+2))
	}
	for _, limit := range limits {
		p, err := tb.Query(t.Context(), table.String("p"), &table.QueryOptions{Limit: limit})
		if err != nil {
			t.Errorf("Query with limit %d: %v", limit, err)
			continue
		}
		var got []string
		for _, it := range p.Items {
			got = append(got, it.SK)
		}
		if diff := cmp.Diff([]string{"a", "b", "c"}, got); diff != "" || p.Cursor != "" {
			t.Errorf("Query with limit %d: cursor %q (-want +got):\n%s", limit, p.Cursor, diff)
		}
	}
}
