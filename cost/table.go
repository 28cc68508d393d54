package cost

import (
	"context"

	"github.com/servous/servous/table"
)

// TableCall meters one request a table adapter made to DynamoDB: plug it into the adapter's
// OnCall option. The adapters compute the request units each request consumes, as
// DynamoDB's ConsumedCapacity reports them; the meter sums them as on-demand read and write
// request units ([UnitReadUnits], [UnitWriteUnits]), a write refused by its condition
// included, since DynamoDB bills it (https://aws.amazon.com/dynamodb/pricing/on-demand/).
//
// Table storage (per GB-month) is not metered: a call does not carry the size of the table.
func (m *Meter) TableCall(ctx context.Context, c table.Call) {
	if c.ReadUnits != 0 {
		m.Add(Key{ServiceDynamoDB, c.Table, UnitReadUnits}, c.ReadUnits)
	}
	if c.WriteUnits != 0 {
		m.Add(Key{ServiceDynamoDB, c.Table, UnitWriteUnits}, c.WriteUnits)
	}
}
