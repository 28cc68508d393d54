package awsdynamodb_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/servous/servous/table"
	"github.com/servous/servous/table/awsdynamodb"
	"github.com/servous/servous/table/tabletest"
)

type benchItem struct {
	PK    string `dynamodbav:"pk" table:"partition"`
	SK    string `dynamodbav:"sk" table:"sort"`
	Title string `dynamodbav:"title"`
	Count int64  `dynamodbav:"count"`
}

const benchItems = 100

func newBenchItem(i int) benchItem {
	return benchItem{PK: fmt.Sprintf("p%d", i%10), SK: fmt.Sprintf("s%03d", i), Title: "a video title of some length", Count: int64(i)}
}

// benchTable starts dynalite with one table holding benchItems items; awsdynamodb and the
// raw SDK calls it is compared with use the same server and table.
func benchTable(b *testing.B) (*dynamodb.Client, *awsdynamodb.Table[benchItem]) {
	d := dynalite
	ctx := context.Background()
	name := fmt.Sprintf("bench-%d", tableSeq.Add(1))
	if err := d.CreateTable(ctx, name, tabletest.Plain); err != nil {
		b.Fatal(err)
	}
	tb, err := awsdynamodb.New[benchItem](d.Client, name, nil)
	if err != nil {
		b.Fatal(err)
	}
	items := make([]benchItem, benchItems)
	for i := range items {
		items[i] = newBenchItem(i)
	}
	if err := tb.BatchWrite(ctx, items, nil); err != nil {
		b.Fatal(err)
	}
	// Warm up the server's code paths and the client's connections, so that whichever
	// variant runs first is not charged for it.
	for i := range 3000 {
		it := items[i%benchItems]
		if err := tb.Put(ctx, &it, nil); err != nil {
			b.Fatal(err)
		}
		if _, err := tb.Get(ctx, table.Key{Partition: table.String(it.PK), Sort: table.String(it.SK)}, nil); err != nil {
			b.Fatal(err)
		}
	}
	return d.Client, tb
}

// BenchmarkGet compares awsdynamodb's Get with a GetItem call and attributevalue decoding
// against the same dynalite.
func BenchmarkGet(b *testing.B) {
	client, tb := benchTable(b)
	ctx := context.Background()
	b.Run("awsdynamodb", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			it := newBenchItem(i % benchItems)
			if _, err := tb.Get(ctx, table.Key{Partition: table.String(it.PK), Sort: table.String(it.SK)}, nil); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("sdk", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			it := newBenchItem(i % benchItems)
			out, err := client.GetItem(ctx, &dynamodb.GetItemInput{
				TableName: aws.String(tb.Name()),
				Key: map[string]types.AttributeValue{
					"pk": &types.AttributeValueMemberS{Value: it.PK},
					"sk": &types.AttributeValueMemberS{Value: it.SK},
				},
			})
			if err != nil || out.Item == nil {
				b.Fatal(err)
			}
			var got benchItem
			if err := attributevalue.UnmarshalMap(out.Item, &got); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkPut compares awsdynamodb's Put with attributevalue encoding and a PutItem call
// against the same dynalite.
func BenchmarkPut(b *testing.B) {
	client, tb := benchTable(b)
	ctx := context.Background()
	b.Run("awsdynamodb", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			it := newBenchItem(i % benchItems)
			if err := tb.Put(ctx, &it, nil); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("sdk", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			it := newBenchItem(i % benchItems)
			av, err := attributevalue.MarshalMap(&it)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tb.Name()), Item: av}); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
