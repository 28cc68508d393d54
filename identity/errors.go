package identity

import "errors"

// Sentinel errors. Adapters wrap them; match with errors.Is.
var (
	// ErrNotAuthorized: the token or the credentials are not accepted.
	ErrNotAuthorized = errors.New("identity: not authorized")
	// ErrUnknownProvider: the login's provider is not trusted by the pool.
	ErrUnknownProvider = errors.New("identity: unknown provider")
	// ErrThrottled: the service refused the request for its rate; retry
	// later with backoff.
	ErrThrottled = errors.New("identity: throttled")
	// ErrMisconfigured: the pool does not exist or is not set up to issue
	// credentials, or the caller's own AWS setup (its permissions, its
	// client's configuration) keeps it from asking.
	ErrMisconfigured = errors.New("identity: misconfigured")
	// ErrUnavailable: the service, or a provider it depends on, failed;
	// retrying may succeed.
	ErrUnavailable = errors.New("identity: unavailable")
)
