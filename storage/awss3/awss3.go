// Package awss3 provides a storage.Bucket over Amazon S3, through the aws-sdk-go-v2 S3 client
// the caller builds.
//
// # Transfers
//
// Put streams its body through the SDK's transfer manager (feature/s3/transfermanager): a body
// up to the part size goes up in one PutObject, a longer one, of known length or not, in parts
// uploaded concurrently, so memory stays near part size × (concurrency + 1) whatever the size.
// A multipart upload that fails, or whose context ends, is aborted (with a context of its own,
// bounded by abortTimeout) so that no parts stay stored and billed. One case escapes: when the
// answer to CreateMultipartUpload itself is lost, the upload it created is unknown to the
// client; a bucket lifecycle rule (AbortIncompleteMultipartUpload) is S3's answer to those.
// Get streams the response body of one GetObject.
//
// # Signed requests
//
// SignURL presigns GetObject and PutObject with s3.NewPresignClient; UploadForm builds S3's
// presigned POST (a SigV4-signed policy with content-length-range and content-type conditions).
// With caller credentials in the options, both sign with those instead of the client's, so S3
// applies the caller's IAM policy when the URL or form is used.
//
// # Errors
//
// Errors wrap a storage sentinel where one applies (NoSuchKey and 404 are storage.ErrNotFound,
// 412 storage.ErrPreconditionFailed, 403 storage.ErrAccessDenied, 416 storage.ErrInvalidRange,
// EntityTooLarge storage.ErrTooLarge, InvalidRequest and InvalidArgument
// storage.ErrInvalidArgument) and the SDK's error, so errors.As reaches
// smithy.APIError and the HTTP response.
//
// # Lost answers
//
// The SDK retries a request whose answer did not arrive. For a conditional Put (IfAbsent or
// IfMatch) whose first attempt S3 applied, the retry fails its condition against that very
// write, and Put reports storage.ErrPreconditionFailed although the object is the caller's:
// S3's wire does not say whose write met the condition. A caller that must tell the two apart
// compares the object's ETag (Head) with the MD5 of its body, which S3 uses as the ETag of an
// object sent in one PutObject without SSE-KMS, or stores a token of its own in the metadata.
package awss3

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"golang.org/x/sync/errgroup"

	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/internal/request"
)

// Options configures a Bucket. A nil *Options means the defaults of each field.
type Options struct {
	// PartSize is the size of the parts of a multipart upload, and the largest body uploaded in
	// one PutObject; 0 means the transfer manager's defaults: 8 MiB parts, and one PutObject
	// for bodies up to 16 MiB. S3's smallest part is 5 MiB.
	PartSize int64
	// Concurrency is how many parts upload, or copy, at once; 0 means the transfer manager's
	// default (5).
	Concurrency int
	// CopyPartSize is the size of the parts of a copy too large for one CopyObject (S3 copies
	// at most 5 GiB at once), made with UploadPartCopy inside S3; 0 means 512 MiB. It grows
	// as needed to stay within S3's 10,000 parts.
	CopyPartSize int64
	// Now is the clock presigned URLs and forms are signed at; nil means time.Now. Tests that
	// move a server's clock move this one too.
	Now func() time.Time
}

// abortTimeout bounds the abort of a failed multipart upload, retries included.
const abortTimeout = time.Minute

// Bucket is an S3 bucket. It is safe for concurrent use.
type Bucket struct {
	client  *s3.Client
	name    string
	opts    Options
	tm      *transfermanager.Client
	presign *s3.PresignClient
}

var _ storage.Bucket = (*Bucket)(nil)

// New returns the bucket named name, reached through client.
func New(client *s3.Client, name string, opts *Options) *Bucket {
	b := &Bucket{client: client, name: name}
	if opts != nil {
		b.opts = *opts
	}
	b.tm = transfermanager.New(client, func(o *transfermanager.Options) {
		// The transfer manager has set its defaults already; override only what was given.
		if b.opts.PartSize > 0 {
			o.PartSizeBytes = b.opts.PartSize
			o.MultipartUploadThreshold = b.opts.PartSize
		}
		if b.opts.Concurrency > 0 {
			o.Concurrency = b.opts.Concurrency
		}
		// By default the transfer manager aborts a failed upload with the caller's context,
		// which fails at once when that context is what ended, and leaves the upload open.
		o.FailTimeout = abortTimeout
	})
	b.presign = s3.NewPresignClient(client)
	return b
}

// Client returns the S3 client the bucket uses, for what the storage.Bucket interface lacks.
func (b *Bucket) Client() *s3.Client { return b.client }

// Name returns the bucket's name.
func (b *Bucket) Name() string { return b.name }

// wrap returns err as an awss3 error wrapping the sentinel its S3 error code or HTTP status
// maps to, and err itself.
func wrap(op, key string, err error) error {
	if s := sentinel(err); s != nil {
		return fmt.Errorf("awss3: %s %q: %w: %w", op, key, s, err)
	}
	return fmt.Errorf("awss3: %s %q: %w", op, key, err)
}

func sentinel(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchKey", "NotFound", "NoSuchBucket":
			return storage.ErrNotFound
		case "PreconditionFailed", "ConditionalRequestConflict":
			return storage.ErrPreconditionFailed
		case "AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId", "ExpiredToken", "InvalidToken":
			return storage.ErrAccessDenied
		case "EntityTooLarge":
			return storage.ErrTooLarge
		case "InvalidRange":
			return storage.ErrInvalidRange
		case "KeyTooLongError":
			return storage.ErrInvalidKey
		case "InvalidRequest", "InvalidArgument":
			// Among others, a copy of an object onto itself that changes nothing.
			return storage.ErrInvalidArgument
		}
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		switch re.HTTPStatusCode() {
		case http.StatusNotFound:
			return storage.ErrNotFound
		case http.StatusPreconditionFailed, http.StatusConflict:
			return storage.ErrPreconditionFailed
		case http.StatusForbidden:
			return storage.ErrAccessDenied
		case http.StatusRequestedRangeNotSatisfiable:
			return storage.ErrInvalidRange
		}
	}
	return nil
}

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
	var etag *string
	if size >= 0 && size <= b.singlePutLimit() {
		// A small body of known length goes up as it is: the transfer manager would first
		// copy it into a buffer of its own.
		out, err := b.client.PutObject(ctx, &s3.PutObjectInput{
			Bucket: in.Bucket, Key: in.Key, Body: in.Body, ContentLength: aws.Int64(size),
			ContentType: in.ContentType, CacheControl: in.CacheControl, Metadata: in.Metadata,
			IfNoneMatch: in.IfNoneMatch, IfMatch: in.IfMatch,
		})
		if err != nil {
			return nil, wrap("put", key, err)
		}
		etag = out.ETag
	} else {
		out, err := b.tm.UploadObject(ctx, in)
		if err != nil {
			return nil, wrap("put", key, err)
		}
		etag = out.ETag
	}
	if counter != nil {
		size = counter.n
	}
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
	out, err := b.client.GetObject(ctx, in)
	if err != nil {
		return nil, wrap("get", key, err)
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
	out, err := b.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b.name), Key: aws.String(key)})
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
	_, err := b.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b.name), Key: aws.String(key)})
	if err != nil && !errors.Is(sentinel(err), storage.ErrNotFound) {
		return wrap("delete", key, err)
	}
	return nil
}

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
	info := &storage.ObjectInfo{Key: dstKey}
	out, err := b.client.CopyObject(ctx, in)
	switch {
	case tooLargeToCopy(err):
		if info, err = b.copyParts(ctx, in, srcKey); err != nil {
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
	if head, err := b.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b.name), Key: aws.String(dstKey), IfMatch: aws.String(quote(info.ETag))}); err == nil {
		info.Size = aws.ToInt64(head.ContentLength)
		info.ContentType = aws.ToString(head.ContentType)
		info.CacheControl = aws.ToString(head.CacheControl)
		info.Metadata = request.Metadata(head.Metadata)
		info.LastModified = aws.ToTime(head.LastModified)
	}
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
// returns what it knows of the new object; on failure it aborts the upload.
func (b *Bucket) copyParts(ctx context.Context, in *s3.CopyObjectInput, srcKey string) (*storage.ObjectInfo, error) {
	dstKey := aws.ToString(in.Key)
	fail := func(err error) (*storage.ObjectInfo, error) { return nil, wrap("copy", srcKey+" to "+dstKey, err) }
	src, err := b.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: in.Bucket, Key: aws.String(srcKey), IfMatch: in.CopySourceIfMatch})
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
	up, err := b.client.CreateMultipartUpload(ctx, create)
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
				})
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
		})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.ETag), nil
	}
	etag, err := complete()
	if err != nil {
		// Parts of an unfinished upload are stored, and billed, until it is aborted.
		b.client.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{Bucket: in.Bucket, Key: in.Key, UploadId: up.UploadId})
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
	out, err := b.client.ListObjectsV2(ctx, in)
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

// presignOptions returns the per-call options of a presign: the expiry, the caller's credentials
// if any, and the bucket's clock.
func (b *Bucket) presignOptions(expiry time.Duration, creds *aws.Credentials) func(*s3.PresignOptions) {
	return func(po *s3.PresignOptions) {
		po.Expires = expiry
		if creds != nil {
			c := *creds
			po.ClientOptions = append(po.ClientOptions, func(o *s3.Options) {
				o.Credentials = credentials.StaticCredentialsProvider{Value: c}
			})
		}
		if b.opts.Now != nil {
			po.Presigner = clockPresigner{inner: po.Presigner, now: b.opts.Now}
		}
	}
}

// clockPresigner signs at the bucket's clock instead of the SDK's.
type clockPresigner struct {
	inner s3.HTTPPresignerV4
	now   func() time.Time
}

func (p clockPresigner) PresignHTTP(ctx context.Context, creds aws.Credentials, r *http.Request, payloadHash, service, region string, _ time.Time, optFns ...func(*v4.SignerOptions)) (string, http.Header, error) {
	return p.inner.PresignHTTP(ctx, creds, r, payloadHash, service, region, p.now(), optFns...)
}

// SignURL implements storage.Bucket.
func (b *Bucket) SignURL(ctx context.Context, key string, opts *storage.SignOptions) (string, error) {
	if err := request.Key(key); err != nil {
		return "", fmt.Errorf("awss3: sign: %w", err)
	}
	o, err := request.Sign(opts)
	if err != nil {
		return "", fmt.Errorf("awss3: sign %q: %w", key, err)
	}
	switch o.Method {
	case http.MethodGet:
		r, err := b.presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.name), Key: aws.String(key)},
			b.presignOptions(o.Expiry, o.Credentials))
		if err != nil {
			return "", wrap("sign", key, err)
		}
		return r.URL, nil
	default:
		in := &s3.PutObjectInput{Bucket: aws.String(b.name), Key: aws.String(key)}
		if o.ContentType != "" {
			in.ContentType = aws.String(o.ContentType)
		}
		r, err := b.presign.PresignPutObject(ctx, in, b.presignOptions(o.Expiry, o.Credentials))
		if err != nil {
			return "", wrap("sign", key, err)
		}
		return r.URL, nil
	}
}

// UploadForm implements storage.Bucket with the SDK's presigned POST: a policy with the key,
// content-length-range, content type and metadata conditions, signed with SigV4.
func (b *Bucket) UploadForm(ctx context.Context, key string, opts *storage.FormOptions) (*storage.UploadForm, error) {
	if err := request.Key(key); err != nil {
		return nil, fmt.Errorf("awss3: upload form: %w", err)
	}
	o, err := request.Form(opts)
	if err != nil {
		return nil, fmt.Errorf("awss3: upload form %q: %w", key, err)
	}
	extra := map[string]string{}
	conditions := []any{[]any{"content-length-range", 0, o.MaxSize}}
	switch {
	case o.ContentType != "":
		extra["Content-Type"] = o.ContentType
		conditions = append(conditions, map[string]string{"Content-Type": o.ContentType})
	case o.ContentTypePrefix != "":
		conditions = append(conditions, []any{"starts-with", "$Content-Type", o.ContentTypePrefix})
	}
	for k, v := range o.Metadata {
		name := "x-amz-meta-" + strings.ToLower(k)
		extra[name] = v
		conditions = append(conditions, map[string]string{name: v})
	}
	now := time.Now
	if b.opts.Now != nil {
		now = b.opts.Now
	}
	signedAt := now()
	expires := signedAt.Add(o.Expiry)
	out, err := b.presign.PresignPostObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b.name), Key: aws.String(key)},
		func(po *s3.PresignPostOptions) {
			po.Expires = o.Expiry
			po.Conditions = conditions
			// PresignPostObject does not apply per-call ClientOptions, so caller credentials
			// go in at the signing step.
			po.PostPresigner = clockPostPresigner{inner: po.PostPresigner, at: signedAt, expires: expires, creds: o.Credentials}
		})
	if err != nil {
		return nil, wrap("upload form", key, err)
	}
	fields := maps.Clone(out.Values)
	maps.Copy(fields, extra)
	return &storage.UploadForm{URL: out.URL, Fields: fields, Expires: expires}, nil
}

// clockPostPresigner signs a POST policy at the bucket's clock, so the form's Expires is the
// policy's expiration, and with the caller's credentials if there are any.
type clockPostPresigner struct {
	inner       s3.PresignPost
	at, expires time.Time
	creds       *aws.Credentials // the caller's, if any
}

func (p clockPostPresigner) PresignPost(creds aws.Credentials, bucket, key, region, service string, _ time.Time, conditions []any, _ time.Time, optFns ...func(*v4.SignerOptions)) (map[string]string, error) {
	if p.creds != nil {
		creds = *p.creds
	}
	return p.inner.PresignPost(creds, bucket, key, region, service, p.at, conditions, p.expires, optFns...)
}
