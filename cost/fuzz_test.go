package cost_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/servous/servous/cost"
)

// ReadUsage reads whatever a function's log holds without panicking, and a record it writes
// back reads as the same usage.
func FuzzReadUsage(f *testing.F) {
	f.Add(`{"message":"metered usage","usage":[{"service":"s3","resource":"b","unit":"requests-tier1","quantity":2}]}`)
	f.Add(`2026-12-02T18:00:00Z {"msg":"metered usage","usage":[]}`)
	f.Add(`START RequestId: 1` + "\n" + `{"message":"metered usage","usage":{"x":1}}`)
	f.Add(`{"message":"metered usage","usage":null}`)
	f.Fuzz(func(t *testing.T, log string) {
		u, err := cost.ReadUsage(strings.NewReader(log))
		if err != nil {
			return
		}
		data, err := json.Marshal(u)
		if err != nil {
			t.Skip("quantities JSON cannot hold") // NaN or infinity summed from huge numbers
		}
		line := `{"message":"metered usage","usage":` + string(data) + "}\n"
		back, err := cost.ReadUsage(bytes.NewReader([]byte(line)))
		if err != nil {
			t.Fatalf("re-reading %s: %v", line, err)
		}
		if len(back) != len(u) {
			t.Fatalf("re-read %v from %v", back, u)
		}
	})
}
