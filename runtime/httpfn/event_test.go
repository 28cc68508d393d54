package httpfn_test

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/google/go-cmp/cmp"

	"github.com/servous/servous/runtime"
	"github.com/servous/servous/runtime/httpfn"
)

// seen is what a handler saw of a request.
type seen struct {
	Method        string
	RequestURI    string
	Path          string
	RawPath       string
	Query         url.Values
	Host          string
	RemoteAddr    string
	TLS           bool
	ContentLength int64
	Header        http.Header // the headers the case lists
	Cookies       []string
	Body          string
	Source        httpfn.Source
	RequestID     string
	Authorizer    httpfn.Authorizer
	LambdaRequest bool // a lambdacontext.LambdaContext is in the request's context
}

func record(r *http.Request, headers []string) seen {
	body, _ := io.ReadAll(r.Body)
	s := seen{
		Method: r.Method, RequestURI: r.RequestURI, Path: r.URL.Path, RawPath: r.URL.RawPath,
		Query: r.URL.Query(), Host: r.Host, RemoteAddr: r.RemoteAddr, TLS: r.TLS != nil,
		ContentLength: r.ContentLength, Header: http.Header{}, Body: string(body),
	}
	for _, h := range headers {
		if v, ok := r.Header[h]; ok {
			s.Header[h] = v
		}
	}
	for _, c := range r.Cookies() {
		s.Cookies = append(s.Cookies, c.String())
	}
	if ev, ok := httpfn.FromContext(r.Context()); ok {
		s.Source, s.RequestID, s.Authorizer = ev.Source, ev.RequestID, ev.Authorizer()
	}
	_, s.LambdaRequest = lambdacontext.FromContext(r.Context())
	return s
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func quietOptions(o *httpfn.Options) *httpfn.Options {
	if o == nil {
		o = &httpfn.Options{}
	}
	o.Runtime = &runtime.Options{Logger: slog.New(slog.DiscardHandler), Metrics: &runtime.MetricsOptions{Writer: io.Discard}}
	return o
}

func decoded(t *testing.T, b64 string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestFixtures runs the payloads of AWS's documentation (see testdata/README.md) through a
// handler and checks the request it sees.
func TestFixtures(t *testing.T) {
	tests := []struct {
		file    string
		headers []string
		want    seen
	}{{
		file:    "functionurl-post.json",
		headers: []string{"Header1", "Header2", "Cookie", "Content-Length", "Host"},
		want: seen{
			Method: "POST", RequestURI: "/my/path?parameter1=value1&parameter1=value2&parameter2=value",
			Path: "/my/path", Query: url.Values{"parameter1": {"value1", "value2"}, "parameter2": {"value"}},
			Host: "<url-id>.lambda-url.us-west-2.on.aws", RemoteAddr: "123.123.123.123:0", TLS: true,
			ContentLength: 18,
			Header: http.Header{"Header1": {"value1"}, "Header2": {"value1,value2"}, "Cookie": {"cookie1; cookie2"},
				"Content-Length": {"18"}},
			Cookies: []string{"cookie1=", "cookie2="}, // the example's cookies have no value
			Body:    "Hello from client!", Source: httpfn.FunctionURL, RequestID: "id",
			Authorizer: httpfn.Authorizer{IAM: &httpfn.IAMIdentity{AccessKey: "AKIA...", AccountID: "111122223333",
				CallerID: "AIDA...", UserARN: "arn:aws:iam::111122223333:user/example-user", UserID: "AIDA..."}},
		},
	}, {
		file:    "functionurl-binary.json",
		headers: []string{"Content-Type", "Content-Length"},
		want: seen{
			Method: "PUT", RequestURI: "/upload/cat%20photo.png", Path: "/upload/cat photo.png", Query: url.Values{},
			Host: "abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws", RemoteAddr: "198.51.100.7:0", TLS: true,
			ContentLength: 70, Header: http.Header{"Content-Type": {"image/png"}, "Content-Length": {"70"}},
			Body:   decoded(t, "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAWB8hZAAAAABJRU5ErkJggg=="),
			Source: httpfn.FunctionURL, RequestID: "7b0c8a6e-0d7f-4c55-9b0a-3c1f2d9e8a41",
		},
	}, {
		file:    "httpapi-jwt.json",
		headers: []string{"Header2", "Cookie"},
		want: seen{
			Method: "POST", RequestURI: "/my/path?parameter1=value1&parameter1=value2&parameter2=value",
			Path: "/my/path", Query: url.Values{"parameter1": {"value1", "value2"}, "parameter2": {"value"}},
			Host: "id.execute-api.us-east-1.amazonaws.com", RemoteAddr: "192.0.2.1:0", TLS: true, ContentLength: 17,
			Header:  http.Header{"Header2": {"value1,value2"}, "Cookie": {"cookie1; cookie2"}},
			Cookies: []string{"cookie1=", "cookie2="},
			Body:    "Hello from Lambda", Source: httpfn.HTTPAPI, RequestID: "id",
			Authorizer: httpfn.Authorizer{Claims: map[string]string{"claim1": "value1", "claim2": "value2"},
				Scopes: []string{"scope1", "scope2"}},
		},
	}, {
		file:    "httpapi-stage-encoded.json",
		headers: []string{"Accept", "Content-Length"},
		want: seen{
			Method: "GET", RequestURI: "/videos/a%2Fb/frames?tag=cat&tag=dog&q=%26%3D",
			Path: "/videos/a/b/frames", RawPath: "/videos/a%2Fb/frames",
			Query: url.Values{"tag": {"cat", "dog"}, "q": {"&="}},
			Host:  "r3pmxmplak.execute-api.us-east-2.amazonaws.com", RemoteAddr: "[2001:db8::1]:0", TLS: true,
			Header:  http.Header{"Accept": {"application/json"}},
			Cookies: []string{"session=abc123", "theme=dark"},
			Source:  httpfn.HTTPAPI, RequestID: "JKJaXmPLvHcESHA=",
			Authorizer: httpfn.Authorizer{Lambda: map[string]any{"userId": "user-42", "plan": "pro"}},
		},
	}, {
		file:    "httpapi-iam.json",
		headers: []string{"Content-Length", "X-Amz-Date"},
		want: seen{
			Method: "DELETE", RequestURI: "/videos/42", Path: "/videos/42", Query: url.Values{},
			Host: "api.example.com", RemoteAddr: "203.0.113.9:0", TLS: true,
			Header: http.Header{"Content-Length": {"0"}, "X-Amz-Date": {"20261202T100000Z"}},
			Source: httpfn.HTTPAPI, RequestID: "Q2lMEjRJoAMESxA=",
			Authorizer: httpfn.Authorizer{IAM: &httpfn.IAMIdentity{
				AccessKey: "ASIA...", AccountID: "111122223333", CallerID: "AROA...:CognitoIdentityCredentials",
				UserARN:        "arn:aws:sts::111122223333:assumed-role/Cognito_petuAuth_Role/CognitoIdentityCredentials",
				UserID:         "AROA...:CognitoIdentityCredentials",
				PrincipalOrgID: "o-abcdefghij", CognitoIdentityID: "us-east-1:7f1e2d3c-0000-4000-8000-000000000042",
				CognitoIdentityPoolID: "us-east-1:0b1c2d3e-0000-4000-8000-000000000001",
				CognitoAMR:            []string{"authenticated", "accounts.google.com", "accounts.google.com:123456789012"},
			}},
		},
	}, {
		file:    "rest-get.json",
		headers: []string{"Accept-Encoding", "X-Forwarded-Proto", "Host"},
		want: seen{
			Method: "GET", RequestURI: "/", Path: "/", Query: url.Values{},
			Host: "70ixmpl4fl.execute-api.us-east-2.amazonaws.com", RemoteAddr: "52.255.255.12:0", TLS: true,
			Header:  http.Header{"Accept-Encoding": {"gzip, deflate, br"}, "X-Forwarded-Proto": {"https"}},
			Cookies: []string{"s_fid=7AABXMPL1AFD9BBF-0643XMPL09956DE2", "regStatus=pre-register"},
			Source:  httpfn.RESTAPI, RequestID: "77375676-xmpl-4b79-853a-f982474efe18",
		},
	}, {
		file:    "rest-httpapi-v1.json",
		headers: []string{"Header1", "Header2"},
		want: seen{
			Method: "GET", RequestURI: "/my/path?parameter1=value1&parameter1=value2&parameter2=value",
			Path: "/my/path", Query: url.Values{"parameter1": {"value1", "value2"}, "parameter2": {"value"}},
			Host: "id.execute-api.us-east-1.amazonaws.com", RemoteAddr: "192.0.2.1:0", TLS: true, ContentLength: 18,
			Header: http.Header{"Header1": {"value1"}, "Header2": {"value1", "value2"}},
			Body:   "Hello from Lambda!", Source: httpfn.RESTAPI, RequestID: "id=",
		},
	}, {
		file:    "rest-cognito-binary.json",
		headers: []string{"Accept", "Content-Type", "Content-Length"},
		want: seen{
			Method: "POST", RequestURI: "/videos/42/thumb%2Fsmall.jpg?q=a+b%26c&size=large&size=small",
			Path: "/videos/42/thumb/small.jpg", RawPath: "/videos/42/thumb%2Fsmall.jpg",
			Query: url.Values{"q": {"a b&c"}, "size": {"large", "small"}},
			Host:  "abc123defg.execute-api.us-east-1.amazonaws.com", RemoteAddr: "203.0.113.10:0", TLS: true,
			ContentLength: 26,
			Header: http.Header{"Accept": {"image/jpeg", "*/*;q=0.1"}, "Content-Type": {"image/jpeg"},
				"Content-Length": {"26"}},
			Body:   decoded(t, "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAP8="),
			Source: httpfn.RESTAPI, RequestID: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
			Authorizer: httpfn.Authorizer{Claims: map[string]string{
				"sub": "4b7f8a2e-0000-4000-8000-000000000042", "cognito:username": "ana", "email_verified": "true",
				"token_use": "id", "auth_time": "1796205000"}},
		},
	}, {
		file:    "rest-lambda-authorizer.json",
		headers: []string{"Authorization"},
		want: seen{
			Method: "GET", RequestURI: "/me", Path: "/me", Query: url.Values{},
			Host: "abc123defg.execute-api.us-east-1.amazonaws.com", RemoteAddr: "203.0.113.11:0", TLS: true,
			Header: http.Header{"Authorization": {"Bearer token"}},
			Source: httpfn.RESTAPI, RequestID: "d1f0c2a4-7b61-11e6-9a41-93e8deadbeef",
			Authorizer: httpfn.Authorizer{Lambda: map[string]any{"principalId": "user|a1b2c3d4", "stringKey": "value",
				"numberKey": 1.0, "booleanKey": true, "integrationLatency": 12.0}},
		},
	}, {
		file:    "alb-single.json",
		headers: []string{"Content-Type", "Content-Length", "X-Forwarded-Port"},
		want: seen{
			Method: "GET", RequestURI: "/?encoded=a%20b&myKey=val2", Path: "/",
			Query: url.Values{"encoded": {"a b"}, "myKey": {"val2"}},
			Host:  "lambda-846800462-us-east-2.elb.amazonaws.com", RemoteAddr: "72.21.198.66:0", TLS: true,
			ContentLength: 12,
			Header: http.Header{"Content-Type": {"text/plain"}, "Content-Length": {"12"},
				"X-Forwarded-Port": {"443"}},
			Cookies: []string{"name1=value1"},
			Body:    "request_body", Source: httpfn.ALB,
		},
	}, {
		file:    "alb-multi.json",
		headers: []string{"Cookie"},
		want: seen{
			Method: "GET", RequestURI: "/?myKey=val1&myKey=val2&myOtherKey=val3&myOtherKey=val4", Path: "/",
			Query: url.Values{"myKey": {"val1", "val2"}, "myOtherKey": {"val3", "val4"}},
			Host:  "lambda-846800462-us-east-2.elb.amazonaws.com", RemoteAddr: "72.21.198.66:0", TLS: true,
			ContentLength: 12,
			Header:        http.Header{"Cookie": {"name1=value1", "name2=value2"}},
			Cookies:       []string{"name1=value1", "name2=value2"},
			Body:          "request_body", Source: httpfn.ALB,
		},
	}, {
		file:    "alb-health-check.json",
		headers: []string{"User-Agent"},
		want: seen{
			Method: "GET", RequestURI: "/", Path: "/", Query: url.Values{},
			Header: http.Header{"User-Agent": {"ELB-HealthChecker/2.0"}}, Source: httpfn.ALB,
		},
	}}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			tt.want.LambdaRequest = true
			payload := readFixture(t, tt.file)
			var got seen
			h := httpfn.NewHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = record(r, tt.headers)
				if _, ok := r.Header["Host"]; ok {
					t.Error("the Host header is left in r.Header; net/http moves it to r.Host")
				}
			}), quietOptions(nil))
			if _, err := runtime.NewLocal(h, nil).Invoke(t.Context(), payload); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
			// Fixing the source gives the same request.
			fixed := httpfn.NewHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = record(r, tt.headers)
			}), quietOptions(&httpfn.Options{Source: tt.want.Source}))
			got = seen{}
			if _, err := runtime.NewLocal(fixed, nil).Invoke(t.Context(), payload); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("with Source %v: request (-want +got):\n%s", tt.want.Source, diff)
			}
		})
	}
}

// TestRawEvent checks that the raw event in the request's context is aws-lambda-go's type for
// the source.
func TestRawEvent(t *testing.T) {
	tests := []struct {
		file  string
		check func(t *testing.T, raw any)
	}{
		{"functionurl-post.json", func(t *testing.T, raw any) {
			ev, ok := raw.(*events.LambdaFunctionURLRequest)
			if !ok || ev.RequestContext.DomainPrefix != "<url-id>" || ev.RequestContext.Authorizer.IAM.UserARN == "" {
				t.Errorf("raw = %#v", raw)
			}
		}},
		{"httpapi-jwt.json", func(t *testing.T, raw any) {
			ev, ok := raw.(*events.APIGatewayV2HTTPRequest)
			if !ok || ev.StageVariables["stageVariable1"] != "value1" || ev.PathParameters["parameter1"] != "value1" {
				t.Errorf("raw = %#v", raw)
			}
		}},
		{"rest-cognito-binary.json", func(t *testing.T, raw any) {
			ev, ok := raw.(*events.APIGatewayProxyRequest)
			if !ok || ev.PathParameters["proxy"] != "thumb/small.jpg" || ev.RequestContext.Stage != "prod" {
				t.Errorf("raw = %#v", raw)
			}
		}},
		{"alb-multi.json", func(t *testing.T, raw any) {
			ev, ok := raw.(*events.ALBTargetGroupRequest)
			if !ok || ev.RequestContext.ELB.TargetGroupArn == "" || len(ev.MultiValueHeaders["cookie"]) != 2 {
				t.Errorf("raw = %#v", raw)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			called := false
			h := httpfn.NewHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				called = true
				ev, ok := httpfn.FromContext(r.Context())
				if !ok {
					t.Fatal("no event in the request's context")
				}
				tt.check(t, ev.Raw)
			}), quietOptions(nil))
			if _, err := runtime.NewLocal(h, nil).Invoke(t.Context(), readFixture(t, tt.file)); err != nil {
				t.Fatal(err)
			}
			if !called {
				t.Fatal("handler not called")
			}
		})
	}
	if _, ok := httpfn.FromContext(context.Background()); ok {
		t.Error("FromContext found an event in a context without one")
	}
}

// TestServeMuxPatterns checks that a ServeMux's method and wildcard patterns match requests of
// every source as they match under net/http: %2F stays inside one segment.
func TestServeMuxPatterns(t *testing.T) {
	mux := http.NewServeMux()
	var id string
	mux.HandleFunc("GET /videos/{id}/frames", func(w http.ResponseWriter, r *http.Request) { id = r.PathValue("id") })
	h := httpfn.NewHandler(mux, quietOptions(nil))
	out, err := runtime.NewLocal(h, nil).Invoke(t.Context(), readFixture(t, "httpapi-stage-encoded.json"))
	if err != nil {
		t.Fatal(err)
	}
	if id != "a/b" {
		t.Errorf("PathValue(id) = %q, want a/b; response %s", id, out)
	}
}

func TestMalformed(t *testing.T) {
	tests := []struct {
		name    string
		source  httpfn.Source
		payload string
	}{
		{"not JSON", httpfn.Detect, `{"version":`},
		{"array", httpfn.Detect, `[1,2]`},
		{"empty object", httpfn.Detect, `{}`},
		{"v2 without method", httpfn.Detect, `{"version":"2.0","rawPath":"/"}`},
		{"bad base64", httpfn.Detect, `{"version":"2.0","rawPath":"/","requestContext":{"http":{"method":"GET"}},"body":"%%%","isBase64Encoded":true}`},
		{"REST payload as HTTPAPI", httpfn.HTTPAPI, string(readFixture(t, "rest-get.json"))},
		{"ALB payload as RESTAPI", httpfn.RESTAPI, string(readFixture(t, "alb-single.json"))},
		{"REST payload as ALB", httpfn.ALB, string(readFixture(t, "rest-get.json"))},
		{"v2 payload as ALB", httpfn.ALB, string(readFixture(t, "httpapi-jwt.json"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := httpfn.NewHandler(http.NotFoundHandler(), quietOptions(&httpfn.Options{Source: tt.source}))
			_, err := runtime.NewLocal(h, nil).Invoke(t.Context(), []byte(tt.payload))
			if !errors.Is(err, httpfn.ErrMalformed) {
				t.Errorf("err = %v, want ErrMalformed", err)
			}
		})
	}
}
