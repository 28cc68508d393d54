package storage_test

import (
	"context"
	"fmt"
	"log"

	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/memstorage"
)

// saveAvatar is application code: it sees only the interface, so production passes
// awss3.New(s3Client, "avatars", nil) and tests pass a memstorage bucket.
func saveAvatar(ctx context.Context, b storage.Bucket, user string, png []byte) (string, error) {
	key := "avatars/" + user + ".png"
	if _, err := storage.PutBytes(ctx, b, key, png, &storage.PutOptions{ContentType: "image/png", IfAbsent: true}); err != nil {
		return "", err
	}
	return b.SignURL(ctx, key, nil)
}

func Example() {
	ctx := context.Background()
	bucket := memstorage.New("avatars", nil)
	if _, err := saveAvatar(ctx, bucket, "ana", []byte("\x89PNG")); err != nil {
		log.Fatal(err)
	}
	_, err := saveAvatar(ctx, bucket, "ana", []byte("\x89PNG"))
	fmt.Println(err)
	for page, err := range storage.Pages(ctx, bucket, &storage.ListOptions{Delimiter: "/"}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(page.CommonPrefixes)
	}
	// Output:
	// memstorage: put "avatars/ana.png": storage: precondition failed: the object exists
	// [avatars/]
}
