package storagetest

import (
	"context"
	"errors"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/servous/servous/storage/internal/s3form"
)

// user finds who signed with the access key akid and session token: a user of the server's
// own, or an identity its Authority vouches for.
func (s *S3Server) user(ctx context.Context, akid, token string) (s3User, *s3Err) {
	s.mu.Lock()
	u, ok := s.users[akid]
	s.mu.Unlock()
	switch {
	case ok && token != u.creds.SessionToken:
		return s3User{}, &s3Err{http.StatusForbidden, "InvalidToken", "The provided token is malformed or otherwise invalid."}
	case ok:
		return u, nil
	case s.authority == nil:
		return s3User{}, &s3Err{http.StatusForbidden, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."}
	}
	id, secret, err := s.authority.Authenticate(ctx, akid, token)
	if err != nil {
		return s3User{}, &s3Err{http.StatusForbidden, "InvalidAccessKeyId", "The credentials are unknown or expired: " + err.Error()}
	}
	return s3User{
		creds:  aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret, SessionToken: token, Source: "storagetest"},
		prefix: s.prefix(id),
	}, nil
}

// AddUser returns temporary credentials (with a session token) that the server accepts for
// reading, writing and listing only under prefix, as an IAM policy on "prefix*" allows.
func (s *S3Server) AddUser(prefix string) aws.Credentials {
	c := aws.Credentials{
		AccessKeyID:     "ASIA" + strings.ToUpper(randomHex(8)),
		SecretAccessKey: randomHex(20),
		SessionToken:    "token-" + randomHex(16),
		Source:          "storagetest",
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[c.AccessKeyID] = s3User{creds: c, prefix: prefix}
	return c
}

func denied(msg string) *s3Err { return &s3Err{http.StatusForbidden, "AccessDenied", msg} }

// authorize applies a user's prefix policy: objects under the prefix, listings of prefixes
// under it, nothing else.
func (s *S3Server) authorize(u s3User, r *http.Request, bucket, key string) *s3Err {
	if u.root {
		return nil
	}
	if key != "" {
		if !strings.HasPrefix(key, u.prefix) {
			return denied("the policy allows only " + u.prefix + "*")
		}
		if src := r.Header.Get("X-Amz-Copy-Source"); src != "" {
			_, srcKey, err := parseCopySource(src)
			if err != nil || !strings.HasPrefix(srcKey, u.prefix) {
				return denied("the policy allows only " + u.prefix + "*")
			}
		}
		return nil
	}
	if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Query().Get("prefix"), u.prefix) {
		return nil
	}
	return denied("the policy allows listing only under " + u.prefix)
}

// authenticate checks a request's SigV4 signature, in the Authorization header or presigned in
// the query, by signing the same canonical request with the signer's secret.
func (s *S3Server) authenticate(r *http.Request) (s3User, *s3Err) {
	q := r.URL.Query()
	presigned := q.Get("X-Amz-Algorithm") != ""
	var cred, signedHeaders, signature, date string
	if presigned {
		if q.Get("X-Amz-Algorithm") != s3form.AlgorithmSigV4 {
			return s3User{}, &s3Err{http.StatusBadRequest, "AuthorizationQueryParametersError", "unsupported X-Amz-Algorithm"}
		}
		cred, signedHeaders, signature, date = q.Get("X-Amz-Credential"), q.Get("X-Amz-SignedHeaders"), q.Get("X-Amz-Signature"), q.Get("X-Amz-Date")
	} else {
		auth := r.Header.Get("Authorization")
		rest, ok := strings.CutPrefix(auth, s3form.AlgorithmSigV4+" ")
		if !ok {
			return s3User{}, denied("Anonymous access is forbidden")
		}
		for _, part := range strings.Split(rest, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
			switch k {
			case "Credential":
				cred = v
			case "SignedHeaders":
				signedHeaders = v
			case "Signature":
				signature = v
			}
		}
		date = r.Header.Get("X-Amz-Date")
	}
	akid, scope, _ := strings.Cut(cred, "/")
	scopeParts := strings.Split(scope, "/")
	signingTime, terr := time.Parse(s3form.DateFormat, date)
	if len(scopeParts) != 4 || scopeParts[3] != "aws4_request" || terr != nil || signature == "" {
		return s3User{}, &s3Err{http.StatusBadRequest, "AuthorizationHeaderMalformed", "malformed credential scope or date"}
	}
	token := r.Header.Get("X-Amz-Security-Token")
	if presigned {
		token = q.Get("X-Amz-Security-Token")
	}
	u, uerr := s.user(r.Context(), akid, token)
	if uerr != nil {
		return s3User{}, uerr
	}
	if presigned {
		secs, err := strconv.ParseInt(q.Get("X-Amz-Expires"), 10, 64)
		if err != nil || secs < 1 || secs > 604800 {
			return s3User{}, &s3Err{http.StatusBadRequest, "AuthorizationQueryParametersError", "X-Amz-Expires must be 1 to 604800 seconds"}
		}
		if !s.Now().Before(signingTime.Add(time.Duration(secs) * time.Second)) {
			return s3User{}, denied("Request has expired")
		}
	}
	want, err := s.resign(r, u.creds, presigned, signedHeaders, scopeParts[1], signingTime)
	if err != nil {
		return s3User{}, &s3Err{http.StatusBadRequest, "AuthorizationHeaderMalformed", err.Error()}
	}
	if want != signature {
		return s3User{}, &s3Err{http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided."}
	}
	return u, nil
}

// resign signs a copy of r holding only what the client signed and returns the signature.
func (s *S3Server) resign(r *http.Request, creds aws.Credentials, presigned bool, signedHeaders, region string, at time.Time) (string, error) {
	u := *r.URL
	u.Scheme, u.Host = "http", r.Host
	q := u.Query()
	for _, k := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token"} {
		q.Del(k)
	}
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), nil)
	if err != nil {
		return "", err
	}
	req.URL.RawPath = r.URL.RawPath
	req.Host = r.Host
	for _, h := range strings.Split(signedHeaders, ";") {
		switch h {
		case "host":
		case "content-length":
			req.ContentLength = r.ContentLength
		default:
			if v, ok := r.Header[textproto.CanonicalMIMEHeaderKey(h)]; ok {
				req.Header[textproto.CanonicalMIMEHeaderKey(h)] = v
			}
		}
	}
	if presigned {
		signed, _, err := s.signer.PresignHTTP(r.Context(), creds, req, "UNSIGNED-PAYLOAD", "s3", region, at,
			func(o *v4.SignerOptions) { o.DisableHeaderHoisting = true })
		if err != nil {
			return "", err
		}
		su, err := url.Parse(signed)
		if err != nil {
			return "", err
		}
		return su.Query().Get("X-Amz-Signature"), nil
	}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if payload == "" {
		return "", errors.New("missing X-Amz-Content-Sha256")
	}
	if err := s.signer.SignHTTP(r.Context(), creds, req, payload, "s3", region, at); err != nil {
		return "", err
	}
	_, sig, _ := strings.Cut(req.Header.Get("Authorization"), "Signature=")
	return sig, nil
}
