package cost_test

import (
	"errors"
	"testing"

	"github.com/servous/servous/cost"
	"github.com/servous/servous/table"
	"github.com/servous/servous/table/memtable"
)

type video struct {
	Owner string `dynamodbav:"owner" table:"partition"`
	ID    string `dynamodbav:"id" table:"sort"`
	Title string `dynamodbav:"title"`
}

// The meter plugs into memtable's OnCall option: each write of a small item is a write unit,
// a failed conditional create is billed, a strongly consistent read of a small item is one
// read unit and an eventually consistent one half.
func TestTableCallThroughMemtable(t *testing.T) {
	m := cost.NewMeter(nil)
	videos, err := memtable.New[video]("videos", &memtable.Options{OnCall: m.TableCall})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	v := &video{Owner: "ann", ID: "v1", Title: "Holiday"}
	if err := videos.Create(ctx, v); err != nil {
		t.Fatal(err)
	}
	if err := videos.Create(ctx, v); !errors.Is(err, table.ErrAlreadyExists) {
		t.Fatalf("second create: %v", err)
	}
	key := table.Key{Partition: table.String("ann"), Sort: table.String("v1")}
	if _, err := videos.Get(ctx, key, &table.GetOptions{ConsistentRead: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := videos.Get(ctx, key, nil); err != nil {
		t.Fatal(err)
	}
	u := m.Usage()
	near(t, "write units", u.Get("dynamodb", "videos", cost.UnitWriteUnits), 2)
	near(t, "read units", u.Get("dynamodb", "videos", cost.UnitReadUnits), 1.5)
}
