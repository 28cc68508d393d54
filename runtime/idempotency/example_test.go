package idempotency_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/servous/servous/runtime"

	"github.com/servous/servous/runtime/idempotency"
	"github.com/servous/servous/table/memtable"
)

type Payment struct {
	OrderID string `json:"orderId"`
	Cents   int    `json:"cents"`
}

type Charge struct {
	ChargeID string `json:"chargeId"`
}

// A payment handler charges each order once, however often its event is delivered. In
// production the table is awsdynamodb's; here memtable's.
func ExampleFunc() {
	records, err := memtable.New[idempotency.Record]("idempotency", nil)
	if err != nil {
		log.Fatal(err)
	}
	store := idempotency.New(records, &idempotency.Options{ValidatePayload: true})

	charges := 0
	charge := idempotency.Func(store,
		func(p Payment) (string, error) { return p.OrderID, nil },
		func(ctx context.Context, p Payment) (Charge, error) {
			charges++
			return Charge{ChargeID: fmt.Sprintf("ch-%d", charges)}, nil
		})

	ctx := context.Background()
	first, _ := charge(ctx, Payment{OrderID: "o-1", Cents: 500})
	again, _ := charge(ctx, Payment{OrderID: "o-1", Cents: 500}) // redelivered: the stored result
	_, err = charge(ctx, Payment{OrderID: "o-1", Cents: 900})    // same order, other amount
	fmt.Println(first.ChargeID, again.ChargeID, charges)
	fmt.Println(errors.Is(err, idempotency.ErrPayloadMismatch))
	// Output:
	// ch-1 ch-1 1
	// true
}

// As middleware, the store works on the raw payload: here the key is the S3 object's key of
// an EventBridge "Object Created" event, so a redelivered event is not processed twice.
func ExampleStore_Middleware() {
	records, err := memtable.New[idempotency.Record]("idempotency", nil)
	if err != nil {
		log.Fatal(err)
	}
	store := idempotency.New(records, nil)

	type objectCreated struct {
		Detail struct {
			Object struct {
				Key string `json:"key"`
			} `json:"object"`
		} `json:"detail"`
	}
	transcodes := 0
	h := runtime.NewHandler(func(ctx context.Context, ev objectCreated) (string, error) {
		transcodes++
		return "job-for-" + ev.Detail.Object.Key, nil
	}, &runtime.Options{
		Middleware: []runtime.Middleware{store.Middleware(idempotency.JSONKey("detail", "object", "key"))},
		Metrics:    &runtime.MetricsOptions{Writer: &bytes.Buffer{}},
	})
	fn := runtime.NewLocal(h, &runtime.LocalOptions{FunctionName: "transcode"})

	event := []byte(`{"detail-type":"Object Created","detail":{"object":{"key":"uploads/a.mp4"}}}`)
	for range 2 {
		out, err := fn.Invoke(context.Background(), event)
		fmt.Println(string(out), err)
	}
	fmt.Println("transcodes:", transcodes)
	// Output:
	// "job-for-uploads/a.mp4" <nil>
	// "job-for-uploads/a.mp4" <nil>
	// transcodes: 1
}
