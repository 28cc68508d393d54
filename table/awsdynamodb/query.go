package awsdynamodb

import (
	"context"
	"encoding/base64"
	"encoding/json"
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
		if start, err = t.decodeCursor(o.Cursor, partition, o.Descending); err != nil {
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

// cursor is a LastEvaluatedKey, each attribute as its kind and text, and the direction.
type cursor struct {
	Desc bool                 `json:"d,omitempty"`
	Keys map[string][2]string `json:"k"`
}

func (t *Table[T]) encodeCursor(lek map[string]types.AttributeValue, desc bool) string {
	c := cursor{Desc: desc, Keys: map[string][2]string{}}
	for name, v := range lek {
		kv, ok := item.KeyValue(v)
		if !ok {
			continue
		}
		text := kv.Text()
		if kv.Kind() == table.KindBinary {
			// JSON strings hold UTF-8 only; binary keys travel as base64.
			text = base64.StdEncoding.EncodeToString(kv.Bytes())
		}
		c.Keys[name] = [2]string{kv.Kind().String(), text}
	}
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (t *Table[T]) decodeCursor(s string, partition table.Value, desc bool) (item.Item, error) {
	bad := fmt.Errorf("cursor %q is not one of this query's: %w", s, table.ErrInvalidArgument)
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	var c cursor
	if json.Unmarshal(b, &c) != nil || c.Desc != desc || len(c.Keys) == 0 {
		return nil, bad
	}
	out := item.Item{}
	for name, kv := range c.Keys {
		var v table.Value
		switch kv[0] {
		case "S":
			v = table.String(kv[1])
		case "N":
			v = table.NumberText(kv[1])
		case "B":
			b, err := base64.StdEncoding.DecodeString(kv[1])
			if err != nil {
				return nil, bad
			}
			v = table.Binary(b)
		default:
			return nil, bad
		}
		a, err := item.ValueOf(v)
		if err != nil {
			return nil, bad
		}
		out[name] = a
	}
	want, _ := item.ValueOf(partition)
	if got, ok := out[t.schema.PartitionKey]; !ok || !item.Equal(got, want) {
		return nil, bad
	}
	return out, nil
}
