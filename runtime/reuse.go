package runtime

import (
	"context"
	"reflect"
	"sync"

	"github.com/aws/aws-lambda-go/lambda"
)

// awsHandlerType is the type lambda.NewHandler returns. Its Invoke returns a slice of a pooled
// buffer that goes back to the pool as Invoke returns: the next call, possibly on another
// goroutine, writes over it. Lambda never calls a handler concurrently, so aws-lambda-go does
// not need more; in-process callers do.
var awsHandlerType = reflect.TypeOf(lambda.NewHandler(func() {}))

// awsHandlerLocks holds one mutex per aws-lambda-go handler value, shared by every wrapper of
// that value.
var awsHandlerLocks sync.Map // lambda.Handler -> *sync.Mutex

// copying makes an aws-lambda-go handler safe to call concurrently: calls are serialised and
// the response copied before the next call may reuse its buffer. Any other handler is
// returned as it is.
func copying(h lambda.Handler) lambda.Handler {
	if h == nil || reflect.TypeOf(h) != awsHandlerType {
		return h
	}
	mu, _ := awsHandlerLocks.LoadOrStore(h, new(sync.Mutex))
	return &copyingHandler{h: h, mu: mu.(*sync.Mutex)}
}

type copyingHandler struct {
	h  lambda.Handler
	mu *sync.Mutex
}

func (c *copyingHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out, err := c.h.Invoke(ctx, payload)
	if out != nil {
		out = append([]byte(nil), out...)
	}
	return out, err
}
