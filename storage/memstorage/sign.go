package memstorage

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/internal/request"
	"github.com/servous/servous/storage/internal/s3form"
)

// algorithm names memstorage's signatures: HMAC-SHA256 over the fields a request may not change,
// keyed by the bucket's signing key or by the secret of the caller's credentials. The query and
// form fields are S3's, so code that forwards them (a browser form, a proxy) works unchanged.
const algorithm = "SERVOUS-HMAC-SHA256"

// SignURL implements storage.Bucket. The URL points under Options.BaseURL, where Handler serves
// it. Signed with caller credentials, it needs Options.Authority to be checked.
func (b *Bucket) SignURL(ctx context.Context, key string, opts *storage.SignOptions) (string, error) {
	return b.signURL(ctx, key, opts, nil)
}

func (b *Bucket) signURL(ctx context.Context, key string, opts *storage.SignOptions, viewCreds *aws.Credentials) (string, error) {
	if err := request.Key(key); err != nil {
		return "", fmt.Errorf("memstorage: sign: %w", err)
	}
	o, err := request.Sign(opts)
	if err != nil {
		return "", fmt.Errorf("memstorage: sign %q: %w", key, err)
	}
	creds := o.Credentials
	if creds == nil {
		creds = viewCreds
	}
	if err := b.canSignWith(creds); err != nil {
		return "", fmt.Errorf("memstorage: sign %q: %w", key, err)
	}
	now := b.opts.Now().UTC()
	q := url.Values{}
	q.Set("X-Amz-Algorithm", algorithm)
	q.Set("X-Amz-Date", now.Format(s3form.DateFormat))
	q.Set("X-Amz-Expires", strconv.FormatInt(int64(o.Expiry/time.Second), 10))
	secret := b.key
	if creds != nil {
		q.Set("X-Amz-Credential", creds.AccessKeyID)
		if creds.SessionToken != "" {
			q.Set("X-Amz-Security-Token", creds.SessionToken)
		}
		secret = []byte(creds.SecretAccessKey)
	}
	if o.ContentType != "" {
		q.Set("X-Amz-SignedHeaders", "content-type")
	}
	q.Set("X-Amz-Signature", urlSignature(secret, o.Method, b.name, key, q, o.ContentType))
	return b.objectURL(key) + "?" + q.Encode(), nil
}

func (b *Bucket) canSignWith(creds *aws.Credentials) error {
	if creds == nil {
		return nil
	}
	if b.opts.Authority == nil {
		return fmt.Errorf("%w: signing with caller credentials needs Options.Authority to check them", storage.ErrInvalidArgument)
	}
	if creds.AccessKeyID == "" || creds.SecretAccessKey == "" {
		return fmt.Errorf("%w: credentials without an access key id or secret", storage.ErrInvalidArgument)
	}
	return nil
}

// urlSignature signs what a signed URL fixes: method, bucket, key, content type and every query
// parameter but the signature (time, expiry, credentials and anything added), as SigV4 does, so
// no parameter can be added or changed.
func urlSignature(secret []byte, method, bucket, key string, q url.Values, contentType string) string {
	signed := url.Values{}
	for k, v := range q {
		if k != "X-Amz-Signature" {
			signed[k] = v
		}
	}
	m := hmac.New(sha256.New, secret)
	for _, s := range []string{algorithm, method, bucket, key, contentType, signed.Encode()} {
		// Length prefixes keep one field from running into the next.
		fmt.Fprintf(m, "%d:%s\n", len(s), s)
	}
	return hex.EncodeToString(m.Sum(nil))
}

func formSignature(secret []byte, policy string) string {
	return hex.EncodeToString(s3form.HMAC(secret, policy))
}

// objectURL returns the URL of key under the base URL, every byte but unreserved ones and '/'
// escaped.
func (b *Bucket) objectURL(key string) string {
	var sb strings.Builder
	sb.WriteString(b.base.String())
	sb.WriteByte('/')
	for i := 0; i < len(key); i++ {
		c := key[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.~/", c) >= 0 {
			sb.WriteByte(c)
		} else {
			fmt.Fprintf(&sb, "%%%02X", c)
		}
	}
	return sb.String()
}

// UploadForm implements storage.Bucket. The form posts to Options.BaseURL, where Handler serves
// it; its fields are those of S3's presigned POST.
func (b *Bucket) UploadForm(ctx context.Context, key string, opts *storage.FormOptions) (*storage.UploadForm, error) {
	return b.uploadForm(ctx, key, opts, nil)
}

func (b *Bucket) uploadForm(ctx context.Context, key string, opts *storage.FormOptions, viewCreds *aws.Credentials) (*storage.UploadForm, error) {
	if err := request.Key(key); err != nil {
		return nil, fmt.Errorf("memstorage: upload form: %w", err)
	}
	o, err := request.Form(opts)
	if err != nil {
		return nil, fmt.Errorf("memstorage: upload form %q: %w", key, err)
	}
	creds := o.Credentials
	if creds == nil {
		creds = viewCreds
	}
	if err := b.canSignWith(creds); err != nil {
		return nil, fmt.Errorf("memstorage: upload form %q: %w", key, err)
	}
	now := b.opts.Now().UTC()
	extra := map[string]string{
		"x-amz-algorithm": algorithm,
		"x-amz-date":      now.Format(s3form.DateFormat),
	}
	secret := b.key
	if creds != nil {
		extra["x-amz-credential"] = creds.AccessKeyID
		if creds.SessionToken != "" {
			extra["x-amz-security-token"] = creds.SessionToken
		}
		secret = []byte(creds.SecretAccessKey)
	}
	for k, v := range o.Metadata {
		extra["x-amz-meta-"+strings.ToLower(k)] = v
	}
	expires := now.Add(o.Expiry)
	policy, fields := s3form.Build(s3form.Spec{
		Bucket: b.name, Key: key, Expires: expires, MinSize: o.MinSize, MaxSize: o.MaxSize,
		ContentType: o.ContentType, ContentTypePrefix: o.ContentTypePrefix, Fields: extra,
	})
	fields["policy"] = policy
	fields["x-amz-signature"] = formSignature(secret, policy)
	return &storage.UploadForm{URL: b.base.String() + "/", Fields: fields, Expires: expires}, nil
}

// verifyURL checks a signed request and returns the identity whose credentials signed it ("" for
// the bucket's own).
func (b *Bucket) verifyURL(r *http.Request, key string) (identityID string, err *s3Error) {
	q := r.URL.Query()
	sig := q.Get("X-Amz-Signature")
	if sig == "" || q.Get("X-Amz-Algorithm") != algorithm {
		return "", errAccessDenied("the request is not signed")
	}
	date, perr := time.Parse(s3form.DateFormat, q.Get("X-Amz-Date"))
	secs, serr := strconv.ParseInt(q.Get("X-Amz-Expires"), 10, 64)
	if perr != nil || serr != nil || secs < 1 || secs > int64(storage.MaxSignExpiry/time.Second) {
		return "", errAccessDenied("malformed X-Amz-Date or X-Amz-Expires")
	}
	if !b.opts.Now().Before(date.Add(time.Duration(secs) * time.Second)) {
		return "", errAccessDenied("Request has expired")
	}
	id, secret, aerr := b.secretFor(r.Context(), q.Get("X-Amz-Credential"), q.Get("X-Amz-Security-Token"))
	if aerr != nil {
		return "", aerr
	}
	var contentType string
	if q.Get("X-Amz-SignedHeaders") == "content-type" {
		contentType = r.Header.Get("Content-Type")
	}
	// The method is signed, as in S3: a URL signed for GET cannot PUT, nor even HEAD.
	want := urlSignature(secret, r.Method, b.name, key, q, contentType)
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return "", &s3Error{http.StatusForbidden, "SignatureDoesNotMatch", "The request signature does not match"}
	}
	if id != "" && !strings.HasPrefix(key, b.opts.Prefix(id)) {
		return "", errAccessDenied("the signer may not access this key")
	}
	return id, nil
}

// secretFor returns the identity and secret of caller credentials, or the bucket's own signing
// key when accessKeyID is empty.
func (b *Bucket) secretFor(ctx context.Context, accessKeyID, token string) (string, []byte, *s3Error) {
	if accessKeyID == "" {
		return "", b.key, nil
	}
	if b.opts.Authority == nil {
		return "", nil, &s3Error{http.StatusForbidden, "InvalidAccessKeyId", "this bucket accepts no caller credentials"}
	}
	id, secret, err := b.opts.Authority.Authenticate(ctx, accessKeyID, token)
	if err != nil {
		return "", nil, &s3Error{http.StatusForbidden, "InvalidAccessKeyId", err.Error()}
	}
	return id, []byte(secret), nil
}
