package memidentity_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/servous/servous/identity"
	"github.com/servous/servous/identity/memidentity"
)

func TestSignInHandler(t *testing.T) {
	iss := newIssuer(t, "https://accounts.local", nil)
	pool, err := memidentity.New(poolID, &memidentity.Options{Providers: []memidentity.Provider{iss.Provider("accounts.local", "petu")}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(iss.SignInHandler("petu"))
	t.Cleanup(ts.Close)

	signIn := func(contentType, body string) (int, map[string]any) {
		t.Helper()
		resp, err := http.Post(ts.URL, contentType, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, out
	}
	exchange := func(out map[string]any) string {
		t.Helper()
		tok, _ := out["token"].(string)
		id, err := pool.Exchange(t.Context(), identity.Login{Provider: "accounts.local", Token: tok})
		if err != nil {
			t.Fatalf("exchange of the sign-in token: %v", err)
		}
		return id.ID
	}

	status, out := signIn("application/json", `{"name":" Ada ","email":"ada@example.com"}`)
	if status != 200 || out["token"] != out["id_token"] || out["expires_in"] != float64(3600) {
		t.Fatalf("sign-in = %d %v", status, out)
	}
	first := exchange(out)
	status, out = signIn("application/x-www-form-urlencoded", url.Values{"name": {"Ada"}}.Encode())
	if status != 200 {
		t.Fatalf("form sign-in = %d %v", status, out)
	}
	if again := exchange(out); again != first {
		t.Errorf("the same name signed in as %q then %q", first, again)
	}
	status, out = signIn("application/json", `{"name":"Grace"}`)
	if status != 200 || exchange(out) == first {
		t.Errorf("another name shares Ada's identity")
	}

	for _, body := range []string{`{"name":""}`, `{"name":"   "}`, `[1]`, `{`, `{"name":"` + strings.Repeat("n", 129) + `"}`} {
		if status, out := signIn("application/json", body); status != 400 || out["error"] == "" {
			t.Errorf("sign-in with %q = %d %v, want 400 with an error", body, status, out)
		}
	}
	resp, err := http.Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET = %d, want 405", resp.StatusCode)
	}
}
