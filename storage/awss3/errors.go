package awss3

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/servous/servous/storage"
)

// wrap returns err as an awss3 error wrapping the sentinel its S3 error code or HTTP status
// maps to, and err itself.
func wrap(op, key string, err error) error {
	if s := sentinel(err); s != nil {
		return fmt.Errorf("awss3: %s %q: %w: %w", op, key, s, err)
	}
	return fmt.Errorf("awss3: %s %q: %w", op, key, err)
}

func sentinel(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchKey", "NotFound", "NoSuchBucket":
			return storage.ErrNotFound
		case "PreconditionFailed", "ConditionalRequestConflict":
			return storage.ErrPreconditionFailed
		case "AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId", "ExpiredToken", "InvalidToken":
			return storage.ErrAccessDenied
		case "EntityTooLarge":
			return storage.ErrTooLarge
		case "InvalidRange":
			return storage.ErrInvalidRange
		case "KeyTooLongError":
			return storage.ErrInvalidKey
		case "InvalidRequest", "InvalidArgument":
			// Among others, a copy of an object onto itself that changes nothing.
			return storage.ErrInvalidArgument
		}
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		switch re.HTTPStatusCode() {
		case http.StatusNotFound:
			return storage.ErrNotFound
		case http.StatusPreconditionFailed, http.StatusConflict:
			return storage.ErrPreconditionFailed
		case http.StatusForbidden:
			return storage.ErrAccessDenied
		case http.StatusRequestedRangeNotSatisfiable:
			return storage.ErrInvalidRange
		}
	}
	return nil
}
