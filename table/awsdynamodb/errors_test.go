package awsdynamodb_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/servous/servous/table"
	"github.com/servous/servous/table/awsdynamodb"
	"github.com/servous/servous/table/tabletest"
)

type note struct {
	PK   string `dynamodbav:"pk" table:"partition"`
	SK   string `dynamodbav:"sk" table:"sort"`
	Body []byte `dynamodbav:"body,omitempty"`
}

// TestErrors checks that errors reach both the table sentinels and the SDK's errors, and
// that the limits the adapter checks before sending agree with the server's.
func TestErrors(t *testing.T) {
	d := dynalite
	ctx := t.Context()
	name := fmt.Sprintf("notes-%d", tableSeq.Add(1)) // one per run, with -count too
	if err := d.CreateTable(ctx, name, tabletest.Plain); err != nil {
		t.Fatal(err)
	}
	tb, err := awsdynamodb.New[note](d.Client, name, nil)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("condition failed reaches the SDK error", func(t *testing.T) {
		if err := tb.Create(ctx, &note{PK: "a", SK: "b"}); err != nil {
			t.Fatal(err)
		}
		err := tb.Create(ctx, &note{PK: "a", SK: "b"})
		if !errors.Is(err, table.ErrAlreadyExists) {
			t.Errorf("err = %v, want ErrAlreadyExists", err)
		}
		var ccf *types.ConditionalCheckFailedException
		if !errors.As(err, &ccf) {
			t.Errorf("err = %v does not reach ConditionalCheckFailedException", err)
		}
		var api smithy.APIError
		if !errors.As(err, &api) || api.ErrorCode() != "ConditionalCheckFailedException" {
			t.Errorf("err = %v does not reach smithy.APIError", err)
		}
	})

	t.Run("missing table", func(t *testing.T) {
		other, err := awsdynamodb.New[note](d.Client, "no-such-table", nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = other.Get(ctx, table.Key{Partition: table.String("a"), Sort: table.String("b")}, nil)
		var rnf *types.ResourceNotFoundException
		if !errors.As(err, &rnf) || errors.Is(err, table.ErrNotFound) {
			t.Errorf("Get from a missing table: %v; want ResourceNotFoundException, not ErrNotFound", err)
		}
	})

	t.Run("server validation of key types", func(t *testing.T) {
		// A schema that disagrees with the table's passes the local checks; the server's
		// ValidationException must still map to ErrInvalidKey.
		wrong := tabletest.Plain
		wrong.SortKeyKind = table.KindNumber
		bad, err := awsdynamodb.New[note](d.Client, name, &awsdynamodb.Options{Schema: &wrong})
		if err != nil {
			t.Fatal(err)
		}
		_, err = bad.Get(ctx, table.Key{Partition: table.String("a"), Sort: table.Number(1)}, nil)
		var api smithy.APIError
		if !errors.Is(err, table.ErrInvalidKey) || !errors.As(err, &api) || api.ErrorCode() != "ValidationException" {
			t.Errorf("Get with a key of the wrong type: %v", err)
		}
	})

	t.Run("size limit agrees with the server", func(t *testing.T) {
		// pk "p" (3) + sk "s" (3) + "body" (4) = 10 bytes besides the body.
		for _, tc := range []struct {
			size int
			ok   bool
		}{{table.ItemSizeLimit, true}, {table.ItemSizeLimit + 1, false}} {
			it := map[string]types.AttributeValue{
				"pk":   &types.AttributeValueMemberS{Value: "p"},
				"sk":   &types.AttributeValueMemberS{Value: "s"},
				"body": &types.AttributeValueMemberB{Value: bytes.Repeat([]byte{1}, tc.size-10)},
			}
			_, rawErr := d.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(name), Item: it})
			if (rawErr == nil) != tc.ok {
				t.Errorf("server: item of %d bytes: %v, want ok=%v", tc.size, rawErr, tc.ok)
			}
			err := tb.Put(ctx, &note{PK: "p", SK: "s", Body: bytes.Repeat([]byte{1}, tc.size-10)}, nil)
			if (err == nil) != tc.ok || (!tc.ok && !errors.Is(err, table.ErrTooLarge)) {
				t.Errorf("adapter: item of %d bytes: %v, want ok=%v", tc.size, err, tc.ok)
			}
		}
	})

	t.Run("new", func(t *testing.T) {
		if _, err := awsdynamodb.New[note](nil, "x", nil); !errors.Is(err, table.ErrInvalidArgument) {
			t.Errorf("New without a client: %v", err)
		}
		if _, err := awsdynamodb.New[struct{ A string }](d.Client, "x", nil); !errors.Is(err, table.ErrInvalidArgument) {
			t.Errorf("New without a schema: %v", err)
		}
		if tb.Name() != name || tb.Client() != d.Client || tb.Schema().SortKey != "sk" {
			t.Errorf("accessors: %q %v %+v", tb.Name(), tb.Client() == d.Client, tb.Schema())
		}
	})
}
