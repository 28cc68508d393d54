package memtable

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/servous/servous/events"
	"github.com/servous/servous/table"
	"github.com/servous/servous/table/internal/item"
)

// StreamOptions configure a table's stream.
type StreamOptions struct {
	// Publisher receives one event per write, made by events.NewItemChange; required.
	Publisher events.Publisher
	// ViewType is one of events.StreamKeysOnly, StreamNewImage, StreamOldImage and
	// StreamNewAndOldImages (the default when empty).
	ViewType string
	// ARN is the stream's ARN; empty means events.StreamARN(Region, "000000000000",
	// table name, creation time).
	ARN string
	// Region is the table's region; empty means "us-east-1".
	Region string
	// OnError receives errors from Publish; writes never fail because of them, as a
	// DynamoDB write does not fail because of its stream. Nil drops them.
	OnError func(error)
}

type streamer struct {
	opts StreamOptions
	now  func() time.Time
	seq  atomic.Uint64
}

func newStreamer(name string, _ table.Schema, o StreamOptions, now func() time.Time) (*streamer, error) {
	if o.Publisher == nil {
		return nil, fmt.Errorf("stream without a publisher: %w", table.ErrInvalidArgument)
	}
	switch o.ViewType {
	case "":
		o.ViewType = events.StreamNewAndOldImages
	case events.StreamKeysOnly, events.StreamNewImage, events.StreamOldImage, events.StreamNewAndOldImages:
	default:
		return nil, fmt.Errorf("unknown stream view type %q: %w", o.ViewType, table.ErrInvalidArgument)
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.ARN == "" {
		o.ARN = events.StreamARN(o.Region, "000000000000", name, now())
	}
	return &streamer{opts: o, now: now}, nil
}

// ttlIdentity marks records of items removed by time to live, as DynamoDB marks them.
var ttlIdentity = &lambdaevents.DynamoDBUserIdentity{Type: "Service", PrincipalID: "dynamodb.amazonaws.com"}

// publish sends the record of one write; old and new are nil for an absent item.
func (s *streamer) publish(ctx context.Context, k table.Key, schema table.Schema, old, new item.Item) {
	s.publishAs(ctx, k, schema, old, new, nil)
}

func (s *streamer) publishAs(ctx context.Context, k table.Key, schema table.Schema, old, new item.Item, who *lambdaevents.DynamoDBUserIdentity) {
	c := events.ItemChange{
		SourceARN:      s.opts.ARN,
		Region:         s.opts.Region,
		StreamViewType: s.opts.ViewType,
		Time:           s.now().Truncate(time.Second),
		// 21 digits, increasing, as DynamoDB's sequence numbers look.
		SequenceNumber: fmt.Sprintf("%021d", 100000000000000000+s.seq.Add(1)),
		UserIdentity:   who,
	}
	switch {
	case old == nil:
		c.Name = events.ItemInserted
	case new == nil:
		c.Name = events.ItemRemoved
	default:
		c.Name = events.ItemModified
	}
	keys, _ := item.KeyItem(schema, k)
	c.Keys = lambdaItem(keys)
	if s.opts.ViewType == events.StreamNewImage || s.opts.ViewType == events.StreamNewAndOldImages {
		c.NewImage = lambdaItem(new)
	}
	if s.opts.ViewType == events.StreamOldImage || s.opts.ViewType == events.StreamNewAndOldImages {
		c.OldImage = lambdaItem(old)
	}
	e, err := events.NewItemChange(c)
	if err == nil {
		err = s.opts.Publisher.Publish(context.WithoutCancel(ctx), e)
	}
	if err != nil && s.opts.OnError != nil {
		s.opts.OnError(fmt.Errorf("memtable: stream record %s: %w", c.SequenceNumber, err))
	}
}

func lambdaItem(it item.Item) map[string]lambdaevents.DynamoDBAttributeValue {
	if it == nil {
		return nil
	}
	out := make(map[string]lambdaevents.DynamoDBAttributeValue, len(it))
	for k, v := range it {
		out[k] = lambdaValue(v)
	}
	return out
}

func lambdaValue(v types.AttributeValue) lambdaevents.DynamoDBAttributeValue {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return lambdaevents.NewStringAttribute(v.Value)
	case *types.AttributeValueMemberN:
		return lambdaevents.NewNumberAttribute(v.Value)
	case *types.AttributeValueMemberB:
		return lambdaevents.NewBinaryAttribute(append([]byte(nil), v.Value...))
	case *types.AttributeValueMemberBOOL:
		return lambdaevents.NewBooleanAttribute(v.Value)
	case *types.AttributeValueMemberSS:
		return lambdaevents.NewStringSetAttribute(append([]string(nil), v.Value...))
	case *types.AttributeValueMemberNS:
		return lambdaevents.NewNumberSetAttribute(append([]string(nil), v.Value...))
	case *types.AttributeValueMemberBS:
		bs := make([][]byte, len(v.Value))
		for i, b := range v.Value {
			bs[i] = append([]byte(nil), b...)
		}
		return lambdaevents.NewBinarySetAttribute(bs)
	case *types.AttributeValueMemberL:
		l := make([]lambdaevents.DynamoDBAttributeValue, len(v.Value))
		for i, e := range v.Value {
			l[i] = lambdaValue(e)
		}
		return lambdaevents.NewListAttribute(l)
	case *types.AttributeValueMemberM:
		return lambdaevents.NewMapAttribute(lambdaItem(v.Value))
	}
	return lambdaevents.NewNullAttribute()
}
