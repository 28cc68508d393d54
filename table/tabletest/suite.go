// Package tabletest provides the conformance suite every table.Table adapter runs, a
// differential runner that compares two adapters operation by operation, and a helper that
// starts dynalite, a local server of the DynamoDB API, for tests.
//
// # Conformance
//
// RunTableTests runs every behaviour of the table.Table contract as subtests against tables
// the caller's constructor makes: reads and writes, conditions, optimistic versioning under
// contention, racing creates, updates, queries across pages in both directions, batches of
// 1,000 items, DynamoDB's item and key size limits, and expiry.
//
// # Differential runs
//
// RunDifferentialTests applies seeded random sequences of operations over the whole
// interface to two tables — memtable and the adapter under test, say — and compares every
// answer: results, errors by sentinel, order. A divergence names the seed and the operation,
// and -tabletest.seed=N replays it; -tabletest.seeds and -tabletest.ops run longer.
//
// # Dynalite
//
// StartDynalite runs dynalite (the npm package) on a free loopback port and stops it when
// the test ends. It installs dynalite with npm into the user's cache directory when absent.
// Without Node.js the test is skipped with instructions, unless SERVOUS_REQUIRE_PEERS=1,
// which makes it fail.
package tabletest

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/servous/servous/table"
)

// Item is the item type the suite stores. Its attributes serve every schema the suite uses;
// a constructor needs to know only the Schema it is given.
type Item struct {
	PK        string   `dynamodbav:"pk,omitempty"`
	SK        string   `dynamodbav:"sk,omitempty"`
	N         *float64 `dynamodbav:"n,omitempty"`
	Bin       []byte   `dynamodbav:"bin,omitempty"`
	Version   int64    `dynamodbav:"version,omitempty"`
	ExpiresAt int64    `dynamodbav:"expires_at,omitempty"`
	Count     int64    `dynamodbav:"count,omitempty"`
	Note      string   `dynamodbav:"note,omitempty"`
	Data      []byte   `dynamodbav:"data,omitempty"`
	Tags      []string `dynamodbav:"tags,omitempty,stringset"`
	Done      bool     `dynamodbav:"done,omitempty"`
}

// The schemas the suite asks constructors for.
var (
	// Versioned has string partition and sort keys, a version and an expiry attribute.
	Versioned = table.Schema{
		PartitionKey: "pk", PartitionKeyKind: table.KindString,
		SortKey: "sk", SortKeyKind: table.KindString,
		Version: "version", ExpiresAt: "expires_at",
	}
	// Plain has string partition and sort keys and an expiry attribute, no version.
	Plain = table.Schema{
		PartitionKey: "pk", PartitionKeyKind: table.KindString,
		SortKey: "sk", SortKeyKind: table.KindString,
		ExpiresAt: "expires_at",
	}
	// NumberSort has a string partition key and a number sort key.
	NumberSort = table.Schema{
		PartitionKey: "pk", PartitionKeyKind: table.KindString,
		SortKey: "n", SortKeyKind: table.KindNumber,
		ExpiresAt: "expires_at",
	}
	// BinarySort has a string partition key and a binary sort key.
	BinarySort = table.Schema{
		PartitionKey: "pk", PartitionKeyKind: table.KindString,
		SortKey: "bin", SortKeyKind: table.KindBinary,
		ExpiresAt: "expires_at",
	}
	// BinaryPartition has a binary partition key and no sort key.
	BinaryPartition = table.Schema{
		PartitionKey: "bin", PartitionKeyKind: table.KindBinary,
		ExpiresAt: "expires_at",
	}
)

// Schemas lists every schema RunTableTests passes to its constructor, for constructors that
// prepare tables in advance.
var Schemas = []table.Schema{Versioned, Plain, NumberSort, BinarySort, BinaryPartition}

// NewTable makes an empty table of Items with the schema. Each call must return a table no
// other call shares.
type NewTable func(t *testing.T, s table.Schema) table.Table[Item]

// Config tunes the suite for slower adapters without dropping any behaviour.
type Config struct {
	// Writers is the number of goroutines contending in the versioned counter and
	// racing-create tests; zero means 16.
	Writers int
}

// RunTableTests runs the conformance suite against tables from newTable. cfg may be nil.
func RunTableTests(t *testing.T, newTable NewTable, cfg *Config) {
	var c Config
	if cfg != nil {
		c = *cfg
	}
	if c.Writers <= 0 {
		c.Writers = 16
	}
	s := &suite{newTable: newTable, cfg: c}
	t.Run("GetPut", s.testGetPut)
	t.Run("Copies", s.testCopies)
	t.Run("Create", s.testCreate)
	t.Run("Delete", s.testDelete)
	t.Run("Conditions", s.testConditions)
	t.Run("Versioning", s.testVersioning)
	t.Run("VersionZeroOverUnversioned", s.testVersionZeroOverUnversioned)
	t.Run("VersionLimit", s.testVersionLimit)
	t.Run("VersionedCounter", s.testVersionedCounter)
	t.Run("RacingCreates", s.testRacingCreates)
	t.Run("Update", s.testUpdate)
	t.Run("Query", s.testQuery)
	t.Run("QueryPages", s.testQueryPages)
	t.Run("QueryLimits", s.testQueryLimits)
	t.Run("Cursors", s.testCursors)
	t.Run("FullLastPage", s.testFullLastPage)
	t.Run("QueryNumberSort", s.testQueryNumberSort)
	t.Run("QueryBinarySort", s.testQueryBinarySort)
	t.Run("PartitionOnly", s.testPartitionOnly)
	t.Run("Batch", s.testBatch)
	t.Run("ItemSize", s.testItemSize)
	t.Run("KeyLimits", s.testKeyLimits)
	t.Run("Expiry", s.testExpiry)
	t.Run("InvalidArguments", s.testInvalidArguments)
	t.Run("Values", s.testValues)
	t.Run("Canceled", s.testCanceled)
}

type suite struct {
	newTable NewTable
	cfg      Config
}

// String formats the item for messages, showing N's value rather than its address.
func (it Item) String() string {
	n := "<nil>"
	if it.N != nil {
		n = strconv.FormatFloat(*it.N, 'g', -1, 64)
	}
	return fmt.Sprintf("{PK:%q SK:%q N:%s Bin:%x Version:%d ExpiresAt:%d Count:%d Note:%q Data:%x Tags:%q Done:%v}",
		it.PK, it.SK, n, it.Bin, it.Version, it.ExpiresAt, it.Count, it.Note, it.Data, it.Tags, it.Done)
}
