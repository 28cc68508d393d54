package storagetest_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/servous/servous/storage/storagetest"
)

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// TestS3ServerWithSDK uses the server as a user of the package would: with the raw SDK client.
func TestS3ServerWithSDK(t *testing.T) {
	ctx := t.Context()
	srv := storagetest.NewS3Server(t, &storagetest.S3ServerOptions{Region: "eu-west-1"})
	bucket := srv.NewBucket(t)
	root := srv.Client()
	put := func(c *s3.Client, key, body string) error {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)})
		return err
	}
	if err := put(root, "a/b c+d", "root"); err != nil {
		t.Fatal(err)
	}
	out, err := root.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("a/b c+d")})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(got) != "root" {
		t.Errorf("GetObject = %q", got)
	}

	// A wrong secret is caught by the signature check.
	forged := srv.Client(func(o *s3.Options) {
		o.Credentials = credentials.NewStaticCredentialsProvider(srv.Credentials.AccessKeyID, "not-the-secret", "")
	})
	if err := put(forged, "x", "forged"); apiCode(err) != "SignatureDoesNotMatch" {
		t.Errorf("PutObject with a wrong secret: %v, want SignatureDoesNotMatch", err)
	}

	// A user's temporary credentials reach only the user's prefix.
	creds := srv.AddUser("uploads/u1/")
	user := srv.Client(func(o *s3.Options) {
		o.Credentials = credentials.StaticCredentialsProvider{Value: creds}
	})
	if err := put(user, "uploads/u1/mine", "mine"); err != nil {
		t.Errorf("user PutObject under its prefix: %v", err)
	}
	if err := put(user, "uploads/u2/theirs", "x"); apiCode(err) != "AccessDenied" {
		t.Errorf("user PutObject outside its prefix: %v, want AccessDenied", err)
	}
	if _, err := user.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)}); apiCode(err) != "AccessDenied" {
		t.Errorf("user lists the whole bucket: %v, want AccessDenied", err)
	}
	list, err := user.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("uploads/u1/")})
	if err != nil || len(list.Contents) != 1 {
		t.Errorf("user lists its prefix: %+v, %v", list, err)
	}

	// Presigned URLs expire by the server's clock.
	ps, err := s3.NewPresignClient(root).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("a/b c+d")},
		s3.WithPresignExpires(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	status := func() int {
		resp, err := srv.HTTPClient().Get(ps.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := status(); s != http.StatusOK {
		t.Errorf("fresh presigned GET = %d", s)
	}
	srv.Advance(time.Minute)
	if s := status(); s != http.StatusForbidden {
		t.Errorf("expired presigned GET = %d, want 403", s)
	}

	// Conditional writes.
	_, err = root.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("a/b c+d"), Body: bytes.NewReader(nil), IfNoneMatch: aws.String("*")})
	if apiCode(err) != "PreconditionFailed" {
		t.Errorf("If-None-Match on an existing key: %v, want PreconditionFailed", err)
	}
}
