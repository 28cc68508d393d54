package awss3

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/internal/request"
)

// Get implements storage.Bucket.
func (b *Bucket) Get(ctx context.Context, key string, opts *storage.GetOptions) (*storage.Object, error) {
	if err := request.Key(key); err != nil {
		return nil, fmt.Errorf("awss3: get: %w", err)
	}
	in := &s3.GetObjectInput{Bucket: aws.String(b.name), Key: aws.String(key)}
	var rng *storage.Range
	if opts != nil {
		if opts.IfMatch != "" {
			in.IfMatch = aws.String(quote(opts.IfMatch))
		}
		if opts.Range != nil {
			if err := request.Range(opts.Range); err != nil {
				return nil, fmt.Errorf("awss3: get %q: %w", key, err)
			}
			rng = opts.Range
			in.Range = aws.String(request.RangeHeader(rng))
		}
	}
	l := b.calls()
	out, err := b.client.GetObject(ctx, in, l.opts(key)...)
	if err != nil {
		b.report(ctx, l)
		return nil, wrap("get", key, err)
	}
	if l != nil && len(l.calls) > 0 {
		// The attempt that answered is reported when its body is closed, with the bytes read.
		last := l.calls[len(l.calls)-1]
		l.calls = l.calls[:len(l.calls)-1]
		b.report(ctx, l)
		out.Body = &meteredBody{ReadCloser: out.Body, ctx: ctx, b: b, call: last}
	}
	info := storage.ObjectInfo{
		Key:          key,
		Size:         aws.ToInt64(out.ContentLength),
		ETag:         aws.ToString(out.ETag),
		LastModified: aws.ToTime(out.LastModified),
		ContentType:  aws.ToString(out.ContentType),
		CacheControl: aws.ToString(out.CacheControl),
		Metadata:     request.Metadata(out.Metadata),
	}
	obj := &storage.Object{Info: info, Body: out.Body, Length: info.Size}
	if cr := aws.ToString(out.ContentRange); cr != "" {
		off, total, ok := parseContentRange(cr)
		if !ok {
			out.Body.Close()
			return nil, fmt.Errorf("awss3: get %q: malformed Content-Range %q", key, cr)
		}
		obj.Offset, obj.Info.Size = off, total
	}
	return obj, nil
}

// parseContentRange parses "bytes first-last/total".
func parseContentRange(s string) (offset, total int64, ok bool) {
	spec, ok := strings.CutPrefix(s, "bytes ")
	if !ok {
		return 0, 0, false
	}
	rng, tot, ok := strings.Cut(spec, "/")
	first, _, ok2 := strings.Cut(rng, "-")
	offset, err1 := strconv.ParseInt(first, 10, 64)
	total, err2 := strconv.ParseInt(tot, 10, 64)
	return offset, total, ok && ok2 && err1 == nil && err2 == nil
}

// Head implements storage.Bucket.
func (b *Bucket) Head(ctx context.Context, key string) (*storage.ObjectInfo, error) {
	if err := request.Key(key); err != nil {
		return nil, fmt.Errorf("awss3: head: %w", err)
	}
	l := b.calls()
	defer b.report(ctx, l)
	out, err := b.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b.name), Key: aws.String(key)}, l.opts(key)...)
	if err != nil {
		return nil, wrap("head", key, err)
	}
	return &storage.ObjectInfo{
		Key:          key,
		Size:         aws.ToInt64(out.ContentLength),
		ETag:         aws.ToString(out.ETag),
		LastModified: aws.ToTime(out.LastModified),
		ContentType:  aws.ToString(out.ContentType),
		CacheControl: aws.ToString(out.CacheControl),
		Metadata:     request.Metadata(out.Metadata),
	}, nil
}

// Delete implements storage.Bucket.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	if err := request.Key(key); err != nil {
		return fmt.Errorf("awss3: delete: %w", err)
	}
	l := b.calls()
	defer b.report(ctx, l)
	_, err := b.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b.name), Key: aws.String(key)}, l.opts(key)...)
	if err != nil && !errors.Is(sentinel(err), storage.ErrNotFound) {
		return wrap("delete", key, err)
	}
	return nil
}
