// Command on-transcoded is petu's on-transcoded Lambda function: an EventBridge rule on
// "MediaConvert Job State Change" invokes it (petu.App.OnTranscoded), started with servous's
// runtime. When the template's LogUsage turns metering on (see awsapp's Metering), it meters
// what it uses, and the output minutes of each job whose completion it is told of: MediaConvert
// bills a job's outputs once it has written them, and this function is where their durations
// arrive.
//
// Build it as Lambda runs it:
//
//	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -ldflags='-s -w' -o bootstrap ./petu/cmd/on-transcoded
package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"

	"github.com/servous/servous/petu/cmd/internal/awsapp"
	"github.com/servous/servous/runtime"
	"github.com/servous/servous/transcode"
)

func main() {
	m := awsapp.NewMeter()
	app, err := awsapp.Load(context.Background(), "on-transcoded", awsapp.Services{Meter: m})
	if err != nil {
		slog.Error("petu on-transcoded: init", slog.Any("error", err))
		os.Exit(1)
	}
	h := app.OnTranscoded
	if m != nil {
		h = func(ctx context.Context, payload json.RawMessage) (struct{}, error) {
			// A repeated event of the same job is metered once per execution environment
			// (JobDone counts a job id once); one delivered to another environment is
			// metered there again.
			if job, err := transcode.DecodeEvent(payload); err == nil && job.State == transcode.StateComplete {
				m.JobDone(job)
			}
			return app.OnTranscoded(ctx, payload)
		}
	}
	runtime.Start(h, &runtime.Options{Middleware: awsapp.Metering(m)})
}
