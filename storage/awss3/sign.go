package awss3

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/internal/request"
)

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
	conditions := []any{[]any{"content-length-range", o.MinSize, o.MaxSize}}
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
