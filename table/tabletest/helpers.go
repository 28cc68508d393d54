package tabletest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/servous/servous/table"
)

func key(pk, sk string) table.Key {
	return table.Key{Partition: table.String(pk), Sort: table.String(sk)}
}

func ptr[T any](v T) *T { return &v }

func mustPut(t *testing.T, tb table.Table[Item], it Item) Item {
	t.Helper()
	if err := tb.Put(t.Context(), &it, nil); err != nil {
		t.Fatalf("Put %s/%s: %v", it.PK, it.SK, err)
	}
	return it
}

func mustGet(t *testing.T, tb table.Table[Item], k table.Key) Item {
	t.Helper()
	it, err := tb.Get(t.Context(), k, &table.GetOptions{ConsistentRead: true})
	if err != nil {
		t.Fatalf("Get %v: %v", k, err)
	}
	return it
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: err = %v, want %v", what, err, target)
	}
}

func wantAbsent(t *testing.T, tb table.Table[Item], k table.Key) {
	t.Helper()
	_, err := tb.Get(t.Context(), k, &table.GetOptions{ConsistentRead: true})
	wantErr(t, fmt.Sprintf("Get %v", k), err, table.ErrNotFound)
}

// stringSet marshals as a string set, the way the tags attribute is stored.
type stringSet []string

func (s stringSet) MarshalDynamoDBAttributeValue() (types.AttributeValue, error) {
	return &types.AttributeValueMemberSS{Value: s}, nil
}
