package memevents

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
)

// Record returns the failure as Lambda writes it to an on-failure
// destination (an SQS queue, SNS topic, bus or function): the request
// context, the event as requestPayload and, when the function ran, its error
// as responsePayload.
func (f Failure) Record() []byte {
	type requestContext struct {
		RequestID              string `json:"requestId"`
		FunctionARN            string `json:"functionArn"`
		Condition              string `json:"condition"`
		ApproximateInvokeCount int    `json:"approximateInvokeCount"`
	}
	type responseContext struct {
		StatusCode      int    `json:"statusCode"`
		ExecutedVersion string `json:"executedVersion"`
		FunctionError   string `json:"functionError"`
	}
	type errorPayload struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}
	rec := struct {
		Version         string           `json:"version"`
		Timestamp       string           `json:"timestamp"`
		RequestContext  requestContext   `json:"requestContext"`
		RequestPayload  json.RawMessage  `json:"requestPayload"`
		ResponseContext *responseContext `json:"responseContext,omitempty"`
		ResponsePayload *errorPayload    `json:"responsePayload,omitempty"`
	}{
		Version:   "1.0",
		Timestamp: f.Time.UTC().Format("2006-01-02T15:04:05.000Z"),
		RequestContext: requestContext{
			RequestID:              f.RequestID,
			FunctionARN:            f.FunctionARN + ":$LATEST",
			Condition:              f.Condition,
			ApproximateInvokeCount: f.Attempts,
		},
		RequestPayload: f.Event.Payload,
	}
	if !json.Valid(rec.RequestPayload) {
		rec.RequestPayload = json.RawMessage("null")
	}
	if f.Err != nil {
		rec.ResponseContext = &responseContext{StatusCode: 200, ExecutedVersion: "$LATEST", FunctionError: "Unhandled"}
		rec.ResponsePayload = &errorPayload{ErrorMessage: f.Err.Error(), ErrorType: errorType(f.Err)}
	}
	b, err := json.Marshal(rec)
	if err != nil {
		// Every field marshals; this cannot happen.
		panic(err)
	}
	return b
}

// errorType names an error's type as aws-lambda-go reports it: the type
// name without package or pointer, unwrapping fmt.Errorf's wrappers.
func errorType(err error) string {
	for {
		t := reflect.TypeOf(err)
		name := strings.TrimPrefix(t.String(), "*")
		if i := strings.LastIndex(name, "."); i >= 0 {
			name = name[i+1:]
		}
		next := errors.Unwrap(err)
		if (name != "wrapError" && name != "wrapErrors") || next == nil {
			return name
		}
		err = next
	}
}
