package awsdynamodb_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/servous/servous/internal/faultproxy"
	"github.com/servous/servous/table"
	"github.com/servous/servous/table/awsdynamodb"
	"github.com/servous/servous/table/tabletest"
)

// faultAttempts is the SDK client's attempts under faults: at a 10% fault rate, ten attempts
// all faulted happen once in 10^10 requests.
const faultAttempts = 10

// reads are the operations whose answer may be lost and asked again without a different
// outcome. A lost answer to a write is retried by the SDK into the write's own condition (a
// Create finds its own item): the subject of TestLostAnswers, not of the suite.
var reads = map[string]bool{
	"DynamoDB_20120810.GetItem":       true,
	"DynamoDB_20120810.BatchGetItem":  true,
	"DynamoDB_20120810.Query":         true,
	"DynamoDB_20120810.Scan":          true,
	"DynamoDB_20120810.DescribeTable": true,
}

func suiteFaults(r *http.Request, f faultproxy.Fault) bool {
	switch f {
	case faultproxy.ResetAfterProcessing, faultproxy.ResetMidBody:
		return reads[r.Header.Get("X-Amz-Target")]
	}
	return true
}

// faultyClient returns a DynamoDB client for dynalite that goes through proxy and retries
// faultAttempts times.
func faultyClient(proxy *faultproxy.Proxy) *dynamodb.Client {
	return dynamodb.New(dynalite.Client.Options(), func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(proxy.URL)
		o.HTTPClient = proxy.Client()
		o.Retryer = faultproxy.Retryer(faultAttempts)()
	})
}

// tableName turns a test's name into a table name unique to the run.
func tableName(t *testing.T) string {
	name := fmt.Sprintf("t%d-%s", tableSeq.Add(1), strings.NewReplacer("/", "-", "=", "-", "\"", "", " ", "-").Replace(t.Name()))
	if len(name) > 255 {
		name = name[:255]
	}
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, name)
}

// TestConformanceUnderFaults runs the suite against dynalite with a tenth of the SDK's
// requests throttled, failed, reset or delayed on the way.
func TestConformanceUnderFaults(t *testing.T) {
	var tally faultproxy.Tally
	tabletest.RunTableTests(t, func(t *testing.T) tabletest.Target {
		return tabletest.Target{
			Writers: 8,
			NewTable: func(t *testing.T, s table.Schema) table.Table[tabletest.Item] {
				name := tableName(t)
				if err := dynalite.CreateTable(t.Context(), name, s); err != nil {
					t.Fatal(err)
				}
				proxy := faultproxy.New(t, faultproxy.DynamoDB, dynalite.Endpoint, &faultproxy.Options{
					Seed:     faultproxy.TestSeed(t),
					Rate:     0.1,
					Eligible: suiteFaults,
				})
				tally.Watch(t, proxy)
				tb, err := awsdynamodb.New[tabletest.Item](faultyClient(proxy), name, &awsdynamodb.Options{Schema: &s})
				if err != nil {
					t.Fatal(err)
				}
				return tb
			},
		}
	})
	tally.Check(t)
}

// loseFirst loses the answer to the first request of the operation target: DynamoDB applies
// it, the client sees a reset and the SDK sends it again.
func loseFirst(target string, f faultproxy.Fault) func(r *http.Request, n int) faultproxy.Fault {
	return func(r *http.Request, n int) faultproxy.Fault {
		if r.Header.Get("X-Amz-Target") == "DynamoDB_20120810."+target && n == 0 {
			return f
		}
		return faultproxy.None
	}
}

// TestLostAnswers writes when DynamoDB applied the write but its answer was lost, so the SDK's
// retry meets the write's own result: a Create must not fail against the item it created, nor
// a conditional Delete against its own deletion; a versioned Put reports a conflict, as the
// package doc explains.
func TestLostAnswers(t *testing.T) {
	s := tabletest.Versioned
	newTable := func(t *testing.T, choose func(*http.Request, int) faultproxy.Fault) (lossy, direct table.Table[tabletest.Item]) {
		name := tableName(t)
		if err := dynalite.CreateTable(t.Context(), name, s); err != nil {
			t.Fatal(err)
		}
		proxy := faultproxy.New(t, faultproxy.DynamoDB, dynalite.Endpoint, &faultproxy.Options{Choose: choose})
		lossy, err := awsdynamodb.New[tabletest.Item](faultyClient(proxy), name, &awsdynamodb.Options{Schema: &s})
		if err != nil {
			t.Fatal(err)
		}
		direct, err = awsdynamodb.New[tabletest.Item](dynalite.Client, name, &awsdynamodb.Options{Schema: &s})
		if err != nil {
			t.Fatal(err)
		}
		return lossy, direct
	}
	key := table.Key{Partition: table.String("a"), Sort: table.String("1")}
	get := func(t *testing.T, tb table.Table[tabletest.Item]) tabletest.Item {
		t.Helper()
		got, err := tb.Get(t.Context(), key, nil)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		return got
	}

	t.Run("Create", func(t *testing.T) {
		lossy, direct := newTable(t, loseFirst("PutItem", faultproxy.ResetAfterProcessing))
		it := tabletest.Item{PK: "a", SK: "1", Note: "mine"}
		if err := lossy.Create(t.Context(), &it); err != nil {
			t.Fatalf("Create whose answer was lost = %v, want nil", err)
		}
		if it.Version != 1 {
			t.Errorf("Create set version %d, want 1", it.Version)
		}
		if got := get(t, direct); got.Note != "mine" || got.Version != 1 {
			t.Errorf("stored %+v", got)
		}
	})
	t.Run("VersionedPut", func(t *testing.T) {
		lossy, direct := newTable(t, loseFirst("PutItem", faultproxy.ResetAfterProcessing))
		first := tabletest.Item{PK: "a", SK: "1", Note: "v1"}
		if err := direct.Put(t.Context(), &first, nil); err != nil {
			t.Fatal(err)
		}
		// What the caller sees, as the package doc says: a conflict, with its own item
		// stored.
		next := first
		next.Note = "v2"
		if err := lossy.Put(t.Context(), &next, nil); !errors.Is(err, table.ErrVersionConflict) {
			t.Fatalf("versioned Put whose answer was lost = %v, want ErrVersionConflict", err)
		}
		if got := get(t, direct); got.Note != "v2" || got.Version != 2 {
			t.Errorf("stored %+v", got)
		}
	})
	t.Run("ConditionalDelete", func(t *testing.T) {
		lossy, direct := newTable(t, loseFirst("DeleteItem", faultproxy.ResetAfterProcessing))
		first := tabletest.Item{PK: "a", SK: "1", Note: "v1"}
		if err := direct.Put(t.Context(), &first, nil); err != nil {
			t.Fatal(err)
		}
		if err := lossy.Delete(t.Context(), key, &table.DeleteOptions{If: table.Equal("version", 1)}); err != nil {
			t.Fatalf("conditional Delete whose answer was lost = %v, want nil", err)
		}
		if _, err := direct.Get(t.Context(), key, nil); !errors.Is(err, table.ErrNotFound) {
			t.Errorf("Get after Delete = %v, want ErrNotFound", err)
		}
	})
	t.Run("ConditionalDeleteMismatch", func(t *testing.T) {
		// The condition is false and the item stays: a real failure, lost attempt or not.
		lossy, direct := newTable(t, loseFirst("DeleteItem", faultproxy.ResetBeforeRequest))
		first := tabletest.Item{PK: "a", SK: "1", Note: "v1"}
		if err := direct.Put(t.Context(), &first, nil); err != nil {
			t.Fatal(err)
		}
		if err := lossy.Delete(t.Context(), key, &table.DeleteOptions{If: table.Equal("version", 7)}); !errors.Is(err, table.ErrConditionFailed) {
			t.Errorf("Delete with a false condition = %v, want ErrConditionFailed", err)
		}
	})
	t.Run("CreateThrottled", func(t *testing.T) {
		// A throttled attempt was not applied: a retry that fails its condition met another
		// writer's item, even an identical one.
		lossy, direct := newTable(t, loseFirst("PutItem", faultproxy.Throttle))
		other := tabletest.Item{PK: "a", SK: "1", Note: "same"}
		if err := direct.Create(t.Context(), &other); err != nil {
			t.Fatal(err)
		}
		it := tabletest.Item{PK: "a", SK: "1", Note: "same"}
		if err := lossy.Create(t.Context(), &it); !errors.Is(err, table.ErrAlreadyExists) {
			t.Errorf("Create after a throttled attempt = %v, want ErrAlreadyExists", err)
		}
	})
	t.Run("CreateOverAnother", func(t *testing.T) {
		// Another writer's item is there: the retry's failed condition is a real conflict.
		lossy, direct := newTable(t, loseFirst("PutItem", faultproxy.ResetBeforeRequest))
		other := tabletest.Item{PK: "a", SK: "1", Note: "theirs"}
		if err := direct.Create(t.Context(), &other); err != nil {
			t.Fatal(err)
		}
		it := tabletest.Item{PK: "a", SK: "1", Note: "mine"}
		if err := lossy.Create(t.Context(), &it); !errors.Is(err, table.ErrAlreadyExists) {
			t.Errorf("Create over another's item = %v, want ErrAlreadyExists", err)
		}
	})
	t.Run("VersionedPutAfterAnother", func(t *testing.T) {
		lossy, direct := newTable(t, loseFirst("PutItem", faultproxy.ResetBeforeRequest))
		first := tabletest.Item{PK: "a", SK: "1", Note: "v1"}
		if err := direct.Put(t.Context(), &first, nil); err != nil {
			t.Fatal(err)
		}
		theirs, mine := first, first
		theirs.Note = "theirs"
		if err := direct.Put(t.Context(), &theirs, nil); err != nil {
			t.Fatal(err)
		}
		mine.Note = "mine"
		if err := lossy.Put(t.Context(), &mine, nil); !errors.Is(err, table.ErrVersionConflict) {
			t.Errorf("versioned Put after another's = %v, want ErrVersionConflict", err)
		}
	})
	t.Run("CreateOverIdentical", func(t *testing.T) {
		// What the wire cannot tell apart: the first attempt never arrived, and another
		// writer created the very same item meanwhile. The adapter reports success, as the
		// table holds exactly what the caller wrote; items that must have one creator carry
		// something of the writer's own (a token), which makes them differ.
		lossy, direct := newTable(t, loseFirst("PutItem", faultproxy.ResetBeforeRequest))
		other := tabletest.Item{PK: "a", SK: "1", Note: "same"}
		if err := direct.Create(t.Context(), &other); err != nil {
			t.Fatal(err)
		}
		it := tabletest.Item{PK: "a", SK: "1", Note: "same"}
		if err := lossy.Create(t.Context(), &it); err != nil {
			t.Errorf("Create of an identical item after a lost attempt = %v, want nil", err)
		}
		// Without a lost attempt, the condition alone decides.
		again := tabletest.Item{PK: "a", SK: "1", Note: "same"}
		if err := direct.Create(t.Context(), &again); !errors.Is(err, table.ErrAlreadyExists) {
			t.Errorf("second Create = %v, want ErrAlreadyExists", err)
		}
	})
}
