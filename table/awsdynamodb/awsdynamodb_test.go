package awsdynamodb_test

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/servous/servous/table"
	"github.com/servous/servous/table/awsdynamodb"
	"github.com/servous/servous/table/tabletest"
)

var tableSeq atomic.Int64

// TestConformance runs the suite against dynalite. dynalite implements neither time to live
// nor its API (UpdateTimeToLive), so expired items stay stored there: the adapter's own
// filtering is what the expiry tests exercise, as it is before DynamoDB's sweep in AWS.
func TestConformance(t *testing.T) {
	d := dynalite
	tabletest.RunTableTests(t, func(t *testing.T) tabletest.Target {
		return tabletest.Target{
			Writers: 8,
			NewTable: func(t *testing.T, s table.Schema) table.Table[tabletest.Item] {
				name := fmt.Sprintf("t%d-%s", tableSeq.Add(1), strings.NewReplacer("/", "-", "=", "-", "\"", "", " ", "-").Replace(t.Name()))
				if len(name) > 255 {
					name = name[:255]
				}
				name = strings.Map(func(r rune) rune {
					if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
						return r
					}
					return '_'
				}, name)
				if err := d.CreateTable(t.Context(), name, s); err != nil {
					t.Fatal(err)
				}
				tb, err := awsdynamodb.New[tabletest.Item](d.Client, name, &awsdynamodb.Options{Schema: &s})
				if err != nil {
					t.Fatal(err)
				}
				return tb
			},
		}
	})
}
