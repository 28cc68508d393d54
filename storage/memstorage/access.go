package memstorage

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/internal/request"
)

// WithCredentials returns the bucket as seen by the holder of creds, as an S3 client built with
// those credentials sees a bucket whose IAM policy allows each identity only its own prefix. Every
// call first checks creds with Options.Authority (unknown, expired or mismatched credentials get
// storage.ErrAccessDenied, wrapping the Authority's error), then allows reads, writes, copies and
// listings only under Options.Prefix(identityID): "uploads/<identity id>/" by default, the twin
// of a policy on "uploads/${cognito-identity.amazonaws.com:sub}/*". A listing's prefix must lie
// under it too. URLs and forms the view signs are signed with creds (unless their options carry
// other credentials), and Handler checks them the same way when they are used.
//
// Events of the view's changes carry the identity id as their principal.
func (b *Bucket) WithCredentials(creds aws.Credentials) storage.Bucket {
	return &userBucket{b: b, creds: creds}
}

type userBucket struct {
	b     *Bucket
	creds aws.Credentials
}

// authorize checks the credentials and that every key lies under the identity's prefix.
func (u *userBucket) authorize(ctx context.Context, op string, keys ...string) (string, error) {
	for _, k := range keys {
		if err := request.Key(k); err != nil {
			return "", fmt.Errorf("memstorage: %s: %w", op, err)
		}
	}
	if u.b.opts.Authority == nil {
		return "", fmt.Errorf("memstorage: %s: %w: the bucket has no Authority to check credentials", op, storage.ErrAccessDenied)
	}
	id, secret, err := u.b.opts.Authority.Authenticate(ctx, u.creds.AccessKeyID, u.creds.SessionToken)
	if err != nil {
		return "", fmt.Errorf("memstorage: %s: %w: %w", op, storage.ErrAccessDenied, err)
	}
	if secret != u.creds.SecretAccessKey {
		return "", fmt.Errorf("memstorage: %s: %w: the secret access key does not match", op, storage.ErrAccessDenied)
	}
	prefix := u.b.opts.Prefix(id)
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) {
			return "", fmt.Errorf("memstorage: %s %q: %w: identity %s may use only %q", op, k, storage.ErrAccessDenied, id, prefix)
		}
	}
	return id, nil
}

func (u *userBucket) Put(ctx context.Context, key string, body io.Reader, opts *storage.PutOptions) (*storage.ObjectInfo, error) {
	id, err := u.authorize(ctx, "put", key)
	if err != nil {
		u.refused(ctx, "PutObject", key, err)
		return nil, err
	}
	return u.b.put(ctx, key, body, opts, byAdapter, id, u.b.opts.MaxObjectSize, 0)
}

func (u *userBucket) Get(ctx context.Context, key string, opts *storage.GetOptions) (*storage.Object, error) {
	if _, err := u.authorize(ctx, "get", key); err != nil {
		u.refused(ctx, "GetObject", key, err)
		return nil, err
	}
	return u.b.Get(ctx, key, opts)
}

func (u *userBucket) Head(ctx context.Context, key string) (*storage.ObjectInfo, error) {
	if _, err := u.authorize(ctx, "head", key); err != nil {
		u.refused(ctx, "HeadObject", key, err)
		return nil, err
	}
	return u.b.Head(ctx, key)
}

func (u *userBucket) Delete(ctx context.Context, key string) error {
	id, err := u.authorize(ctx, "delete", key)
	if err != nil {
		u.refused(ctx, "DeleteObject", key, err)
		return err
	}
	err = u.b.remove(key, id)
	u.b.report(ctx, storage.Call{Op: "DeleteObject", Key: key})
	return err
}

func (u *userBucket) Copy(ctx context.Context, dstKey, srcKey string, opts *storage.CopyOptions) (*storage.ObjectInfo, error) {
	id, err := u.authorize(ctx, "copy", dstKey, srcKey)
	if err != nil {
		u.refused(ctx, "CopyObject", dstKey, err)
		return nil, err
	}
	return u.b.copy(ctx, dstKey, srcKey, opts, id)
}

func (u *userBucket) List(ctx context.Context, opts *storage.ListOptions) (*storage.ListPage, error) {
	var prefix string
	if opts != nil {
		prefix = opts.Prefix
	}
	// S3 checks a listing's prefix against the policy's s3:prefix condition; an empty prefix is
	// the whole bucket, which no identity's policy allows.
	if _, err := u.authorize(ctx, "list", prefixKey(prefix)); err != nil {
		if _, _, lerr := request.List(opts); lerr == nil {
			u.refused(ctx, "ListObjectsV2", "", err)
		}
		return nil, err
	}
	return u.b.List(ctx, opts)
}

// refused reports the request S3 refuses when the credentials may not make it. A key no request
// can carry is refused before any is sent.
func (u *userBucket) refused(ctx context.Context, op, key string, err error) {
	if !refusedFirst(ctx, err) {
		u.b.report(ctx, storage.Call{Op: op, Key: key, Failed: true})
	}
}

// prefixKey stands a listing prefix in for a key in authorize; an empty prefix, invalid as a
// key, becomes one that no identity prefix covers.
func prefixKey(p string) string {
	if p == "" {
		return "\x00"
	}
	return p
}

func (u *userBucket) SignURL(ctx context.Context, key string, opts *storage.SignOptions) (string, error) {
	return u.b.signURL(ctx, key, opts, &u.creds)
}

func (u *userBucket) UploadForm(ctx context.Context, key string, opts *storage.FormOptions) (*storage.UploadForm, error) {
	return u.b.uploadForm(ctx, key, opts, &u.creds)
}
