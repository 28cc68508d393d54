// Command api is petu's API as a Lambda function behind a Function URL: petu.App.API served
// by servous's runtime/httpfn.
//
// Build it as Lambda runs it:
//
//	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -o bootstrap ./petu/cmd/api
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/servous/servous/petu/cmd/internal/awsapp"
	"github.com/servous/servous/runtime/httpfn"
)

func main() {
	app, err := awsapp.Load(context.Background())
	if err != nil {
		slog.Error("petu api: init", slog.Any("error", err))
		os.Exit(1)
	}
	httpfn.Start(app.API(), &httpfn.Options{Source: httpfn.FunctionURL})
}
