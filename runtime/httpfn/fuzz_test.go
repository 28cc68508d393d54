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
		}
	})
}
