package item

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Raw attribute values given as operands come back with canonical numbers, as DynamoDB
// stores them, and the caller's value is left as it was.
func TestMarshalAttributeValue(t *testing.T) {
	in := &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
		"n":  &types.AttributeValueMemberN{Value: "01.50"},
		"l":  &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberN{Value: "1e2"}}},
		"ns": &types.AttributeValueMemberNS{Value: []string{"-0.0", "2.10"}},
		"s":  &types.AttributeValueMemberS{Value: "x"},
	}}
	before := &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
		"n":  &types.AttributeValueMemberN{Value: "01.50"},
		"l":  &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberN{Value: "1e2"}}},
		"ns": &types.AttributeValueMemberNS{Value: []string{"-0.0", "2.10"}},
		"s":  &types.AttributeValueMemberS{Value: "x"},
	}}
	want := &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
		"n":  &types.AttributeValueMemberN{Value: "1.5"},
		"l":  &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberN{Value: "100"}}},
		"ns": &types.AttributeValueMemberNS{Value: []string{"0", "2.1"}},
		"s":  &types.AttributeValueMemberS{Value: "x"},
	}}
	got, err := Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	opt := cmpopts.IgnoreUnexported(types.AttributeValueMemberM{}, types.AttributeValueMemberN{},
		types.AttributeValueMemberL{}, types.AttributeValueMemberNS{}, types.AttributeValueMemberS{})
	if diff := cmp.Diff(want, got, opt); diff != "" {
		t.Errorf("Marshal (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(before, in, opt); diff != "" {
		t.Errorf("Marshal changed its argument (-before +after):\n%s", diff)
	}
}
