package awss3

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/internal/request"
)

// countingReader counts the bytes of a body whose length is not known in advance.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// Put implements storage.Bucket.
func (b *Bucket) Put(ctx context.Context, key string, body io.Reader, opts *storage.PutOptions) (*storage.ObjectInfo, error) {
	if err := request.Key(key); err != nil {
		return nil, fmt.Errorf("awss3: put: %w", err)
	}
	var o storage.PutOptions
	if opts != nil {
		o = *opts
	}
	in := &transfermanager.UploadObjectInput{
		Bucket:      aws.String(b.name),
		Key:         aws.String(key),
		ContentType: aws.String(contentType(o.ContentType)),
		Metadata:    request.Metadata(o.Metadata),
	}
	if o.CacheControl != "" {
		in.CacheControl = aws.String(o.CacheControl)
	}
	if o.IfAbsent {
		in.IfNoneMatch = aws.String("*")
	}
	if o.IfMatch != "" {
		in.IfMatch = aws.String(quote(o.IfMatch))
	}
	// A seekable body tells the transfer manager its length (and lets one small PutObject
	// retry without a copy); anything else is counted on the way through.
	var size int64 = -1
	var counter *countingReader
	if s, ok := body.(io.ReadSeeker); ok {
		cur, err1 := s.Seek(0, io.SeekCurrent)
		end, err2 := s.Seek(0, io.SeekEnd)
		if _, err3 := s.Seek(cur, io.SeekStart); err1 == nil && err2 == nil && err3 == nil {
			size = end - cur
			in.Body = s
		}
	}
	if in.Body == nil {
		counter = &countingReader{r: body}
		in.Body = counter
	}
	l := b.calls()
	defer b.report(ctx, l)
	var etag *string
	if size >= 0 && size <= b.singlePutLimit() {
		// A small body of known length goes up as it is: the transfer manager would first
		// copy it into a buffer of its own.
		out, err := b.client.PutObject(ctx, &s3.PutObjectInput{
			Bucket: in.Bucket, Key: in.Key, Body: in.Body, ContentLength: aws.Int64(size),
			ContentType: in.ContentType, CacheControl: in.CacheControl, Metadata: in.Metadata,
			IfNoneMatch: in.IfNoneMatch, IfMatch: in.IfMatch,
		}, l.opts(key)...)
		if err != nil {
			return nil, wrap("put", key, err)
		}
		etag = out.ETag
	} else {
		var tmOpts []func(*transfermanager.Options)
		if l != nil {
			tmOpts = append(tmOpts, func(o *transfermanager.Options) { o.S3 = meteredClient{Client: b.client, log: l} })
		}
		out, err := b.tm.UploadObject(ctx, in, tmOpts...)
		if err != nil {
			return nil, wrap("put", key, err)
		}
		etag = out.ETag
	}
	if counter != nil {
		size = counter.n
	}
	l.sized(size, "PutObject", "CompleteMultipartUpload")
	return &storage.ObjectInfo{
		Key:          key,
		Size:         size,
		ETag:         aws.ToString(etag),
		ContentType:  contentType(o.ContentType),
		CacheControl: o.CacheControl,
		Metadata:     request.Metadata(o.Metadata),
	}, nil
}

// singlePutLimit is the largest body sent in one PutObject: the transfer manager's threshold.
func (b *Bucket) singlePutLimit() int64 {
	if b.opts.PartSize > 0 {
		return b.opts.PartSize
	}
	return 16 << 20
}

func contentType(ct string) string {
	if ct == "" {
		return "application/octet-stream"
	}
	return ct
}

func quote(etag string) string {
	if strings.HasPrefix(etag, `"`) {
		return etag
	}
	return `"` + etag + `"`
}
