package main

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/servous/servous/storage"
)

// parseCSP splits a Content-Security-Policy into its directives' sources.
func parseCSP(policy string) map[string][]string {
	d := map[string][]string{}
	for part := range strings.SplitSeq(policy, ";") {
		f := strings.Fields(part)
		if len(f) > 0 {
			d[f[0]] = f[1:]
		}
	}
	return d
}

// TestSecurityHeaders checks that everything the local server answers — pages, scripts, the API,
// the issuer, the buckets, errors — carries the browser security headers, with a policy that
// allows the site's own origin and nothing else.
func TestSecurityHeaders(t *testing.T) {
	l, base := startLocal(t, config{})
	if _, err := storage.PutBytes(t.Context(), l.Media, "videos/x/a.mp4", []byte("mp4"), nil); err != nil {
		t.Fatal(err)
	}
	media, err := l.Media.SignURL(t.Context(), "videos/x/a.mp4", &storage.SignOptions{Expiry: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{
		base + "/", base + "/app.js", base + "/style.css", base + "/config.json", base + "/no-such-page",
		base + "/api/videos", base + "/auth/.well-known/jwks.json", base + "/auth/token", media,
	} {
		_, h, _ := send(t, http.MethodGet, u, nil, "")
		for k, want := range map[string]string{
			"X-Content-Type-Options": "nosniff",
			"X-Frame-Options":        "DENY",
			"Referrer-Policy":        "strict-origin-when-cross-origin",
		} {
			if got := h.Get(k); got != want {
				t.Errorf("GET %s: %s %q, want %q", u, k, got, want)
			}
		}
		csp := parseCSP(h.Get("Content-Security-Policy"))
		for dir, want := range map[string][]string{
			"default-src":     {"'none'"},
			"script-src":      {"'self'"},
			"style-src":       {"'self'"},
			"connect-src":     {"'self'"},
			"media-src":       {"'self'"},
			"img-src":         {"data:", "'self'"},
			"frame-src":       {"'none'"},
			"frame-ancestors": {"'none'"},
			"object-src":      {"'none'"},
			"base-uri":        {"'none'"},
		} {
			if got := csp[dir]; !slices.Equal(got, want) {
				t.Errorf("GET %s: CSP %s %q, want %q (policy %q)", u, dir, got, want, h.Get("Content-Security-Policy"))
			}
		}
	}
}
