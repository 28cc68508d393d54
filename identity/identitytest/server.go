package identitytest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"

	"github.com/servous/servous/identity"
	"github.com/servous/servous/identity/memidentity"
	"github.com/servous/servous/internal/uuid"
)

// Operation names, as in the X-Amz-Target header after the service prefix.
const (
	OpGetID                     = "GetId"
	OpGetCredentialsForIdentity = "GetCredentialsForIdentity"
)

const targetPrefix = "AWSCognitoIdentityService."

// maxBody bounds a request body: ten logins of 50,000 characters each,
// plus room for the rest.
const maxBody = 10*maxTokenLength + 64<<10

// Patterns and lengths from the Cognito Identity API reference.
var (
	identityIDPattern = regexp.MustCompile(`^[\w-]+:[0-9a-f-]+$`)
	accountIDPattern  = regexp.MustCompile(`^\d+$`)
	arnPattern        = regexp.MustCompile(`^arn:[A-Za-z0-9-]+:[A-Za-z0-9-]+:[A-Za-z0-9-]*:\d*:\S+$`)
)

// ServerOptions configure NewServer. A nil *ServerOptions means the
// defaults.
type ServerOptions struct {
	// CredentialsLifetime is how long the credentials the server mints are
	// valid. Zero means an hour, as in Cognito.
	CredentialsLifetime time.Duration
	// ClockSkew is the leeway allowed on token times; zero means a minute.
	ClockSkew time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// PoolOptions configure a pool added with AddPool. A nil *PoolOptions
// means a pool trusting no provider.
type PoolOptions struct {
	// Providers are the identity providers the pool trusts. More can be
	// added with AddProvider.
	Providers []Provider
	// NoAuthenticatedRole makes GetCredentialsForIdentity fail with
	// InvalidIdentityPoolConfigurationException, as Cognito does when no
	// authenticated role is attached to the pool.
	NoAuthenticatedRole bool
}

// Server answers Amazon Cognito Identity's GetId and
// GetCredentialsForIdentity over the AWS JSON 1.1 protocol (POST /, the
// operation in X-Amz-Target). It is an http.Handler: serve it with
// httptest.NewServer and point a client at it with NewClient. It also
// implements identity.Authority for the credentials it mints. It is safe
// for concurrent use.
type Server struct {
	opts ServerOptions

	mu       sync.Mutex
	pools    map[string]*serverPool
	owner    map[string]*serverPool // identity id → pool
	faults   map[string][]Fault
	requests map[string]int
}

type serverPool struct {
	pool   *memidentity.Pool
	noRole bool
}

// Fault is an error the server returns instead of answering, set up with
// FailNext.
type Fault struct {
	// Code is the error type, for example "TooManyRequestsException".
	Code string
	// Message is the error message.
	Message string
	// Status is the HTTP status; zero means 500 for InternalErrorException
	// and 400 otherwise.
	Status int
}

// NewServer returns a server with no pools.
func NewServer(opts *ServerOptions) *Server {
	s := &Server{pools: map[string]*serverPool{}, owner: map[string]*serverPool{}, faults: map[string][]Fault{}, requests: map[string]int{}}
	if opts != nil {
		s.opts = *opts
	}
	return s
}

// AddPool creates an identity pool with the given id (REGION:GUID). The
// error wraps identity.ErrMisconfigured for an id or a provider Cognito
// would refuse.
func (s *Server) AddPool(poolID string, opts *PoolOptions) error {
	var o PoolOptions
	if opts != nil {
		o = *opts
	}
	providers := make([]memidentity.Provider, len(o.Providers))
	for i, pr := range o.Providers {
		providers[i] = memidentity.Provider(pr)
	}
	p, err := memidentity.New(poolID, &memidentity.Options{
		Providers:           providers,
		CredentialsLifetime: s.opts.CredentialsLifetime,
		ClockSkew:           s.opts.ClockSkew,
		Now:                 s.opts.Now,
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.pools[poolID]; ok {
		return fmt.Errorf("identitytest: pool %q exists", poolID)
	}
	s.pools[poolID] = &serverPool{pool: p, noRole: o.NoAuthenticatedRole}
	return nil
}

// AddProvider makes the pool poolID trust pr, replacing a provider of the
// same name. The error wraps identity.ErrMisconfigured for a provider
// without a name, an issuer, an audience or a key.
func (s *Server) AddProvider(poolID string, pr Provider) error {
	s.mu.Lock()
	p, ok := s.pools[poolID]
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("identitytest: no pool %q: %w", poolID, identity.ErrMisconfigured)
	}
	return p.pool.AddProvider(memidentity.Provider(pr))
}

// FailNext makes the next request for operation (OpGetID or
// OpGetCredentialsForIdentity) fail with f. Calls queue up: each fault
// answers one request.
func (s *Server) FailNext(operation string, f Fault) {
	s.mu.Lock()
	s.faults[operation] = append(s.faults[operation], f)
	s.mu.Unlock()
}

// Requests returns how many requests for operation the server has
// received, including refused ones.
func (s *Server) Requests(operation string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[operation]
}

// Authenticate implements identity.Authority over every pool's
// credentials.
func (s *Server) Authenticate(ctx context.Context, accessKeyID, sessionToken string) (string, string, error) {
	s.mu.Lock()
	pools := make([]*memidentity.Pool, 0, len(s.pools))
	for _, p := range s.pools {
		pools = append(pools, p.pool)
	}
	s.mu.Unlock()
	err := fmt.Errorf("identitytest: access key %q is unknown: %w", accessKeyID, identity.ErrNotAuthorized)
	for _, p := range pools {
		id, secret, e := p.Authenticate(ctx, accessKeyID, sessionToken)
		if e == nil {
			return id, secret, nil
		}
		err = e
	}
	return "", "", err
}

// NewClient returns a Cognito Identity client for the server at url, with
// region us-east-1, anonymous credentials and the SDK's default retries.
// optFns adjust the options further, for example to turn retries off.
func NewClient(url string, optFns ...func(*cognitoidentity.Options)) *cognitoidentity.Client {
	return cognitoidentity.New(cognitoidentity.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  aws.AnonymousCredentials{},
	}, optFns...)
}

// apiError is an error answer in the JSON 1.1 protocol's shape.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func invalidParameter(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "InvalidParameterException", "1 validation error detected: " + fmt.Sprintf(format, args...)}
}

// ServeHTTP answers one Cognito Identity request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := uuid.New()
	w.Header().Set("X-Amzn-Requestid", reqID)
	resp, err := s.serve(r)
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			ae = &apiError{http.StatusInternalServerError, "InternalErrorException", err.Error()}
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-Errortype", ae.code+":")
		w.WriteHeader(ae.status)
		json.NewEncoder(w).Encode(map[string]string{"__type": ae.code, "message": ae.message})
		return
	}
	body, err := json.Marshal(resp)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Write(body)
}

func (s *Server) serve(r *http.Request) (any, error) {
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		return nil, &apiError{http.StatusNotFound, "UnknownOperationException", fmt.Sprintf("%s %s is not an operation", r.Method, r.URL.Path)}
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-amz-json-1.1" {
		return nil, &apiError{http.StatusBadRequest, "SerializationException", fmt.Sprintf("Content-Type %q is not application/x-amz-json-1.1", r.Header.Get("Content-Type"))}
	}
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, targetPrefix)
	if !ok || (op != OpGetID && op != OpGetCredentialsForIdentity) {
		return nil, &apiError{http.StatusBadRequest, "UnknownOperationException", fmt.Sprintf("X-Amz-Target %q is not a supported operation", target)}
	}
	s.mu.Lock()
	s.requests[op]++
	var fault *Fault
	if q := s.faults[op]; len(q) > 0 {
		fault = &q[0]
		s.faults[op] = q[1:]
	}
	s.mu.Unlock()
	if fault != nil {
		status := fault.Status
		if status == 0 {
			status = http.StatusBadRequest
			if fault.Code == "InternalErrorException" {
				status = http.StatusInternalServerError
			}
		}
		return nil, &apiError{status, fault.Code, fault.Message}
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		return nil, &apiError{http.StatusRequestEntityTooLarge, "SerializationException", "request body is too large"}
	}
	switch op {
	case OpGetID:
		var in struct {
			IdentityPoolId *string
			AccountId      *string
			Logins         map[string]string
		}
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, &apiError{http.StatusBadRequest, "SerializationException", err.Error()}
		}
		return s.getID(r.Context(), in.IdentityPoolId, in.AccountId, in.Logins)
	default:
		var in struct {
			IdentityId    *string
			CustomRoleArn *string
			Logins        map[string]string
		}
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, &apiError{http.StatusBadRequest, "SerializationException", err.Error()}
		}
		return s.getCredentials(r.Context(), in.IdentityId, in.CustomRoleArn, in.Logins)
	}
}

func validateID(field string, v *string) error {
	if v == nil {
		return invalidParameter("Value null at '%s' failed to satisfy constraint: Member must not be null", field)
	}
	if n := len(*v); n < 1 || n > 55 {
		return invalidParameter("Value '%s' at '%s' failed to satisfy constraint: Member must have length between 1 and 55", *v, field)
	}
	if !identityIDPattern.MatchString(*v) {
		return invalidParameter(`Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w-]+:[0-9a-f-]+`, *v, field)
	}
	return nil
}

func validateLogins(logins map[string]string) ([]identity.Login, error) {
	if len(logins) > 10 {
		return nil, invalidParameter("Value at 'logins' failed to satisfy constraint: Member must have length less than or equal to 10")
	}
	out := make([]identity.Login, 0, len(logins))
	for k, v := range logins {
		if n := len(k); n < 1 || n > 128 {
			return nil, invalidParameter("Value at 'logins' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length between 1 and 128]")
		}
		if n := len(v); n < 1 || n > maxTokenLength {
			return nil, invalidParameter("Value at 'logins' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length between 1 and 50000]")
		}
		out = append(out, identity.Login{Provider: k, Token: v})
	}
	return out, nil
}

// loginError translates a verification error to Cognito's answer.
func loginError(err error) error {
	switch {
	case errors.Is(err, identity.ErrUnknownProvider):
		return &apiError{http.StatusBadRequest, "NotAuthorizedException", "Token is not from a supported provider of this identity pool."}
	case errors.Is(err, memidentity.ErrLinkConflict):
		return &apiError{http.StatusBadRequest, "ResourceConflictException", "Logins are already linked to different identities."}
	case errors.Is(err, memidentity.ErrUnknownIdentity):
		return &apiError{http.StatusBadRequest, "ResourceNotFoundException", "Identity not found."}
	case errors.Is(err, identity.ErrNotAuthorized):
		return &apiError{http.StatusBadRequest, "NotAuthorizedException", "Invalid login token. " + err.Error()}
	}
	return err
}

func (s *Server) getID(ctx context.Context, poolID, accountID *string, logins map[string]string) (any, error) {
	if err := validateID("identityPoolId", poolID); err != nil {
		return nil, err
	}
	if accountID != nil && (len(*accountID) < 1 || len(*accountID) > 15 || !accountIDPattern.MatchString(*accountID)) {
		return nil, invalidParameter(`Value '%s' at 'accountId' failed to satisfy constraint: Member must satisfy regular expression pattern: \d+ and have length between 1 and 15`, *accountID)
	}
	ls, err := validateLogins(logins)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	p, ok := s.pools[*poolID]
	s.mu.Unlock()
	if !ok {
		return nil, &apiError{http.StatusBadRequest, "ResourceNotFoundException", fmt.Sprintf("IdentityPool '%s' not found.", *poolID)}
	}
	if len(ls) == 0 {
		return nil, &apiError{http.StatusBadRequest, "NotAuthorizedException", "Unauthenticated access is not supported for this identity pool."}
	}
	id, err := p.pool.IdentityID(ctx, ls...)
	if err != nil {
		return nil, loginError(err)
	}
	s.mu.Lock()
	s.owner[id] = p
	s.mu.Unlock()
	return map[string]string{"IdentityId": id}, nil
}

func (s *Server) getCredentials(ctx context.Context, identityID, roleARN *string, logins map[string]string) (any, error) {
	if err := validateID("identityId", identityID); err != nil {
		return nil, err
	}
	if roleARN != nil && (len(*roleARN) < 20 || len(*roleARN) > 2048 || !arnPattern.MatchString(*roleARN)) {
		return nil, invalidParameter("Value '%s' at 'customRoleArn' failed to satisfy constraint: Member must be an ARN of length between 20 and 2048", *roleARN)
	}
	ls, err := validateLogins(logins)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	p, ok := s.owner[*identityID]
	s.mu.Unlock()
	if !ok {
		return nil, &apiError{http.StatusBadRequest, "ResourceNotFoundException", fmt.Sprintf("Identity '%s' not found.", *identityID)}
	}
	if len(ls) == 0 {
		return nil, &apiError{http.StatusBadRequest, "NotAuthorizedException", "Unauthenticated access is not supported for this identity pool."}
	}
	if p.noRole {
		return nil, &apiError{http.StatusBadRequest, "InvalidIdentityPoolConfigurationException", "Invalid identity pool configuration. Check assigned IAM roles for this pool."}
	}
	c, err := p.pool.Credentials(ctx, *identityID, ls...)
	if err != nil {
		return nil, loginError(err)
	}
	type credentials struct {
		AccessKeyId  string
		SecretKey    string
		SessionToken string
		Expiration   float64
	}
	return struct {
		IdentityId  string
		Credentials credentials
	}{*identityID, credentials{c.AccessKeyID, c.SecretAccessKey, c.SessionToken, float64(c.Expires.Unix())}}, nil
}

var _ identity.Authority = (*Server)(nil)
