package awss3_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"strings"

	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/awss3"
	"github.com/servous/servous/storage/storagetest"
)

func Example() {
	ctx := context.Background()
	// An S3-compatible server in the process stands in for S3; in production the client comes
	// from s3.NewFromConfig(cfg) and the bucket exists already.
	srv := storagetest.StartS3Server(nil)
	defer srv.Close()
	if err := srv.CreateBucket("media"); err != nil {
		log.Fatal(err)
	}
	bucket := awss3.New(srv.Client(), "media", nil)

	if _, err := storage.PutBytes(ctx, bucket, "notes/hello.txt", []byte("hello"), &storage.PutOptions{ContentType: "text/plain"}); err != nil {
		log.Fatal(err)
	}
	data, err := storage.GetBytes(ctx, bucket, "notes/hello.txt")
	if err != nil {
		log.Fatal(err)
	}
	info, err := bucket.Head(ctx, "notes/hello.txt")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(data), info.ContentType, info.ETag)
	// Output: hello text/plain "5d41402abc4b2a76b9719d911017c592"
}

// A browser uploads straight to S3 with a presigned POST form; here a Go client posts it.
func ExampleBucket_UploadForm() {
	ctx := context.Background()
	srv := storagetest.StartS3Server(nil)
	defer srv.Close()
	if err := srv.CreateBucket("media"); err != nil {
		log.Fatal(err)
	}
	bucket := awss3.New(srv.Client(), "media", nil)

	form, err := bucket.UploadForm(ctx, "uploads/clip.mp4", &storage.FormOptions{MaxSize: 1 << 20, ContentType: "video/mp4"})
	if err != nil {
		log.Fatal(err)
	}
	for _, body := range []string{"a small clip", strings.Repeat("x", 2<<20)} {
		req, err := form.NewRequest(ctx, strings.NewReader(body), int64(len(body)), "")
		if err != nil {
			log.Fatal(err)
		}
		resp, err := srv.HTTPClient().Do(req)
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		fmt.Println(len(body), "bytes:", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	info, err := bucket.Head(ctx, "uploads/clip.mp4")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(info.Size, info.ContentType)
	// Output:
	// 12 bytes: 204 No Content
	// 2097152 bytes: 400 Bad Request
	// 12 video/mp4
}
