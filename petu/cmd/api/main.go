// Command api is petu's API as a Lambda function behind a Function URL: petu.App.API served
// by servous's runtime/httpfn. It meters what it uses when the template's LogUsage turns
// metering on (see awsapp's Metering).
//
// Build it as Lambda runs it:
//
//	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -ldflags='-s -w' -o bootstrap ./petu/cmd/api
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/mediaconvert"

	"github.com/servous/servous/identity"
	"github.com/servous/servous/identity/awscognito"
	"github.com/servous/servous/petu/cmd/internal/awsapp"
	"github.com/servous/servous/runtime"
	"github.com/servous/servous/runtime/httpfn"
	"github.com/servous/servous/transcode"
	"github.com/servous/servous/transcode/awsmediaconvert"
)

func main() {
	m := awsapp.NewMeter()
	app, err := awsapp.Load(context.Background(), "api", awsapp.Services{Identity: exchanger, Transcoder: transcoder, Meter: m})
	if err != nil {
		slog.Error("petu api: init", slog.Any("error", err))
		os.Exit(1)
	}
	httpfn.Start(app.API(), &httpfn.Options{
		Source:  httpfn.FunctionURL,
		Runtime: &runtime.Options{Middleware: awsapp.Metering(m)},
	})
}

// exchanger is the Cognito identity pool. GetId and GetCredentialsForIdentity are unsigned: the
// caller's token is the proof.
func exchanger(cfg aws.Config, env *awsapp.Env) identity.Exchanger {
	c := cognitoidentity.NewFromConfig(cfg, func(o *cognitoidentity.Options) {
		o.Credentials = aws.AnonymousCredentials{}
		o.BaseEndpoint = awsapp.Endpoint("COGNITO_IDENTITY")
	})
	return awscognito.New(c, env.IdentityPool, &awscognito.Options{Providers: []string{env.LoginProvider}})
}

// transcoder is MediaConvert, as the template's role and queue say.
func transcoder(cfg aws.Config, env *awsapp.Env) transcode.Transcoder {
	c := mediaconvert.NewFromConfig(cfg, func(o *mediaconvert.Options) { o.BaseEndpoint = awsapp.Endpoint("MEDIACONVERT") })
	return awsmediaconvert.New(c, env.MediaRole, &awsmediaconvert.Options{Queue: env.MediaQueue})
}
