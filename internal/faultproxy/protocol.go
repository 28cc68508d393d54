package faultproxy

import (
	"fmt"
	"net/http"
)

// Protocol is the wire format of a service's errors.
type Protocol int

// The services the proxy speaks for.
const (
	// S3 answers errors as S3's XML error document: 503 SlowDown, 500 InternalError.
	S3 Protocol = iota + 1
	// DynamoDB answers in JSON 1.0 with __type: 400 ProvisionedThroughputExceededException
	// or ThrottlingException, 500 InternalServerError.
	DynamoDB
	// CognitoIdentity answers in JSON 1.1 with __type: 400 TooManyRequestsException, 500
	// InternalErrorException.
	CognitoIdentity
	// MediaConvert answers in REST-JSON, the code in X-Amzn-ErrorType: 429
	// TooManyRequestsException, 500 InternalServerErrorException.
	MediaConvert
)

// writeError answers with the service's throttling error (throttle) or its 500. extra picks
// among the service's throttling errors where it has several.
func (p Protocol) writeError(w http.ResponseWriter, throttle bool, extra uint32) {
	requestID := fmt.Sprintf("FAULT%011X", extra)
	switch p {
	case S3:
		status, code, msg := http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate."
		if !throttle {
			status, code, msg = http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again."
		}
		w.Header().Set("X-Amz-Request-Id", requestID)
		body := fmt.Sprintf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>%s</Message><RequestId>%s</RequestId><HostId>faultproxy</HostId></Error>", code, msg, requestID)
		writeErrorBody(w, status, "application/xml", []byte(body))
	case DynamoDB:
		status, typ, msg := http.StatusBadRequest, "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException", "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API."
		if throttle && extra&1 == 1 {
			typ, msg = "com.amazon.coral.availability#ThrottlingException", "Rate of requests exceeds the allowed throughput."
		}
		if !throttle {
			status, typ, msg = http.StatusInternalServerError, "com.amazonaws.dynamodb.v20120810#InternalServerError", "Internal server error"
		}
		w.Header().Set("X-Amzn-Requestid", requestID)
		writeErrorBody(w, status, "application/x-amz-json-1.0", fmt.Appendf(nil, `{"__type":%q,"message":%q}`, typ, msg))
	case CognitoIdentity:
		status, typ, msg := http.StatusBadRequest, "TooManyRequestsException", "Rate exceeded"
		if !throttle {
			status, typ, msg = http.StatusInternalServerError, "InternalErrorException", "An internal error occurred."
		}
		w.Header().Set("X-Amzn-Requestid", requestID)
		writeErrorBody(w, status, "application/x-amz-json-1.1", fmt.Appendf(nil, `{"__type":%q,"message":%q}`, typ, msg))
	case MediaConvert:
		status, typ, msg := http.StatusTooManyRequests, "TooManyRequestsException", "Too Many Requests"
		if !throttle {
			status, typ, msg = http.StatusInternalServerError, "InternalServerErrorException", "Internal Server Error"
		}
		w.Header().Set("X-Amzn-Requestid", requestID)
		w.Header().Set("X-Amzn-Errortype", typ)
		writeErrorBody(w, status, "application/json", fmt.Appendf(nil, `{"message":%q}`, msg))
	default:
		http.Error(w, "faultproxy: unknown protocol", http.StatusInternalServerError)
	}
}
