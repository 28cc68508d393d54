// Package videoapi is a small HTTP API that the tests of package httpfn serve with net/http
// and, through command videofn, as a Lambda function.
package videoapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// Routes returns the API.
func Routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /videos/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		http.SetCookie(w, &http.Cookie{Name: "seen", Value: r.PathValue("id")})
		json.NewEncoder(w).Encode(map[string]any{"id": r.PathValue("id"), "tags": r.URL.Query()["tag"]})
	})
	// GET /events?n=N sends N events, flushing each. With ?gate=URL it fetches URL+i after
	// sending event i, so a test can tell that event i arrived before event i+1 was written.
	mux.HandleFunc("GET /events", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		gate := r.URL.Query().Get("gate")
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range n {
			fmt.Fprintf(w, "data: %d\n\n", i)
			w.(http.Flusher).Flush()
			if gate != "" {
				resp, err := http.Get(gate + strconv.Itoa(i))
				if err != nil {
					panic(err)
				}
				resp.Body.Close()
			}
		}
	})
	// GET /bytes?mb=N sends N MiB of binary data, 64 KiB at a time.
	mux.HandleFunc("GET /bytes", func(w http.ResponseWriter, r *http.Request) {
		mb, _ := strconv.Atoi(r.URL.Query().Get("mb"))
		w.Header().Set("Content-Type", "application/octet-stream")
		chunk := make([]byte, 64<<10)
		for i := range chunk {
			chunk[i] = byte(i)
		}
		for range mb * 16 {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	// GET /fail sends one event, then panics: mid-stream.
	mux.HandleFunc("GET /fail", func(w http.ResponseWriter, r *http.Request) {
		f := w.(http.Flusher)
		fmt.Fprint(w, "data: partial\n\n")
		f.Flush()
		panic("failed mid-stream")
	})
	mux.HandleFunc("GET /panic", func(w http.ResponseWriter, r *http.Request) {
		panic("failed before answering")
	})
	return mux
}
