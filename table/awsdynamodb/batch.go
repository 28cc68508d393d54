package awsdynamodb

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/servous/servous/table"
	"github.com/servous/servous/table/internal/item"
)

// BatchGet implements table.Table.
func (t *Table[T]) BatchGet(ctx context.Context, keys []table.Key, opts *table.BatchGetOptions) ([]T, error) {
	reqKeys := make([]item.Item, len(keys))
	index := make(map[string]int, len(keys))
	for i, k := range keys {
		ki, err := item.KeyItem(t.schema, k)
		if err != nil {
			return nil, t.failure("batch get", k, err, nil)
		}
		ks := item.KeyString(k)
		if _, dup := index[ks]; dup {
			return nil, t.failure("batch get", k, fmt.Errorf("key %v given twice: %w", k, table.ErrInvalidArgument), nil)
		}
		index[ks] = i
		reqKeys[i] = ki
	}
	found := make([]item.Item, len(keys))
	consistent := opts != nil && opts.ConsistentRead
	for lo := 0; lo < len(reqKeys); lo += item.BatchGetSize {
		pending := reqKeys[lo:min(lo+item.BatchGetSize, len(reqKeys))]
		for attempt := 0; len(pending) > 0; attempt++ {
			if attempt > 0 {
				if err := backoff(ctx, attempt); err != nil {
					return nil, t.failure("batch get", table.Key{}, err, nil)
				}
			}
			ka := types.KeysAndAttributes{Keys: pending}
			if consistent {
				ka.ConsistentRead = aws.Bool(true)
			}
			out, err := t.client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{
				RequestItems:           map[string]types.KeysAndAttributes{t.name: ka},
				ReturnConsumedCapacity: t.capacity(),
			})
			if err != nil {
				return nil, t.failure("batch get", table.Key{}, err, nil)
			}
			t.reportRead(ctx, item.OpBatchGet, batchUnits(out.ConsumedCapacity))
			for _, it := range out.Responses[t.name] {
				k, err := item.KeyOf(t.schema, it)
				if err != nil {
					return nil, t.failure("batch get", table.Key{}, err, nil)
				}
				if i, ok := index[item.KeyString(k)]; ok {
					found[i] = it
				}
			}
			pending = out.UnprocessedKeys[t.name].Keys
		}
	}
	now := t.nowUnix()
	out := make([]T, 0, len(keys))
	for _, it := range found {
		if it == nil || t.expired(it, now) {
			continue
		}
		v, err := t.decode(it)
		if err != nil {
			return nil, t.failure("batch get", table.Key{}, err, nil)
		}
		out = append(out, v)
	}
	return out, nil
}

// BatchWrite implements table.Table. It checks every write before sending any.
func (t *Table[T]) BatchWrite(ctx context.Context, puts []T, deletes []table.Key) error {
	reqs := make([]types.WriteRequest, 0, len(puts)+len(deletes))
	seen := make(map[string]bool, cap(reqs))
	add := func(k table.Key, r types.WriteRequest) error {
		ks := item.KeyString(k)
		if seen[ks] {
			return t.failure("batch write", k, fmt.Errorf("key %v given twice: %w", k, table.ErrInvalidArgument), nil)
		}
		seen[ks] = true
		reqs = append(reqs, r)
		return nil
	}
	for i := range puts {
		it, k, err := item.Encode(t.schema, &puts[i])
		if err == nil {
			_, err = item.CheckSize(it)
		}
		if err != nil {
			return t.failure("batch write", k, fmt.Errorf("item %v: %w", k, err), nil)
		}
		if err := add(k, types.WriteRequest{PutRequest: &types.PutRequest{Item: it}}); err != nil {
			return err
		}
	}
	for _, k := range deletes {
		ki, err := item.KeyItem(t.schema, k)
		if err != nil {
			return t.failure("batch write", k, fmt.Errorf("key %v: %w", k, err), nil)
		}
		if err := add(k, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: ki}}); err != nil {
			return err
		}
	}
	for lo := 0; lo < len(reqs); lo += item.BatchWriteSize {
		pending := reqs[lo:min(lo+item.BatchWriteSize, len(reqs))]
		for attempt := 0; len(pending) > 0; attempt++ {
			if attempt > 0 {
				if err := backoff(ctx, attempt); err != nil {
					return t.failure("batch write", table.Key{}, err, nil)
				}
			}
			out, err := t.client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
				RequestItems:           map[string][]types.WriteRequest{t.name: pending},
				ReturnConsumedCapacity: t.capacity(),
			})
			if err != nil {
				return t.failure("batch write", table.Key{}, err, nil)
			}
			if t.metered() {
				t.onCall(ctx, table.Call{Table: t.name, Op: item.OpBatchWrite, WriteUnits: batchUnits(out.ConsumedCapacity)})
			}
			pending = out.UnprocessedItems[t.name]
		}
	}
	return nil
}
