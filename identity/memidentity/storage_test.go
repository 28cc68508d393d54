package memidentity_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"

	"github.com/servous/servous/identity"
	"github.com/servous/servous/identity/memidentity"
	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/memstorage"
)

// TestStoragePrefixPerIdentity shows the in-memory twin of the IAM policy on
// uploads/${cognito-identity.amazonaws.com:sub}/*: credentials from the pool
// reach their own identity's prefix in memstorage and nobody else's.
func TestStoragePrefixPerIdentity(t *testing.T) {
	clk := &clock{now: time.Now()}
	iss := newIssuer(t, "https://accounts.local", &memidentity.IssuerOptions{Now: clk.Now})
	pool, err := memidentity.New(poolID, &memidentity.Options{
		Providers:           []memidentity.Provider{iss.Provider("accounts.local", "app")},
		CredentialsLifetime: 15 * time.Minute,
		Now:                 clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	bucket := memstorage.New("media", &memstorage.Options{Authority: pool, BaseURL: "http://" + srv.Listener.Addr().String(), Now: clk.Now})
	srv.Config.Handler = bucket.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	ctx := t.Context()

	signIn := func(sub string) identity.Identity {
		t.Helper()
		id, err := pool.Exchange(ctx, identity.Login{Provider: "accounts.local", Token: issue(t, iss, memidentity.Claims{Subject: sub, Audience: "app"})})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	alice, bob := signIn("alice"), signIn("bob")
	asAlice := bucket.WithCredentials(alice.Credentials)
	asBob := bucket.WithCredentials(bob.Credentials)
	aliceKey := "uploads/" + alice.ID + "/a.mp4"
	bobKey := "uploads/" + bob.ID + "/b.mp4"

	// Each writes, reads and lists under their own prefix.
	for _, c := range []struct {
		b   storage.Bucket
		key string
	}{{asAlice, aliceKey}, {asBob, bobKey}} {
		if _, err := storage.PutBytes(ctx, c.b, c.key, []byte("own"), nil); err != nil {
			t.Fatalf("put %s under own prefix: %v", c.key, err)
		}
		got, err := storage.GetBytes(ctx, c.b, c.key)
		if err != nil || string(got) != "own" {
			t.Fatalf("get %s under own prefix = %q, %v", c.key, got, err)
		}
	}
	page, err := asAlice.List(ctx, &storage.ListOptions{Prefix: "uploads/" + alice.ID + "/"})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range page.Objects {
		keys = append(keys, o.Key)
	}
	if d := cmp.Diff([]string{aliceKey}, keys); d != "" {
		t.Errorf("alice's listing of her prefix (-want +got):\n%s", d)
	}

	// Alice can neither read, write, delete nor list under Bob's prefix.
	denied := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, storage.ErrAccessDenied) {
			t.Errorf("alice %s bob's prefix: error = %v, want storage.ErrAccessDenied", what, err)
		}
	}
	_, err = storage.GetBytes(ctx, asAlice, bobKey)
	denied("reads", err)
	_, err = storage.PutBytes(ctx, asAlice, "uploads/"+bob.ID+"/planted.mp4", []byte("x"), nil)
	denied("writes", err)
	denied("deletes", asAlice.Delete(ctx, bobKey))
	_, err = asAlice.List(ctx, &storage.ListOptions{Prefix: "uploads/" + bob.ID + "/"})
	denied("lists", err)
	_, err = asAlice.List(ctx, &storage.ListOptions{Prefix: "uploads/"})
	denied("lists everyone under", err)
	if _, err := bucket.Head(ctx, "uploads/"+bob.ID+"/planted.mp4"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the refused write left an object: Head error = %v", err)
	}
	if got, err := storage.GetBytes(ctx, bucket, bobKey); err != nil || string(got) != "own" {
		t.Errorf("bob's object after alice's attempts = %q, %v", got, err)
	}

	// A URL Alice signs with her credentials works for her key only.
	fetch := func(key string) int {
		t.Helper()
		u, err := asAlice.SignURL(ctx, key, &storage.SignOptions{Credentials: &alice.Credentials})
		if err != nil {
			return http.StatusForbidden
		}
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := fetch(aliceKey); got != http.StatusOK {
		t.Errorf("GET of alice's signed URL for her key = %d, want 200", got)
	}
	if got := fetch(bobKey); got != http.StatusForbidden {
		t.Errorf("GET of alice's signed URL for bob's key = %d, want 403", got)
	}

	// Forged and expired credentials are refused outright.
	forged := alice.Credentials
	forged.SessionToken = strings.Repeat("A", len(forged.SessionToken))
	_, err = storage.GetBytes(ctx, bucket.WithCredentials(forged), aliceKey)
	if !errors.Is(err, storage.ErrAccessDenied) {
		t.Errorf("forged session token: error = %v, want ErrAccessDenied", err)
	}
	_, err = storage.GetBytes(ctx, bucket.WithCredentials(aws.Credentials{AccessKeyID: "ASIAUNKNOWNUNKNOWN00", SecretAccessKey: "s", SessionToken: "t"}), aliceKey)
	if !errors.Is(err, storage.ErrAccessDenied) {
		t.Errorf("unknown credentials: error = %v, want ErrAccessDenied", err)
	}
	clk.Add(16 * time.Minute)
	_, err = storage.GetBytes(ctx, asAlice, aliceKey)
	if !errors.Is(err, storage.ErrAccessDenied) {
		t.Errorf("expired credentials: error = %v, want ErrAccessDenied", err)
	}
}
