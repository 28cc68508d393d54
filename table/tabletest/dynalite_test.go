package tabletest_test

import (
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
