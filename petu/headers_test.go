package petu

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestContentSecurityPolicy(t *testing.T) {
	local := ContentSecurityPolicy(SiteSources{})
	want := "default-src 'none'; script-src 'self'; style-src 'self'; img-src data: 'self'; media-src 'self'; " +
		"connect-src 'self'; frame-src 'none'; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
	if local != want {
		t.Errorf("local policy:\n%s\nwant\n%s", local, want)
	}
	deployed := ContentSecurityPolicy(SiteSources{
		API: "https://*.lambda-url.eu-west-1.on.aws", Uploads: "https://up.s3.eu-west-1.amazonaws.com",
		Media: "https://media.s3.eu-west-1.amazonaws.com", Google: true,
	})
	want = "default-src 'none'; " +
		"script-src 'self' https://accounts.google.com/gsi/client; " +
		"style-src 'self' https://accounts.google.com/gsi/style; " +
		"img-src data: https://media.s3.eu-west-1.amazonaws.com; " +
		"media-src https://media.s3.eu-west-1.amazonaws.com; " +
		"connect-src 'self' https://*.lambda-url.eu-west-1.on.aws https://up.s3.eu-west-1.amazonaws.com https://accounts.google.com/gsi/; " +
		"frame-src https://accounts.google.com/gsi/; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
	if deployed != want {
		t.Errorf("deployed policy:\n%s\nwant\n%s", deployed, want)
	}
	if strings.Contains(deployed, "unsafe") {
		t.Errorf("the policy allows something unsafe: %s", deployed)
	}
}

// TestSecurityHeadersKeepHandlerHeaders checks that a handler's own headers survive the wrapper
// and the wrapper's reach the response, errors included.
func TestSecurityHeadersKeepHandlerHeaders(t *testing.T) {
	h := SecurityHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, "nope", http.StatusTeapot)
	}), SiteSources{})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusTeapot || rec.Header().Get("Cache-Control") != "no-store" ||
		rec.Header().Get("X-Content-Type-Options") != "nosniff" || rec.Header().Get("Content-Security-Policy") == "" {
		t.Errorf("%d %v", rec.Code, rec.Header())
	}
}
