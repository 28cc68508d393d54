package table

// A Call is one request a table adapter made to DynamoDB, with the capacity it consumed as
// DynamoDB's on-demand mode counts it ("DynamoDB read and write operations", Amazon DynamoDB
// Developer Guide). Adapters report their calls to a function in their options (OnCall), for
// metering what a run would cost (see the cost package); the in-memory adapter reports the
// calls, and the units, its AWS twin's requests consume for the same operation.
//
// One operation may make several calls: a batch makes one per request of 100 keys or 25
// writes (and per resend of unprocessed work), a query page one per request the adapter
// sends to fill it, and a write the adapter must look into (a refused versioned update, a
// write whose answer was lost) the reads that follow it. Requests that DynamoDB refused
// otherwise than by a condition (throttled, invalid) cost nothing and are not reported,
// nor are those whose answer never arrived.
type Call struct {
	// Table is the table's name.
	Table string
	// Op is DynamoDB's API action: "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query",
	// "BatchGetItem" or "BatchWriteItem".
	Op string
	// ReadUnits and WriteUnits are the read and write request units the request consumed: a
	// write unit per 1 KB of the larger of the item's sizes before and after, a read unit per
	// 4 KB read strongly consistently and half that eventually consistently, summed over the
	// items of a batch and over the page of a query, as DynamoDB's ConsumedCapacity reports
	// them. Sizes are rounded up per item, and per request for a query (whose items
	// filtered out after reading count too); an item that does not exist, and a query that
	// reads nothing, still cost the smallest unit.
	ReadUnits, WriteUnits float64
	// Failed reports a request refused by a condition. DynamoDB still bills the write: a unit
	// per 1 KB of the larger of the stored item and the item the write would have made, at
	// least one.
	Failed bool
}
