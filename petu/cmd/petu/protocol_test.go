package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/servous/servous/petu"
	"github.com/servous/servous/storage"
)

// send makes one request with the given headers and returns the status, the headers and the body.
func send(t *testing.T, method, url string, header map[string]string, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Header, string(b)
}

// TestIssuerDiscovery fetches the local issuer's discovery document and keys where its issuer URL
// says they are, as an OpenID Connect verifier does.
func TestIssuerDiscovery(t *testing.T) {
	l, base := startLocal(t, config{})
	status, _, body := send(t, http.MethodGet, l.Issuer.URL()+"/.well-known/openid-configuration", nil, "")
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal([]byte(body), &doc); status != http.StatusOK || err != nil {
		t.Fatalf("GET %s/.well-known/openid-configuration: %d %q", l.Issuer.URL(), status, body)
	}
	if doc.Issuer != base+"/auth" || doc.JWKSURI != base+"/auth/.well-known/jwks.json" {
		t.Errorf("discovery: issuer %q, jwks_uri %q", doc.Issuer, doc.JWKSURI)
	}
	status, _, body = send(t, http.MethodGet, doc.JWKSURI, nil, "")
	var keys struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal([]byte(body), &keys); status != http.StatusOK || err != nil || len(keys.Keys) == 0 {
		t.Errorf("GET %s: %d %q", doc.JWKSURI, status, body)
	}
	if status, _, _ := send(t, http.MethodGet, base+"/auth/auth/.well-known/jwks.json", nil, ""); status != http.StatusNotFound {
		t.Errorf("the keys are also served under /auth/auth: %d", status)
	}
}

// TestBearerSchemeCaseInsensitive signs in with the scheme spelt in any case (RFC 9110, 11.1).
func TestBearerSchemeCaseInsensitive(t *testing.T) {
	l, base := startLocal(t, config{})
	token := signIn(t, l, base, "ann").token
	for _, h := range []string{"Bearer " + token, "bearer " + token, "BEARER " + token, "bEaReR  " + token + " "} {
		if status, _, body := send(t, http.MethodGet, base+"/api/videos", map[string]string{"Authorization": h}, ""); status != http.StatusOK {
			t.Errorf("Authorization: %.12q…: %d %s", h, status, body)
		}
	}
	for _, h := range []string{"Basic " + token, "Bearer", "Bearer ", token, "Bearertoken"} {
		status, hdr, _ := send(t, http.MethodGet, base+"/api/videos", map[string]string{"Authorization": h}, "")
		if status != http.StatusUnauthorized || !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("Authorization: %.12q…: %d, WWW-Authenticate %q; want 401 with a Bearer challenge", h, status, hdr.Get("WWW-Authenticate"))
		}
	}
}

// TestJSONBodiesStrict refuses upload requests that are not exactly one UploadRequest, naming
// what is wrong.
func TestJSONBodiesStrict(t *testing.T) {
	l, base := startLocal(t, config{})
	auth := map[string]string{"Authorization": "Bearer " + signIn(t, l, base, "ann").token, "Content-Type": "application/json"}
	good := `{"fileName":"a.mp4","contentType":"video/mp4","size":10}`
	if status, _, body := send(t, http.MethodPost, base+"/api/uploads", auth, good); status != http.StatusOK {
		t.Fatalf("a good body: %d %s", status, body)
	}
	for _, tc := range []struct{ name, body, says string }{
		{"unknown field", `{"fileName":"a.mp4","contentType":"video/mp4","size":10,"sise":10}`, `unknown field "sise"`},
		{"trailing object", good + good, "after the JSON value"},
		{"trailing garbage", good + "x", "after the JSON value"},
		{"trailing bracket", good + "}", "after the JSON value"},
		{"empty", "", "empty"},
		{"not an object", `[1]`, "cannot unmarshal array"},
		{"wrong type", `{"fileName":"a.mp4","contentType":"video/mp4","size":"10"}`, "size"},
		{"cut short", `{"fileName":"a.mp4"`, "unexpected EOF"},
	} {
		status, _, body := send(t, http.MethodPost, base+"/api/uploads", auth, tc.body)
		var msg struct{ Error string }
		_ = json.Unmarshal([]byte(body), &msg)
		if status != http.StatusBadRequest || !strings.Contains(msg.Error, tc.says) {
			t.Errorf("%s: %d %s; want 400 saying %q", tc.name, status, body, tc.says)
		}
	}
	status, _, _ := send(t, http.MethodPost, base+"/api/uploads", auth, `{"fileName":"`+strings.Repeat("a", 20<<10)+`"}`)
	if status != http.StatusRequestEntityTooLarge {
		t.Errorf("a 20 KiB body: %d, want 413", status)
	}
	// Whitespace after the object is no data.
	if status, _, body := send(t, http.MethodPost, base+"/api/uploads", auth, good+"\n \t"); status != http.StatusOK {
		t.Errorf("a body ending in whitespace: %d %s", status, body)
	}
}

// TestWrongMethod answers a known path asked with the wrong method 405, saying what it allows.
func TestWrongMethod(t *testing.T) {
	l, base := startLocal(t, config{})
	auth := map[string]string{"Authorization": "Bearer " + signIn(t, l, base, "ann").token}
	for _, tc := range []struct{ method, path, allow string }{
		{http.MethodGet, "/api/uploads", "POST"},
		{http.MethodPut, "/api/videos", "GET, HEAD"},
		{http.MethodPost, "/api/videos/0123456789abcdef0123", "DELETE, GET, HEAD"},
		{http.MethodGet, "/auth/token", "POST"},
		{http.MethodPost, "/auth/.well-known/jwks.json", "GET, HEAD"},
		{http.MethodPost, "/", "GET, HEAD"},
		{http.MethodDelete, "/app.js", "GET, HEAD"},
	} {
		status, h, body := send(t, tc.method, base+tc.path, auth, "")
		if status != http.StatusMethodNotAllowed || h.Get("Allow") != tc.allow {
			t.Errorf("%s %s: %d, Allow %q (%.80s); want 405, Allow %q", tc.method, tc.path, status, h.Get("Allow"), body, tc.allow)
		}
	}
}

// TestNonASCIIFileNames keeps a file name in another script through the whole pipeline.
func TestNonASCIIFileNames(t *testing.T) {
	ctx := t.Context()
	l, base := startLocal(t, config{})
	ann := signIn(t, l, base, "ann")
	watch := watchJobs(t, l, 1)
	up, err := upload(ctx, ann, "кот и пёс.mp4", "video/mp4", sample)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(up.Key, "/кот-и-пёс.mp4") {
		t.Errorf("upload key %q, want it to end in the file's name, кот-и-пёс.mp4", up.Key)
	}
	<-watch.done
	settle(t, ctx, l)
	var v petu.VideoView
	if err := ann.do(ctx, http.MethodGet, "/api/videos/"+up.VideoID, nil, &v); err != nil {
		t.Fatal(err)
	}
	if v.FileName != "кот-и-пёс.mp4" || v.Status != petu.StatusReady {
		t.Errorf("video: file name %q, status %s (%s); want кот-и-пёс.mp4, ready", v.FileName, v.Status, v.Error)
	}
}

// TestRangeToTheLastInt64 reads a rendition with the largest last byte position a Range can name:
// S3 clamps it to the object's end.
func TestRangeToTheLastInt64(t *testing.T) {
	ctx := t.Context()
	l, base := startLocal(t, config{})
	data := []byte("0123456789")
	if _, err := storage.PutBytes(ctx, l.Media, "videos/x/video-480p.mp4", data, &storage.PutOptions{ContentType: "video/mp4"}); err != nil {
		t.Fatal(err)
	}
	u, err := l.Media.SignURL(ctx, "videos/x/video-480p.mp4", &storage.SignOptions{Expiry: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u, base+"/s3/") {
		t.Fatalf("signed URL %s is not served by the local server", u)
	}
	for _, tc := range []struct{ rng, body string }{
		{"bytes=0-9223372036854775807", "0123456789"},
		{"bytes=3-9223372036854775807", "3456789"},
		{"bytes=0-99999999999999999999", "0123456789"},
		{"bytes=2-4", "234"},
	} {
		status, h, body := send(t, http.MethodGet, u, map[string]string{"Range": tc.rng}, "")
		want := fmt.Sprintf("bytes %d-9/10", 10-len(tc.body))
		if tc.rng == "bytes=2-4" {
			want = "bytes 2-4/10"
		}
		if status != http.StatusPartialContent || body != tc.body || h.Get("Content-Range") != want {
			t.Errorf("Range: %s: %d %q, Content-Range %q; want 206 %q, %q", tc.rng, status, body, h.Get("Content-Range"), tc.body, want)
		}
	}
}
