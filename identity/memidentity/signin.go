package memidentity

import (
	"encoding/json"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"
)

// maxSignInName bounds the name a local sign-in accepts.
const maxSignInName = 128

// SignInHandler returns a handler for a local sign-in page: a POST with a
// JSON body {"name": "...", "email": "..."} (or the same fields as an HTML
// form) is answered with an ID token for audience whose subject is the
// name, so the same name signs in as the same user:
//
//	{"token": "<jwt>", "id_token": "<jwt>", "token_type": "Bearer", "expires_in": 3600}
//
// It stands in for Google's sign-in during local runs and trusts whoever
// calls it: never serve it where untrusted clients reach it. Errors are JSON
// {"error": "..."} with status 400 or 405.
func (i *Issuer) SignInHandler(audience string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail := func(status int, msg string) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			json.NewEncoder(w).Encode(map[string]string{"error": msg})
		}
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			fail(http.StatusMethodNotAllowed, "sign in with POST")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
		var in struct {
			Name  string `json:"name"`
			Email string `json:"email"`
			Nonce string `json:"nonce"`
		}
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mt == "application/json" {
			if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
				fail(http.StatusBadRequest, "body is not a JSON object with a name")
				return
			}
		} else {
			if err := r.ParseForm(); err != nil {
				fail(http.StatusBadRequest, "body is not a form")
				return
			}
			in.Name, in.Email, in.Nonce = r.PostForm.Get("name"), r.PostForm.Get("email"), r.PostForm.Get("nonce")
		}
		in.Name = strings.TrimSpace(in.Name)
		if in.Name == "" || len(in.Name) > maxSignInName || !utf8.ValidString(in.Name) {
			fail(http.StatusBadRequest, "name must be 1 to 128 bytes of UTF-8")
			return
		}
		tok, err := i.Issue(Claims{Subject: in.Name, Audience: audience, Name: in.Name, Email: in.Email, Nonce: in.Nonce})
		if err != nil {
			fail(http.StatusBadRequest, err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		json.NewEncoder(w).Encode(map[string]any{
			"token":      tok,
			"id_token":   tok,
			"token_type": "Bearer",
			"expires_in": int(i.lifetime.Seconds()),
		})
	})
}
