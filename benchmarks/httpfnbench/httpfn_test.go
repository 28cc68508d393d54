package httpfnbench_test

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/servous/servous/runtime"
	"github.com/servous/servous/runtime/httpfn"
)

// Both sides start from the event payload and end with the response payload, as Lambda
// invokes a function: aws-lambda-go-api-proxy's adapters are served by aws-lambda-go's
// lambda.NewHandler, which decodes the event and encodes the response, as lambda.Start does;
// httpfn's handler is NewHandler's, within runtime's standard middleware (logs at INFO, metrics,
// panic recovery, deadline margin).

func payload(b *testing.B, name string) []byte {
	p, err := os.ReadFile(filepath.Join("..", "..", "runtime", "httpfn", "testdata", name))
	if err != nil {
		b.Fatal(err)
	}
	return p
}

func invocationContext(b *testing.B) context.Context {
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(time.Hour))
	b.Cleanup(cancel)
	return lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
		AwsRequestID:       "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
		InvokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:api",
	})
}

func httpfnHandler(h http.Handler, source httpfn.Source) lambda.Handler {
	return httpfn.NewHandler(h, &httpfn.Options{Source: source, Runtime: &runtime.Options{
		Logger:  slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Metrics: &runtime.MetricsOptions{Writer: io.Discard},
	}})
}

func run(b *testing.B, h lambda.Handler, payload []byte, minOut int) {
	ctx := invocationContext(b)
	b.ReportAllocs()
	for b.Loop() {
		out, err := h.Invoke(ctx, payload)
		if err != nil || len(out) < minOut {
			b.Fatalf("%v: %.200s", err, out)
		}
	}
}

var smallJSON = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"id":"42","title":"A cat on a keyboard","status":"ready"}`)
})

func BenchmarkSmallJSON(b *testing.B) {
	b.Run("payload2.0", func(b *testing.B) {
		p := payload(b, "httpapi-jwt.json")
		b.Run("httpfn", func(b *testing.B) { run(b, httpfnHandler(smallJSON, httpfn.Detect), p, 60) })
		b.Run("httpfn-fixed-source", func(b *testing.B) { run(b, httpfnHandler(smallJSON, httpfn.HTTPAPI), p, 60) })
		b.Run("apiproxy", func(b *testing.B) {
			run(b, lambda.NewHandler(httpadapter.NewV2(smallJSON).ProxyWithContext), p, 60)
		})
	})
	b.Run("payload1.0", func(b *testing.B) {
		p := payload(b, "rest-get.json")
		b.Run("httpfn", func(b *testing.B) { run(b, httpfnHandler(smallJSON, httpfn.Detect), p, 60) })
		b.Run("httpfn-fixed-source", func(b *testing.B) { run(b, httpfnHandler(smallJSON, httpfn.RESTAPI), p, 60) })
		b.Run("apiproxy", func(b *testing.B) {
			run(b, lambda.NewHandler(httpadapter.New(smallJSON).ProxyWithContext), p, 60)
		})
	})
}

// BenchmarkBinary4_5MiB is a buffered 4.5 MiB binary response, about the most a buffered
// response carries once base64-encoded.
func BenchmarkBinary4_5MiB(b *testing.B) {
	body := make([]byte, 9<<19)
	rand.Read(body)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(body)
	})
	p := payload(b, "httpapi-jwt.json")
	b.Run("httpfn", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		run(b, httpfnHandler(h, httpfn.Detect), p, len(body))
	})
	b.Run("apiproxy", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		run(b, lambda.NewHandler(httpadapter.NewV2(h).ProxyWithContext), p, len(body))
	})
}
