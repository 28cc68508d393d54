package storage

import (
	"errors"
)

var (
	// ErrNotFound means no object has the key.
	ErrNotFound = errors.New("storage: not found")
	// ErrPreconditionFailed means a condition of the request (IfAbsent, IfMatch) does not hold.
	ErrPreconditionFailed = errors.New("storage: precondition failed")
	// ErrInvalidKey means the key is empty, longer than MaxKeyLength bytes or not valid UTF-8.
	ErrInvalidKey = errors.New("storage: invalid key")
	// ErrAccessDenied means the credentials in use may not do the request.
	ErrAccessDenied = errors.New("storage: access denied")
	// ErrTooLarge means the object is larger than the store or the signed form allows.
	ErrTooLarge = errors.New("storage: too large")
	// ErrInvalidRange means a byte range starts at or past the end of the object.
	ErrInvalidRange = errors.New("storage: invalid range")
	// ErrInvalidArgument means an option is out of its allowed range, such as a signed URL
	// expiring after more than MaxSignExpiry.
	ErrInvalidArgument = errors.New("storage: invalid argument")
)

// MaxKeyLength is the longest key in bytes, S3's limit.
const MaxKeyLength = 1024
