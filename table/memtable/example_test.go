package memtable_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/servous/servous/events"
	"github.com/servous/servous/table"
	"github.com/servous/servous/table/memtable"
)

// Video is a record of the examples: owner and id form the key; version guards concurrent
// edits; expires_at lets records lapse.
type Video struct {
	Owner     string `dynamodbav:"owner" table:"partition"`
	ID        string `dynamodbav:"id" table:"sort"`
	Title     string `dynamodbav:"title"`
	Views     int64  `dynamodbav:"views,omitempty"`
	Version   int64  `dynamodbav:"version,omitempty" table:"version"`
	ExpiresAt int64  `dynamodbav:"expires_at,omitempty" table:"expires"`
}

func Example() {
	ctx := context.Background()
	videos, err := memtable.New[Video]("videos", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	key := table.Key{Partition: table.String("ann"), Sort: table.String("v1")}
	if err := videos.Create(ctx, &Video{Owner: "ann", ID: "v1", Title: "Holiday"}); err != nil {
		fmt.Println(err)
		return
	}
	err = videos.Create(ctx, &Video{Owner: "ann", ID: "v1", Title: "Again"})
	fmt.Println("second create:", errors.Is(err, table.ErrAlreadyExists))

	// Read, modify, write; retry when another writer got there first.
	for {
		v, err := videos.Get(ctx, key, nil)
		if err != nil {
			fmt.Println(err)
			return
		}
		v.Title = "Holiday 2026"
		err = videos.Put(ctx, &v, nil)
		if errors.Is(err, table.ErrVersionConflict) {
			continue
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		break
	}
	v, err := videos.Update(ctx, key, []table.Change{table.Add("views", 10)},
		&table.UpdateOptions{If: table.Exists("owner")})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s: %d views, version %d\n", v.Title, v.Views, v.Version)
	// Output:
	// second create: true
	// Holiday 2026: 10 views, version 3
}

func Example_expiry() {
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	videos, err := memtable.New[Video]("videos", &memtable.Options{Now: func() time.Time { return now }})
	if err != nil {
		fmt.Println(err)
		return
	}
	draft := Video{Owner: "ann", ID: "draft", ExpiresAt: now.Add(-time.Minute).Unix()}
	live := Video{Owner: "ann", ID: "live", ExpiresAt: now.Add(time.Hour).Unix()}
	if err := videos.BatchWrite(ctx, []Video{draft, live}, nil); err != nil {
		fmt.Println(err)
		return
	}
	for v, err := range table.All(ctx, videos, table.String("ann"), nil) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("visible:", v.ID)
	}
	// Expired items count as absent, so Create may take the key over.
	fmt.Println("create over expired:", videos.Create(ctx, &Video{Owner: "ann", ID: "draft"}))
	// Output:
	// visible: live
	// create over expired: <nil>
}

// printer is an events.Publisher that prints what it receives.
type printer struct{}

func (printer) Publish(_ context.Context, e events.Event) error {
	fmt.Println(e.Source, e.Type)
	return nil
}

func Example_stream() {
	ctx := context.Background()
	videos, err := memtable.New[Video]("videos", &memtable.Options{
		Stream: &memtable.StreamOptions{Publisher: printer{}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	v := Video{Owner: "ann", ID: "v1", Title: "Holiday"}
	_ = videos.Put(ctx, &v, nil)
	_ = videos.Put(ctx, &v, nil)
	_ = videos.Delete(ctx, table.Key{Partition: table.String("ann"), Sort: table.String("v1")}, nil)
	// Output:
	// aws.dynamodb INSERT
	// aws.dynamodb MODIFY
	// aws.dynamodb REMOVE
}
