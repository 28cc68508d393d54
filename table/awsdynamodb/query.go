package awsdynamodb

import (
	"context"
	"fmt"
	"math"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/servous/servous/table"
	"github.com/servous/servous/table/internal/expr"
	"github.com/servous/servous/table/internal/item"
)

// Query implements table.Table. Expired items are filtered out by a filter expression;
// because DynamoDB applies Limit before filtering, Query sends further requests until the
// page holds Limit items, DynamoDB ends a page at 1 MB, or the partition is exhausted.
func (t *Table[T]) Query(ctx context.Context, partition table.Value, opts *table.QueryOptions) (table.Page[T], error) {
	var page table.Page[T]
	var o table.QueryOptions
	if opts != nil {
		o = *opts
	}
	key := table.Key{Partition: partition}
	fail := func(err error) (table.Page[T], error) { return page, t.failure("query", key, err, nil) }
	pkOnly := t.schema
	pkOnly.SortKey, pkOnly.SortKeyKind = "", table.KindNone
	pk, err := item.KeyItem(pkOnly, key)
	if err != nil {
		return fail(err)
	}
	sc, err := item.CompileSort(t.schema, o.Sort)
	if err != nil {
		return fail(err)
	}
	if o.Limit < 0 {
		return fail(fmt.Errorf("negative limit %d: %w", o.Limit, table.ErrInvalidArgument))
	}
	var start item.Item
	if o.Cursor != "" {
		// Checked here as DynamoDB checks an ExclusiveStartKey: in the partition, the
		// direction and the sort condition of the query.
		if start, err = item.DecodeCursor(t.schema, o.Cursor, partition, sc, o.Descending); err != nil {
			return fail(err)
		}
	}
	kc := expression.Key(t.schema.PartitionKey).Equal(expression.Value(av{pk[t.schema.PartitionKey]}))
	// A binary prefix has no key condition of its own; query the range [prefix, end] and
	// drop an item keyed exactly end.
	var dropKey types.AttributeValue
	if sc != nil {
		var c expression.KeyConditionBuilder
		c, dropKey = t.sortKeyCondition(sc)
		kc = kc.And(c)
	}
	b := expression.NewBuilder().WithKeyCondition(kc)
	live, filtered := t.live(t.nowUnix())
	if filtered {
		b = b.WithFilter(live)
	}
	expr, err := b.Build()
	if err != nil {
		return fail(fmt.Errorf("%w: %w", table.ErrInvalidArgument, err))
	}
	in := &dynamodb.QueryInput{
		TableName:                 &t.name,
		KeyConditionExpression:    expr.KeyCondition(),
		FilterExpression:          expr.Filter(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ScanIndexForward:          aws.Bool(!o.Descending),
		ExclusiveStartKey:         start,
		ReturnConsumedCapacity:    t.capacity(),
	}
	if o.ConsistentRead {
		in.ConsistentRead = aws.Bool(true)
	}
	var items []item.Item
	for {
		want := int32(0)
		if o.Limit > 0 {
			// DynamoDB's Limit is an int32; a larger one changes nothing, as pages end at
			// 1 MB long before.
			want = int32(min(o.Limit-len(items), math.MaxInt32))
			in.Limit = aws.Int32(want)
		}
		out, err := t.client.Query(ctx, in)
		if err != nil {
			return page, t.failure("query", key, err, nil)
		}
		t.reportRead(ctx, item.OpQuery, units(out.ConsumedCapacity))
		for _, it := range out.Items {
			if dropKey != nil && t.schema.SortKey != "" && item.Equal(it[t.schema.SortKey], dropKey) {
				continue
			}
			items = append(items, it)
		}
		if out.LastEvaluatedKey == nil {
			break
		}
		full := o.Limit > 0 && len(items) >= o.Limit
		// Fewer items read than asked for, with more to come, means DynamoDB ended the
		// page at 1 MB.
		cut := want == 0 || out.ScannedCount < want
		if full || cut {
			page.Cursor = t.encodeCursor(out.LastEvaluatedKey, o.Descending)
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	page.Items = make([]T, len(items))
	for i, it := range items {
		if page.Items[i], err = t.decode(it); err != nil {
			return fail(err)
		}
	}
	return page, nil
}

func (t *Table[T]) sortKeyCondition(sc *item.SortCond) (expression.KeyConditionBuilder, types.AttributeValue) {
	k := expression.Key(t.schema.SortKey)
	low := expression.Value(av{sc.Low})
	switch sc.Op {
	case expr.SortEqual:
		return k.Equal(low), nil
	case expr.SortLess:
		return k.LessThan(low), nil
	case expr.SortLessOrEqual:
		return k.LessThanEqual(low), nil
	case expr.SortGreater:
		return k.GreaterThan(low), nil
	case expr.SortGreaterOrEqual:
		return k.GreaterThanEqual(low), nil
	case expr.SortBetween:
		return k.Between(low, expression.Value(av{sc.High})), nil
	}
	// expr.SortBeginsWith: CompileSort admits it for strings and binary only.
	if s, ok := sc.Low.(*types.AttributeValueMemberS); ok {
		return k.BeginsWith(s.Value), nil
	}
	p := sc.Low.(*types.AttributeValueMemberB).Value
	end, ok := prefixEnd(p)
	if !ok {
		return k.GreaterThanEqual(low), nil
	}
	endAV := &types.AttributeValueMemberB{Value: end}
	return k.Between(low, expression.Value(av{endAV})), endAV
}

// encodeCursor returns the cursor after a page: the direction and the LastEvaluatedKey's key
// attributes, written as memtable writes its cursors (see item.EncodeCursor).
func (t *Table[T]) encodeCursor(lek map[string]types.AttributeValue, desc bool) string {
	return item.EncodeCursor(t.schema, lek, desc)
}
