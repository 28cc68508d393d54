// Command on-transcoded is petu's on-transcoded Lambda function: an EventBridge rule on
// "MediaConvert Job State Change" invokes it (petu.App.OnTranscoded), started with servous's
// runtime.
//
// Build it as Lambda runs it:
//
//	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -ldflags='-s -w' -o bootstrap ./petu/cmd/on-transcoded
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/servous/servous/petu/cmd/internal/awsapp"
	"github.com/servous/servous/runtime"
)

func main() {
	app, err := awsapp.Load(context.Background(), "on-transcoded", awsapp.Services{})
	if err != nil {
		slog.Error("petu on-transcoded: init", slog.Any("error", err))
		os.Exit(1)
	}
	runtime.Start(app.OnTranscoded, nil)
}
