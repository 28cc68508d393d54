package awsapp_test

import (
	"os"
	"testing"

	"github.com/servous/servous/petu/cmd/internal/awsapp"
	"github.com/servous/servous/runtime/runtimetest"
)

// BenchmarkColdStart compares petu's three functions with aws-lambda-go's hello world, all built
// as deployed (GOOS=linux, CGO_ENABLED=0, -tags lambda.norpc -trimpath -ldflags='-s -w', as the
// commands' docs say) and started under aws-lambda-rie:
// the binary's size, and a cold start's init as the emulator reports it (INIT REPORT durationMs
// and the REPORT line's Init Duration). Each iteration makes one cold start of each function in
// turn, so that all see the same machine load; the figures are medians.
//
// The functions' init is awsapp.Load: the SDK's configuration from the environment and the
// clients each function calls, no request. Each is invoked with a payload it answers without a request, so no peer
// is needed:
//
//	go test -run '^$' -bench ColdStart -benchtime 10x ./petu/cmd/internal/awsapp/
func BenchmarkColdStart(b *testing.B) {
	// Nothing listens at the endpoints: a cold start sends no request.
	env := map[string]string{
		"AWS_REGION":                        region,
		"AWS_ACCESS_KEY_ID":                 "AKIAIOSFODNN7EXAMPLE",
		"AWS_SECRET_ACCESS_KEY":             "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"AWS_ENDPOINT_URL_S3":               "http://127.0.0.1:9",
		"AWS_ENDPOINT_URL_DYNAMODB":         "http://127.0.0.1:9",
		"AWS_ENDPOINT_URL_COGNITO_IDENTITY": "http://127.0.0.1:9",
		"AWS_ENDPOINT_URL_MEDIACONVERT":     "http://127.0.0.1:9",
		awsapp.EnvUploadsBucket:             uploadsBucket,
		awsapp.EnvMediaBucket:               mediaBucket,
		awsapp.EnvVideosTable:               videosTable,
		awsapp.EnvIdentityPool:              poolID,
		awsapp.EnvLoginProvider:             provider,
		awsapp.EnvMediaRole:                 mediaRole,
		awsapp.EnvS3PathStyle:               "true",
	}
	fns := []struct{ name, pkg, payload string }{
		{"hello", "github.com/servous/servous/runtime/internal/hellofn", `{"name":"ada"}`},
		// An API request without a token is refused before any request.
		{"api", functions[0].pkg, `{"version":"2.0","rawPath":"/api/videos","headers":{},"requestContext":{"http":{"method":"GET","path":"/api/videos"},"domainName":"x.lambda-url.us-east-1.on.aws"}}`},
		// Events that are not notifications are dropped.
		{"on-upload", functions[1].pkg, `{}`},
		{"on-transcoded", functions[2].pkg, `{}`},
	}
	// The emulator runs the binaries built for this machine; Lambda the arm64 ones the template
	// deploys, whose sizes are reported too.
	flags := []string{"-trimpath", "-ldflags=-s -w"}
	bins := map[string]string{}
	sizes := map[string]float64{}
	for _, fn := range fns {
		bins[fn.name] = runtimetest.Build(b, fn.pkg, &runtimetest.BuildOptions{Flags: flags})
		sizes[fn.name+"-bytes"] = fileSize(b, bins[fn.name])
		sizes[fn.name+"-arm64-bytes"] = fileSize(b, runtimetest.Build(b, fn.pkg, &runtimetest.BuildOptions{GOARCH: "arm64", Flags: flags}))
	}
	starts := map[string][]runtimetest.ColdStart{}
	for b.Loop() {
		for _, fn := range fns {
			c := runtimetest.MeasureColdStart(b, bins[fn.name], &runtimetest.Options{Env: env}, []byte(fn.payload))
			starts[fn.name] = append(starts[fn.name], c)
		}
	}
	for name, size := range sizes {
		b.ReportMetric(size, name)
	}
	for _, fn := range fns {
		m := runtimetest.MedianColdStart(starts[fn.name])
		b.ReportMetric(float64(m.Init.Microseconds())/1000, fn.name+"-init-ms")
		b.ReportMetric(float64(m.InitDuration.Microseconds())/1000, fn.name+"-report-init-ms")
	}
}

func fileSize(tb testing.TB, name string) float64 {
	tb.Helper()
	fi, err := os.Stat(name)
	if err != nil {
		tb.Fatal(err)
	}
	return float64(fi.Size())
}
