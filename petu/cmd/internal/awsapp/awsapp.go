// Package awsapp builds petu on the AWS adapters from a Lambda function's environment. The three
// Lambda entrypoints (petu/cmd/api, petu/cmd/on-upload, petu/cmd/on-transcoded) share it; the
// deployment template (petu/template.yaml) sets the variables it reads.
package awsapp

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/mediaconvert"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/servous/servous/identity"
	"github.com/servous/servous/identity/awscognito"
	"github.com/servous/servous/petu"
	"github.com/servous/servous/storage/awss3"
	"github.com/servous/servous/table/awsdynamodb"
	"github.com/servous/servous/transcode/awsmediaconvert"
)

// The environment variables the functions read. The SDK reads its own as well (AWS_REGION, the
// credentials, and AWS_ENDPOINT_URL_<SERVICE> to point a client elsewhere, as tests do).
const (
	EnvUploadsBucket  = "UPLOADS_BUCKET"        // the bucket browsers upload to
	EnvMediaBucket    = "MEDIA_BUCKET"          // the bucket of renditions and thumbnails
	EnvVideosTable    = "VIDEOS_TABLE"          // the DynamoDB table of video records
	EnvIdentityPool   = "IDENTITY_POOL_ID"      // the Cognito identity pool, "us-east-1:…"
	EnvLoginProvider  = "LOGIN_PROVIDER"        // the pool's login provider: accounts.google.com
	EnvMediaRole      = "MEDIACONVERT_ROLE_ARN" // the role MediaConvert jobs run as
	EnvMediaQueue     = "MEDIACONVERT_QUEUE"    // the MediaConvert queue; empty for Default
	EnvS3PathStyle    = "S3_PATH_STYLE"         // "true" for path-style S3 URLs
	EnvMaxUploadBytes = "MAX_UPLOAD_BYTES"      // the upload size limit; empty for petu's default
)

// Load reads the environment and returns the app over the AWS adapters. It sends no request: it
// runs at init, once per execution environment.
func Load(ctx context.Context) (*petu.App, error) {
	var missing []string
	get := func(name string, required bool) string {
		v := os.Getenv(name)
		if v == "" && required {
			missing = append(missing, name)
		}
		return v
	}
	uploads, media := get(EnvUploadsBucket, true), get(EnvMediaBucket, true)
	videos, pool := get(EnvVideosTable, true), get(EnvIdentityPool, true)
	provider, role := get(EnvLoginProvider, false), get(EnvMediaRole, true)
	queue, pathStyle := get(EnvMediaQueue, false), get(EnvS3PathStyle, false) == "true"
	maxUpload := get(EnvMaxUploadBytes, false)
	if len(missing) > 0 {
		return nil, fmt.Errorf("petu: environment variables not set: %v", missing)
	}
	if provider == "" {
		provider = identity.ProviderGoogle
	}
	var maxBytes int64
	if maxUpload != "" {
		if _, err := fmt.Sscan(maxUpload, &maxBytes); err != nil || maxBytes <= 0 {
			return nil, fmt.Errorf("petu: %s=%q: want a positive number of bytes", EnvMaxUploadBytes, maxUpload)
		}
	}

	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("petu: load AWS config: %w", err)
	}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = pathStyle })
	table, err := awsdynamodb.New[petu.Video](dynamodb.NewFromConfig(cfg), videos, nil)
	if err != nil {
		return nil, err
	}
	// Cognito's GetId and GetCredentialsForIdentity are unsigned: the caller's token is the proof.
	cognito := cognitoidentity.NewFromConfig(cfg, func(o *cognitoidentity.Options) {
		o.Credentials = aws.AnonymousCredentials{}
	})
	return petu.New(petu.Deps{
		Uploads:    awss3.New(s3c, uploads, nil),
		Media:      awss3.New(s3c, media, nil),
		Videos:     table,
		Identity:   awscognito.New(cognito, pool, &awscognito.Options{Providers: []string{provider}}),
		Transcoder: awsmediaconvert.New(mediaconvert.NewFromConfig(cfg), role, &awsmediaconvert.Options{Queue: queue}),
	}, petu.Config{
		UploadsBucket: uploads,
		MediaBucket:   media,
		Provider:      provider,
		MaxUploadSize: maxBytes,
	})
}
