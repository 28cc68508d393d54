package awsapp_test

import (
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/servous/servous/identity"
	"github.com/servous/servous/petu/cmd/internal/awsapp"
)

func TestConfig(t *testing.T) {
	for _, name := range []string{"AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SDK_UA_APP_ID", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"} {
		t.Setenv(name, "")
	}
	if _, err := awsapp.Config(); err == nil || !strings.Contains(err.Error(), "AWS_ACCESS_KEY_ID") || !strings.Contains(err.Error(), "AWS_REGION") {
		t.Errorf("Config with no environment: %v, want an error naming the missing variables", err)
	}
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_SESSION_TOKEN", "token")
	t.Setenv("AWS_SDK_UA_APP_ID", "api")
	cfg, err := awsapp.Config()
	if err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "eu-west-1" || cfg.AppID != "api" || creds.AccessKeyID != "ASIAEXAMPLE" || creds.SecretAccessKey != "secret" || creds.SessionToken != "token" || cfg.BaseEndpoint != nil {
		t.Errorf("Config: region %q, app id %q, credentials %+v, endpoint %v", cfg.Region, cfg.AppID, creds, cfg.BaseEndpoint)
	}

	if e := awsapp.Endpoint("S3"); e != nil {
		t.Errorf("Endpoint(S3) with no variable = %q, want nil", *e)
	}
	t.Setenv("AWS_ENDPOINT_URL", "http://all.example")
	t.Setenv("AWS_ENDPOINT_URL_S3", "http://s3.example")
	if cfg, _ := awsapp.Config(); cfg.BaseEndpoint == nil || *cfg.BaseEndpoint != "http://all.example" {
		t.Errorf("Config with AWS_ENDPOINT_URL: endpoint %v", cfg.BaseEndpoint)
	}
	if e := awsapp.Endpoint("S3"); e == nil || *e != "http://s3.example" {
		t.Errorf("Endpoint(S3) = %v, want http://s3.example", e)
	}
	t.Setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
	if cfg, _ := awsapp.Config(); cfg.BaseEndpoint != nil || awsapp.Endpoint("S3") != nil {
		t.Errorf("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true: endpoints %v, %v, want none", cfg.BaseEndpoint, awsapp.Endpoint("S3"))
	}
}

// TestServicesNotGranted checks that a function given neither Cognito nor MediaConvert refuses
// their calls with a clear error, and needs none of their variables.
func TestServicesNotGranted(t *testing.T) {
	t.Setenv("AWS_REGION", region)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
	t.Setenv(awsapp.EnvUploadsBucket, uploadsBucket)
	t.Setenv(awsapp.EnvMediaBucket, mediaBucket)
	t.Setenv(awsapp.EnvVideosTable, videosTable)
	t.Setenv(awsapp.EnvIdentityPool, "")
	t.Setenv(awsapp.EnvMediaRole, "")
	app, err := awsapp.Load(t.Context(), "on-transcoded", awsapp.Services{})
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Transcoder.Cancel(t.Context(), "job"); !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), "on-transcoded") {
		t.Errorf("Cancel: %v, want an error wrapping errors.ErrUnsupported naming the function", err)
	}
	if _, err := app.Identity.Exchange(t.Context(), identity.Login{}); !errors.Is(err, identity.ErrMisconfigured) {
		t.Errorf("Exchange: %v, want an error wrapping identity.ErrMisconfigured", err)
	}
}

// TestFunctionsLinkOnlyTheirClients checks that each function's binary carries only the SDK
// clients it calls, and none of the providers of config.LoadDefaultConfig.
func TestFunctionsLinkOnlyTheirClients(t *testing.T) {
	const sdk = "github.com/aws/aws-sdk-go-v2/"
	want := map[string][]string{
		"api":           {"service/cognitoidentity", "service/dynamodb", "service/mediaconvert", "service/s3"},
		"on-upload":     {"service/dynamodb", "service/mediaconvert", "service/s3"},
		"on-transcoded": {"service/dynamodb", "service/s3"},
	}
	for _, fn := range functions {
		out, err := exec.Command("go", "list", "-tags", "lambda.norpc", "-deps", fn.pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", fn.pkg, err)
		}
		var got []string
		for p := range strings.Lines(string(out)) {
			p = strings.TrimSpace(p)
			if rest, ok := strings.CutPrefix(p, sdk); ok {
				if strings.HasPrefix(rest, "config") || strings.HasPrefix(rest, "credentials/") || strings.HasPrefix(rest, "feature/ec2/imds") {
					t.Errorf("%s links %s", fn.name, p)
				}
				if s, ok := strings.CutPrefix(rest, "service/"); ok && !strings.Contains(s, "/") && s != "internal" {
					got = append(got, rest)
				}
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want[fn.name]) {
			t.Errorf("%s links the clients %v, want %v", fn.name, got, want[fn.name])
		}
	}
}

// TestMetering checks that PETU_LOG_USAGE turns metering and the usage records on, and only
// "true" does.
func TestMetering(t *testing.T) {
	for v, want := range map[string]int{"": 0, "false": 0, "1": 0, "true": 2} {
		t.Setenv(awsapp.EnvLogUsage, v)
		m := awsapp.NewMeter()
		if got := len(awsapp.Metering(m)); got != want || (m != nil) != (want > 0) {
			t.Errorf("%s=%q: meter %v, %d middleware; want %d", awsapp.EnvLogUsage, v, m, got, want)
		}
	}
}
