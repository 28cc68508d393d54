package awss3

import (
	"context"
	"errors"
	"io"
	"net/http/httptrace"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/servous/servous/storage"
)

// callLog collects the requests one method of the bucket sends, each attempt of the SDK's
// retryer included, so that the method can report them to Options.OnCall once it knows what
// the requests left behind (the size of the object written). A nil *callLog collects nothing
// and installs nothing: metering off costs one nil check per call.
type callLog struct {
	bucket string
	mu     sync.Mutex // multipart uploads send parts concurrently
	calls  []storage.Call
}

// calls returns a log for one method's requests, or nil when nobody meters them.
func (b *Bucket) calls() *callLog {
	if b.opts.OnCall == nil {
		return nil
	}
	return &callLog{bucket: b.name}
}

// opts returns the per-operation client options that log a request on key; none for a nil log.
func (l *callLog) opts(key string) []func(*s3.Options) {
	if l == nil {
		return nil
	}
	return []func(*s3.Options){l.option(key)}
}

// option installs, on one operation's stack, a middleware after the retryer's: it runs once per
// attempt, so each request S3 receives is one call.
func (l *callLog) option(key string) func(*s3.Options) {
	return func(o *s3.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			m := &attemptLogger{log: l, key: key}
			if err := s.Finalize.Insert(m, "Retry", middleware.After); err != nil {
				// A stack without the SDK's retryer makes one attempt per operation.
				return s.Finalize.Add(m, middleware.After)
			}
			return nil
		})
	}
}

// attemptLogger logs each attempt of an operation.
type attemptLogger struct {
	log *callLog
	key string
}

func (*attemptLogger) ID() string { return "ServousCallLog" }

func (m *attemptLogger) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	// Go's HTTP transport writes a request again, within one attempt, when a reused
	// connection fails before any answer: each write is a request S3 may have received.
	var writes atomic.Int32
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteHeaders: func() { writes.Add(1) }})
	out, md, err := next.HandleFinalize(ctx, in)
	n := int(writes.Load())
	var re *smithyhttp.ResponseError
	if n == 0 && (awsmiddleware.GetRawResponse(md) != nil || errors.As(err, &re)) {
		n = 1 // answered by an HTTP client that does not trace its writes
	}
	// Every request written counts, answered or not: one whose answer was lost may have
	// reached S3, which bills it either way. Those before the last failed.
	op := middleware.GetOperationName(ctx)
	for i := range n {
		m.log.add(storage.Call{Op: op, Key: m.key, Failed: err != nil || i < n-1})
	}
	return out, md, err
}

func (l *callLog) add(c storage.Call) {
	c.Bucket = l.bucket
	l.mu.Lock()
	l.calls = append(l.calls, c)
	l.mu.Unlock()
}

// sized gives size to the last successful call among ops, the one that wrote the object.
func (l *callLog) sized(size int64, ops ...string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := len(l.calls) - 1; i >= 0; i-- {
		c := &l.calls[i]
		if c.Failed {
			continue
		}
		for _, op := range ops {
			if c.Op == op {
				c.Size = size
				return
			}
		}
	}
}

// report hands the logged calls to the bucket's OnCall, in the order they ended, and empties
// the log.
func (b *Bucket) report(ctx context.Context, l *callLog) {
	if l == nil {
		return
	}
	l.mu.Lock()
	calls := l.calls
	l.calls = nil
	l.mu.Unlock()
	for _, c := range calls {
		b.opts.OnCall(ctx, c)
	}
}

// meteredBody counts the bytes a GetObject body returns and reports the call when it is
// closed: S3 bills the bytes it sent out, which a reader that stops early never receives all of.
type meteredBody struct {
	io.ReadCloser
	ctx    context.Context
	b      *Bucket
	call   storage.Call
	once   sync.Once
	broken bool
}

func (m *meteredBody) Read(p []byte) (int, error) {
	n, err := m.ReadCloser.Read(p)
	m.call.Bytes += int64(n)
	if err != nil && err != io.EOF {
		m.broken = true
	}
	return n, err
}

func (m *meteredBody) Close() error {
	err := m.ReadCloser.Close()
	m.once.Do(func() {
		c := m.call
		c.Failed = c.Failed || m.broken
		m.b.opts.OnCall(m.ctx, c)
	})
	return err
}

// meteredClient is the S3 client the transfer manager uses when calls are metered: it logs
// every request, the abort of a failed upload included (the transfer manager sends that one
// without the per-call options it gives the others).
type meteredClient struct {
	*s3.Client
	log *callLog
}

func (m meteredClient) with(opts []func(*s3.Options), key *string) []func(*s3.Options) {
	return append(opts[:len(opts):len(opts)], m.log.option(aws.ToString(key)))
}

func (m meteredClient) PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	return m.Client.PutObject(ctx, in, m.with(opts, in.Key)...)
}

func (m meteredClient) UploadPart(ctx context.Context, in *s3.UploadPartInput, opts ...func(*s3.Options)) (*s3.UploadPartOutput, error) {
	return m.Client.UploadPart(ctx, in, m.with(opts, in.Key)...)
}

func (m meteredClient) CreateMultipartUpload(ctx context.Context, in *s3.CreateMultipartUploadInput, opts ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error) {
	return m.Client.CreateMultipartUpload(ctx, in, m.with(opts, in.Key)...)
}

func (m meteredClient) CompleteMultipartUpload(ctx context.Context, in *s3.CompleteMultipartUploadInput, opts ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error) {
	return m.Client.CompleteMultipartUpload(ctx, in, m.with(opts, in.Key)...)
}

func (m meteredClient) AbortMultipartUpload(ctx context.Context, in *s3.AbortMultipartUploadInput, opts ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error) {
	return m.Client.AbortMultipartUpload(ctx, in, m.with(opts, in.Key)...)
}

func (m meteredClient) GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	return m.Client.GetObject(ctx, in, m.with(opts, in.Key)...)
}

func (m meteredClient) HeadObject(ctx context.Context, in *s3.HeadObjectInput, opts ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	return m.Client.HeadObject(ctx, in, m.with(opts, in.Key)...)
}

func (m meteredClient) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	return m.Client.ListObjectsV2(ctx, in, m.with(opts, nil)...)
}
