package runtime_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/servous/servous/runtime"
)

type ResizeRequest struct {
	Key   string `json:"key"`
	Width int    `json:"width"`
}

type ResizeResult struct {
	Key string `json:"key"`
}

// resizer holds what the function builds once per execution environment.
type resizer struct {
	bucket string
}

func (r *resizer) resize(ctx context.Context, req ResizeRequest) (ResizeResult, error) {
	if req.Width <= 0 {
		return ResizeResult{}, errors.New("width must be positive")
	}
	runtime.Metrics(ctx).Add("Resized", runtime.UnitCount, 1)
	slog.InfoContext(ctx, "resized", "key", req.Key, "width", req.Width)
	return ResizeResult{Key: fmt.Sprintf("%s/%d/%s", r.bucket, req.Width, req.Key)}, nil
}

// A function's main builds its dependencies once, then starts serving. Start blocks, so
// this example is compiled but not run.
func ExampleStart() {
	r := &resizer{bucket: os.Getenv("BUCKET")}
	runtime.Start(r.resize, &runtime.Options{
		DeadlineMargin: time.Second,
		Metrics:        &runtime.MetricsOptions{Namespace: "thumbnails"},
		OnShutdown:     func() { slog.Info("shutting down") },
	})
}

// exampleLogger logs to stdout without the fields that change between runs.
func exampleLogger() *slog.Logger {
	return slog.New(runtime.NewLogHandler(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "requestId" || a.Key == "traceId" {
				return slog.Attr{}
			}
			return a
		},
	})))
}

// A test runs the handler as deployed, middleware included, with a Local.
func ExampleNewHandler() {
	r := &resizer{bucket: "media"}
	logger := exampleLogger()
	prev := slog.Default()
	slog.SetDefault(logger) // as Start does, so slog.InfoContext carries the invocation's fields
	defer slog.SetDefault(prev)

	h := runtime.NewHandler(r.resize, &runtime.Options{
		Logger:  logger,
		Metrics: &runtime.MetricsOptions{Writer: &bytes.Buffer{}},
	})
	fn := runtime.NewLocal(h, &runtime.LocalOptions{FunctionName: "resize"})

	out, err := fn.Invoke(context.Background(), []byte(`{"key":"cat.jpg","width":320}`))
	fmt.Println(string(out), err)
	_, err = fn.Invoke(context.Background(), []byte(`{"key":"cat.jpg"}`))
	fmt.Println(err)
	// Output:
	// {"level":"INFO","msg":"resized","key":"cat.jpg","width":320,"functionName":"resize","coldStart":true}
	// {"key":"media/320/cat.jpg"} <nil>
	// {"level":"ERROR","msg":"invocation failed","error":"width must be positive","errorType":"errorString","functionName":"resize","coldStart":false}
	// width must be positive
}

// Local runs any lambda.Handler as Lambda would: a LambdaContext, a deadline, one cold start,
// panics and timeouts as errors.
func ExampleLocal() {
	h := lambda.NewHandler(func(ctx context.Context, name string) (string, error) {
		lc, _ := lambdacontext.FromContext(ctx)
		_, hasDeadline := ctx.Deadline()
		fmt.Println("ARN:", lc.InvokedFunctionArn, "cold start:", runtime.ColdStart(ctx), "deadline:", hasDeadline)
		if name == "" {
			panic("no name")
		}
		return "hello, " + name, nil
	})
	fn := runtime.NewLocal(h, &runtime.LocalOptions{FunctionName: "greet", Region: "eu-west-1", Timeout: 3 * time.Second})

	out, err := fn.Invoke(context.Background(), []byte(`"ada"`))
	fmt.Println(string(out), err)
	_, err = fn.Invoke(context.Background(), []byte(`""`))
	var pe *runtime.PanicError
	fmt.Println(errors.As(err, &pe), err)
	// Output:
	// ARN: arn:aws:lambda:eu-west-1:000000000000:function:greet cold start: true deadline: true
	// "hello, ada" <nil>
	// ARN: arn:aws:lambda:eu-west-1:000000000000:function:greet cold start: false deadline: true
	// true panic: no name
}

// A Worker runs invocations on its caller's goroutine, for an event source with worker
// goroutines of its own. A handler stuck past its deadline is abandoned: the function given to
// NewWorker settles the event, and the worker's goroutine is left with the handler.
func ExampleWorker() {
	stuck := make(chan struct{})
	defer close(stuck)
	fn := runtime.NewLocal(runtime.HandlerFunc[string, string](func(ctx context.Context, name string) (string, error) {
		if name == "slow" {
			<-stuck // ignores its context, as a stuck function does
		}
		return "hello, " + name, nil
	}), &runtime.LocalOptions{FunctionName: "greet", Timeout: 100 * time.Millisecond})

	events := make(chan string, 3)
	events <- `"ada"`
	events <- `"slow"`
	events <- `"grace"`
	close(events)
	settled := make(chan string)
	var work func()
	work = func() {
		var event string
		w := fn.NewWorker(func(err error) {
			settled <- event + ": " + err.Error() // retry it, or send it to a dead-letter queue
			go work()                             // another goroutine takes this one's place
		})
		for event = range events {
			out, err := w.Invoke(context.Background(), []byte(event))
			if errors.Is(err, runtime.ErrAbandoned) {
				return // settled by the function given to NewWorker
			}
			settled <- event + ": " + string(out)
		}
		close(settled)
	}
	go work()
	for s := range settled {
		fmt.Println(s)
	}
	// Output:
	// "ada": "hello, ada"
	// "slow": runtime: task timed out after 0.10 seconds
	// "grace": "hello, grace"
}

// Middleware is a function from handler to handler; Chain composes them, the first
// outermost. Give your own to Options.Middleware to run them inside the standard ones.
func ExampleChain() {
	requireJSONObject := func(next lambda.Handler) lambda.Handler {
		return runtime.InvokeFunc(func(ctx context.Context, payload []byte) ([]byte, error) {
			if !bytes.HasPrefix(bytes.TrimSpace(payload), []byte("{")) {
				return nil, errors.New("payload is not a JSON object")
			}
			return next.Invoke(ctx, payload)
		})
	}
	echo := runtime.HandlerFunc[map[string]any, map[string]any](func(ctx context.Context, in map[string]any) (map[string]any, error) {
		return in, nil
	})
	h := runtime.Chain(echo, runtime.Recover(), requireJSONObject)

	out, err := h.Invoke(context.Background(), []byte(`{"a":1}`))
	fmt.Println(string(out), err)
	_, err = h.Invoke(context.Background(), []byte(`[1]`))
	fmt.Println(err)
	// Output:
	// {"a":1} <nil>
	// payload is not a JSON object
}

// EmitMetrics writes what the handler recorded as an Embedded Metric Format document when
// the invocation ends.
func ExampleEmitMetrics() {
	var docs bytes.Buffer
	h := runtime.Chain(runtime.InvokeFunc(func(ctx context.Context, payload []byte) ([]byte, error) {
		m := runtime.Metrics(ctx)
		m.Add("Uploads", runtime.UnitCount, 1)
		m.Add("UploadBytes", runtime.UnitBytes, 52_428_800)
		m.SetDimension("Stage", "prod")
		return nil, nil
	}), runtime.EmitMetrics(&runtime.MetricsOptions{Namespace: "petu", Writer: &docs, NoColdStartMetric: true}))
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	if _, err := runtime.NewLocal(h, &runtime.LocalOptions{FunctionName: "upload"}).Invoke(ctx, nil); err != nil {
		fmt.Println(err)
	}

	var doc struct {
		AWS struct {
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		} `json:"_aws"`
		Uploads     float64
		UploadBytes float64
		RequestID   string `json:"requestId"`
	}
	if err := json.Unmarshal(docs.Bytes(), &doc); err != nil {
		fmt.Println(err)
	}
	d := doc.AWS.CloudWatchMetrics[0]
	fmt.Println(d.Namespace, d.Dimensions, d.Metrics)
	fmt.Println(doc.Uploads, doc.UploadBytes, doc.RequestID)
	// Output:
	// petu [[FunctionName Stage]] [{Uploads Count} {UploadBytes Bytes}]
	// 1 5.24288e+07 req-1
}
