package awseventbridge_test

import (
	"context"
	"encoding/json"
	"errors"
	"log"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/servous/servous/events"
	"github.com/servous/servous/events/awseventbridge"
)

// Publish application events to a custom bus; the caller builds the client.
func ExampleNew() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		log.Fatal(err)
	}
	pub := awseventbridge.New(eventbridge.NewFromConfig(cfg), "petu", nil)

	e, err := events.NewCustom(events.Custom{
		Source:     "com.example.petu",
		DetailType: "Video Published",
		Detail:     json.RawMessage(`{"videoId":"v-42"}`),
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := pub.PublishBatch(ctx, []events.Event{e}); err != nil {
		var pe *awseventbridge.PublishError
		if errors.As(err, &pe) {
			for _, f := range pe.Failed {
				log.Printf("not published: %s: %s", f.Code, f.Message)
			}
		}
		log.Fatal(err)
	}
}
