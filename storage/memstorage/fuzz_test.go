package memstorage_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/memstorage"
)

// FuzzSignedURL changes a signed URL's path, query and Range header: the handler must never
// panic, and must serve the object only for the key and query it signed.
func FuzzSignedURL(f *testing.F) {
	f.Add("/media/videos/a.mp4", "", "")
	f.Add("/media/videos/b.mp4", "", "bytes=-5")
	f.Add("/media/videos/a.mp4", "X-Amz-Expires=604800", "bytes=3-1")
	f.Add("/media/videos/a.mp4", "X-Amz-Date=20300101T000000Z", "bytes=0-")
	f.Add("/media/videos/a.mp4", "X-Amz-Credential=ASIA0000", "bytes=1-2,4-5")
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b := memstorage.New("media", &memstorage.Options{
		BaseURL: "http://localhost/media", Now: func() time.Time { return now },
		SigningKey: []byte("fuzz-key"),
	})
	if _, err := storage.PutBytes(f.Context(), b, "videos/a.mp4", []byte("0123456789"), nil); err != nil {
		f.Fatal(err)
	}
	if _, err := storage.PutBytes(f.Context(), b, "videos/b.mp4", []byte("other"), nil); err != nil {
		f.Fatal(err)
	}
	signed, err := b.SignURL(f.Context(), "videos/a.mp4", &storage.SignOptions{Expiry: time.Hour})
	if err != nil {
		f.Fatal(err)
	}
	su, err := url.Parse(signed)
	if err != nil {
		f.Fatal(err)
	}
	h := b.Handler()
	f.Fuzz(func(t *testing.T, path, extraQuery, rng string) {
		q := su.Query()
		extra, err := url.ParseQuery(extraQuery)
		if err != nil {
			return
		}
		for k, v := range extra {
			q[k] = v
		}
		u := url.URL{Scheme: "http", Host: "localhost", Path: path, RawQuery: q.Encode()}
		req, err := http.NewRequest(http.MethodGet, u.String(), nil)
		if err != nil {
			return
		}
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code/100 == 2 && (req.URL.Path != su.Path || q.Encode() != su.Query().Encode()) {
			t.Errorf("served %d for path %q query %q; signed were %q %q", rec.Code, req.URL.Path, q.Encode(), su.Path, su.RawQuery)
		}
	})
}
