package identitytest_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/google/go-cmp/cmp"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/servous/servous/identity"
	"github.com/servous/servous/identity/identitytest"
)

const poolID = "us-east-1:6a9b1c2d-3e4f-4a5b-8c7d-9e0f1a2b3c4d"

type fixture struct {
	srv  *identitytest.Server
	url  string
	iss  *identitytest.Issuer
	good string // a valid Google token
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	iss, err := identitytest.NewIssuer("https://accounts.google.com", jose.ES256)
	if err != nil {
		t.Fatal(err)
	}
	srv := identitytest.NewServer(nil)
	if err := srv.AddPool(poolID, &identitytest.PoolOptions{Providers: []identitytest.Provider{iss.Provider(identity.ProviderGoogle, "client")}}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	tok, err := iss.Issue(jwt.Claims{Subject: "s1", Audience: jwt.Audience{"client"}})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{srv: srv, url: ts.URL, iss: iss, good: tok}
}

type answer struct {
	status    int
	errorType string // X-Amzn-ErrorType
	body      map[string]any
}

func (f *fixture) post(t *testing.T, method, contentType, target, body string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, f.url+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := answer{status: resp.StatusCode, errorType: resp.Header.Get("X-Amzn-ErrorType")}
	if err := json.Unmarshal(raw, &a.body); err != nil {
		t.Fatalf("response body %q is not JSON: %v", raw, err)
	}
	if resp.Header.Get("X-Amzn-RequestId") == "" {
		t.Error("response lacks x-amzn-RequestId")
	}
	return a
}

const (
	jsonType = "application/x-amz-json-1.1"
	getID    = "AWSCognitoIdentityService.GetId"
	getCreds = "AWSCognitoIdentityService.GetCredentialsForIdentity"
)

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestServerRefusesBadRequests(t *testing.T) {
	f := newFixture(t)
	logins := map[string]string{identity.ProviderGoogle: f.good}
	tooMany := map[string]string{}
	for i := range 11 {
		tooMany[strings.Repeat("p", i+1)] = "t"
	}
	cases := []struct {
		name                        string
		method, contentType, target string
		body                        string
		wantStatus                  int
		wantType                    string
	}{
		{"GET", http.MethodGet, jsonType, getID, `{}`, 404, "UnknownOperationException"},
		{"wrong content type", http.MethodPost, "application/json", getID, `{}`, 400, "SerializationException"},
		{"no target", http.MethodPost, jsonType, "", `{}`, 400, "UnknownOperationException"},
		{"unknown operation", http.MethodPost, jsonType, "AWSCognitoIdentityService.DeleteIdentities", `{}`, 400, "UnknownOperationException"},
		{"other service", http.MethodPost, jsonType, "DynamoDB_20120810.GetItem", `{}`, 400, "UnknownOperationException"},
		{"not JSON", http.MethodPost, jsonType, getID, `{`, 400, "SerializationException"},
		{"wrong JSON type", http.MethodPost, jsonType, getID, `{"IdentityPoolId": 7}`, 400, "SerializationException"},
		{"no pool id", http.MethodPost, jsonType, getID, mustJSON(t, map[string]any{"Logins": logins}), 400, "InvalidParameterException"},
		{"empty pool id", http.MethodPost, jsonType, getID, mustJSON(t, map[string]any{"IdentityPoolId": "", "Logins": logins}), 400, "InvalidParameterException"},
		{"pool id pattern", http.MethodPost, jsonType, getID, mustJSON(t, map[string]any{"IdentityPoolId": "us-east-1:XYZ", "Logins": logins}), 400, "InvalidParameterException"},
		{"pool id length", http.MethodPost, jsonType, getID, mustJSON(t, map[string]any{"IdentityPoolId": "us-east-1:" + strings.Repeat("0", 50), "Logins": logins}), 400, "InvalidParameterException"},
		{"account id", http.MethodPost, jsonType, getID, mustJSON(t, map[string]any{"IdentityPoolId": poolID, "AccountId": "12ab", "Logins": logins}), 400, "InvalidParameterException"},
		{"account id length", http.MethodPost, jsonType, getID, mustJSON(t, map[string]any{"IdentityPoolId": poolID, "AccountId": strings.Repeat("1", 16), "Logins": logins}), 400, "InvalidParameterException"},
		{"eleven logins", http.MethodPost, jsonType, getID, mustJSON(t, map[string]any{"IdentityPoolId": poolID, "Logins": tooMany}), 400, "InvalidParameterException"},
		{"long provider", http.MethodPost, jsonType, getID, mustJSON(t, map[string]any{"IdentityPoolId": poolID, "Logins": map[string]string{strings.Repeat("p", 129): "t"}}), 400, "InvalidParameterException"},
		{"empty token", http.MethodPost, jsonType, getID, mustJSON(t, map[string]any{"IdentityPoolId": poolID, "Logins": map[string]string{identity.ProviderGoogle: ""}}), 400, "InvalidParameterException"},
		{"long token", http.MethodPost, jsonType, getID, mustJSON(t, map[string]any{"IdentityPoolId": poolID, "Logins": map[string]string{identity.ProviderGoogle: strings.Repeat("t", 50001)}}), 400, "InvalidParameterException"},
		{"unknown pool", http.MethodPost, jsonType, getID, mustJSON(t, map[string]any{"IdentityPoolId": "us-east-1:00000000-0000-4000-8000-000000000000", "Logins": logins}), 400, "ResourceNotFoundException"},
		{"unauthenticated", http.MethodPost, jsonType, getID, mustJSON(t, map[string]any{"IdentityPoolId": poolID}), 400, "NotAuthorizedException"},
		{"unsupported provider", http.MethodPost, jsonType, getID, mustJSON(t, map[string]any{"IdentityPoolId": poolID, "Logins": map[string]string{identity.ProviderFacebook: f.good}}), 400, "NotAuthorizedException"},
		{"bad token", http.MethodPost, jsonType, getID, mustJSON(t, map[string]any{"IdentityPoolId": poolID, "Logins": map[string]string{identity.ProviderGoogle: "x.y.z"}}), 400, "NotAuthorizedException"},
		{"no identity id", http.MethodPost, jsonType, getCreds, mustJSON(t, map[string]any{"Logins": logins}), 400, "InvalidParameterException"},
		{"identity id pattern", http.MethodPost, jsonType, getCreds, mustJSON(t, map[string]any{"IdentityId": "nope", "Logins": logins}), 400, "InvalidParameterException"},
		{"unknown identity", http.MethodPost, jsonType, getCreds, mustJSON(t, map[string]any{"IdentityId": "us-east-1:00000000-0000-4000-8000-000000000000", "Logins": logins}), 400, "ResourceNotFoundException"},
		{"role ARN", http.MethodPost, jsonType, getCreds, mustJSON(t, map[string]any{"IdentityId": "us-east-1:00000000-0000-4000-8000-000000000000", "CustomRoleArn": "short", "Logins": logins}), 400, "InvalidParameterException"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := f.post(t, c.method, c.contentType, c.target, c.body)
			got := []any{a.status, a.errorType, a.body["__type"]}
			want := []any{c.wantStatus, c.wantType + ":", c.wantType}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("status, X-Amzn-ErrorType, __type (-want +got):\n%s\nmessage: %v", d, a.body["message"])
			}
			if msg, _ := a.body["message"].(string); msg == "" {
				t.Errorf("error has no message")
			}
		})
	}
}

func TestServerFlow(t *testing.T) {
	f := newFixture(t)
	logins := map[string]string{identity.ProviderGoogle: f.good}
	a := f.post(t, http.MethodPost, jsonType, getID, mustJSON(t, map[string]any{"IdentityPoolId": poolID, "Logins": logins}))
	id, _ := a.body["IdentityId"].(string)
	if a.status != 200 || !strings.HasPrefix(id, "us-east-1:") {
		t.Fatalf("GetId = %d %v", a.status, a.body)
	}
	a = f.post(t, http.MethodPost, jsonType, getCreds, mustJSON(t, map[string]any{"IdentityId": id, "Logins": logins}))
	creds, _ := a.body["Credentials"].(map[string]any)
	if a.status != 200 || a.body["IdentityId"] != id || creds == nil {
		t.Fatalf("GetCredentialsForIdentity = %d %v", a.status, a.body)
	}
	exp, _ := creds["Expiration"].(float64)
	if d := time.Until(time.Unix(int64(exp), 0)); d < 59*time.Minute || d > time.Hour {
		t.Errorf("Expiration is %v away, want an hour", d)
	}
	akid, _ := creds["AccessKeyId"].(string)
	tok, _ := creds["SessionToken"].(string)
	gotID, secret, err := f.srv.Authenticate(t.Context(), akid, tok)
	if err != nil || gotID != id || secret != creds["SecretKey"] {
		t.Errorf("Authenticate = %q, %q, %v; want %q and the secret", gotID, secret, err, id)
	}
	if _, _, err := f.srv.Authenticate(t.Context(), akid, "forged"); !errors.Is(err, identity.ErrNotAuthorized) {
		t.Errorf("Authenticate with a forged token: %v, want ErrNotAuthorized", err)
	}

	// Another subject's token cannot fetch this identity's credentials.
	other, err := f.iss.Issue(jwt.Claims{Subject: "s2", Audience: jwt.Audience{"client"}})
	if err != nil {
		t.Fatal(err)
	}
	f.post(t, http.MethodPost, jsonType, getID, mustJSON(t, map[string]any{"IdentityPoolId": poolID, "Logins": map[string]string{identity.ProviderGoogle: other}}))
	a = f.post(t, http.MethodPost, jsonType, getCreds, mustJSON(t, map[string]any{"IdentityId": id, "Logins": map[string]string{identity.ProviderGoogle: other}}))
	if a.status != 400 || a.body["__type"] != "NotAuthorizedException" {
		t.Errorf("credentials with another subject's token = %d %v, want NotAuthorizedException", a.status, a.body)
	}
	// Nor can a request without logins.
	a = f.post(t, http.MethodPost, jsonType, getCreds, mustJSON(t, map[string]any{"IdentityId": id}))
	if a.status != 400 || a.body["__type"] != "NotAuthorizedException" {
		t.Errorf("credentials without logins = %d %v, want NotAuthorizedException", a.status, a.body)
	}
}

func TestServerWithSDKClient(t *testing.T) {
	f := newFixture(t)
	c := identitytest.NewClient(f.url)
	out, err := c.GetId(t.Context(), &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(poolID), Logins: map[string]string{identity.ProviderGoogle: f.good}})
	if err != nil {
		t.Fatal(err)
	}
	cr, err := c.GetCredentialsForIdentity(t.Context(), &cognitoidentity.GetCredentialsForIdentityInput{IdentityId: out.IdentityId, Logins: map[string]string{identity.ProviderGoogle: f.good}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(cr.IdentityId) != aws.ToString(out.IdentityId) || !strings.HasPrefix(aws.ToString(cr.Credentials.AccessKeyId), "ASIA") || cr.Credentials.Expiration == nil {
		t.Errorf("GetCredentialsForIdentity = %+v", cr)
	}
	// A fault is served once, then the server answers normally; the SDK's
	// retryer retries the throttle transparently.
	f.srv.FailNext(identitytest.OpGetID, identitytest.Fault{Code: "InternalErrorException", Message: "boom"})
	if _, err := c.GetId(t.Context(), &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(poolID), Logins: map[string]string{identity.ProviderGoogle: f.good}}); err != nil {
		t.Errorf("GetId after one injected fault, with retries: %v", err)
	}
	if got := f.srv.Requests(identitytest.OpGetID); got != 3 {
		t.Errorf("GetId requests = %d, want 3", got)
	}
}

func TestAddPoolRefusesDuplicatesAndBadIDs(t *testing.T) {
	srv := identitytest.NewServer(nil)
	if err := srv.AddPool(poolID, nil); err != nil {
		t.Fatal(err)
	}
	if err := srv.AddPool(poolID, nil); err == nil {
		t.Error("AddPool accepted a duplicate pool id")
	}
	if err := srv.AddPool("bad", nil); !errors.Is(err, identity.ErrMisconfigured) {
		t.Errorf("AddPool(bad) = %v, want ErrMisconfigured", err)
	}
}

func TestAddProviderNeedsThePoolAndAValidProvider(t *testing.T) {
	srv := identitytest.NewServer(nil)
	iss, err := identitytest.NewIssuer("https://accounts.google.com", jose.ES256)
	if err != nil {
		t.Fatal(err)
	}
	p := iss.Provider(identity.ProviderGoogle, "client")
	if err := srv.AddProvider(poolID, p); !errors.Is(err, identity.ErrMisconfigured) {
		t.Errorf("AddProvider to a missing pool = %v, want ErrMisconfigured", err)
	}
	if err := srv.AddPool(poolID, nil); err != nil {
		t.Fatal(err)
	}
	if err := srv.AddProvider(poolID, identitytest.Provider{Name: "x", Issuer: "https://x"}); !errors.Is(err, identity.ErrMisconfigured) {
		t.Errorf("AddProvider without audience or keys = %v, want ErrMisconfigured", err)
	}
	if err := srv.AddProvider(poolID, p); err != nil {
		t.Fatal(err)
	}
}
