package storage

import (
	"context"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Bucket is a bucket of objects. Implementations are safe for concurrent use.
type Bucket interface {
	// Put writes the object at key, streaming body (of any length, known or not) to the store. The
	// object becomes visible whole when Put returns nil; a failed Put leaves the previous object, if
	// any, in place. The returned info has the key, size and ETag of the new object.
	Put(ctx context.Context, key string, body io.Reader, opts *PutOptions) (*ObjectInfo, error)

	// Get opens the object at key for reading. The caller must close the returned Object. With a
	// range, the object's Body holds only those bytes; Info still describes the whole object.
	Get(ctx context.Context, key string, opts *GetOptions) (*Object, error)

	// Head returns the object's info without its body.
	Head(ctx context.Context, key string) (*ObjectInfo, error)

	// Delete removes the object at key. Deleting a missing key is not an error, as in S3.
	Delete(ctx context.Context, key string) error

	// Copy copies the object at srcKey to dstKey inside the bucket, in the store (S3 copies
	// server-side: nothing is downloaded). Metadata is copied unless opts replaces it.
	Copy(ctx context.Context, dstKey, srcKey string, opts *CopyOptions) (*ObjectInfo, error)

	// List returns one page of the objects whose keys start with opts.Prefix, in UTF-8 byte order.
	// Use Pages or Objects to iterate over every page.
	List(ctx context.Context, opts *ListOptions) (*ListPage, error)

	// SignURL returns a URL that lets anyone who holds it GET or PUT the object at key until it
	// expires.
	SignURL(ctx context.Context, key string, opts *SignOptions) (string, error)

	// UploadForm returns the fields of an HTML form that uploads one file to key with a POST, as
	// S3's presigned POST does: the store refuses files over opts.MaxSize and of another content
	// type.
	UploadForm(ctx context.Context, key string, opts *FormOptions) (*UploadForm, error)
}

// ObjectInfo describes an object.
type ObjectInfo struct {
	Key  string
	Size int64
	// ETag is the quoted entity tag, as S3 returns it: the hex MD5 of the body for an object
	// written in one request.
	ETag         string
	LastModified time.Time
	// ContentType, CacheControl and Metadata are empty in listings, which S3 does not fill.
	ContentType  string
	CacheControl string
	// Metadata holds the user metadata, keys in lower case as S3 returns them.
	Metadata map[string]string
}

// PutOptions controls Put. A nil *PutOptions means an unconditional write of
// application/octet-stream without metadata.
type PutOptions struct {
	ContentType  string // defaults to application/octet-stream
	CacheControl string
	// Metadata is stored with the object; keys are stored in lower case.
	Metadata map[string]string
	// IfAbsent writes only if no object has the key (S3's If-None-Match: *).
	IfAbsent bool
	// IfMatch, when set, writes only if the current object's ETag equals it (S3's If-Match).
	IfMatch string
}

// GetOptions controls Get. A nil *GetOptions reads the whole object unconditionally.
type GetOptions struct {
	// Range, when not nil, selects the bytes to read.
	Range *Range
	// IfMatch, when set, reads only if the object's ETag equals it; otherwise Get fails with
	// ErrPreconditionFailed.
	IfMatch string
}

// Object is an object being read. Read reads its Body; Close closes it.
type Object struct {
	Info ObjectInfo
	Body io.ReadCloser
	// Offset and Length give the bytes of the object that Body holds: the whole object unless
	// a range was asked for.
	Offset, Length int64
}

// Read reads from the object's body.
func (o *Object) Read(p []byte) (int, error) { return o.Body.Read(p) }

// Close closes the object's body.
func (o *Object) Close() error { return o.Body.Close() }

// CopyOptions controls Copy. A nil *CopyOptions copies the object with its metadata.
type CopyOptions struct {
	// SourceIfMatch, when set, copies only if the source's ETag equals it.
	SourceIfMatch string
	// Replace, when not nil, gives the copy this content type, cache control and metadata
	// instead of the source's.
	Replace *PutOptions
}

// MaxPageSize is the largest page List returns, S3's limit.
const MaxPageSize = 1000

// ListOptions controls List. A nil *ListOptions lists the first page of the whole bucket.
type ListOptions struct {
	// Prefix limits the listing to keys that start with it.
	Prefix string
	// Delimiter, when set, rolls up the keys that contain it after the prefix into common
	// prefixes, each listed once, as S3 does (use "/" to list one level of a folder tree).
	Delimiter string
	// PageSize is the most objects and common prefixes on one page: 1 to MaxPageSize; 0 means
	// MaxPageSize.
	PageSize int
	// PageToken continues a listing from the NextPageToken of the page before. It is opaque.
	PageToken string
}

// ListPage is one page of a listing.
type ListPage struct {
	// Objects hold key, size, ETag and last-modified time, in key order.
	Objects []ObjectInfo
	// CommonPrefixes are the rolled-up prefixes (each ending with the delimiter), in order.
	CommonPrefixes []string
	// NextPageToken continues the listing; empty on the last page.
	NextPageToken string
}

// MaxSignExpiry is the longest a signed URL or form may stay valid, S3's limit for SigV4.
const MaxSignExpiry = 7 * 24 * time.Hour

// DefaultSignExpiry is the validity of a signed URL or form whose options leave it unset.
const DefaultSignExpiry = 15 * time.Minute

// SignOptions controls SignURL. A nil *SignOptions signs a GET for DefaultSignExpiry with the
// bucket's own credentials.
type SignOptions struct {
	// Method is http.MethodGet (the default) or http.MethodPut.
	Method string
	// Expiry is how long the URL is valid: up to MaxSignExpiry; 0 means DefaultSignExpiry.
	Expiry time.Duration
	// ContentType, for a PUT, is the Content-Type the uploader must send.
	ContentType string
	// Credentials, when not nil, sign the URL instead of the bucket's own, so the request is
	// allowed only what those credentials' owner may do (as S3 checks the signer's IAM policy).
	Credentials *aws.Credentials
}

// FormOptions controls UploadForm. A nil *FormOptions allows any file up to DefaultMaxFormSize
// for DefaultSignExpiry.
type FormOptions struct {
	// Expiry is how long the form is valid: up to MaxSignExpiry; 0 means DefaultSignExpiry.
	Expiry time.Duration
	// MaxSize is the largest file the store accepts, in bytes; 0 means DefaultMaxFormSize.
	MaxSize int64
	// MinSize is the smallest file the store accepts, in bytes; 0 accepts an empty file. With
	// MinSize equal to MaxSize the store accepts a file of exactly that size and no other
	// (S3's content-length-range condition).
	MinSize int64
	// ContentType, when set, is the only content type the store accepts; the form's fields
	// carry it.
	ContentType string
	// ContentTypePrefix, when set instead, is what the content type must start with ("video/");
	// the uploader adds a Content-Type field to the form.
	ContentTypePrefix string
	// Metadata is stored with the object; the form's fields carry it.
	Metadata map[string]string
	// Credentials, when not nil, sign the form instead of the bucket's own credentials.
	Credentials *aws.Credentials
}

// DefaultMaxFormSize is the largest upload a form allows when its options leave MaxSize unset:
// 5 GiB, the most S3 takes in one POST.
const DefaultMaxFormSize = 5 << 30

// UploadForm is an HTML form that uploads one file: POST to URL a multipart/form-data body with
// every field of Fields, then the file last, in a field named "file".
type UploadForm struct {
	URL    string
	Fields map[string]string
	// Expires is when the store stops accepting the form.
	Expires time.Time
}
