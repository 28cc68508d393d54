package httpfn_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/servous/servous/runtime"
	"github.com/servous/servous/runtime/httpfn"
)

func videos() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /videos/{id}", func(w http.ResponseWriter, r *http.Request) {
		ev, _ := httpfn.FromContext(r.Context())
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"id": r.PathValue("id"), "source": ev.Source.String()})
	})
	return mux
}

// A function's main serves its handler with Start, which detects the event source.
func ExampleStart() {
	httpfn.Start(videos(), nil)
}

// A test sends requests to the function, run in-process as deployed, as each source's events.
func ExampleTransport() {
	opts := &httpfn.Options{Runtime: &runtime.Options{
		Logger:  slog.New(slog.DiscardHandler),
		Metrics: &runtime.MetricsOptions{Writer: io.Discard},
	}}
	fn := runtime.NewLocal(httpfn.NewHandler(videos(), opts), nil)
	for _, source := range []httpfn.Source{httpfn.FunctionURL, httpfn.RESTAPI, httpfn.ALB} {
		client := &http.Client{Transport: &httpfn.Transport{Handler: fn, Source: source}}
		resp, err := client.Get("https://api.example.com/videos/a%2Fb")
		if err != nil {
			fmt.Println(err)
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Print(resp.StatusCode, " ", string(body))
	}
	// Output:
	// 200 {"id":"a/b","source":"FunctionURL"}
	// 200 {"id":"a/b","source":"RESTAPI"}
	// 200 {"id":"a/b","source":"ALB"}
}
