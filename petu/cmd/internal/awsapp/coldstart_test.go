package awsapp_test

import (
	"context"
	"os"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/servous/servous/petu/cmd/internal/awsapp"
	"github.com/servous/servous/runtime/runtimetest"
)

var (
	// initDurationRE is the REPORT line's Init Duration, which the emulator writes after the
	// first invocation of an execution environment.
	initDurationRE = regexp.MustCompile(`Init Duration: ([0-9.]+) ms`)
	// initReportRE is the emulator's INIT REPORT: from the process's start until the runtime
	// asks for its first invocation.
	initReportRE = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)
)

// BenchmarkColdStart compares petu's three functions with aws-lambda-go's hello world, all built
// as deployed (GOOS=linux, CGO_ENABLED=0, -tags lambda.norpc) and started under aws-lambda-rie:
// the binary's size, and a cold start's init as the emulator reports it (INIT REPORT durationMs
// and the REPORT line's Init Duration). Each iteration makes one cold start of each function in
// turn, so that all see the same machine load; the figures are medians.
//
// The functions' init is awsapp.Load: the SDK's configuration from the environment and the
// clients, no request. Each is invoked with a payload it answers without a request, so no peer
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
	bins := map[string]string{}
	sizes := map[string]float64{}
	for _, fn := range fns {
		bins[fn.name] = runtimetest.Build(b, fn.pkg, nil)
		sizes[fn.name+"-bytes"] = fileSize(b, bins[fn.name])
		sizes[fn.name+"-arm64-bytes"] = fileSize(b, runtimetest.Build(b, fn.pkg, &runtimetest.BuildOptions{GOARCH: "arm64"}))
	}
	initMs, reportMs := map[string][]float64{}, map[string][]float64{}
	for b.Loop() {
		for _, fn := range fns {
			f := runtimetest.Run(b, bins[fn.name], &runtimetest.Options{Env: env})
			if _, err := f.Invoke(context.Background(), []byte(fn.payload)); err != nil {
				b.Fatal(err)
			}
			out, err := f.WaitFor(context.Background(), "REPORT RequestId", 1)
			if err != nil {
				b.Fatal(err)
			}
			initMs[fn.name] = append(initMs[fn.name], parseMs(b, initReportRE, out))
			reportMs[fn.name] = append(reportMs[fn.name], parseMs(b, initDurationRE, out))
			f.Stop()
		}
	}
	for name, size := range sizes {
		b.ReportMetric(size, name)
	}
	for _, fn := range fns {
		b.ReportMetric(median(initMs[fn.name]), fn.name+"-init-ms")
		b.ReportMetric(median(reportMs[fn.name]), fn.name+"-report-init-ms")
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

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

func parseMs(tb testing.TB, re *regexp.Regexp, out string) float64 {
	tb.Helper()
	m := re.FindStringSubmatch(out)
	if m == nil {
		tb.Fatalf("no %s in the emulator's output:\n%s", re, out)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}
