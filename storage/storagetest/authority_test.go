package storagetest_test

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/servous/servous/identity"
	"github.com/servous/servous/identity/memidentity"
	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/awss3"
	"github.com/servous/servous/storage/storagetest"
)

// TestS3ServerAuthority signs in through an identity pool and uses the minted credentials on
// the S3 server, which asks the pool who holds them, as S3 asks IAM.
func TestS3ServerAuthority(t *testing.T) {
	ctx := t.Context()
	issuer, err := memidentity.NewIssuer("https://issuer.example", nil)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := memidentity.New("us-east-1:00000000-0000-4000-8000-000000000000", &memidentity.Options{
		Providers: []memidentity.Provider{issuer.Provider(identity.ProviderGoogle, "app")},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := storagetest.NewS3Server(t, &storagetest.S3ServerOptions{Authority: pool})
	name := srv.NewBucket(t)

	signIn := func(sub string) (identity.Identity, storage.Bucket) {
		token, err := issuer.Issue(memidentity.Claims{Subject: sub, Audience: "app"})
		if err != nil {
			t.Fatal(err)
		}
		id, err := pool.Exchange(ctx, identity.Login{Provider: identity.ProviderGoogle, Token: token})
		if err != nil {
			t.Fatal(err)
		}
		c := srv.Client(func(o *s3.Options) {
			o.Credentials = credentials.StaticCredentialsProvider{Value: id.Credentials}
		})
		return id, awss3.New(c, name, nil)
	}
	ann, annBucket := signIn("ann")
	bob, _ := signIn("bob")

	own := "uploads/" + ann.ID + "/a.txt"
	if _, err := storage.PutBytes(ctx, annBucket, own, []byte("a"), nil); err != nil {
		t.Fatalf("put under the holder's own prefix: %v", err)
	}
	if _, err := storage.GetBytes(ctx, annBucket, own); err != nil {
		t.Fatalf("get under the holder's own prefix: %v", err)
	}
	other := "uploads/" + bob.ID + "/b.txt"
	if _, err := storage.PutBytes(ctx, annBucket, other, []byte("b"), nil); !errors.Is(err, storage.ErrAccessDenied) {
		t.Errorf("put under another identity's prefix: %v, want ErrAccessDenied", err)
	}
	forged := ann.Credentials
	forged.SessionToken = "forged"
	c := srv.Client(func(o *s3.Options) { o.Credentials = credentials.StaticCredentialsProvider{Value: forged} })
	if _, err := storage.PutBytes(ctx, awss3.New(c, name, nil), own, []byte("x"), nil); !errors.Is(err, storage.ErrAccessDenied) {
		t.Errorf("put with a forged session token: %v, want ErrAccessDenied", err)
	}
}
