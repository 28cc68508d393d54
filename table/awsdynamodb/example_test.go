package awsdynamodb_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/servous/servous/table"
	"github.com/servous/servous/table/awsdynamodb"
)

// Video is a record of the examples: owner and id form the key; version guards concurrent
// edits.
type Video struct {
	Owner   string `dynamodbav:"owner" table:"partition"`
	ID      string `dynamodbav:"id" table:"sort"`
	Title   string `dynamodbav:"title"`
	Views   int64  `dynamodbav:"views,omitempty"`
	Version int64  `dynamodbav:"version,omitempty" table:"version"`
}

func Example() {
	ctx := context.Background()
	// In a Lambda function the client comes from the function's configuration:
	//	cfg, err := config.LoadDefaultConfig(ctx)
	//	client := dynamodb.NewFromConfig(cfg)
	// Here it is a local dynalite, with a table keyed owner (S) and id (S).
	client := dynalite.Client
	schema, _ := table.SchemaOf[Video]()
	if err := dynalite.CreateTable(ctx, "example-videos", schema); err != nil {
		fmt.Println(err)
		return
	}

	videos, err := awsdynamodb.New[Video](client, "example-videos", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	v := Video{Owner: "ann", ID: "v1", Title: "Holiday"}
	if err := videos.Create(ctx, &v); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("created version", v.Version)

	// Optimistic concurrency: a write from a stale read fails.
	stale := v
	v.Title = "Holiday 2026"
	if err := videos.Put(ctx, &v, nil); err != nil {
		fmt.Println(err)
		return
	}
	err = videos.Put(ctx, &stale, nil)
	fmt.Println("stale write conflicts:", errors.Is(err, table.ErrVersionConflict))

	// Update one field without reading the item.
	got, err := videos.Update(ctx, table.Key{Partition: table.String("ann"), Sort: table.String("v1")},
		[]table.Change{table.Add("views", 1)}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(got.Title, got.Views, got.Version)
	// Output:
	// created version 1
	// stale write conflicts: true
	// Holiday 2026 1 3
}

func ExampleTable_Query() {
	ctx := context.Background()
	schema, _ := table.SchemaOf[Video]()
	if err := dynalite.CreateTable(ctx, "example-query", schema); err != nil {
		fmt.Println(err)
		return
	}
	videos, err := awsdynamodb.New[Video](dynalite.Client, "example-query", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	var batch []Video
	for _, id := range []string{"2026-01-a", "2026-02-b", "2026-02-c", "2026-03-d"} {
		batch = append(batch, Video{Owner: "ann", ID: id, Title: "video " + id})
	}
	if err := videos.BatchWrite(ctx, batch, nil); err != nil {
		fmt.Println(err)
		return
	}
	// The newest February videos first, two per page, across every page.
	opts := &table.QueryOptions{Sort: table.SortPrefix(table.String("2026-02")), Descending: true, Limit: 2}
	for v, err := range table.All(ctx, videos, table.String("ann"), opts) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(v.ID)
	}
	// Output:
	// 2026-02-c
	// 2026-02-b
}
