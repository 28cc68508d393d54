package memstorage_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/servous/servous/events"
	"github.com/servous/servous/identity"
	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/memstorage"
)

// recorder is an events.Publisher that keeps what it is given and checks, when it is given an
// event, that the change is already visible.
type recorder struct {
	mu     sync.Mutex
	b      *memstorage.Bucket
	events []events.ObjectEvent
	errs   []error
}

func (r *recorder) Publish(ctx context.Context, e events.Event) error {
	decoded, err := events.DecodeObjectEvents(e.Payload)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil || len(decoded) != 1 {
		r.errs = append(r.errs, fmt.Errorf("payload %s: %v", e.Payload, err))
		return nil
	}
	o := decoded[0]
	if o.Created() {
		// The object may have changed again since; it must exist, at least.
		if _, err := r.b.Head(ctx, o.Key); err != nil && e.Type != events.ObjectCreatedPut {
			r.errs = append(r.errs, fmt.Errorf("%s %q published before visible: %v", e.Type, o.Key, err))
		}
	}
	if e.Source != events.SourceS3 || e.Type != o.Name || e.Bucket != "media" || e.Key != o.Key {
		r.errs = append(r.errs, fmt.Errorf("event header %+v does not match %+v", e, o))
	}
	r.events = append(r.events, o)
	return nil
}

func TestEvents(t *testing.T) {
	ctx := t.Context()
	rec := &recorder{}
	b := memstorage.New("media", &memstorage.Options{Publisher: rec, Region: "eu-west-1", MultipartThreshold: 6 << 20, PartSize: 5 << 20})
	rec.b = b
	put, err := storage.PutBytes(ctx, b, "in/a b.mp4", []byte("video"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Copy(ctx, "out/copy.mp4", "in/a b.mp4", nil); err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 11<<20)
	for i := range big {
		big[i] = byte(i * 7)
	}
	bigInfo, err := storage.PutBytes(ctx, b, "in/big", big, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Delete(ctx, "in/a b.mp4"); err != nil {
		t.Fatal(err)
	}
	if err := b.Delete(ctx, "never/existed"); err != nil {
		t.Fatal(err)
	}
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, err := range rec.errs {
		t.Error(err)
	}
	type ev struct{ Name, Key, ETag, Region string }
	var got []ev
	for _, e := range rec.events {
		got = append(got, ev{e.Name, e.Key, e.ETag, e.Region})
	}
	want := []ev{
		{events.ObjectCreatedPut, "in/a b.mp4", strings.Trim(put.ETag, `"`), "eu-west-1"},
		{events.ObjectCreatedCopy, "out/copy.mp4", strings.Trim(put.ETag, `"`), "eu-west-1"},
		{events.ObjectCreatedCompleteMultipartUpload, "in/big", strings.Trim(bigInfo.ETag, `"`), "eu-west-1"},
		{events.ObjectRemovedDelete, "in/a b.mp4", "", "eu-west-1"},
		// S3 notifies a delete of a key that held nothing, too.
		{events.ObjectRemovedDelete, "never/existed", "", "eu-west-1"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	for i := 1; i < len(rec.events); i++ {
		if events.CompareSequencers(rec.events[i-1].Sequencer, rec.events[i].Sequencer) >= 0 {
			t.Errorf("sequencer %s then %s: not increasing", rec.events[i-1].Sequencer, rec.events[i].Sequencer)
		}
	}
	// S3's multipart ETag: MD5 of the parts' MD5s, dash, part count (5 MiB + 5 MiB + 1 MiB).
	outer := md5.New()
	for off := 0; off < len(big); off += 5 << 20 {
		s := md5.Sum(big[off:min(off+5<<20, len(big))])
		outer.Write(s[:])
	}
	if want := `"` + hex.EncodeToString(outer.Sum(nil)) + `-3"`; bigInfo.ETag != want {
		t.Errorf("multipart ETag = %s, want %s", bigInfo.ETag, want)
	}
	if rec.events[0].Size != 5 || rec.events[2].Size != int64(len(big)) {
		t.Errorf("event sizes %d, %d", rec.events[0].Size, rec.events[2].Size)
	}
}

// blockingPublisher holds every Publish until released, to show writers do not wait for it.
type blockingPublisher struct {
	release chan struct{}
	mu      sync.Mutex
	keys    []string
}

func (p *blockingPublisher) Publish(ctx context.Context, e events.Event) error {
	<-p.release
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys = append(p.keys, e.Key)
	return nil
}

func TestEventsDoNotBlockWriters(t *testing.T) {
	ctx := t.Context()
	pub := &blockingPublisher{release: make(chan struct{})}
	b := memstorage.New("media", &memstorage.Options{Publisher: pub})
	var want []string
	for i := range 100 {
		k := fmt.Sprintf("k%03d", i)
		want = append(want, k)
		if _, err := storage.PutBytes(ctx, b, k, []byte("x"), nil); err != nil {
			t.Fatal(err)
		}
	}
	close(pub.release)
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	pub.mu.Lock()
	defer pub.mu.Unlock()
	if diff := cmp.Diff(want, pub.keys); diff != "" {
		t.Errorf("published keys, in order (-want +got):\n%s", diff)
	}
}

func TestWithCredentials(t *testing.T) {
	ctx := t.Context()
	auth := &authority{}
	b := memstorage.New("media", &memstorage.Options{Authority: auth})
	credsA, credsB := auth.add("us-east-1:a"), auth.add("us-east-1:b")
	a, bb := b.WithCredentials(credsA), b.WithCredentials(credsB)
	if _, err := storage.PutBytes(ctx, a, "uploads/us-east-1:a/x", []byte("a's"), nil); err != nil {
		t.Fatalf("A writes under its prefix: %v", err)
	}
	if _, err := storage.PutBytes(ctx, bb, "uploads/us-east-1:b/x", []byte("b's"), nil); err != nil {
		t.Fatalf("B writes under its prefix: %v", err)
	}
	denied := []struct {
		name string
		err  error
	}{}
	add := func(name string, err error) {
		denied = append(denied, struct {
			name string
			err  error
		}{name, err})
	}
	_, err := storage.PutBytes(ctx, a, "uploads/us-east-1:b/x", []byte("overwrite"), nil)
	add("A puts under B", err)
	_, err = a.Get(ctx, "uploads/us-east-1:b/x", nil)
	add("A gets under B", err)
	_, err = a.Head(ctx, "uploads/us-east-1:b/x")
	add("A heads under B", err)
	add("A deletes under B", a.Delete(ctx, "uploads/us-east-1:b/x"))
	_, err = a.Copy(ctx, "uploads/us-east-1:a/stolen", "uploads/us-east-1:b/x", nil)
	add("A copies from B", err)
	_, err = a.Copy(ctx, "uploads/us-east-1:b/planted", "uploads/us-east-1:a/x", nil)
	add("A copies to B", err)
	_, err = a.List(ctx, &storage.ListOptions{Prefix: "uploads/us-east-1:b/"})
	add("A lists B", err)
	_, err = a.List(ctx, nil)
	add("A lists the bucket", err)
	_, err = a.List(ctx, &storage.ListOptions{Prefix: "uploads/us-east-1:a"})
	add("A lists a prefix wider than its own", err)
	_, err = a.Put(ctx, "top-level", strings.NewReader("x"), nil)
	add("A puts outside uploads/", err)
	forged := credsA
	forged.SecretAccessKey = "guessed"
	_, err = b.WithCredentials(forged).Head(ctx, "uploads/us-east-1:a/x")
	add("wrong secret", err)
	stale := credsA
	stale.SessionToken = "old-token"
	_, err = b.WithCredentials(stale).Head(ctx, "uploads/us-east-1:a/x")
	add("wrong session token", err)
	for _, d := range denied {
		if !errors.Is(d.err, storage.ErrAccessDenied) {
			t.Errorf("%s: error = %v, want ErrAccessDenied", d.name, d.err)
		}
	}
	if _, err := b.WithCredentials(stale).Head(ctx, "uploads/us-east-1:a/x"); !errors.Is(err, identity.ErrNotAuthorized) {
		t.Errorf("wrong session token: error = %v, want it to wrap the Authority's ErrNotAuthorized", err)
	}
	if got, _ := storage.GetBytes(ctx, b, "uploads/us-east-1:b/x"); string(got) != "b's" {
		t.Errorf("B's object = %q", got)
	}
	if _, err := storage.PutBytes(ctx, a, "", nil, nil); !errors.Is(err, storage.ErrInvalidKey) {
		t.Errorf("invalid key through a view: %v, want ErrInvalidKey first", err)
	}
	page, err := a.List(ctx, &storage.ListOptions{Prefix: "uploads/us-east-1:a/"})
	if err != nil || len(page.Objects) != 1 || page.Objects[0].Key != "uploads/us-east-1:a/x" {
		t.Errorf("A lists its prefix: %+v, %v", page, err)
	}
	if _, err := a.Copy(ctx, "uploads/us-east-1:a/y", "uploads/us-east-1:a/x", nil); err != nil {
		t.Errorf("A copies within its prefix: %v", err)
	}
	if err := a.Delete(ctx, "uploads/us-east-1:a/y"); err != nil {
		t.Errorf("A deletes within its prefix: %v", err)
	}
	// Without an Authority no caller credentials are accepted.
	plain := memstorage.New("media", nil)
	if _, err := plain.WithCredentials(credsA).Head(ctx, "uploads/us-east-1:a/x"); !errors.Is(err, storage.ErrAccessDenied) {
		t.Errorf("view of a bucket without Authority: %v, want ErrAccessDenied", err)
	}
	if _, err := plain.SignURL(ctx, "k", &storage.SignOptions{Credentials: &credsA}); !errors.Is(err, storage.ErrInvalidArgument) {
		t.Errorf("signing with credentials without Authority: %v, want ErrInvalidArgument", err)
	}
}

func TestViewSignsWithItsCredentials(t *testing.T) {
	ctx := t.Context()
	auth := &authority{}
	b, srv := newServed(t, &memstorage.Options{Authority: auth})
	credsA := auth.add("us-east-1:a")
	a := b.WithCredentials(credsA)
	if _, err := storage.PutBytes(ctx, b, "uploads/us-east-1:b/secret", []byte("b's"), nil); err != nil {
		t.Fatal(err)
	}
	u, err := a.SignURL(ctx, "uploads/us-east-1:b/secret", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(u, credsA.AccessKeyID) {
		t.Errorf("URL %s does not carry the view's access key id", u)
	}
	resp, err := srv.Client().Get(u)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "<Code>AccessDenied</Code>") {
		t.Errorf("GET of B's key signed by A = %d %s, want 403 AccessDenied", resp.StatusCode, body)
	}
	form, err := a.UploadForm(ctx, "uploads/us-east-1:a/v.mp4", &storage.FormOptions{MaxSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	form.Fields["success_action_status"] = "201"
	req, err := form.NewRequest(ctx, strings.NewReader("data"), 4, "")
	if err != nil {
		t.Fatal(err)
	}
	// success_action_status must be in the policy to be sent; it is not, so S3 refuses.
	resp, err = srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST with a field outside the policy = %d, want 403", resp.StatusCode)
	}
}

// TestIndex checks the skip list against a sorted reference under random puts and deletes.
func TestIndex(t *testing.T) {
	ctx := t.Context()
	b := memstorage.New("media", nil)
	ref := map[string]bool{}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		k := fmt.Sprintf("%c/%d", 'a'+rng.IntN(5), rng.IntN(400))
		if rng.IntN(3) == 0 {
			if err := b.Delete(ctx, k); err != nil {
				t.Fatal(err)
			}
			delete(ref, k)
		} else {
			if _, err := storage.PutBytes(ctx, b, k, nil, nil); err != nil {
				t.Fatal(err)
			}
			ref[k] = true
		}
	}
	var want []string
	for k := range ref {
		want = append(want, k)
	}
	slices.Sort(want)
	var got []string
	for o, err := range storage.Objects(ctx, b, &storage.ListOptions{PageSize: 77}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, o.Key)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("listing (-want +got):\n%s", diff)
	}
	if b.Len() != len(want) {
		t.Errorf("Len = %d, want %d", b.Len(), len(want))
	}
}

func TestBadPageToken(t *testing.T) {
	b := memstorage.New("media", nil)
	for _, tok := range []string{"!!", "", "eA"} {
		if tok == "" {
			continue
		}
		if _, err := b.List(t.Context(), &storage.ListOptions{PageToken: tok}); !errors.Is(err, storage.ErrInvalidArgument) {
			t.Errorf("List(token %q) = %v, want ErrInvalidArgument", tok, err)
		}
	}
}
