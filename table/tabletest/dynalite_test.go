package tabletest_test

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/servous/servous/table/tabletest"
)

func TestStartDynalite(t *testing.T) {
	d := tabletest.StartDynalite(t)
	if !strings.HasPrefix(d.Endpoint, "http://127.0.0.1:") {
		t.Errorf("endpoint %q is not on loopback", d.Endpoint)
	}
	ctx := t.Context()
	if err := d.CreateTable(ctx, "numbers", tabletest.NumberSort); err != nil {
		t.Fatal(err)
	}
	out, err := d.Client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("numbers")})
	if err != nil {
		t.Fatal(err)
	}
	wantKeys := []types.KeySchemaElement{
		{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
		{AttributeName: aws.String("n"), KeyType: types.KeyTypeRange},
	}
	if diff := cmp.Diff(wantKeys, out.Table.KeySchema, cmpopts.IgnoreUnexported(types.KeySchemaElement{})); diff != "" {
		t.Errorf("key schema (-want +got):\n%s", diff)
	}
	wantAttrs := []types.AttributeDefinition{
		{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
		{AttributeName: aws.String("n"), AttributeType: types.ScalarAttributeTypeN},
	}
	if diff := cmp.Diff(wantAttrs, out.Table.AttributeDefinitions, cmpopts.IgnoreUnexported(types.AttributeDefinition{}),
		cmpopts.SortSlices(func(a, b types.AttributeDefinition) bool { return *a.AttributeName < *b.AttributeName })); diff != "" {
		t.Errorf("attribute definitions (-want +got):\n%s", diff)
	}
	if err := d.CreateTable(ctx, "numbers", tabletest.NumberSort); err == nil {
		t.Error("creating the table twice succeeded")
	}
	if err := d.CreateTable(ctx, "bad", tabletest.Versioned.WithDefaults()); err != nil {
		t.Errorf("CreateTable with defaults applied: %v", err)
	}
}

func TestDynaliteDir(t *testing.T) {
	dir, err := tabletest.DynaliteDir()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(dir, filepath.Join("servous", "dynalite")) {
		t.Errorf("DynaliteDir = %q, want <cache>/servous/dynalite", dir)
	}
}

// TestDynaliteOutlivesAbortedRequest sends a request whose client goes away halfway through its
// body, as a client killed mid-request does: DynamoDB answers the next request; dynalite threw
// from its request's error handler and died.
func TestDynaliteOutlivesAbortedRequest(t *testing.T) {
	d := tabletest.StartDynalite(t)
	conn, err := net.Dial("tcp", strings.TrimPrefix(d.Endpoint, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	body := `{"Limit":5}`
	fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: %s\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: %d\r\n\r\n%s",
		strings.TrimPrefix(d.Endpoint, "http://"), len(body), body[:len(body)/2])
	conn.(*net.TCPConn).SetLinger(0)
	conn.Close()
	if _, err := d.Client.ListTables(t.Context(), &dynamodb.ListTablesInput{}); err != nil {
		t.Errorf("after an aborted request: %v", err)
	}
}
