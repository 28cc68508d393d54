package memidentity_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"

	"github.com/servous/servous/identity"
	"github.com/servous/servous/identity/memidentity"
	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/memstorage"
)

// A local sign-in from end to end: a local issuer stands in for Google, the
// pool swaps its token for an identity and temporary credentials, and an
// in-memory bucket lets those credentials reach only the user's own prefix.
func Example() {
	ctx := context.Background()

	// The sign-in page asks the local issuer for an ID token.
	issuer, err := memidentity.NewIssuer("https://accounts.localhost", nil)
	if err != nil {
		log.Fatal(err)
	}
	token, err := issuer.Issue(memidentity.Claims{Subject: "local-user-1", Audience: "petu", Name: "Ada", Email: "ada@example.com"})
	if err != nil {
		log.Fatal(err)
	}

	// The pool trusts the issuer under a provider name, as a Cognito
	// identity pool trusts accounts.google.com.
	pool, err := memidentity.New("us-east-1:0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f", &memidentity.Options{
		Providers: []memidentity.Provider{issuer.Provider("accounts.localhost", "petu")},
	})
	if err != nil {
		log.Fatal(err)
	}
	user, err := pool.Exchange(ctx, identity.Login{Provider: "accounts.localhost", Token: token})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("identity in us-east-1:", strings.HasPrefix(user.ID, "us-east-1:"))
	fmt.Println("temporary key:", user.Credentials.AccessKeyID[:4], user.Credentials.CanExpire)

	// The credentials open the user's own prefix of a bucket that checks
	// them with the pool, and nobody else's.
	bucket := memstorage.New("media", &memstorage.Options{Authority: pool})
	mine := bucket.WithCredentials(user.Credentials)
	if _, err := storage.PutBytes(ctx, mine, "uploads/"+user.ID+"/cat.mp4", []byte("video"), nil); err != nil {
		log.Fatal(err)
	}
	_, err = storage.PutBytes(ctx, mine, "uploads/someone-else/cat.mp4", []byte("video"), nil)
	fmt.Println("own prefix: ok; other prefix denied:", errors.Is(err, storage.ErrAccessDenied))

	// A forged token gets nothing.
	_, err = pool.Exchange(ctx, identity.Login{Provider: "accounts.localhost", Token: token[:len(token)-4] + "AAAA"})
	fmt.Println("forged token refused:", errors.Is(err, identity.ErrNotAuthorized))
	// Output:
	// identity in us-east-1: true
	// temporary key: ASIA true
	// own prefix: ok; other prefix denied: true
	// forged token refused: true
}
