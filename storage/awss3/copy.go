package awss3

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"

	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/internal/request"
)

// escapeCopySource escapes "bucket/key" for x-amz-copy-source: every byte but unreserved ones
// and '/' percent-encoded, '+' and space included, which S3 would otherwise read differently.
func escapeCopySource(s string) string {
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.~/", c) >= 0 {
			sb.WriteByte(c)
		} else {
			fmt.Fprintf(&sb, "%%%02X", c)
		}
	}
	return sb.String()
}

// Copy implements storage.Bucket with S3's CopyObject, which copies inside S3. A source over
// CopyObject's 5 GiB limit is copied in parts with UploadPartCopy (see Options.CopyPartSize),
// still inside S3, and the copy appears whole or not at all.
func (b *Bucket) Copy(ctx context.Context, dstKey, srcKey string, opts *storage.CopyOptions) (*storage.ObjectInfo, error) {
	for _, k := range []string{dstKey, srcKey} {
		if err := request.Key(k); err != nil {
			return nil, fmt.Errorf("awss3: copy: %w", err)
		}
	}
	in := &s3.CopyObjectInput{
		Bucket:     aws.String(b.name),
		Key:        aws.String(dstKey),
		CopySource: aws.String(escapeCopySource(b.name + "/" + srcKey)),
	}
	if opts != nil {
		if opts.SourceIfMatch != "" {
			in.CopySourceIfMatch = aws.String(quote(opts.SourceIfMatch))
		}
		if r := opts.Replace; r != nil {
			in.MetadataDirective = types.MetadataDirectiveReplace
			in.ContentType = aws.String(contentType(r.ContentType))
			in.Metadata = request.Metadata(r.Metadata)
			if r.CacheControl != "" {
				in.CacheControl = aws.String(r.CacheControl)
			}
			if r.IfAbsent {
				in.IfNoneMatch = aws.String("*")
			}
			if r.IfMatch != "" {
				in.IfMatch = aws.String(quote(r.IfMatch))
			}
		}
	}
	l := b.calls()
	defer b.report(ctx, l)
	info := &storage.ObjectInfo{Key: dstKey}
	out, err := b.client.CopyObject(ctx, in, l.opts(dstKey)...)
	switch {
	case tooLargeToCopy(err):
		if info, err = b.copyParts(ctx, in, srcKey, l); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, wrap("copy", srcKey+" to "+dstKey, err)
	case out.CopyObjectResult != nil:
		r := out.CopyObjectResult
		info.ETag, info.LastModified = aws.ToString(r.ETag), aws.ToTime(r.LastModified)
	}
	// CopyObject answers with the ETag alone; the rest of the info costs a HEAD, which a copy
	// (itself slow in S3) can afford.
	if head, err := b.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b.name), Key: aws.String(dstKey), IfMatch: aws.String(quote(info.ETag))}, l.opts(dstKey)...); err == nil {
		info.Size = aws.ToInt64(head.ContentLength)
		info.ContentType = aws.ToString(head.ContentType)
		info.CacheControl = aws.ToString(head.CacheControl)
		info.Metadata = request.Metadata(head.Metadata)
		info.LastModified = aws.ToTime(head.LastModified)
	}
	l.sized(info.Size, "CopyObject", "CompleteMultipartUpload")
	return info, nil
}

// tooLargeToCopy reports whether err is S3 refusing a CopyObject whose source is over 5 GiB.
// S3 says so only in the message of an InvalidRequest.
func tooLargeToCopy(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "InvalidRequest" &&
		strings.Contains(ae.ErrorMessage(), "larger than the maximum allowable size for a copy source")
}

// Copy part sizes: S3 allows at most 10,000 parts of at least 5 MiB.
const (
	defaultCopyPartSize = 512 << 20
	maxParts            = 10000
)

// copyParts makes the copy in with a multipart upload whose parts UploadPartCopy fills from
// the source, pinned to the source's ETag so that every part comes from one version of it. It
// returns what it knows of the new object; on failure it aborts the upload. It logs its requests
// in l.
func (b *Bucket) copyParts(ctx context.Context, in *s3.CopyObjectInput, srcKey string, l *callLog) (*storage.ObjectInfo, error) {
	dstKey := aws.ToString(in.Key)
	fail := func(err error) (*storage.ObjectInfo, error) { return nil, wrap("copy", srcKey+" to "+dstKey, err) }
	src, err := b.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: in.Bucket, Key: aws.String(srcKey), IfMatch: in.CopySourceIfMatch}, l.opts(srcKey)...)
	if err != nil {
		return fail(err)
	}
	create := &s3.CreateMultipartUploadInput{Bucket: in.Bucket, Key: in.Key}
	if in.MetadataDirective == types.MetadataDirectiveReplace {
		create.ContentType, create.Metadata, create.CacheControl = in.ContentType, in.Metadata, in.CacheControl
	} else {
		// What CopyObject copies with the object.
		create.ContentType, create.Metadata, create.CacheControl = src.ContentType, src.Metadata, src.CacheControl
		create.ContentDisposition, create.ContentEncoding, create.ContentLanguage = src.ContentDisposition, src.ContentEncoding, src.ContentLanguage
		// The SDK's parsed Expires is deprecated: parse the header's value. One that is not an
		// HTTP date (S3 stores what it was given) cannot be set through the SDK and is left out.
		if t, err := http.ParseTime(aws.ToString(src.ExpiresString)); err == nil {
			create.Expires = &t
		}
	}
	up, err := b.client.CreateMultipartUpload(ctx, create, l.opts(dstKey)...)
	if err != nil {
		return fail(err)
	}
	complete := func() (string, error) {
		size := aws.ToInt64(src.ContentLength)
		partSize := b.opts.CopyPartSize
		if partSize <= 0 {
			partSize = defaultCopyPartSize
		}
		partSize = max(partSize, (size+maxParts-1)/maxParts)
		parts := make([]types.CompletedPart, (size+partSize-1)/partSize)
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(cmp.Or(b.opts.Concurrency, 5))
		for i := range parts {
			first := int64(i) * partSize
			last := min(first+partSize, size) - 1
			g.Go(func() error {
				out, err := b.client.UploadPartCopy(gctx, &s3.UploadPartCopyInput{
					Bucket:            in.Bucket,
					Key:               in.Key,
					UploadId:          up.UploadId,
					PartNumber:        aws.Int32(int32(i + 1)),
					CopySource:        in.CopySource,
					CopySourceRange:   aws.String(fmt.Sprintf("bytes=%d-%d", first, last)),
					CopySourceIfMatch: src.ETag,
				}, l.opts(dstKey)...)
				if err != nil {
					return err
				}
				var etag *string
				if out.CopyPartResult != nil {
					etag = out.CopyPartResult.ETag
				}
				parts[i] = types.CompletedPart{ETag: etag, PartNumber: aws.Int32(int32(i + 1))}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return "", err
		}
		out, err := b.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
			Bucket:          in.Bucket,
			Key:             in.Key,
			UploadId:        up.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
			IfNoneMatch:     in.IfNoneMatch,
			IfMatch:         in.IfMatch,
		}, l.opts(dstKey)...)
		if err != nil {
			return "", err
		}
		return aws.ToString(out.ETag), nil
	}
	etag, err := complete()
	if err != nil {
		// Parts of an unfinished upload are stored, and billed, until it is aborted.
		b.client.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{Bucket: in.Bucket, Key: in.Key, UploadId: up.UploadId}, l.opts(dstKey)...)
		return fail(err)
	}
	return &storage.ObjectInfo{
		Key:          dstKey,
		Size:         aws.ToInt64(src.ContentLength),
		ETag:         etag,
		ContentType:  aws.ToString(create.ContentType),
		CacheControl: aws.ToString(create.CacheControl),
		Metadata:     request.Metadata(create.Metadata),
	}, nil
}
