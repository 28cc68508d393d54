package identitytest_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/servous/servous/identity"
	"github.com/servous/servous/identity/identitytest"
)

// FuzzServeHTTP feeds the Cognito server arbitrary operations and bodies:
// it must always answer in the protocol's shape and never hand out an
// identity for a token its issuer did not sign.
func FuzzServeHTTP(f *testing.F) {
	iss, err := identitytest.NewIssuer("https://accounts.google.com", jose.ES256)
	if err != nil {
		f.Fatal(err)
	}
	srv := identitytest.NewServer(nil)
	if err := srv.AddPool(poolID, &identitytest.PoolOptions{Providers: []identitytest.Provider{iss.Provider(identity.ProviderGoogle, "client")}}); err != nil {
		f.Fatal(err)
	}
	f.Add(getID, `{"IdentityPoolId":"`+poolID+`","Logins":{"accounts.google.com":"a.b.c"}}`)
	f.Add(getID, `{"IdentityPoolId":"`+poolID+`","AccountId":"123","Logins":{}}`)
	f.Add(getCreds, `{"IdentityId":"us-east-1:00000000-0000-4000-8000-000000000000","Logins":{"accounts.google.com":"x"}}`)
	f.Add(getCreds, `{"IdentityId":null,"CustomRoleArn":"arn:aws:iam::123456789012:role/r"}`)
	f.Add("AWSCognitoIdentityService.", `[]`)
	f.Fuzz(func(t *testing.T, target, body string) {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("Content-Type", jsonType)
		req.Header.Set("X-Amz-Target", target)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("status %d with a body that is not a JSON object: %q", rec.Code, rec.Body.Bytes())
		}
		if rec.Code == http.StatusOK {
			// Only a signed token can yield an identity, and no fuzzed body
			// holds one.
			t.Fatalf("request %s %q succeeded: %v", target, body, out)
		}
		if typ, _ := out["__type"].(string); typ == "" || rec.Header().Get("X-Amzn-ErrorType") != typ+":" {
			t.Fatalf("error answer lacks its type: %d %v", rec.Code, out)
		}
	})
}
