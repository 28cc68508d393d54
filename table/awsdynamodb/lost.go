package awsdynamodb

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/servous/servous/table/internal/item"
)

// unknownOutcomes counts the attempts of one call whose outcome the client cannot know: those
// that got no answer (the connection broke) or a 5xx, after which DynamoDB may or may not have
// applied the request. A 400 (a throttle, a failed condition) says it did not.
type unknownOutcomes struct{ n atomic.Int32 }

func (*unknownOutcomes) ID() string { return "awsdynamodb.unknownOutcomes" }

func (u *unknownOutcomes) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	out, md, err := next.HandleFinalize(ctx, in)
	if err != nil {
		// A request that got no answer carries status 0.
		var re *smithyhttp.ResponseError
		if !errors.As(err, &re) || re.HTTPStatusCode() == 0 || re.HTTPStatusCode() >= http.StatusInternalServerError {
			u.n.Add(1)
		}
	}
	return out, md, err
}

// option installs the counter after the retry middleware, so it sees every attempt.
func (u *unknownOutcomes) option(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
		return s.Finalize.Insert(u, "Retry", middleware.After)
	})
}

// ownWrite tells whether a conditional write that failed its condition after an attempt of
// unknown outcome failed against itself: that attempt was applied, its answer lost, and the
// retry met the result. It is when the stored item is the item written, attribute for
// attribute, read with a strongly consistent read; for a delete (written is nil), when no
// item is stored.
func (t *Table[T]) ownWrite(ctx context.Context, err error, unknown *unknownOutcomes, key, written item.Item) bool {
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) || unknown.n.Load() == 0 {
		return false
	}
	out, gerr := t.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &t.name, Key: key, ConsistentRead: aws.Bool(true), ReturnConsumedCapacity: t.capacity()})
	if gerr != nil {
		return false
	}
	t.reportRead(ctx, item.OpGet, units(out.ConsumedCapacity))
	if len(out.Item) != len(written) {
		return false
	}
	for name, v := range written {
		if w, ok := out.Item[name]; !ok || !item.Equal(v, w) {
			return false
		}
	}
	return true
}
