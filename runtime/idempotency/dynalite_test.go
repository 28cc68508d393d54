package idempotency_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/servous/servous/runtime/idempotency"
	"github.com/servous/servous/table"
	"github.com/servous/servous/table/awsdynamodb"
	"github.com/servous/servous/table/tabletest"
)

// TestStoreDynalite runs the store's behaviours over the DynamoDB adapter against dynalite,
// the DynamoDB API served locally: the conditional writes that make one caller the owner of
// a key are DynamoDB's own.
func TestStoreDynalite(t *testing.T) {
	d := tabletest.StartDynalite(t)
	schema, err := table.SchemaOf[idempotency.Record]()
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	testStore(t, func(t *testing.T, c *clock) table.Table[idempotency.Record] {
		name := fmt.Sprintf("idempotency-%d", n.Add(1))
		if err := d.CreateTable(t.Context(), name, schema); err != nil {
			t.Fatal(err)
		}
		var opts awsdynamodb.Options
		if c != nil {
			opts.Now = c.Now
		}
		tb, err := awsdynamodb.New[idempotency.Record](d.Client, name, &opts)
		if err != nil {
			t.Fatal(err)
		}
		return tb
	})
}
