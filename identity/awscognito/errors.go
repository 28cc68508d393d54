package awscognito

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"

	"github.com/servous/servous/identity"
)

// mapError wraps err, the error of a call made with ctx, with the identity
// sentinel it means, keeping err in the chain for errors.As. A call that
// ended because ctx did is the caller's doing, not the service's: it wraps
// the context's error alone.
func mapError(ctx context.Context, op string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
		return fmt.Errorf("awscognito: %s: %w", op, err)
	}
	return fmt.Errorf("awscognito: %s: %w: %w", op, sentinel(err), err)
}

// sentinel returns the identity sentinel for an error of the Cognito
// client: by the error code when the service answered with one it
// documents or one common to AWS services, else by the HTTP status.
func sentinel(err error) error {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch code := apiErr.ErrorCode(); code {
		case "NotAuthorizedException":
			// Cognito reports an untrusted provider as not authorized;
			// its message is the only thing that tells the two apart.
			if strings.Contains(apiErr.ErrorMessage(), "not from a supported provider") {
				return identity.ErrUnknownProvider
			}
			return identity.ErrNotAuthorized
		case "ResourceConflictException":
			return identity.ErrNotAuthorized
		case "ResourceNotFoundException", "InvalidParameterException", "InvalidIdentityPoolConfigurationException",
			// The caller's IAM policies, account or client setup are
			// wrong; retrying will not help.
			"AccessDeniedException", "AccessDenied", "UnrecognizedClientException",
			"InvalidClientTokenId", "IncompleteSignature", "InvalidSignatureException",
			"MissingAuthenticationToken", "MissingAuthenticationTokenException",
			"ValidationException", "SerializationException", "UnknownOperationException":
			return identity.ErrMisconfigured
		case "InternalErrorException", "ExternalServiceException",
			"ServiceUnavailable", "ServiceUnavailableException", "InternalFailure",
			"InternalServerError", "InternalServerException",
			"RequestTimeout", "RequestTimeoutException":
			return identity.ErrUnavailable
		default:
			if _, ok := retry.DefaultThrottleErrorCodes[code]; ok {
				return identity.ErrThrottled
			}
		}
	}
	// An HTTP status is there whenever a response arrived, also when its
	// body was not the service's JSON (a proxy's error page).
	var resp interface{ HTTPStatusCode() int }
	status := 0
	if errors.As(err, &resp) {
		status = resp.HTTPStatusCode()
	}
	switch {
	case status == http.StatusTooManyRequests:
		return identity.ErrThrottled
	case status >= 500:
		return identity.ErrUnavailable
	case status >= 400 && apiErr != nil:
		// The service refused the request with a code this package does
		// not know: the request, not the service, is at fault.
		return identity.ErrMisconfigured
	}
	// No response at all (the endpoint is unreachable, the connection
	// broke), a body that is not the service's JSON, or a call that timed
	// out: the service could not be reached as it should have been.
	return identity.ErrUnavailable
}
