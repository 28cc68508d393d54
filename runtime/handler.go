package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
)

// HandlerFunc is a typed Lambda handler. Its Invoke method makes it a [lambda.Handler] that
// decodes the payload as JSON into In and encodes Out as JSON, with aws-lambda-go's defaults:
// HTML characters are not escaped and there is no trailing newline.
//
// Unlike the handlers lambda.NewHandler returns, whose response buffer is reused by the next
// call, a HandlerFunc returns a fresh response on each call, so it may be invoked concurrently
// (as [Local] and in-memory event buses do).
type HandlerFunc[In, Out any] func(context.Context, In) (Out, error)

// Invoke implements [lambda.Handler].
func (f HandlerFunc[In, Out]) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var in In
	if err := json.Unmarshal(payload, &in); err != nil {
		return nil, fmt.Errorf("runtime: decode %T: %w", in, err)
	}
	out, err := f(ctx, in)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return nil, fmt.Errorf("runtime: encode %T: %w", out, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
