package httpfn_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/servous/servous/runtime/httpfn"
)

// FuzzDecode feeds payloads to a handler of every source setting: none may panic, a payload
// refused must be refused with ErrMalformed, and a payload taken must give a response payload
// that is JSON.
func FuzzDecode(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no fixtures: %v", err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range r.Header {
			w.Header()[k] = v
		}
		w.Header().Del("Trailer")
		for _, c := range r.Cookies() {
			http.SetCookie(w, c)
		}
		io.Copy(w, r.Body)
		io.WriteString(w, r.URL.String()+r.RemoteAddr+r.Host)
	})
	var handlers []interface {
		Invoke(context.Context, []byte) ([]byte, error)
	}
	for _, s := range []httpfn.Source{httpfn.Detect, httpfn.FunctionURL, httpfn.HTTPAPI, httpfn.RESTAPI, httpfn.ALB} {
		handlers = append(handlers, httpfn.NewHandler(echo, quietOptions(&httpfn.Options{Source: s})))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		for i, h := range handlers {
			out, err := h.Invoke(context.Background(), payload)
			if err != nil {
				if !errors.Is(err, httpfn.ErrMalformed) {
					t.Fatalf("handler %d: error %v does not wrap ErrMalformed", i, err)
				}
				continue
			}
			if !json.Valid(out) {
				t.Fatalf("handler %d: response is not JSON: %q", i, out)
			}
			if !json.Valid(payload) {
				t.Fatalf("handler %d: took a payload that is not JSON: %q", i, payload)
			}
		}
	})
}

// FuzzStrings checks the payload's strings are read as encoding/json reads them: escapes,
// surrogates, invalid UTF-8, control characters.
func FuzzStrings(f *testing.F) {
	for _, s := range []string{`plain`, `a\"b\\c\/d`, `\u00e9\n\t`, `\ud83d\ude00`, `\ud83d x`, "\xff\xfe", `\u12`, "tab\tx", `\q`} {
		f.Add(s)
	}
	var got string
	h := httpfn.NewHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("X-V")
	}), quietOptions(nil))
	f.Fuzz(func(t *testing.T, s string) {
		payload := `{"version":"2.0","rawPath":"/","requestContext":{"http":{"method":"GET"}},"headers":{"x-v":"` + s + `"}}`
		var want struct {
			Headers map[string]string `json:"headers"`
		}
		jsonErr := json.Unmarshal([]byte(payload), &want)
		got = ""
		_, err := h.Invoke(context.Background(), []byte(payload))
		switch {
		case jsonErr != nil && err == nil:
			t.Fatalf("took %q, which encoding/json refuses: %v", payload, jsonErr)
		case jsonErr == nil && err != nil:
			t.Fatalf("refused %q, which encoding/json takes: %v", payload, err)
		case err == nil && got != want.Headers["x-v"]:
			t.Fatalf("%q: read %q, encoding/json reads %q", payload, got, want.Headers["x-v"])
		}
	})
}
