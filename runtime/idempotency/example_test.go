package idempotency_test

import (
	"context"
	"errors"
	"fmt"
	"log"

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
