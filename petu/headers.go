package petu

import (
	"net/http"
	"strings"
)

// SiteSources are the places, besides the site's own origin, that the website loads from and
// sends to. An empty field means the site's own origin serves it, as petu/cmd/petu does.
type SiteSources struct {
	// API is the API's origin ("https://….lambda-url.us-east-1.on.aws"), or a CSP host source
	// with a wildcard ("https://*.lambda-url.us-east-1.on.aws").
	API string
	// Uploads is the origin upload forms post to: the uploads bucket's.
	Uploads string
	// Media is the origin renditions and thumbnails are read from: the media bucket's.
	Media string
	// Google allows Google Identity Services' sign-in button and its script.
	Google bool
}

// Google Identity Services' sources, as its documentation lists them for a Content Security
// Policy.
const (
	googleScript = "https://accounts.google.com/gsi/client"
	googleStyle  = "https://accounts.google.com/gsi/style"
	googleGSI    = "https://accounts.google.com/gsi/"
)

// ContentSecurityPolicy returns the Content-Security-Policy of petu's website: its own scripts
// and styles (there are no inline ones), its config.json, the API, the upload form's bucket,
// videos and thumbnails from the media bucket, the empty data: favicon, and Google's sign-in when
// s.Google; nothing else, and no page may frame it.
func ContentSecurityPolicy(s SiteSources) string {
	self := func(src string) string {
		if src == "" {
			return "'self'"
		}
		return src
	}
	script, style, connect, frame := []string{"'self'"}, []string{"'self'"}, []string{"'self'"}, []string{"'none'"}
	for _, src := range []string{s.API, s.Uploads} {
		if src != "" {
			connect = append(connect, src)
		}
	}
	if s.Google {
		script = append(script, googleScript)
		style = append(style, googleStyle)
		connect = append(connect, googleGSI)
		frame = []string{googleGSI}
	}
	directives := [][]string{
		{"default-src", "'none'"},
		append([]string{"script-src"}, script...),
		append([]string{"style-src"}, style...),
		{"img-src", "data:", self(s.Media)},
		{"media-src", self(s.Media)},
		append([]string{"connect-src"}, connect...),
		append([]string{"frame-src"}, frame...),
		{"form-action", "'self'"},
		{"base-uri", "'none'"},
		{"object-src", "'none'"},
		{"frame-ancestors", "'none'"},
	}
	parts := make([]string, len(directives))
	for i, d := range directives {
		parts[i] = strings.Join(d, " ")
	}
	return strings.Join(parts, "; ")
}

// ReferrerPolicy is the Referrer-Policy petu's responses carry: a page's full URL stays on the
// site; other origins, Google's sign-in among them, are told the origin only, never the path or
// the query of a signed URL.
const ReferrerPolicy = "strict-origin-when-cross-origin"

// SecurityHeaders serves h with the headers a browser needs to treat petu's responses safely:
// the Content Security Policy of s, X-Content-Type-Options: nosniff, X-Frame-Options: DENY for
// browsers older than frame-ancestors, and ReferrerPolicy. In AWS, CloudFront's response
// headers policy in template.yaml adds the same headers to the site.
func SecurityHeaders(h http.Handler, s SiteSources) http.Handler {
	csp := ContentSecurityPolicy(s)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		hdr.Set("Content-Security-Policy", csp)
		hdr.Set("X-Content-Type-Options", "nosniff")
		hdr.Set("X-Frame-Options", "DENY")
		hdr.Set("Referrer-Policy", ReferrerPolicy)
		h.ServeHTTP(w, r)
	})
}
