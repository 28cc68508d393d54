package memtable_test

import (
	"testing"

	"github.com/servous/servous/table"
	"github.com/servous/servous/table/memtable"
	"github.com/servous/servous/table/tabletest"
)

func TestConformance(t *testing.T) {
	tabletest.RunTableTests(t, func(t *testing.T) tabletest.Target {
		return tabletest.Target{
			NewTable: func(t *testing.T, s table.Schema) table.Table[tabletest.Item] {
				tb, err := memtable.New[tabletest.Item](t.Name(), &memtable.Options{Schema: &s})
				if err != nil {
					t.Fatal(err)
				}
				return tb
			},
		}
	})
}
