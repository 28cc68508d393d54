// Package httpfnbench compares runtime/httpfn with aws-lambda-go-api-proxy's httpadapter,
// measured in the same run on the same handler and payloads: the per-request cost of a small
// JSON response (payload formats 2.0 and 1.0), and a buffered binary response. It holds
// benchmarks only.
package httpfnbench
