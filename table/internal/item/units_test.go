package item

import "testing"

// TestUnitsWorkedExamples pins the worked examples of the Amazon DynamoDB Developer Guide,
// "DynamoDB read and write operations" (read-write-operations.html, "Capacity unit
// consumption for read operations" and "… for write operations"; earlier editions: "Managing
// throughput settings on provisioned tables", ProvisionedThroughput.html).
func TestUnitsWorkedExamples(t *testing.T) {
	const kb = 1024
	sum := func(us ...float64) float64 {
		s := 0.0
		for _, u := range us {
			s += u
		}
		return s
	}
	for _, c := range []struct {
		example   string
		got, want float64
	}{
		// "reading a 3,500-byte item consumes the same throughput as reading a 4 KB item."
		{"read of 3,500 bytes, strongly consistent", ReadUnits(3500, true), 1},
		{"read of 3,500 bytes, eventually consistent", ReadUnits(3500, false), 0.5},
		// "if your item size is 8 KB, you require 2 read units to sustain one strongly
		// consistent read … 1 read unit if you choose eventually consistent reads"
		{"read of 8 KB, strongly consistent", ReadUnits(8*kb, true), 2},
		{"read of 8 KB, eventually consistent", ReadUnits(8*kb, false), 1},
		// GetItem: "If you read an item of 10 KB, DynamoDB rounds the item size to 12 KB."
		{"GetItem of 10 KB, strongly consistent", ReadUnits(10*kb, true), 3},
		{"GetItem of 10 KB, eventually consistent", ReadUnits(10*kb, false), 1.5},
		// BatchGetItem: "if BatchGetItem reads a 1.5 KB item and a 6.5 KB item, DynamoDB
		// calculates the size as 12 KB (4 KB + 8 KB), not 8 KB (1.5 KB + 6.5 KB)."
		{"BatchGetItem of 1.5 KB and 6.5 KB", sum(ReadUnits(3*kb/2, true), ReadUnits(13*kb/2, true)), 3},
		// Query: "suppose your query returns 10 items whose combined size is 40.8 KB.
		// DynamoDB rounds the item size for the operation to 44 KB."
		{"Query of 10 items, 40.8 KB in all", ReadUnits(40*kb+kb*8/10, true), 11},
		// "If you perform a read operation on an item that does not exist, DynamoDB still
		// consumes provisioned read throughput: A strongly consistent read request consumes
		// one read capacity unit, while an eventually consistent read request consumes 0.5 of
		// a read capacity unit."
		{"GetItem of a missing item, eventually consistent", ReadUnits(0, false), 0.5},
		// "writing a 500-byte item consumes the same throughput as writing a 1 KB item."
		{"write of 500 bytes", WriteUnits(500), 1},
		// BatchWriteItem: "if BatchWriteItem writes a 500 byte item and a 3.5 KB item,
		// DynamoDB calculates the size as 5 KB (1 KB + 4 KB), not 4 KB (500 bytes + 3.5 KB)."
		{"BatchWriteItem of 500 bytes and 3.5 KB", sum(WriteUnits(500), WriteUnits(7*kb/2)), 5},
		// Conditional writes: "say that an existing item is 300 KB. The new item you're
		// trying to create or update is 310 KB. The write capacity units consumed will be
		// 310 KB for the new item."
		{"refused conditional write of 310 KB over 300 KB", WriteUnits(max(300*kb, 310*kb)), 310},
		// PutItem, UpdateItem and DeleteItem: "if you put or delete an item of 1.6 KB,
		// DynamoDB rounds the item size up to 2 KB."
		{"write of 1.6 KB", WriteUnits(kb * 16 / 10), 2},
		// "For an eventually consistent read, if the total item size is 80 KB, the operation
		// consumes only 10 capacity units."
		{"eventually consistent read of 80 KB", ReadUnits(80*kb, false), 10},
		// The boundaries.
		{"write of 1 KB", WriteUnits(kb), 1},
		{"write of 1 KB + 1 byte", WriteUnits(kb + 1), 2},
		{"read of 4 KB + 1 byte, strongly consistent", ReadUnits(4*kb+1, true), 2},
	} {
		if c.got != c.want {
			t.Errorf("%s: %v units, want %v", c.example, c.got, c.want)
		}
	}
}
