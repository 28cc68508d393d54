package cost_test

import (
	"testing"

	"github.com/servous/servous/cost"
	"github.com/servous/servous/table"
)

func tableCall(name string, read, write float64) table.Call {
	return table.Call{Table: name, Op: "UpdateItem", ReadUnits: read, WriteUnits: write}
}

// DynamoDB on-demand (https://aws.amazon.com/dynamodb/pricing/on-demand/, us-east-1, after
// the November 2024 price cut): $0.625 per million write request units, $0.125 per million
// read request units. Its key terms: a write request unit writes an item up to 1 KB, so a
// write of a 3 KB item takes three; a read request unit reads an item up to 4 KB strongly
// consistently, or two eventually consistently, so an eventually consistent read of an 8 KB
// item takes one. A write refused by its condition is billed too.
func TestTableOnDemandUnits(t *testing.T) {
	m := cost.NewMeter(nil)
	ctx := t.Context()
	m.TableCall(ctx, table.Call{Table: "videos", Op: "PutItem", WriteUnits: 3})
	m.TableCall(ctx, table.Call{Table: "videos", Op: "GetItem", ReadUnits: 1})
	m.TableCall(ctx, table.Call{Table: "videos", Op: "PutItem", WriteUnits: 1, Failed: true})
	m.TableCall(ctx, table.Call{Table: "users", Op: "Query", ReadUnits: 0.5})
	u := m.Usage()
	near(t, "videos WRU", u.Get("dynamodb", "videos", cost.UnitWriteUnits), 4)
	near(t, "videos RRU", u.Get("dynamodb", "videos", cost.UnitReadUnits), 1)
	near(t, "users RRU", u.Get("dynamodb", "users", cost.UnitReadUnits), 0.5)

	// A million 3 KB writes and a million eventually consistent 8 KB reads.
	m = cost.NewMeter(nil)
	m.TableCall(ctx, table.Call{Table: "videos", Op: "PutItem", WriteUnits: 3})
	m.TableCall(ctx, table.Call{Table: "videos", Op: "GetItem", ReadUnits: 1})
	r := m.Report(cost.USEast1()).PerRuns(1_000_000)
	near(t, "cost", r.Total, 3*0.625+0.125)
}
