package item

// Request units as DynamoDB's on-demand mode bills them, from "Read/write capacity unit
// consumption" in the Amazon DynamoDB Developer Guide
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html):
// reads count 4 KB units of the item sizes read, rounded up, half a unit each when eventually
// consistent; writes count 1 KB units, rounded up; a request that reads or writes nothing, or
// an item that does not exist, still costs the smallest unit.

// readUnitBytes and writeUnitBytes are the bytes one read and one write unit cover.
const (
	readUnitBytes  = 4 << 10
	writeUnitBytes = 1 << 10
)

// ReadUnits returns the read units of reading size bytes in one read (an item of GetItem or
// of a batch, or a query page's summed items): one per 4 KB or part of it, at least one, and
// half that unless consistent.
func ReadUnits(size int, consistent bool) float64 {
	u := float64(max(1, (size+readUnitBytes-1)/readUnitBytes))
	if !consistent {
		u /= 2
	}
	return u
}

// WriteUnits returns the write units of writing an item of size bytes: one per 1 KB or part
// of it, at least one. PutItem and UpdateItem pass the larger of the item's sizes before and
// after the write, DeleteItem the deleted item's size (zero when none is stored). A write
// refused by its condition is billed the same way, for the larger of the stored item and
// the item the write would have made: "The amount of consumed write capacity units depends
// on the size of the item. This item can be an existing item in the table or a new one
// you're attempting to create or update." (read-write-operations.html, "Capacity unit
// consumption for write operations").
func WriteUnits(size int) float64 {
	return float64(max(1, (size+writeUnitBytes-1)/writeUnitBytes))
}
