// Command on-upload is petu's on-upload Lambda function: the uploads bucket's notifications of
// created objects invoke it (petu.App.OnUpload), started with servous's runtime. It meters what
// it uses when the template's LogUsage turns metering on (see awsapp's Metering).
//
// Build it as Lambda runs it:
//
//	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -ldflags='-s -w' -o bootstrap ./petu/cmd/on-upload
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mediaconvert"

	"github.com/servous/servous/petu/cmd/internal/awsapp"
	"github.com/servous/servous/runtime"
	"github.com/servous/servous/transcode"
	"github.com/servous/servous/transcode/awsmediaconvert"
)

func main() {
	m := awsapp.NewMeter()
	app, err := awsapp.Load(context.Background(), "on-upload", awsapp.Services{Transcoder: transcoder, Meter: m})
	if err != nil {
		slog.Error("petu on-upload: init", slog.Any("error", err))
		os.Exit(1)
	}
	runtime.Start(app.OnUpload, &runtime.Options{Middleware: awsapp.Metering(m)})
}

// transcoder is MediaConvert, as the template's role and queue say.
func transcoder(cfg aws.Config, env *awsapp.Env) transcode.Transcoder {
	c := mediaconvert.NewFromConfig(cfg, func(o *mediaconvert.Options) { o.BaseEndpoint = awsapp.Endpoint("MEDIACONVERT") })
	return awsmediaconvert.New(c, env.MediaRole, &awsmediaconvert.Options{Queue: env.MediaQueue})
}
