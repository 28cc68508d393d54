package storagetest

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/servous/servous/storage"
)

// expire moves the store's clock by d and runs check, in a subtest that a target whose clock
// cannot move skips.
func expire(t *testing.T, tg Target, d time.Duration, check func(t *testing.T)) {
	t.Run("Expired", func(t *testing.T) {
		if tg.Advance == nil {
			t.Skip("the target's clock cannot be moved (Target.Advance is nil), so expiry is not checked")
		}
		tg.Advance(d)
		check(t)
	})
}

// do sends req and returns the status and body.
func do(t *testing.T, c *http.Client, req *http.Request) (int, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

func get(t *testing.T, tg Target, rawURL string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, tg.client(), req)
}

func put(t *testing.T, tg Target, rawURL, contentType, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPut, rawURL, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return do(t, tg.client(), req)
}

// tamper returns rawURL with one query parameter changed.
func tamper(t *testing.T, rawURL, param, value string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set(param, value)
	u.RawQuery = q.Encode()
	return u.String()
}

func testSignedURLGet(t *testing.T, tg Target) {
	ctx, b := t.Context(), tg.Bucket
	key := "shared/a b+ü%.txt"
	mustPut(t, b, key, "secret contents", &storage.PutOptions{ContentType: "text/plain"})
	mustPut(t, b, "shared/other.txt", "other contents", nil)
	u, err := b.SignURL(ctx, key, &storage.SignOptions{Expiry: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, tg, u); code != http.StatusOK || body != "secret contents" {
		t.Fatalf("GET signed URL = %d %q", code, body)
	}
	// Another key under the same signature.
	other := strings.Replace(u, "a%20b", "other", 1)
	if other == u {
		pu, _ := url.Parse(u)
		pu.Path = "/" + strings.Trim(pu.Path[:strings.LastIndex(pu.Path, "/")], "/") + "/other.txt"
		other = pu.String()
	}
	if code, _ := get(t, tg, other); code != http.StatusForbidden {
		t.Errorf("GET with the key changed = %d, want 403", code)
	}
	if code, _ := get(t, tg, tamper(t, u, "X-Amz-Signature", strings.Repeat("0", 64))); code != http.StatusForbidden {
		t.Errorf("GET with the signature changed = %d, want 403", code)
	}
	if code, _ := get(t, tg, tamper(t, u, "X-Amz-Expires", "604800")); code != http.StatusForbidden {
		t.Errorf("GET with the expiry changed = %d, want 403", code)
	}
	if code, _ := get(t, tg, tamper(t, u, "response-content-type", "text/html")); code != http.StatusForbidden {
		t.Errorf("GET with a query parameter added = %d, want 403", code)
	}
	if code, _ := put(t, tg, u, "", "overwrite"); code != http.StatusForbidden {
		t.Errorf("PUT to a URL signed for GET = %d, want 403", code)
	}
	if got := mustGet(t, b, key); got != "secret contents" {
		t.Errorf("object changed through a GET URL: %q", got)
	}
	// An unsigned request is refused.
	plain, _ := url.Parse(u)
	plain.RawQuery = ""
	if code, _ := get(t, tg, plain.String()); code != http.StatusForbidden {
		t.Errorf("unsigned GET = %d, want 403", code)
	}
	// A range through the signed URL.
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	req.Header.Set("Range", "bytes=7-")
	if code, body := do(t, tg.client(), req); code != http.StatusPartialContent || body != "contents" {
		t.Errorf("ranged GET = %d %q, want 206 \"contents\"", code, body)
	}
	// Expired.
	expire(t, tg, time.Hour+time.Second, func(t *testing.T) {
		if code, _ := get(t, tg, u); code != http.StatusForbidden {
			t.Errorf("GET after expiry = %d, want 403", code)
		}
	})
	// Missing key, freshly signed.
	u2, err := b.SignURL(ctx, "shared/missing", nil)
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, tg, u2); code != http.StatusNotFound {
		t.Errorf("GET of a missing key = %d, want 404", code)
	}
}

func testSignedURLPut(t *testing.T, tg Target) {
	ctx, b := t.Context(), tg.Bucket
	u, err := b.SignURL(ctx, "in/video.mp4", &storage.SignOptions{Method: http.MethodPut, ContentType: "video/mp4", Expiry: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if code, body := put(t, tg, u, "text/html", "<script>"); code != http.StatusForbidden {
		t.Errorf("PUT with another content type = %d %s, want 403", code, body)
	}
	if ok, _ := storage.Exists(ctx, b, "in/video.mp4"); ok {
		t.Error("a refused PUT created the object")
	}
	if code, body := put(t, tg, u, "video/mp4", "frames"); code != http.StatusOK {
		t.Fatalf("PUT signed URL = %d %s", code, body)
	}
	head, err := b.Head(ctx, "in/video.mp4")
	if err != nil {
		t.Fatal(err)
	}
	if head.ContentType != "video/mp4" || head.ETag != md5ETag([]byte("frames")) {
		t.Errorf("uploaded object = %+v", head)
	}
	// S3 answers 403 SignatureDoesNotMatch; MinIO answers 400, as the GET lacks the
	// Content-Type the URL signed.
	if code, body := get(t, tg, u); code != http.StatusForbidden && code != http.StatusBadRequest {
		t.Errorf("GET of a URL signed for PUT = %d %s, want 403 (or 400)", code, body)
	}
	expire(t, tg, 11*time.Minute, func(t *testing.T) {
		if code, _ := put(t, tg, u, "video/mp4", "late"); code != http.StatusForbidden {
			t.Errorf("PUT after expiry = %d, want 403", code)
		}
	})
	if got := mustGet(t, b, "in/video.mp4"); got != "frames" {
		t.Errorf("object = %q after an expired PUT", got)
	}
}

func testSignedURLExpiryLimit(t *testing.T, tg Target) {
	ctx, b := t.Context(), tg.Bucket
	if _, err := b.SignURL(ctx, "k", &storage.SignOptions{Expiry: storage.MaxSignExpiry}); err != nil {
		t.Errorf("SignURL(7 days) = %v", err)
	}
	_, err := b.SignURL(ctx, "k", &storage.SignOptions{Expiry: storage.MaxSignExpiry + time.Second})
	wantErr(t, "SignURL(over 7 days)", err, storage.ErrInvalidArgument)
	_, err = b.SignURL(ctx, "k", &storage.SignOptions{Method: http.MethodDelete})
	wantErr(t, "SignURL(DELETE)", err, storage.ErrInvalidArgument)
	_, err = b.UploadForm(ctx, "k", &storage.FormOptions{Expiry: storage.MaxSignExpiry + time.Second})
	wantErr(t, "UploadForm(over 7 days)", err, storage.ErrInvalidArgument)
}

func post(t *testing.T, tg Target, form *storage.UploadForm, body, contentType string) (int, string) {
	t.Helper()
	req, err := form.NewRequest(t.Context(), strings.NewReader(body), int64(len(body)), contentType)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, tg.client(), req)
}

func testUploadForm(t *testing.T, tg Target) {
	ctx, b := t.Context(), tg.Bucket
	form, err := b.UploadForm(ctx, "uploads/clip.webm", &storage.FormOptions{
		MaxSize: 1 << 10, ContentType: "video/webm", Metadata: map[string]string{"Title": "clip"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if form.Expires.IsZero() || form.URL == "" || form.Fields["key"] != "uploads/clip.webm" {
		t.Errorf("form = %+v", form)
	}
	body := strings.Repeat("v", 1<<10)
	if code, resp := post(t, tg, form, body, ""); code/100 != 2 {
		t.Fatalf("POST form = %d %s", code, resp)
	}
	head, err := b.Head(ctx, "uploads/clip.webm")
	if err != nil {
		t.Fatal(err)
	}
	want := storage.ObjectInfo{Key: "uploads/clip.webm", Size: 1 << 10, ETag: md5ETag([]byte(body)), ContentType: "video/webm", Metadata: map[string]string{"title": "clip"}}
	if diff := cmp.Diff(want, *head, cmpopts.IgnoreFields(storage.ObjectInfo{}, "LastModified")); diff != "" {
		t.Errorf("uploaded object (-want +got):\n%s", diff)
	}
	// A content-type prefix lets the uploader choose within it.
	form, err = b.UploadForm(ctx, "uploads/any", &storage.FormOptions{ContentTypePrefix: "video/"})
	if err != nil {
		t.Fatal(err)
	}
	if code, resp := post(t, tg, form, "mkv", "video/x-matroska"); code/100 != 2 {
		t.Fatalf("POST with a type under the prefix = %d %s", code, resp)
	}
	if head, err := b.Head(ctx, "uploads/any"); err != nil || head.ContentType != "video/x-matroska" {
		t.Errorf("uploaded object = %+v, %v", head, err)
	}
	if code, _ := post(t, tg, form, "html", "text/html"); code != http.StatusForbidden {
		t.Errorf("POST with a type outside the prefix = %d, want 403", code)
	}
}

// testUploadFormExactSize signs a form whose content-length-range is one size, as an app does for
// a file whose size the user declared: a file of any other size, empty included, is refused.
func testUploadFormExactSize(t *testing.T, tg Target) {
	ctx, b := t.Context(), tg.Bucket
	form, err := b.UploadForm(ctx, "uploads/exact", &storage.FormOptions{MinSize: 10, MaxSize: 10, Expiry: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		body, code string
	}{{"", "EntityTooSmall"}, {"123456789", "EntityTooSmall"}, {"12345678901", "EntityTooLarge"}} {
		if code, resp := post(t, tg, form, tc.body, ""); code != http.StatusBadRequest || !strings.Contains(resp, tc.code) {
			t.Errorf("POST of %d bytes to a 10-byte form = %d %s, want 400 %s", len(tc.body), code, resp, tc.code)
		}
	}
	if ok, _ := storage.Exists(ctx, b, "uploads/exact"); ok {
		t.Error("a refused upload created the object")
	}
	if code, resp := post(t, tg, form, "1234567890", ""); code/100 != 2 {
		t.Errorf("POST of the declared 10 bytes = %d %s", code, resp)
	}
	for _, o := range []storage.FormOptions{{MinSize: -1}, {MinSize: 11, MaxSize: 10}} {
		if _, err := b.UploadForm(ctx, "uploads/exact", &o); !errors.Is(err, storage.ErrInvalidArgument) {
			t.Errorf("UploadForm with MinSize %d, MaxSize %d: %v, want ErrInvalidArgument", o.MinSize, o.MaxSize, err)
		}
	}
}

func testUploadFormRefusals(t *testing.T, tg Target) {
	ctx, b := t.Context(), tg.Bucket
	form, err := b.UploadForm(ctx, "uploads/small", &storage.FormOptions{MaxSize: 100, ContentType: "image/png", Expiry: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if code, resp := post(t, tg, form, strings.Repeat("x", 101), ""); code != http.StatusBadRequest || !strings.Contains(resp, "EntityTooLarge") {
		t.Errorf("POST over the size limit = %d %s, want 400 EntityTooLarge", code, resp)
	}
	if ok, _ := storage.Exists(ctx, b, "uploads/small"); ok {
		t.Error("an oversized upload created the object")
	}
	if code, _ := post(t, tg, form, "png", "text/html"); code != http.StatusForbidden {
		t.Errorf("POST with another content type = %d, want 403", code)
	}
	tampered := *form
	tampered.Fields = map[string]string{}
	for k, v := range form.Fields {
		tampered.Fields[k] = v
	}
	tampered.Fields["key"] = "uploads/elsewhere"
	if code, _ := post(t, tg, &tampered, "png", ""); code != http.StatusForbidden {
		t.Errorf("POST with the key changed = %d, want 403", code)
	}
	tampered.Fields["key"] = form.Fields["key"]
	tampered.Fields["policy"] = form.Fields["policy"][:len(form.Fields["policy"])-4] + "AAA="
	if code, _ := post(t, tg, &tampered, "png", ""); code != http.StatusForbidden && code != http.StatusBadRequest {
		t.Errorf("POST with the policy changed = %d, want 403 or 400", code)
	}
	tampered.Fields["policy"] = form.Fields["policy"]
	tampered.Fields["x-amz-meta-extra"] = "smuggled"
	if code, _ := post(t, tg, &tampered, "png", ""); code != http.StatusForbidden {
		t.Errorf("POST with a field outside the policy = %d, want 403", code)
	}
	expire(t, tg, time.Minute+time.Second, func(t *testing.T) {
		if code, _ := post(t, tg, form, "png", ""); code != http.StatusForbidden {
			t.Errorf("POST after expiry = %d, want 403", code)
		}
	})
	if ok, _ := storage.Exists(ctx, b, "uploads/small"); ok {
		t.Error("a refused upload created the object")
	}
	if ok, _ := storage.Exists(ctx, b, "uploads/elsewhere"); ok {
		t.Error("a tampered upload created an object")
	}
}

func testUserCredentials(t *testing.T, tg Target) {
	if tg.User == nil {
		t.Skip("the target has no per-user credentials (Target.User is nil), so prefix policies are not checked")
	}
	ctx, b := t.Context(), tg.Bucket
	creds, prefix := tg.User(t)
	mine, theirs := prefix+"photo.jpg", "uploads/someone-else/photo.jpg"
	mustPut(t, b, mine, "mine", nil)
	mustPut(t, b, theirs, "theirs", nil)
	sign := func(key, method string) string {
		t.Helper()
		u, err := b.SignURL(ctx, key, &storage.SignOptions{Method: method, Credentials: &creds})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	if code, body := get(t, tg, sign(mine, http.MethodGet)); code != http.StatusOK || body != "mine" {
		t.Errorf("GET own key with user credentials = %d %q", code, body)
	}
	if code, _ := get(t, tg, sign(theirs, http.MethodGet)); code != http.StatusForbidden {
		t.Errorf("GET another user's key = %d, want 403", code)
	}
	if code, _ := put(t, tg, sign(theirs, http.MethodPut), "", "overwritten"); code != http.StatusForbidden {
		t.Errorf("PUT another user's key = %d, want 403", code)
	}
	if got := mustGet(t, b, theirs); got != "theirs" {
		t.Errorf("another user's object = %q", got)
	}
	if code, body := put(t, tg, sign(prefix+"new.txt", http.MethodPut), "", "new"); code != http.StatusOK {
		t.Errorf("PUT own key = %d %s", code, body)
	}
	form, err := b.UploadForm(ctx, prefix+"form.bin", &storage.FormOptions{MaxSize: 10, Credentials: &creds})
	if err != nil {
		t.Fatal(err)
	}
	if code, body := post(t, tg, form, "hi", ""); code/100 != 2 {
		t.Errorf("POST own form = %d %s", code, body)
	}
	form, err = b.UploadForm(ctx, theirs, &storage.FormOptions{MaxSize: 10, Credentials: &creds})
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := post(t, tg, form, "hi", ""); code != http.StatusForbidden {
		t.Errorf("POST to another user's key = %d, want 403", code)
	}
	if got := mustGet(t, b, theirs); got != "theirs" {
		t.Errorf("another user's object = %q", got)
	}
	bad := creds
	bad.SessionToken = "not-the-session-token"
	u, err := b.SignURL(ctx, mine, &storage.SignOptions{Credentials: &bad})
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, tg, u); code != http.StatusForbidden {
		t.Errorf("GET signed with a wrong session token = %d, want 403", code)
	}
}
