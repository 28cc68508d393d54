package faultproxy

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// Retryer returns the SDK's standard retryer with maxAttempts attempts, backoff capped at
// 50ms and no client-side retry quota, for a client's Retryer option. The standard retryer's
// default (3 attempts, a 500-token quota that each retry draws 5 from and a timeout 10)
// absorbs AWS's occasional fault; a test that faults a fixed fraction of every request needs
// more attempts and no quota, and short waits keep it fast.
func Retryer(maxAttempts int) func() aws.Retryer {
	return func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = maxAttempts
			o.MaxBackoff = 50 * time.Millisecond
			o.RateLimiter = ratelimit.None
		})
	}
}
