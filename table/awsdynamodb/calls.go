package awsdynamodb

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/servous/servous/table"
	"github.com/servous/servous/table/internal/item"
)

// Metering. With Options.OnCall set, every request asks DynamoDB for the capacity it
// consumed (ReturnConsumedCapacity TOTAL) and is reported with it. A write refused by its
// condition comes back as a ConditionalCheckFailedException, which carries no
// ConsumedCapacity although DynamoDB bills it: "The amount of consumed write capacity units
// depends on the size of the item. This item can be an existing item in the table or a new
// one you're attempting to create or update. For example, say that an existing item is 300
// KB. The new item you're trying to create or update is 310 KB. The write capacity units
// consumed will be 310 KB for the new item." (Amazon DynamoDB Developer Guide, "DynamoDB
// read and write operations", Capacity unit consumption for write operations). So
// conditional writes also ask for the stored item back on failure
// (ReturnValuesOnConditionCheckFailure ALL_OLD), and the write is reported with a unit per
// 1 KB of the larger of the stored item and the item the write would have made: the item a
// PutItem sends, the stored item as an UpdateItem would have changed it. A DynamoDB that
// ignores ALL_OLD (dynalite does) leaves only the latter, made from no stored item.
//
// Requests that DynamoDB refuses otherwise (a throttle, a ValidationException) or that get
// no answer are not reported: the first cost nothing, and of the last nothing is known.

// metered reports whether requests ask for their consumed capacity.
func (t *Table[T]) metered() bool { return t.onCall != nil }

// capacity is the ReturnConsumedCapacity of every request.
func (t *Table[T]) capacity() types.ReturnConsumedCapacity {
	if !t.metered() {
		return ""
	}
	return types.ReturnConsumedCapacityTotal
}

// onConditionFailure is the ReturnValuesOnConditionCheckFailure of conditional writes.
func (t *Table[T]) onConditionFailure() types.ReturnValuesOnConditionCheckFailure {
	if !t.metered() {
		return ""
	}
	return types.ReturnValuesOnConditionCheckFailureAllOld
}

// units sums the capacity units of a response's ConsumedCapacity entries.
func units(ccs ...*types.ConsumedCapacity) float64 {
	u := 0.0
	for _, cc := range ccs {
		if cc != nil && cc.CapacityUnits != nil {
			u += *cc.CapacityUnits
		}
	}
	return u
}

// batchUnits sums the per-table entries of a batch response's ConsumedCapacity.
func batchUnits(ccs []types.ConsumedCapacity) float64 {
	u := 0.0
	for i := range ccs {
		u += units(&ccs[i])
	}
	return u
}

// reportRead reports a read request DynamoDB answered.
func (t *Table[T]) reportRead(ctx context.Context, op string, u float64) {
	if t.metered() {
		t.onCall(ctx, table.Call{Table: t.name, Op: op, ReadUnits: u})
	}
}

// reportWrite reports a write request: answered (err nil) with the capacity it consumed, or
// refused by its condition, billed for the larger of the stored item the exception carries
// and the item the write would have made of it (would; nil for a delete). Other failures are
// not reported.
func (t *Table[T]) reportWrite(ctx context.Context, op string, cc *types.ConsumedCapacity, err error, would func(stored item.Item) int) {
	if !t.metered() {
		return
	}
	if err == nil {
		t.onCall(ctx, table.Call{Table: t.name, Op: op, WriteUnits: units(cc)})
		return
	}
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		size := item.Size(ccf.Item)
		if would != nil {
			size = max(size, would(ccf.Item))
		}
		t.onCall(ctx, table.Call{Table: t.name, Op: op, WriteUnits: item.WriteUnits(size), Failed: true})
	}
}

// consumed returns the ConsumedCapacity of a write's output, nil for no output.
func consumed[O interface {
	*dynamodb.PutItemOutput | *dynamodb.DeleteItemOutput | *dynamodb.UpdateItemOutput
}](out O) *types.ConsumedCapacity {
	switch o := any(out).(type) {
	case *dynamodb.PutItemOutput:
		if o != nil {
			return o.ConsumedCapacity
		}
	case *dynamodb.DeleteItemOutput:
		if o != nil {
			return o.ConsumedCapacity
		}
	case *dynamodb.UpdateItemOutput:
		if o != nil {
			return o.ConsumedCapacity
		}
	}
	return nil
}
