package petu_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"

	"github.com/servous/servous/petu"
)

func TestFunctionURL(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		c, _ := r.Cookie("session")
		w.Header().Set("X-Echo", r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery+" "+r.Header.Get("Authorization")+" "+c.Value+" "+string(body))
		http.SetCookie(w, &http.Cookie{Name: "a", Value: "1"})
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte{0xff, 0x00})
	})
	req := events.LambdaFunctionURLRequest{
		RawPath:         "/api/videos/x",
		RawQueryString:  "limit=2",
		Headers:         map[string]string{"authorization": "Bearer t"},
		Cookies:         []string{"session=s1"},
		Body:            base64.StdEncoding.EncodeToString([]byte("hello")),
		IsBase64Encoded: true,
	}
	req.RequestContext.HTTP.Method = "DELETE"
	req.RequestContext.DomainName = "abc.lambda-url.us-east-1.on.aws"
	res, err := petu.FunctionURL(h)(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	want := events.LambdaFunctionURLResponse{
		StatusCode:      http.StatusCreated,
		Headers:         map[string]string{"X-Echo": "DELETE /api/videos/x?limit=2 Bearer t s1 hello"},
		Cookies:         []string{"a=1"},
		Body:            base64.StdEncoding.EncodeToString([]byte{0xff, 0x00}),
		IsBase64Encoded: true,
	}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}

	req.RequestContext.HTTP.Method = "BAD METHOD"
	if res, err := petu.FunctionURL(h)(t.Context(), req); err != nil || res.StatusCode != http.StatusBadRequest {
		t.Errorf("bad method: %+v, %v; want 400", res, err)
	}
}
