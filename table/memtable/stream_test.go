package memtable_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"
	"github.com/servous/servous/events"
	"github.com/servous/servous/table"
	"github.com/servous/servous/table/memtable"
)

// recorder is an events.Publisher that keeps what it is given.
type recorder struct {
	mu     sync.Mutex
	events []events.Event
	fail   error
}

func (r *recorder) Publish(_ context.Context, e events.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	return r.fail
}

func (r *recorder) changes(t *testing.T) []events.ItemChange {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []events.ItemChange
	for _, e := range r.events {
		if e.Source != events.SourceDynamoDB {
			t.Errorf("event source %q, want %q", e.Source, events.SourceDynamoDB)
		}
		cs, err := events.DecodeItemChanges(e.Payload)
		if err != nil {
			t.Fatalf("payload does not decode as a stream record: %v\n%s", err, e.Payload)
		}
		if len(cs) != 1 || cs[0].Name != e.Type {
			t.Fatalf("event type %q with records %+v", e.Type, cs)
		}
		out = append(out, cs[0])
	}
	r.events = nil
	return out
}

type video struct {
	Owner   string `dynamodbav:"owner" table:"partition"`
	ID      string `dynamodbav:"id" table:"sort"`
	Title   string `dynamodbav:"title,omitempty"`
	Views   int64  `dynamodbav:"views,omitempty"`
	Expires int64  `dynamodbav:"expires,omitempty" table:"expires"`
}

func s(v string) lambdaevents.DynamoDBAttributeValue { return lambdaevents.NewStringAttribute(v) }
func n(v string) lambdaevents.DynamoDBAttributeValue { return lambdaevents.NewNumberAttribute(v) }

type img = map[string]lambdaevents.DynamoDBAttributeValue

func TestStream(t *testing.T) {
	rec := &recorder{}
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tb, err := memtable.New[video]("videos", &memtable.Options{
		Now:    func() time.Time { return created },
		Stream: &memtable.StreamOptions{Publisher: rec},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	keys := img{"owner": s("ann"), "id": s("v1")}
	k := table.Key{Partition: table.String("ann"), Sort: table.String("v1")}

	if err := tb.Put(ctx, &video{Owner: "ann", ID: "v1", Title: "first"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := tb.Create(ctx, &video{Owner: "ann", ID: "v1"}); !errors.Is(err, table.ErrAlreadyExists) {
		t.Fatalf("Create: %v", err)
	}
	if _, err := tb.Update(ctx, k, []table.Change{table.Add("views", 1)}, nil); err != nil {
		t.Fatal(err)
	}
	if err := tb.Delete(ctx, k, &table.DeleteOptions{If: table.Equal("views", 2)}); !errors.Is(err, table.ErrConditionFailed) {
		t.Fatalf("conditional Delete: %v", err)
	}
	if err := tb.Delete(ctx, k, nil); err != nil {
		t.Fatal(err)
	}
	if err := tb.Delete(ctx, k, nil); err != nil {
		t.Fatal(err)
	}
	// An expired item vanishes without a record of the caller's delete.
	if err := tb.Put(ctx, &video{Owner: "ann", ID: "old", Expires: created.Unix() - 1}, nil); err != nil {
		t.Fatal(err)
	}
	if err := tb.Delete(ctx, table.Key{Partition: table.String("ann"), Sort: table.String("old")}, nil); err != nil {
		t.Fatal(err)
	}

	got := rec.changes(t)
	arn := events.StreamARN("us-east-1", "000000000000", "videos", created)
	base := events.ItemChange{SourceARN: arn, Region: "us-east-1", StreamViewType: events.StreamNewAndOldImages, Time: created, EventVersion: "1.1"}
	want := []events.ItemChange{base, base, base, base}
	want[0].Name, want[0].Keys, want[0].NewImage = events.ItemInserted, keys, img{"owner": s("ann"), "id": s("v1"), "title": s("first")}
	want[1].Name, want[1].Keys = events.ItemModified, keys
	want[1].OldImage = want[0].NewImage
	want[1].NewImage = img{"owner": s("ann"), "id": s("v1"), "title": s("first"), "views": n("1")}
	want[2].Name, want[2].Keys, want[2].OldImage = events.ItemRemoved, keys, want[1].NewImage
	oldKeys := img{"owner": s("ann"), "id": s("old")}
	want[3].Name, want[3].Keys, want[3].NewImage = events.ItemInserted, oldKeys, img{"owner": s("ann"), "id": s("old"), "expires": n("1767323044")}
	ignore := cmp.FilterPath(func(p cmp.Path) bool {
		switch p.Last().String() {
		case ".EventID", ".SequenceNumber", ".SizeBytes":
			return true
		}
		return false
	}, cmp.Ignore())
	if diff := cmp.Diff(want, got, ignore, cmp.Comparer(func(a, b lambdaevents.DynamoDBAttributeValue) bool {
		ja, _ := a.MarshalJSON()
		jb, _ := b.MarshalJSON()
		return string(ja) == string(jb)
	})); diff != "" {
		t.Errorf("stream records (-want +got):\n%s", diff)
	}
	for i := 1; i < len(got); i++ {
		if events.CompareSequencers(got[i-1].SequenceNumber, got[i].SequenceNumber) >= 0 {
			t.Errorf("sequence numbers do not increase: %s then %s", got[i-1].SequenceNumber, got[i].SequenceNumber)
		}
	}
}

func TestStreamViewTypesAndErrors(t *testing.T) {
	rec := &recorder{fail: errors.New("bus down")}
	var mu sync.Mutex
	var errs []error
	tb, err := memtable.New[video]("videos", &memtable.Options{Stream: &memtable.StreamOptions{
		Publisher: rec, ViewType: events.StreamKeysOnly, ARN: "arn:aws:dynamodb:eu-west-1:123456789012:table/videos/stream/x", Region: "eu-west-1",
		OnError: func(err error) { mu.Lock(); errs = append(errs, err); mu.Unlock() },
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := tb.Put(t.Context(), &video{Owner: "a", ID: "b", Title: "t"}, nil); err != nil {
		t.Fatalf("Put failed because publishing did: %v", err)
	}
	got := rec.changes(t)
	if len(got) != 1 || got[0].NewImage != nil || got[0].OldImage != nil || got[0].Region != "eu-west-1" || len(got[0].Keys) != 2 {
		t.Errorf("keys-only record = %+v", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(errs) != 1 {
		t.Errorf("OnError got %v, want one error", errs)
	}
	for _, o := range []*memtable.StreamOptions{{}, {Publisher: rec, ViewType: "ALL"}} {
		if _, err := memtable.New[video]("v", &memtable.Options{Stream: o}); !errors.Is(err, table.ErrInvalidArgument) {
			t.Errorf("New with stream options %+v: %v", o, err)
		}
	}
}

func TestClock(t *testing.T) {
	now := time.Unix(1000, 0)
	var mu sync.Mutex
	tb, err := memtable.New[video]("videos", &memtable.Options{Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }})
	if err != nil {
		t.Fatal(err)
	}
	k := table.Key{Partition: table.String("a"), Sort: table.String("b")}
	if err := tb.Put(t.Context(), &video{Owner: "a", ID: "b", Expires: 1001}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := tb.Get(t.Context(), k, nil); err != nil {
		t.Fatalf("Get one second before expiry: %v", err)
	}
	mu.Lock()
	now = time.Unix(1001, 0)
	mu.Unlock()
	if _, err := tb.Get(t.Context(), k, nil); !errors.Is(err, table.ErrNotFound) {
		t.Fatalf("Get at the expiry second: %v", err)
	}
	if tb.Len() != 1 {
		t.Errorf("Len = %d; the expired item stays stored until replaced or deleted", tb.Len())
	}
}

func TestNewErrors(t *testing.T) {
	type noKey struct{ A string }
	if _, err := memtable.New[noKey]("x", nil); !errors.Is(err, table.ErrInvalidArgument) {
		t.Errorf("New without a partition key: %v", err)
	}
	if _, err := memtable.New[noKey]("x", &memtable.Options{Schema: &table.Schema{PartitionKey: "A", SortKey: "A"}}); !errors.Is(err, table.ErrInvalidArgument) {
		t.Errorf("New with a schema naming A twice: %v", err)
	}
	tb, err := memtable.New[noKey]("x", &memtable.Options{Schema: &table.Schema{PartitionKey: "A"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := tb.Schema(); got.PartitionKeyKind != table.KindString {
		t.Errorf("schema defaults not applied: %+v", got)
	}
}

func TestSweep(t *testing.T) {
	rec := &recorder{}
	now := time.Unix(5000, 0)
	tb, err := memtable.New[video]("videos", &memtable.Options{
		Now:    func() time.Time { return now },
		Stream: &memtable.StreamOptions{Publisher: rec, ViewType: events.StreamOldImage},
	})
	if err != nil {
		t.Fatal(err)
	}
	var items []video
	for i := range 1500 {
		exp := int64(0)
		if i%3 == 0 {
			exp = 4000 // expired
		}
		items = append(items, video{Owner: fmt.Sprint("o", i%2), ID: fmt.Sprintf("%04d", i), Expires: exp})
	}
	if err := tb.BatchWrite(t.Context(), items, nil); err != nil {
		t.Fatal(err)
	}
	rec.changes(t)
	if got := tb.Sweep(t.Context()); got != 500 {
		t.Errorf("Sweep removed %d, want 500", got)
	}
	if tb.Len() != 1000 {
		t.Errorf("Len after Sweep = %d, want 1000", tb.Len())
	}
	got := rec.changes(t)
	if len(got) != 500 {
		t.Fatalf("%d stream records, want 500", len(got))
	}
	for _, c := range got {
		if c.Name != events.ItemRemoved || c.UserIdentity == nil || c.UserIdentity.PrincipalID != "dynamodb.amazonaws.com" || c.OldImage == nil {
			t.Fatalf("time-to-live record = %+v", c)
		}
	}
	n := 0
	for v, err := range table.All(t.Context(), tb, table.String("o0"), nil) {
		if err != nil {
			t.Fatal(err)
		}
		if v.Expires != 0 {
			t.Errorf("expired item %s survived", v.ID)
		}
		n++
	}
	if n != 500 {
		t.Errorf("partition o0 has %d items after Sweep, want 500", n)
	}
	if tb.Sweep(t.Context()) != 0 {
		t.Error("second Sweep removed items")
	}
}
