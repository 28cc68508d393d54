package awss3_test

import (
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/servous/servous/storage/awss3"
	"github.com/servous/servous/storage/storagetest"
)

// clock follows the S3 server's clock, so URLs signed after the server's clock moved are signed
// at the server's time, as a client's clock and S3's agree.
type clock struct {
	mu   sync.Mutex
	skew time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.skew)
}

func TestConformance(t *testing.T) {
	storagetest.RunBucketTests(t, func(t *testing.T) storagetest.Target {
		srv := storagetest.NewS3Server(t, nil)
		clk := &clock{}
		b := awss3.New(srv.Client(), srv.NewBucket(t), &awss3.Options{Now: clk.Now})
		return storagetest.Target{
			Bucket:     b,
			HTTPClient: srv.HTTPClient(),
			Advance: func(d time.Duration) {
				srv.Advance(d)
				clk.mu.Lock()
				clk.skew += d
				clk.mu.Unlock()
			},
			User: func(t *testing.T) (aws.Credentials, string) {
				prefix := "uploads/us-east-1:user-a/"
				return srv.AddUser(prefix), prefix
			},
		}
	})
}
