package item

// DynamoDB's API actions, as table.Call names them: both adapters report their requests by
// these names, and memtable reports the requests awsdynamodb makes.
const (
	OpGet        = "GetItem"
	OpPut        = "PutItem"
	OpUpdate     = "UpdateItem"
	OpDelete     = "DeleteItem"
	OpQuery      = "Query"
	OpBatchGet   = "BatchGetItem"
	OpBatchWrite = "BatchWriteItem"
)

// DynamoDB's batch sizes: awsdynamodb sends at most 100 keys per BatchGetItem and 25 writes
// per BatchWriteItem, and memtable reports the requests those batches make.
const (
	BatchGetSize   = 100
	BatchWriteSize = 25
)
