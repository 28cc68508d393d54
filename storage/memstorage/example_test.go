package memstorage_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/memstorage"
)

func Example() {
	ctx := context.Background()
	bucket := memstorage.New("media", nil)

	if _, err := storage.PutBytes(ctx, bucket, "notes/hello.txt", []byte("hello"), &storage.PutOptions{ContentType: "text/plain"}); err != nil {
		log.Fatal(err)
	}
	if _, err := storage.PutBytes(ctx, bucket, "notes/hello.txt", []byte("again"), &storage.PutOptions{IfAbsent: true}); err != nil {
		fmt.Println(err)
	}
	data, err := storage.GetBytes(ctx, bucket, "notes/hello.txt")
	if err != nil {
		log.Fatal(err)
	}
	for o, err := range storage.Objects(ctx, bucket, &storage.ListOptions{Prefix: "notes/"}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(o.Key, o.Size, o.ETag)
	}
	fmt.Println(string(data))
	// Output:
	// memstorage: put "notes/hello.txt": storage: precondition failed: the object exists
	// notes/hello.txt 5 "5d41402abc4b2a76b9719d911017c592"
	// hello
}

// Signed URLs work over HTTP when the bucket's handler is served at its base URL.
func ExampleBucket_Handler() {
	ctx := context.Background()
	srv := httptest.NewUnstartedServer(nil)
	bucket := memstorage.New("media", &memstorage.Options{BaseURL: "http://" + srv.Listener.Addr().String()})
	srv.Config.Handler = bucket.Handler()
	srv.Start()
	defer srv.Close()

	if _, err := storage.PutBytes(ctx, bucket, "videos/intro.txt", []byte("frames"), nil); err != nil {
		log.Fatal(err)
	}
	url, err := bucket.SignURL(ctx, "videos/intro.txt", nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, u := range []string{url, strings.Replace(url, "intro", "other", 1)} {
		resp, err := http.Get(u)
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			body = []byte("(refused)")
		}
		fmt.Println(resp.StatusCode, string(body))
	}
	// Output:
	// 200 frames
	// 403 (refused)
}
