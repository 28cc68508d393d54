package awscognito_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http/httptest"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/servous/servous/identity"
	"github.com/servous/servous/identity/awscognito"
	"github.com/servous/servous/identity/identitytest"
)

// Exchanging a Google ID token with a Cognito identity pool. Here a local
// server speaking Cognito Identity's protocol plays the pool and a local
// issuer plays Google; in production the client comes from
// cognitoidentity.NewFromConfig and the token from Google Sign-In.
func Example() {
	ctx := context.Background()
	const poolID = "us-east-1:6a9b1c2d-3e4f-4a5b-8c7d-9e0f1a2b3c4d"

	google, err := identitytest.NewIssuer("https://accounts.google.com", jose.ES256)
	if err != nil {
		log.Fatal(err)
	}
	srv := identitytest.NewServer(nil)
	if err := srv.AddPool(poolID, &identitytest.PoolOptions{
		Providers: []identitytest.Provider{google.Provider(identity.ProviderGoogle, "my-client-id.apps.googleusercontent.com")},
	}); err != nil {
		log.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	client := identitytest.NewClient(ts.URL)

	pool := awscognito.New(client, poolID, nil)
	token, err := google.Issue(jwt.Claims{Subject: "1234567890", Audience: jwt.Audience{"my-client-id.apps.googleusercontent.com"}})
	if err != nil {
		log.Fatal(err)
	}
	login := identity.Login{Provider: identity.ProviderGoogle, Token: token}

	// An aws.CredentialsProvider for the user's AWS clients, refreshed
	// before the credentials expire.
	var userID string
	creds := identity.NewCredentialsProvider(pool, login, &identity.ProviderOptions{
		OnIdentity: func(id identity.Identity) { userID = id.ID },
	})
	c, err := creds.Retrieve(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("identity:", strings.HasPrefix(userID, "us-east-1:"))
	fmt.Println("credentials:", c.Source, c.AccessKeyID[:4], c.CanExpire)

	// A token for another audience is refused; the SDK's error is still
	// there.
	wrong, err := google.Issue(jwt.Claims{Subject: "1234567890", Audience: jwt.Audience{"another-app"}})
	if err != nil {
		log.Fatal(err)
	}
	_, err = pool.Exchange(ctx, identity.Login{Provider: identity.ProviderGoogle, Token: wrong})
	var notAuthorized *types.NotAuthorizedException
	fmt.Println("not authorized:", errors.Is(err, identity.ErrNotAuthorized), errors.As(err, &notAuthorized))
	// Output:
	// identity: true
	// credentials: awscognito ASIA true
	// not authorized: true true
}
