// Package awsapp builds petu on the AWS adapters from a Lambda function's environment. The three
// Lambda entrypoints (petu/cmd/api, petu/cmd/on-upload, petu/cmd/on-transcoded) share it; the
// deployment template (petu/template.yaml) sets the variables it reads.
//
// Each function links only the SDK clients it calls, for a small binary and a short cold start:
// every one uses S3 and DynamoDB, which Load builds; the API and on-upload pass their own
// Amazon Cognito and AWS Elemental MediaConvert adapters through Services. The SDK's
// configuration is made from the environment as Lambda sets it (see Config) rather than by
// config.LoadDefaultConfig, whose shared config files, SSO, STS, sign-in and instance metadata
// providers a function never uses and would carry.
//
// # Metering
//
// With PETU_LOG_USAGE=true (the template's LogUsage parameter) each function meters what it uses
// in the units AWS bills (package cost): NewMeter's meter, given to Load through
// Services.Meter, counts its S3 requests, DynamoDB request units, MediaConvert output minutes
// and Cognito exchanges, and the middleware of Metering its Lambda requests and GB-seconds; each
// invocation then logs what it used as one JSON record (cost.LogUsage), which cost.ReadUsage
// sums from the functions' logs. It is off by default: a record of some 500 bytes per invocation
// costs CloudWatch Logs' ingestion ($0.50 per GB in us-east-1,
// https://aws.amazon.com/cloudwatch/pricing/), about $0.25 a million invocations, as much again
// as Lambda's $0.20 a million requests. Off, nothing is metered: the table adapter then asks
// DynamoDB for neither the capacity each request consumed nor, for a refused conditional write,
// the stored item.
package awsapp

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/servous/servous/cost"
	"github.com/servous/servous/identity"
	"github.com/servous/servous/petu"
	"github.com/servous/servous/runtime"
	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/awss3"
	"github.com/servous/servous/table"
	"github.com/servous/servous/table/awsdynamodb"
	"github.com/servous/servous/transcode"
)

// The environment variables the functions read. Config reads the SDK's own as well (AWS_REGION,
// the credentials, and AWS_ENDPOINT_URL_<SERVICE> to point a client elsewhere, as tests do).
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
	EnvLogUsage       = "PETU_LOG_USAGE"        // "true" to log each invocation's metered usage
)

// Env is what the functions' environment variables say, checked.
type Env struct {
	UploadsBucket, MediaBucket, VideosTable string
	IdentityPool, LoginProvider             string
	MediaRole, MediaQueue                   string
	S3PathStyle                             bool
	MaxUploadBytes                          int64
}

// Services builds the services a function calls beyond S3 and DynamoDB. A function that does
// not call one leaves it nil, and its binary does not carry the SDK client: the app is then
// given a service that refuses every call, as the function's IAM policy would.
type Services struct {
	// Identity is the Amazon Cognito identity pool (the API).
	Identity func(cfg aws.Config, env *Env) identity.Exchanger
	// Transcoder is AWS Elemental MediaConvert (the API, on-upload).
	Transcoder func(cfg aws.Config, env *Env) transcode.Transcoder
	// Meter, when set, meters every call the app makes: the buckets' S3 requests, the table's
	// request units, the transcoder's output minutes (at a Get that finds a job complete) and
	// the identity pool's exchanges.
	Meter *cost.Meter
}

// Load reads the environment and returns the app over the AWS adapters, for the function named
// function (which names it in errors). It sends no request: it runs at init, once per
// execution environment.
func Load(ctx context.Context, function string, svc Services) (*petu.App, error) {
	env, err := readEnv(svc)
	if err != nil {
		return nil, err
	}
	cfg, err := Config()
	if err != nil {
		return nil, err
	}
	// The adapters ask for and report what they use only with an OnCall; without a meter they
	// send the requests they always did.
	var (
		storageCall func(context.Context, storage.Call)
		tableCall   func(context.Context, table.Call)
	)
	if m := svc.Meter; m != nil {
		storageCall, tableCall = m.StorageCall, m.TableCall
	}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = env.S3PathStyle
		o.BaseEndpoint = Endpoint("S3")
	})
	videos, err := awsdynamodb.New[petu.Video](dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.BaseEndpoint = Endpoint("DYNAMODB")
	}), env.VideosTable, &awsdynamodb.Options{OnCall: tableCall})
	if err != nil {
		return nil, err
	}
	deps := petu.Deps{
		Uploads:    awss3.New(s3c, env.UploadsBucket, &awss3.Options{OnCall: storageCall}),
		Media:      awss3.New(s3c, env.MediaBucket, &awss3.Options{OnCall: storageCall}),
		Videos:     videos,
		Identity:   notGranted{function, "Amazon Cognito"},
		Transcoder: notGranted{function, "AWS Elemental MediaConvert"},
	}
	if svc.Identity != nil {
		deps.Identity = svc.Identity(cfg, env)
		if svc.Meter != nil {
			deps.Identity = cost.Exchanger(deps.Identity, svc.Meter)
		}
	}
	if svc.Transcoder != nil {
		deps.Transcoder = svc.Transcoder(cfg, env)
		if svc.Meter != nil {
			deps.Transcoder = cost.Transcoder(deps.Transcoder, svc.Meter)
		}
	}
	return petu.New(deps, petu.Config{
		UploadsBucket: env.UploadsBucket,
		MediaBucket:   env.MediaBucket,
		Provider:      env.LoginProvider,
		MaxUploadSize: env.MaxUploadBytes,
	})
}

// NewMeter returns the meter of a function's usage if PETU_LOG_USAGE is "true", and nil
// otherwise, when nothing would read what it counts.
func NewMeter() *cost.Meter {
	if os.Getenv(EnvLogUsage) != "true" {
		return nil
	}
	return cost.NewMeter(nil)
}

// Metering returns the runtime middleware that meters a function's invocations in m
// (cost.Lambda: a request, the GB-seconds, the INIT phase, for the function Lambda names in
// AWS_LAMBDA_FUNCTION_NAME with the memory of AWS_LAMBDA_FUNCTION_MEMORY_SIZE) and logs after
// each invocation what m metered during it (cost.LogUsage), to Lambda's log stream; none for a
// nil m. Pass it as runtime.Options.Middleware.
func Metering(m *cost.Meter) []runtime.Middleware {
	if m == nil {
		return nil
	}
	return []runtime.Middleware{cost.LogUsage(m, nil), cost.Lambda(m, cost.Function{})}
}

// readEnv reads petu's variables: those of the services svc builds are required only then.
func readEnv(svc Services) (*Env, error) {
	var missing []string
	get := func(name string, required bool) string {
		v := os.Getenv(name)
		if v == "" && required {
			missing = append(missing, name)
		}
		return v
	}
	env := &Env{
		UploadsBucket: get(EnvUploadsBucket, true),
		MediaBucket:   get(EnvMediaBucket, true),
		VideosTable:   get(EnvVideosTable, true),
		IdentityPool:  get(EnvIdentityPool, svc.Identity != nil),
		LoginProvider: get(EnvLoginProvider, false),
		MediaRole:     get(EnvMediaRole, svc.Transcoder != nil),
		MediaQueue:    get(EnvMediaQueue, false),
		S3PathStyle:   get(EnvS3PathStyle, false) == "true",
	}
	maxUpload := get(EnvMaxUploadBytes, false)
	if len(missing) > 0 {
		return nil, fmt.Errorf("petu: environment variables not set: %v", missing)
	}
	if env.LoginProvider == "" {
		env.LoginProvider = identity.ProviderGoogle
	}
	if maxUpload != "" {
		if _, err := fmt.Sscan(maxUpload, &env.MaxUploadBytes); err != nil || env.MaxUploadBytes <= 0 {
			return nil, fmt.Errorf("petu: %s=%q: want a positive number of bytes", EnvMaxUploadBytes, maxUpload)
		}
	}
	return env, nil
}

// Config returns the SDK's configuration from the environment Lambda gives a function: the
// region from AWS_REGION, the execution role's credentials from AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, and the application id of the SDK's User-Agent
// from AWS_SDK_UA_APP_ID. AWS_ENDPOINT_URL sets the endpoint of every client; see Endpoint for
// one service's.
func Config() (aws.Config, error) {
	region := os.Getenv("AWS_REGION")
	key, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	var missing []string
	for name, v := range map[string]string{"AWS_REGION": region, "AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return aws.Config{}, fmt.Errorf("petu: AWS configuration: environment variables not set: %v", missing)
	}
	cfg := aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, os.Getenv("AWS_SESSION_TOKEN")),
		AppID:       os.Getenv("AWS_SDK_UA_APP_ID"),
	}
	if !ignoreEndpoints() {
		if u := os.Getenv("AWS_ENDPOINT_URL"); u != "" {
			cfg.BaseEndpoint = aws.String(u)
		}
	}
	return cfg, nil
}

// Endpoint returns the endpoint AWS_ENDPOINT_URL_<SERVICE> sets for a service, as the SDK's
// shared configuration reads it (service is the service id in upper case, spaces as
// underscores: "S3", "DYNAMODB", "COGNITO_IDENTITY", "MEDIACONVERT"), or nil to use the
// client's default (or AWS_ENDPOINT_URL, through Config).
func Endpoint(service string) *string {
	if ignoreEndpoints() {
		return nil
	}
	if u := os.Getenv("AWS_ENDPOINT_URL_" + service); u != "" {
		return aws.String(u)
	}
	return nil
}

// ignoreEndpoints reports whether AWS_IGNORE_CONFIGURED_ENDPOINT_URLS turns the endpoint
// variables off, as it does for the SDK.
func ignoreEndpoints() bool {
	return strings.EqualFold(os.Getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true")
}

// errNotGranted is wrapped by the errors of a service a function is not given.
var errNotGranted = errors.New("not granted to this function")

// notGranted stands for a service a function does not call: its IAM policy does not allow it
// either. Every call fails with an error wrapping errors.ErrUnsupported (for a transcoder) or
// identity.ErrMisconfigured (for an identity pool).
type notGranted struct{ function, service string }

func (n notGranted) err(sentinel error) error {
	return fmt.Errorf("petu %s: %s is %w: %w", n.function, n.service, errNotGranted, sentinel)
}

func (n notGranted) Exchange(context.Context, identity.Login) (identity.Identity, error) {
	return identity.Identity{}, n.err(identity.ErrMisconfigured)
}

func (n notGranted) Submit(context.Context, *transcode.Job) (string, error) {
	return "", n.err(errors.ErrUnsupported)
}

func (n notGranted) Get(context.Context, string) (*transcode.Status, error) {
	return nil, n.err(errors.ErrUnsupported)
}

func (n notGranted) Cancel(context.Context, string) error { return n.err(errors.ErrUnsupported) }
