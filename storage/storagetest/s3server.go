package storagetest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
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
	onRequest func(S3Request)
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
	// OnRequest, when not nil, is told of each request the server answered, once it answered
	// it, from the request's goroutine: the requests S3 would receive and bill, against
	// which tests check what a client says it sent.
	OnRequest func(S3Request)
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
		s.onRequest = opts.OnRequest
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

func (s *S3Server) serveHTTP(rw http.ResponseWriter, r *http.Request) {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	w := &statusWriter{ResponseWriter: rw}
	defer func() { s.logRequest(r, bucket, key, w.code) }()
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
