// Command on-upload is petu's on-upload Lambda function: the uploads bucket's notifications of
// created objects invoke it (petu.App.OnUpload), started with servous's runtime.
//
// Build it as Lambda runs it:
//
//	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -o bootstrap ./petu/cmd/on-upload
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/servous/servous/petu/cmd/internal/awsapp"
	"github.com/servous/servous/runtime"
)

func main() {
	app, err := awsapp.Load(context.Background())
	if err != nil {
		slog.Error("petu on-upload: init", slog.Any("error", err))
		os.Exit(1)
	}
	runtime.Start(app.OnUpload, nil)
}
