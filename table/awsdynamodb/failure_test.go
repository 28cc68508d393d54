package awsdynamodb

import (
	"errors"
	"testing"

	"github.com/aws/smithy-go"
	"github.com/servous/servous/table"
)

// TestFailureValidation maps DynamoDB's ValidationException messages: only those about the
// item's own key are ErrInvalidKey.
func TestFailureValidation(t *testing.T) {
	tb := &Table[struct{}]{name: "t"}
	for _, tc := range []struct {
		msg  string
		want error
	}{
		{"One of the required keys was not given a value", table.ErrInvalidKey},
		{"The provided key element does not match the schema", table.ErrInvalidKey},
		{"One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N", table.ErrInvalidKey},
		{"One or more parameter values were invalid: Missing the key sk in the item", table.ErrInvalidKey},
		{"One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk", table.ErrInvalidKey},
		{"One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes", table.ErrInvalidKey},
		{"One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes", table.ErrInvalidKey},
		{"One or more parameter values were invalid: Cannot update attribute sk. This attribute is part of the key", table.ErrInvalidKey},
		{"Item size has exceeded the maximum allowed size", table.ErrTooLarge},
		{"ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: Null attribute value types must have the value of true for key :0", table.ErrInvalidArgument},
		{"ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: An number set  may not be empty for key :2", table.ErrInvalidArgument},
		{"The provided starting key is invalid: The provided key element does not match the schema", table.ErrInvalidArgument},
		{"The provided starting key does not match the range key predicate", table.ErrInvalidArgument},
		{"The provided starting key is outside query boundaries based on provided conditions", table.ErrInvalidArgument},
		{"Invalid UpdateExpression: Syntax error; token: \"x\"", table.ErrInvalidArgument},
		{"Query key condition not supported", table.ErrInvalidArgument},
	} {
		sdkErr := &smithy.GenericAPIError{Code: "ValidationException", Message: tc.msg}
		err := tb.failure("query", table.Key{}, sdkErr, nil)
		for _, s := range []error{table.ErrInvalidKey, table.ErrInvalidArgument, table.ErrTooLarge} {
			if errors.Is(err, s) != (s == tc.want) {
				t.Errorf("%q: errors.Is(err, %v) = %v", tc.msg, s, errors.Is(err, s))
			}
		}
		var api smithy.APIError
		if !errors.As(err, &api) || api.ErrorMessage() != tc.msg {
			t.Errorf("%q: %v does not reach the SDK error", tc.msg, err)
		}
	}
}
