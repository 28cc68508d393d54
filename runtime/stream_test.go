package runtime_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/servous/servous/runtime"
)

// TestStreamResponseElsewhere checks that only a function started by StartHandler can stream:
// under Local the handler is told so and answers as usual. (Streaming itself is tested by
// runtime/httpfn against a Runtime API server.)
func TestStreamResponseElsewhere(t *testing.T) {
	if w, ok := runtime.StreamResponse(t.Context(), "text/plain"); ok || w != nil {
		t.Errorf("StreamResponse outside an invocation = %v, %v", w, ok)
	}
	h := runtime.Wrap(runtime.InvokeFunc(func(ctx context.Context, payload []byte) ([]byte, error) {
		if _, ok := runtime.StreamResponse(ctx, "text/plain"); ok {
			t.Error("StreamResponse under Local says the invocation can stream")
		}
		return []byte(`"ok"`), nil
	}), &runtime.Options{Logger: slog.New(slog.DiscardHandler), Metrics: &runtime.MetricsOptions{Writer: io.Discard}})
	out, err := runtime.NewLocal(h, nil).Invoke(t.Context(), []byte(`{}`))
	if err != nil || string(out) != `"ok"` {
		t.Errorf("Invoke = %s, %v", out, err)
	}
}
