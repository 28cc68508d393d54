package awsdynamodb_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
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
	var mu sync.Mutex
	counts := map[faultproxy.Fault]int{}
	requests := 0
	tabletest.RunTableTests(t, func(t *testing.T, s table.Schema) table.Table[tabletest.Item] {
		name := tableName(t)
		if err := dynalite.CreateTable(t.Context(), name, s); err != nil {
			t.Fatal(err)
		}
		proxy := faultproxy.New(t, faultproxy.DynamoDB, dynalite.Endpoint, &faultproxy.Options{
			Seed:     faultproxy.TestSeed(t),
			Rate:     0.1,
			Eligible: suiteFaults,
		})
		t.Cleanup(func() {
			mu.Lock()
			defer mu.Unlock()
			for f, n := range proxy.Counts() {
				counts[f] += n
			}
			requests += proxy.Requests()
		})
		tb, err := awsdynamodb.New[tabletest.Item](faultyClient(proxy), name, &awsdynamodb.Options{Schema: &s})
		if err != nil {
			t.Fatal(err)
		}
		return tb
	}, &tabletest.Config{Writers: 8})
	mu.Lock()
	defer mu.Unlock()
	t.Logf("%d requests, faults injected: %v", requests, counts)
	if requests > 0 && len(counts) == 0 {
		t.Errorf("no fault injected in %d requests", requests)
	}
}
