package storagetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/servous/servous/identity"
	"github.com/servous/servous/storage/internal/s3form"
)

// S3Server is an S3-compatible server running in the test process: gofakes3 over httptest,
// behind a layer that checks signatures, expiry, POST policies, conditional requests and
// per-user prefix policies as S3 does. Create one with NewS3Server.
type S3Server struct {
	// URL is the server's endpoint, for path-style requests.
	URL string
	// Region is the region clients sign for.
	Region string
	// Credentials are the root credentials, allowed everything.
	Credentials aws.Credentials

	srv     *httptest.Server
	backend *backend
	faker   http.Handler
	signer  *v4.Signer

	authority   identity.Authority
	prefix      func(identityID string) string
	maxCopySize int64

	mu     sync.Mutex
	skew   time.Duration
	users  map[string]s3User // by access key id
	keyMus map[string]*keyLock
	// multipart holds, by bucket/key, the ETag of an object a multipart upload made: gofakes3
	// reports its body's MD5 on reads, where S3 keeps the ETag the upload completed with.
	multipart map[string]multipartETag
}

// multipartETag is the ETag (unquoted) CompleteMultipartUpload gave the body whose MD5 is md5.
type multipartETag struct{ md5, etag string }

type s3User struct {
	creds  aws.Credentials
	prefix string // "" for root: everything
	root   bool
}

type keyLock struct {
	mu   sync.Mutex
	refs int
}

// S3ServerOptions configures NewS3Server. A nil *S3ServerOptions means the defaults.
type S3ServerOptions struct {
	// Region is the region clients sign for; empty means "us-east-1".
	Region string
	// Authority, when set, is asked about the access keys the server does not know, as S3
	// asks IAM about credentials that STS minted for a Cognito identity: their holder may
	// read, write and list only under Prefix(identity id). identitytest's Cognito server and
	// memidentity's pool implement it.
	Authority identity.Authority
	// Prefix returns the key prefix an identity of Authority may use, the twin of an IAM
	// policy on "uploads/${cognito-identity.amazonaws.com:sub}/*". Nil means
	// "uploads/" + identityID + "/".
	Prefix func(identityID string) string
	// MaxCopySize is the largest source CopyObject copies; a larger one is refused as S3
	// refuses sources over 5 GiB, its limit and the default, and must be copied in parts with
	// UploadPartCopy. Tests set it low to copy in parts without 5 GiB objects.
	MaxCopySize int64
}

// maxCopySize is S3's limit on the source of a CopyObject: 5 GiB.
const maxCopySize = 5 << 30

// NewS3Server starts a server that the test's cleanup stops.
func NewS3Server(t testing.TB, opts *S3ServerOptions) *S3Server {
	t.Helper()
	s := StartS3Server(opts)
	t.Cleanup(s.Close)
	return s
}

// StartS3Server starts a server outside a test (in an example, or a local run); Close stops it.
func StartS3Server(opts *S3ServerOptions) *S3Server {
	s := &S3Server{Region: "us-east-1", users: map[string]s3User{}, keyMus: map[string]*keyLock{}, multipart: map[string]multipartETag{}}
	if opts != nil && opts.Region != "" {
		s.Region = opts.Region
	}
	s.prefix = func(id string) string { return "uploads/" + id + "/" }
	s.maxCopySize = maxCopySize
	if opts != nil {
		s.authority = opts.Authority
		if opts.Prefix != nil {
			s.prefix = opts.Prefix
		}
		if opts.MaxCopySize > 0 {
			s.maxCopySize = opts.MaxCopySize
		}
	}
	s.Credentials = aws.Credentials{AccessKeyID: "AKIASERVOUSTEST00001", SecretAccessKey: randomHex(20), Source: "storagetest"}
	s.users[s.Credentials.AccessKeyID] = s3User{creds: s.Credentials, root: true}
	s.backend = &backend{s3mem.New()}
	// Expiry and skew are checked against this layer's clock, which tests may move.
	s.faker = gofakes3.New(s.backend, gofakes3.WithTimeSkewLimit(0), gofakes3.WithLogger(gofakes3.DiscardLog())).Server()
	s.signer = v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *S3Server) Close() { s.srv.Close() }

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Client returns an S3 client for the server, signing with the root credentials (optFns may
// change that, or anything else).
func (s *S3Server) Client(optFns ...func(*s3.Options)) *s3.Client {
	return s3.New(s.ClientOptions(), optFns...)
}

// ClientOptions returns the options of a client for the server: its endpoint, path-style
// addressing, the region, the root credentials and an HTTP client for the server.
func (s *S3Server) ClientOptions() s3.Options {
	return s3.Options{
		Region:       s.Region,
		BaseEndpoint: aws.String(s.URL),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(s.Credentials.AccessKeyID, s.Credentials.SecretAccessKey, ""),
		HTTPClient:   s.srv.Client(),
	}
}

// HTTPClient returns a client for requests to the server, such as presigned URLs.
func (s *S3Server) HTTPClient() *http.Client { return s.srv.Client() }

// CreateBucket creates a bucket.
func (s *S3Server) CreateBucket(name string) error { return s.backend.CreateBucket(name) }

// NewBucket creates a bucket with a name unique to the server and returns the name.
func (s *S3Server) NewBucket(t testing.TB) string {
	t.Helper()
	name := "bucket-" + randomHex(6)
	if err := s.CreateBucket(name); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
	return name
}

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

// Advance moves the server's clock forward by d, so presigned URLs and POST policies expire
// without waiting.
func (s *S3Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.skew += d
}

// Now returns the server's clock.
func (s *S3Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Now().Add(s.skew)
}

// s3Err is an error response of the layer, in S3's shape.
type s3Err struct {
	status  int
	code    string
	message string
}

// S3's answers to a failed precondition and to a missing key; never modified.
var (
	preconditionFailed = &s3Err{http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold"}
	noSuchKey          = &s3Err{http.StatusNotFound, "NoSuchKey", "The specified key does not exist."}
)

// copyToItself is S3's refusal of a CopyObject onto its own source that changes nothing.
var copyToItself = &s3Err{http.StatusBadRequest, "InvalidRequest", "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes."}

// copyTooLarge is S3's refusal of a copy source over its limit.
func (s *S3Server) copyTooLarge() *s3Err {
	return &s3Err{http.StatusBadRequest, "InvalidRequest", "The specified copy source is larger than the maximum allowable size for a copy source: " + strconv.FormatInt(s.maxCopySize, 10)}
}

func (e *s3Err) write(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(e.status)
	if r.Method == http.MethodHead {
		return
	}
	xml.NewEncoder(w).Encode(struct {
		XMLName xml.Name `xml:"Error"`
		Code    string
		Message string
	}{Code: e.code, Message: e.message})
}

func denied(msg string) *s3Err { return &s3Err{http.StatusForbidden, "AccessDenied", msg} }

func (s *S3Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if r.Method == http.MethodPost && key == "" && isMultipartForm(r) {
		if err := s.servePostForm(w, r, bucket); err != nil {
			err.write(w, r)
		}
		return
	}
	user, err := s.authenticate(r)
	if err != nil {
		err.write(w, r)
		return
	}
	if err := s.authorize(user, r, bucket, key); err != nil {
		err.write(w, r)
		return
	}
	if key == "" && r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "2" {
		if err := s.listObjectsV2(w, r, bucket); err != nil {
			err.write(w, r)
		}
		return
	}
	if key == "" {
		s.faker.ServeHTTP(w, r)
		return
	}
	// gofakes3 keeps only some headers of an object; it keeps X-Amz-* ones, so Cache-Control
	// and Expires travel under other names and come back as themselves.
	_, initiate := r.URL.Query()["uploads"]
	if r.Method == http.MethodPut || r.Method == http.MethodPost && initiate {
		for h, carrier := range carriedHeaders {
			if v := r.Header.Get(h); v != "" {
				r.Header.Set(carrier, v)
			}
		}
	}
	cw := &cacheControlWriter{ResponseWriter: w, s: s, bucket: bucket, key: key}
	if err := s.serveObject(cw, r, bucket, key); err != nil {
		err.write(cw, r)
	}
	cw.fix() // for a response whose header gofakes3 left to be written implicitly
}

// cacheHeader carries Cache-Control through gofakes3, which drops it.
const cacheHeader = "X-Amz-Storagetest-Cache-Control"

// carriedHeaders are the headers of an object that S3 keeps and gofakes3 drops, with the
// X-Amz-* header that carries each through gofakes3.
var carriedHeaders = map[string]string{
	"Cache-Control": cacheHeader,
	"Expires":       "X-Amz-Storagetest-Expires",
}

// cacheControlWriter turns carriedHeaders back into themselves in responses, and an object's
// ETag into the one S3 reports (see etagOf): from the MD5 gofakes3 sent with the body it
// serves, so the two match even when the object changes meanwhile.
type cacheControlWriter struct {
	http.ResponseWriter
	done        bool
	s           *S3Server
	bucket, key string
}

func (w *cacheControlWriter) fix() {
	if w.done {
		return
	}
	w.done = true
	h := w.Header()
	for name, carrier := range carriedHeaders {
		if v := h.Get(carrier); v != "" {
			h.Set(name, v)
			h.Del(carrier)
		}
	}
	if e := h.Get("ETag"); e != "" {
		h.Set("ETag", `"`+w.s.etagOf(w.bucket, w.key, strings.Trim(e, `"`))+`"`)
	}
}

func (w *cacheControlWriter) WriteHeader(code int) {
	w.fix()
	w.ResponseWriter.WriteHeader(code)
}

func (w *cacheControlWriter) Write(p []byte) (int, error) {
	w.fix()
	return w.ResponseWriter.Write(p)
}

func isMultipartForm(r *http.Request) bool {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return ct == "multipart/form-data"
}

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

// lockKey serializes the writes and conditional checks of one key, so a condition checked here
// still holds when gofakes3 writes.
func (s *S3Server) lockKey(bucket, key string) func() {
	id := bucket + "/" + key
	s.mu.Lock()
	l := s.keyMus[id]
	if l == nil {
		l = &keyLock{}
		s.keyMus[id] = l
	}
	l.refs++
	s.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		s.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(s.keyMus, id)
		}
		s.mu.Unlock()
	}
}

// current returns the ETag (unquoted) and size of the object at key, or ok false.
func (s *S3Server) current(bucket, key string) (etag string, size int64, ok bool) {
	obj, err := s.backend.HeadObject(bucket, key)
	if err != nil {
		return "", 0, false
	}
	obj.Contents.Close()
	return s.etagOf(bucket, key, hex.EncodeToString(obj.Hash)), obj.Size, true
}

// etagOf returns the ETag (unquoted) S3 reports for the object at key whose body's MD5 is md5:
// the multipart upload's that made it, or else the MD5.
func (s *S3Server) etagOf(bucket, key, md5 string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.multipart[bucket+"/"+key]; ok && m.md5 == md5 {
		return m.etag
	}
	return md5
}

// noteWrite records what a successful write left at key: the ETag a multipart upload completed
// with (from its response body), or, for any other write, no multipart ETag.
func (s *S3Server) noteWrite(bucket, key string, completion []byte) {
	var res struct{ ETag string }
	var obj *gofakes3.Object
	if completion != nil && xml.Unmarshal(completion, &res) == nil && res.ETag != "" {
		var err error
		if obj, err = s.backend.HeadObject(bucket, key); err == nil {
			obj.Contents.Close()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.multipart, bucket+"/"+key)
	if obj != nil {
		s.multipart[bucket+"/"+key] = multipartETag{md5: hex.EncodeToString(obj.Hash), etag: strings.Trim(res.ETag, `"`)}
	}
}

// statusWriter notes the status of a response.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

func matches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.Trim(strings.TrimSpace(t), `"`)
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

// checkWrite checks the conditions of a write to key (If-None-Match, If-Match) against the
// object there. The caller holds the key's lock.
func (s *S3Server) checkWrite(r *http.Request, bucket, key string) *s3Err {
	etag, _, ok := s.current(bucket, key)
	if inm := r.Header.Get("If-None-Match"); inm != "" && ok && matches(inm, etag) {
		return preconditionFailed
	}
	if im := r.Header.Get("If-Match"); im != "" {
		if !ok {
			// A conditional write needs an object to compare with.
			return noSuchKey
		}
		if !matches(im, etag) {
			return preconditionFailed
		}
	}
	return nil
}

func (s *S3Server) serveObject(w http.ResponseWriter, r *http.Request, bucket, key string) *s3Err {
	q := r.URL.Query()
	switch {
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		etag, size, ok := s.current(bucket, key)
		if im := r.Header.Get("If-Match"); im != "" && ok && !matches(im, etag) {
			return preconditionFailed
		}
		// S3 serves a suffix range longer than the object as the whole object; gofakes3 refuses.
		if rng := r.Header.Get("Range"); ok && size > 0 && strings.HasPrefix(rng, "bytes=-") {
			if n, err := strconv.ParseInt(rng[len("bytes=-"):], 10, 64); err == nil && n > size {
				r.Header.Set("Range", "bytes=0-")
			}
		}
		s.faker.ServeHTTP(w, r)
		return nil
	case r.Method == http.MethodPut && q.Get("uploadId") != "":
		// An upload part: nothing is visible until completion.
		if src := r.Header.Get("X-Amz-Copy-Source"); src != "" {
			return s.uploadPartCopy(w, r, src)
		}
		s.faker.ServeHTTP(w, r)
		return nil
	case r.Method == http.MethodPut, r.Method == http.MethodDelete,
		r.Method == http.MethodPost && q.Get("uploadId") != "":
		unlock := s.lockKey(bucket, key)
		defer unlock()
		if src := r.Header.Get("X-Amz-Copy-Source"); src != "" && r.Method == http.MethodPut {
			return s.copyObject(w, r, bucket, key, src)
		}
		if err := s.checkWrite(r, bucket, key); err != nil {
			return err
		}
		if r.Method == http.MethodPost {
			// The completion of a multipart upload: its answer names the object's ETag.
			rec := httptest.NewRecorder()
			s.faker.ServeHTTP(rec, r)
			if rec.Code == http.StatusOK {
				s.noteWrite(bucket, key, rec.Body.Bytes())
			}
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
			return nil
		}
		sw := &statusWriter{ResponseWriter: w}
		s.faker.ServeHTTP(sw, r)
		if sw.code/100 == 2 {
			s.noteWrite(bucket, key, nil)
		}
		return nil
	}
	s.faker.ServeHTTP(w, r)
	return nil
}

// maxFormBody bounds what the layer buffers of a form POST.
const maxFormBody = 1 << 30

// servePostForm checks a browser upload as S3 does (SigV4 signature of the policy, expiry,
// conditions, content-length-range, the signer's prefix policy), then hands gofakes3 the form
// with the fields it understands.
func (s *S3Server) servePostForm(w http.ResponseWriter, r *http.Request, bucket string) *s3Err {
	mr, err := r.MultipartReader()
	if err != nil {
		return &s3Err{http.StatusBadRequest, "MalformedPOSTRequest", err.Error()}
	}
	fields := map[string]string{}
	var file []byte
	found := false
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return &s3Err{http.StatusBadRequest, "MalformedPOSTRequest", err.Error()}
		}
		data, err := io.ReadAll(io.LimitReader(part, maxFormBody+1))
		if err != nil || len(data) > maxFormBody {
			return &s3Err{http.StatusBadRequest, "MalformedPOSTRequest", "body too large for the test server"}
		}
		if strings.EqualFold(part.FormName(), "file") {
			file, found = data, true
			break // S3 ignores fields after the file
		}
		fields[strings.ToLower(part.FormName())] = string(data)
	}
	if !found {
		return &s3Err{http.StatusBadRequest, "InvalidArgument", "POST requires exactly one file upload per request."}
	}
	if fields["x-amz-algorithm"] != s3form.AlgorithmSigV4 || fields["policy"] == "" || fields["x-amz-signature"] == "" {
		return denied("the form is not signed")
	}
	akid, scope, _ := strings.Cut(fields["x-amz-credential"], "/")
	sp := strings.Split(scope, "/")
	if len(sp) != 4 {
		return &s3Err{http.StatusBadRequest, "InvalidArgument", "malformed x-amz-credential"}
	}
	u, uerr := s.user(r.Context(), akid, fields["x-amz-security-token"])
	if uerr != nil {
		return uerr
	}
	if s3form.SignPolicy(u.creds.SecretAccessKey, sp[0], sp[1], fields["policy"]) != fields["x-amz-signature"] {
		return &s3Err{http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided."}
	}
	lim, err := s3form.Check(fields["policy"], fields, bucket, s.Now())
	switch {
	case errors.Is(err, s3form.ErrMalformed):
		return &s3Err{http.StatusBadRequest, "InvalidPolicyDocument", err.Error()}
	case err != nil:
		return denied("Invalid according to Policy: " + err.Error())
	}
	if err := lim.CheckSize(int64(len(file))); errors.Is(err, s3form.ErrTooLarge) {
		return &s3Err{http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"}
	} else if err != nil {
		return &s3Err{http.StatusBadRequest, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size"}
	}
	key := fields["key"]
	if !u.root && !strings.HasPrefix(key, u.prefix) {
		return denied("the policy allows only " + u.prefix + "*")
	}
	// gofakes3 stores the fields it finds under canonical header names; give it only those.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		switch {
		case k == "key":
			mw.WriteField("key", v)
		case k == "cache-control":
			mw.WriteField(cacheHeader, v)
		case k == "content-type" || strings.HasPrefix(k, "x-amz-meta-"):
			mw.WriteField(textproto.CanonicalMIMEHeaderKey(k), v)
		}
	}
	fw, _ := mw.CreateFormFile("file", "upload")
	fw.Write(file)
	mw.Close()
	fr, err := http.NewRequestWithContext(r.Context(), http.MethodPost, r.URL.String(), &body)
	if err != nil {
		return &s3Err{http.StatusInternalServerError, "InternalError", err.Error()}
	}
	fr.Header.Set("Content-Type", mw.FormDataContentType())
	unlock := s.lockKey(bucket, key)
	defer unlock()
	rec := httptest.NewRecorder()
	s.faker.ServeHTTP(rec, fr)
	if rec.Code/100 != 2 {
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
		return nil
	}
	s.noteWrite(bucket, key, nil)
	s3form.WriteSuccess(w, fields["success_action_status"], s.URL+"/"+bucket+"/"+key, bucket, key, rec.Header().Get("ETag"))
	return nil
}

// parseCopySource returns the bucket and key an x-amz-copy-source header names. The header is
// URL-encoded and a raw '?' starts its query (versionId), so the query is cut off before the
// rest is unescaped: an escaped '?' ("%3F") belongs to the key.
func parseCopySource(src string) (bucket, key string, err error) {
	src, _, _ = strings.Cut(src, "?")
	src, err = url.PathUnescape(src)
	if err != nil {
		return "", "", err
	}
	bucket, key, _ = strings.Cut(strings.TrimPrefix(src, "/"), "/")
	return bucket, key, nil
}

// copySource reads the object an x-amz-copy-source header names, checking
// x-amz-copy-source-if-match.
func (s *S3Server) copySource(r *http.Request, src string) (*gofakes3.Object, []byte, *s3Err) {
	srcBucket, srcKey, err := parseCopySource(src)
	if err != nil {
		return nil, nil, &s3Err{http.StatusBadRequest, "InvalidArgument", "malformed x-amz-copy-source"}
	}
	obj, err := s.backend.GetObject(srcBucket, srcKey, nil)
	if err != nil {
		return nil, nil, noSuchKey
	}
	data, err := io.ReadAll(obj.Contents)
	obj.Contents.Close()
	if err != nil {
		return nil, nil, &s3Err{http.StatusInternalServerError, "InternalError", err.Error()}
	}
	if im := r.Header.Get("X-Amz-Copy-Source-If-Match"); im != "" && !matches(im, s.etagOf(srcBucket, srcKey, hex.EncodeToString(obj.Hash))) {
		return nil, nil, preconditionFailed
	}
	return obj, data, nil
}

// copyObject copies in the layer, since gofakes3 merges metadata where S3's REPLACE directive
// replaces it. As S3 does, it reads the source (and checks its condition) first, then refuses a
// copy onto itself that changes nothing, then checks the destination's conditions. The caller
// holds the destination key's lock.
func (s *S3Server) copyObject(w http.ResponseWriter, r *http.Request, bucket, key, src string) *s3Err {
	obj, data, serr := s.copySource(r, src)
	if serr != nil {
		return serr
	}
	if int64(len(data)) > s.maxCopySize {
		return s.copyTooLarge()
	}
	replace := strings.EqualFold(r.Header.Get("X-Amz-Metadata-Directive"), "REPLACE")
	if srcBucket, srcKey, _ := parseCopySource(src); srcBucket == bucket && srcKey == key && !replace {
		return copyToItself
	}
	if err := s.checkWrite(r, bucket, key); err != nil {
		return err
	}
	meta := map[string]string{}
	if replace {
		for k, v := range r.Header {
			if k == "Content-Type" || k == "Content-Disposition" || k == "Content-Encoding" || k == cacheHeader || k == carriedHeaders["Expires"] || strings.HasPrefix(k, "X-Amz-Meta-") {
				meta[k] = v[0]
			}
		}
	} else {
		for k, v := range obj.Metadata {
			meta[k] = v
		}
	}
	now := s.Now().UTC()
	meta["Last-Modified"] = now.Format(http.TimeFormat)
	if _, err := s.backend.PutObject(bucket, key, meta, bytes.NewReader(data), int64(len(data)), nil); err != nil {
		return &s3Err{http.StatusInternalServerError, "InternalError", err.Error()}
	}
	s.noteWrite(bucket, key, nil)
	writeCopyResult(w, "CopyObjectResult", now, `"`+hex.EncodeToString(obj.Hash)+`"`)
	return nil
}

// writeCopyResult answers a copy, of an object or of a part (element CopyPartResult).
func writeCopyResult(w http.ResponseWriter, element string, lastModified time.Time, etag string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusOK)
	xml.NewEncoder(w).Encode(struct {
		XMLName      xml.Name
		LastModified string
		ETag         string
	}{XMLName: xml.Name{Local: element}, LastModified: lastModified.UTC().Format("2006-01-02T15:04:05.000Z"), ETag: etag})
}

// copyRangeRE is the form of x-amz-copy-source-range.
var copyRangeRE = regexp.MustCompile(`^bytes=(\d+)-(\d+)$`)

// uploadPartCopy serves UploadPartCopy, which gofakes3 lacks: it reads the source's range and
// hands gofakes3 an UploadPart with those bytes.
func (s *S3Server) uploadPartCopy(w http.ResponseWriter, r *http.Request, src string) *s3Err {
	_, data, serr := s.copySource(r, src)
	if serr != nil {
		return serr
	}
	if rng := r.Header.Get("X-Amz-Copy-Source-Range"); rng != "" {
		m := copyRangeRE.FindStringSubmatch(rng)
		var first, last int64
		if m != nil {
			first, _ = strconv.ParseInt(m[1], 10, 64)
			last, _ = strconv.ParseInt(m[2], 10, 64)
		}
		if m == nil || first > last || last >= int64(len(data)) {
			return &s3Err{http.StatusBadRequest, "InvalidArgument", "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy"}
		}
		data = data[first : last+1]
	}
	if int64(len(data)) > s.maxCopySize {
		return s.copyTooLarge()
	}
	part := r.Clone(r.Context())
	for k := range part.Header {
		if strings.HasPrefix(k, "X-Amz-Copy-Source") || k == "Content-Md5" {
			part.Header.Del(k)
		}
	}
	part.Body = io.NopCloser(bytes.NewReader(data))
	part.ContentLength = int64(len(data))
	part.Header.Set("Content-Length", strconv.Itoa(len(data)))
	rec := httptest.NewRecorder()
	s.faker.ServeHTTP(rec, part)
	if rec.Code != http.StatusOK {
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
		return nil
	}
	writeCopyResult(w, "CopyPartResult", s.Now(), rec.Header().Get("ETag"))
	return nil
}

// listObjectsV2 lists in the layer, since gofakes3 lists a key that ends with the delimiter as
// an object and repeats common prefixes across pages. It lists the prefix whole and pages it
// here, which is slow for big buckets but exact.
func (s *S3Server) listObjectsV2(w http.ResponseWriter, r *http.Request, bucket string) *s3Err {
	q := r.URL.Query()
	prefix, delim := q.Get("prefix"), q.Get("delimiter")
	maxKeys := 1000
	if v := q.Get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return &s3Err{http.StatusBadRequest, "InvalidArgument", "max-keys"}
		}
		maxKeys = min(n, 1000)
	}
	list, err := s.backend.ListBucket(bucket, &gofakes3.Prefix{HasPrefix: true, Prefix: prefix}, gofakes3.ListBucketPage{})
	if err != nil {
		return &s3Err{http.StatusNotFound, "NoSuchBucket", err.Error()}
	}
	type content struct {
		Key          string
		LastModified string
		ETag         string
		Size         int64
		StorageClass string
	}
	type commonPrefix struct{ Prefix string }
	res := struct {
		XMLName               xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListBucketResult"`
		Name                  string
		Prefix                string
		Delimiter             string `xml:",omitempty"`
		MaxKeys               int
		KeyCount              int
		IsTruncated           bool
		ContinuationToken     string `xml:",omitempty"`
		NextContinuationToken string `xml:",omitempty"`
		StartAfter            string `xml:",omitempty"`
		Contents              []content
		CommonPrefixes        []commonPrefix
	}{Name: bucket, Prefix: prefix, Delimiter: delim, MaxKeys: maxKeys, ContinuationToken: q.Get("continuation-token"), StartAfter: q.Get("start-after")}
	// A token is the last entry of the page before, marked as key or prefix.
	after, afterPrefix := q.Get("start-after"), false
	if tok := q.Get("continuation-token"); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(raw) == 0 {
			return &s3Err{http.StatusBadRequest, "InvalidArgument", "The continuation token provided is incorrect"}
		}
		after, afterPrefix = string(raw[1:]), raw[0] == 'p'
	}
	var last string
	for _, c := range list.Contents {
		k := c.Key
		if after != "" && (k <= after || afterPrefix && strings.HasPrefix(k, after)) {
			continue
		}
		entry, isPrefix := k, false
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				entry, isPrefix = k[:len(prefix)+i+len(delim)], true
				if isPrefix && last == "p"+entry {
					continue
				}
			}
		}
		if res.KeyCount == maxKeys {
			res.IsTruncated = true
			res.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(last))
			break
		}
		res.KeyCount++
		if isPrefix {
			res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{entry})
			last = "p" + entry
			continue
		}
		last = "k" + entry
		res.Contents = append(res.Contents, content{
			Key: k, LastModified: c.LastModified.UTC().Format("2006-01-02T15:04:05.000Z"),
			ETag: `"` + s.etagOf(bucket, k, strings.Trim(c.ETag, `"`)) + `"`, Size: c.Size, StorageClass: "STANDARD",
		})
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, xml.Header)
	xml.NewEncoder(w).Encode(res)
	return nil
}

// backend is gofakes3's in-memory backend made to replace an object's metadata on every write,
// as S3 does: s3mem merges the old metadata into the new. It lists the keys each write set, and
// reads return only those.
type backend struct {
	*s3mem.Backend
}

// keysHeader lists the metadata keys of the last write.
const keysHeader = "X-Amz-Storagetest-Keys"

func (b *backend) PutObject(bucket, key string, meta map[string]string, input io.Reader, size int64, conds *gofakes3.PutConditions) (gofakes3.PutObjectResult, error) {
	names := make([]string, 0, len(meta))
	for k := range meta {
		names = append(names, k)
	}
	meta[keysHeader] = strings.Join(names, ",")
	return b.Backend.PutObject(bucket, key, meta, input, size, conds)
}

func filterMeta(obj *gofakes3.Object) {
	list, ok := obj.Metadata[keysHeader]
	if !ok {
		return
	}
	kept := map[string]string{}
	for _, k := range strings.Split(list, ",") {
		if v, ok := obj.Metadata[k]; ok {
			kept[k] = v
		}
	}
	obj.Metadata = kept
}

func (b *backend) GetObject(bucket, key string, rng *gofakes3.ObjectRangeRequest) (*gofakes3.Object, error) {
	obj, err := b.Backend.GetObject(bucket, key, rng)
	if err == nil {
		filterMeta(obj)
	}
	return obj, err
}

func (b *backend) HeadObject(bucket, key string) (*gofakes3.Object, error) {
	obj, err := b.Backend.HeadObject(bucket, key)
	if err == nil {
		filterMeta(obj)
	}
	return obj, err
}
