package awss3

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/internal/request"
)

// List implements storage.Bucket with ListObjectsV2.
func (b *Bucket) List(ctx context.Context, opts *storage.ListOptions) (*storage.ListPage, error) {
	o, size, err := request.List(opts)
	if err != nil {
		return nil, fmt.Errorf("awss3: list: %w", err)
	}
	in := &s3.ListObjectsV2Input{Bucket: aws.String(b.name), MaxKeys: aws.Int32(int32(size))}
	if o.Prefix != "" {
		in.Prefix = aws.String(o.Prefix)
	}
	if o.Delimiter != "" {
		in.Delimiter = aws.String(o.Delimiter)
	}
	if o.PageToken != "" {
		in.ContinuationToken = aws.String(o.PageToken)
	}
	l := b.calls()
	defer b.report(ctx, l)
	out, err := b.client.ListObjectsV2(ctx, in, l.opts("")...)
	if err != nil {
		return nil, wrap("list", o.Prefix, err)
	}
	page := &storage.ListPage{}
	for _, c := range out.Contents {
		page.Objects = append(page.Objects, storage.ObjectInfo{
			Key:          aws.ToString(c.Key),
			Size:         aws.ToInt64(c.Size),
			ETag:         aws.ToString(c.ETag),
			LastModified: aws.ToTime(c.LastModified),
		})
	}
	for _, p := range out.CommonPrefixes {
		page.CommonPrefixes = append(page.CommonPrefixes, aws.ToString(p.Prefix))
	}
	if aws.ToBool(out.IsTruncated) {
		page.NextPageToken = aws.ToString(out.NextContinuationToken)
	}
	return page, nil
}
