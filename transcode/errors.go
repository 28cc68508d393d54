package transcode

import "errors"

// Sentinel errors. Adapters wrap them with context and with the provider's own error, so that
// errors.Is reaches the sentinel and errors.As the provider's error.
var (
	// ErrInvalidJob: the job cannot run as specified. Returned by Submit before anything
	// starts.
	ErrInvalidJob = errors.New("transcode: invalid job")
	// ErrNotFound: no job has that id.
	ErrNotFound = errors.New("transcode: job not found")
	// ErrFinished: the job already ended, so it cannot be canceled.
	ErrFinished = errors.New("transcode: job already finished")
)
