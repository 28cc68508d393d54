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
// # Metering
//
// With Options.OnCall, the bucket reports each request it sends as a storage.Call: a
// middleware after the SDK's retryer, added to each operation the bucket calls (and to the
// transfer manager's), logs every attempt, and every write of a request that Go's HTTP
// transport repeats on a fresh connection within one attempt, since S3 receives and bills each.
// A method reports its calls as it returns, with the size of the object it wrote; Get reports
// its GetObject when the body is closed, with the bytes read. Without OnCall nothing is added
// to the requests.
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
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/servous/servous/storage"
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
	// OnCall, when not nil, is told of every request the bucket sends to S3, for metering:
	// one storage.Call per request S3 receives, so each attempt of the SDK's retries counts,
	// and so do the requests of multipart uploads and copies (CreateMultipartUpload,
	// UploadPart, UploadPartCopy, CompleteMultipartUpload, AbortMultipartUpload) and the
	// HeadObject that completes a Copy's answer. A method reports its calls when it returns,
	// in the order they ended, but Get reports its answered GetObject when the object's body
	// is closed, with the bytes read from it. SignURL and UploadForm send nothing and report
	// nothing; what holders of their URLs and forms send, S3 meters. OnCall is called from the
	// goroutine of the method (or of Close), so it must be safe for concurrent use when the
	// bucket is. Nil installs nothing on the client's requests.
	OnCall func(ctx context.Context, c storage.Call)
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
