package awsdynamodb

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/servous/servous/table/internal/item"
)

// attempts counts the attempts the SDK makes for one call, retries included.
type attempts struct{ n atomic.Int32 }

func (*attempts) ID() string { return "awsdynamodb.attempts" }

func (a *attempts) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	a.n.Add(1)
	return next.HandleFinalize(ctx, in)
}

// option installs the counter after the retry middleware, so it sees every attempt.
func (a *attempts) option(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
		return s.Finalize.Insert(a, "Retry", middleware.After)
	})
}

// ownWrite tells whether a conditional write that failed its condition on a retry failed
// against itself: an earlier attempt was applied but its answer lost, and the retry met the
// result. It is when the stored item is the item written, attribute for attribute, read with
// a strongly consistent read.
func (t *Table[T]) ownWrite(ctx context.Context, err error, tries *attempts, key, written item.Item) bool {
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) || tries.n.Load() < 2 {
		return false
	}
	out, gerr := t.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &t.name, Key: key, ConsistentRead: aws.Bool(true)})
	if gerr != nil || len(out.Item) != len(written) {
		return false
	}
	for name, v := range written {
		if w, ok := out.Item[name]; !ok || !item.Equal(v, w) {
			return false
		}
	}
	return true
}
