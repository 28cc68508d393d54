// Package tabletest provides the conformance suite every table.Table adapter runs, a
// differential runner that compares two adapters operation by operation, and a helper that
// starts dynalite, a local server of the DynamoDB API, for tests.
//
// # Conformance
//
// RunTableTests runs every behaviour of the table.Table contract as subtests, calling the
// caller's function once per subtest for a Target, whose NewTable makes the tables of each
// schema the subtest needs: reads and writes, conditions, optimistic versioning under
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

// Target is what the suite needs of an adapter in one subtest.
type Target struct {
	// NewTable makes an empty table of Items with the schema, for the test or subtest t.
	// Each call must return a table no other call shares.
	NewTable func(t *testing.T, s table.Schema) table.Table[Item]
	// Writers is the number of goroutines contending in the versioned counter and
	// racing-create tests, for slower adapters; zero means 16.
	Writers int
}

// RunTableTests runs the conformance suite. newTarget is called once per subtest.
func RunTableTests(t *testing.T, newTarget func(t *testing.T) Target) {
	tests := []struct {
		name string
		fn   func(s *suite, t *testing.T)
	}{
		{"GetPut", (*suite).testGetPut},
		{"Copies", (*suite).testCopies},
		{"Create", (*suite).testCreate},
		{"Delete", (*suite).testDelete},
		{"Conditions", (*suite).testConditions},
		{"Versioning", (*suite).testVersioning},
		{"VersionZeroOverUnversioned", (*suite).testVersionZeroOverUnversioned},
		{"VersionLimit", (*suite).testVersionLimit},
		{"VersionedCounter", (*suite).testVersionedCounter},
		{"RacingCreates", (*suite).testRacingCreates},
		{"Update", (*suite).testUpdate},
		{"Query", (*suite).testQuery},
		{"QueryPages", (*suite).testQueryPages},
		{"QueryLimits", (*suite).testQueryLimits},
		{"Cursors", (*suite).testCursors},
		{"FullLastPage", (*suite).testFullLastPage},
		{"QueryNumberSort", (*suite).testQueryNumberSort},
		{"QueryBinarySort", (*suite).testQueryBinarySort},
		{"PartitionOnly", (*suite).testPartitionOnly},
		{"Batch", (*suite).testBatch},
		{"ItemSize", (*suite).testItemSize},
		{"KeyLimits", (*suite).testKeyLimits},
		{"Expiry", (*suite).testExpiry},
		{"InvalidArguments", (*suite).testInvalidArguments},
		{"Values", (*suite).testValues},
		{"Canceled", (*suite).testCanceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := newTarget(t)
			if tg.NewTable == nil {
				t.Fatal("tabletest: Target.NewTable is nil")
			}
			if tg.Writers <= 0 {
				tg.Writers = 16
			}
			tt.fn(&suite{tg: tg}, t)
		})
	}
}

type suite struct {
	tg Target
}

func (s *suite) newTable(t *testing.T, sc table.Schema) table.Table[Item] {
	t.Helper()
	return s.tg.NewTable(t, sc)
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
