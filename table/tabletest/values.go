package tabletest

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
	"github.com/servous/servous/table"
)

// nested wraps a string in depth maps: nested(1) is {"m": "leaf"}.
func nested(depth int) types.AttributeValue {
	var v types.AttributeValue = &types.AttributeValueMemberS{Value: "leaf"}
	for range depth {
		v = &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"m": v}}
	}
	return v
}

// testValues checks that values DynamoDB rejects are refused with ErrInvalidArgument
// wherever they appear — in items, update operands and condition operands, marshaled or
// given as attribute values — and that nothing is written.
func (s *suite) testValues(t *testing.T) {
	tb := s.newTable(t, Plain)
	ctx := t.Context()
	mustPut(t, tb, Item{PK: "p", SK: "s", Note: "keep", Count: 3})
	ss := func(v ...string) types.AttributeValue { return &types.AttributeValueMemberSS{Value: v} }
	ns := func(v ...string) types.AttributeValue { return &types.AttributeValueMemberNS{Value: v} }
	bs := func(v ...[]byte) types.AttributeValue { return &types.AttributeValueMemberBS{Value: v} }
	n := func(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }
	str := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	list := func(v ...types.AttributeValue) types.AttributeValue { return &types.AttributeValueMemberL{Value: v} }
	doc := func(k string, v types.AttributeValue) types.AttributeValue {
		return &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{k: v}}
	}
	bad := []struct {
		name  string
		value any
	}{
		{"a string set with a duplicate", ss("a", "b", "a")},
		{"a number set with numerically equal members", ns("1", "1.0")},
		{"a binary set with a duplicate", bs([]byte("x"), []byte("x"))},
		{"an empty string set", ss()},
		{"an empty number set", ns()},
		{"an empty binary set", bs()},
		{"an empty set in a list", list(str("a"), ns())},
		{"a duplicate in a set in a map", doc("k", ss("a", "a"))},
		{"a marshaled set with a duplicate", stringSet{"a", "a"}},
		{"a string set member that is not UTF-8", ss("ok", "\xff")},
		{"a map key that is not UTF-8", doc("\xff", str("v"))},
		{"a string that is not UTF-8", str("bad \xfe")},
		{"a string Value that is not UTF-8", table.String("bad \xfe")},
		{"a number that is not a number", n("abc")},
		{"a number beyond DynamoDB's range", n("1e200")},
		{"an invalid number in a list", list(n("1"), n("1..2"))},
		{"a NULL that is not true", &types.AttributeValueMemberNULL{}},
		{"a document nested 32 levels", nested(32)},
		{"a list nested 32 levels", list(nested(31))},
	}
	for _, tc := range bad {
		_, err := tb.Update(ctx, key("p", "s"), []table.Change{table.Set("extra", tc.value)}, nil)
		wantErr(t, "Update setting "+tc.name, err, table.ErrInvalidArgument)
		err = tb.Put(ctx, &Item{PK: "p", SK: "s"}, &table.PutOptions{If: table.Equal("extra", tc.value)})
		wantErr(t, "Put on condition equal to "+tc.name, err, table.ErrInvalidArgument)
		err = tb.Delete(ctx, key("p", "s"), &table.DeleteOptions{If: table.NotEqual("extra", tc.value)})
		wantErr(t, "Delete on condition not equal to "+tc.name, err, table.ErrInvalidArgument)
	}
	for _, tc := range []struct {
		name string
		it   Item
	}{
		{"a string set with a duplicate", Item{PK: "p", SK: "s", Tags: []string{"a", "a"}}},
		{"a string set member that is not UTF-8", Item{PK: "p", SK: "s", Tags: []string{"\xff"}}},
	} {
		wantErr(t, "Put of "+tc.name, tb.Put(ctx, &tc.it, nil), table.ErrInvalidArgument)
		wantErr(t, "Create of "+tc.name, tb.Create(ctx, &Item{PK: "p", SK: "new", Tags: tc.it.Tags}), table.ErrInvalidArgument)
		wantErr(t, "BatchWrite of "+tc.name, tb.BatchWrite(ctx, []Item{tc.it}, nil), table.ErrInvalidArgument)
	}
	for _, name := range []string{"\xff", "a\xc0"} {
		_, err := tb.Update(ctx, key("p", "s"), []table.Change{table.Set(name, 1)}, nil)
		wantErr(t, fmt.Sprintf("Update of attribute %q", name), err, table.ErrInvalidArgument)
		err = tb.Delete(ctx, key("p", "s"), &table.DeleteOptions{If: table.Exists(name)})
		wantErr(t, fmt.Sprintf("Delete on condition naming %q", name), err, table.ErrInvalidArgument)
	}
	if got := mustGet(t, tb, key("p", "s")); got.Note != "keep" || got.Count != 3 || got.Tags != nil {
		t.Errorf("refused writes changed the item: %+v", got)
	}
	wantAbsent(t, tb, key("p", "new"))

	// What DynamoDB accepts: 31 maps deep, numbers in any valid form, distinct set members.
	for _, tc := range []struct {
		name  string
		value any
	}{
		{"a document nested 31 levels", nested(31)},
		{"a list nested 31 levels", list(nested(30))},
		{"a number set of distinct numbers", ns("1", "1.5", "-1")},
	} {
		if _, err := tb.Update(ctx, key("p", "s"), []table.Change{table.Set("extra", tc.value)}, nil); err != nil {
			t.Errorf("Update setting %s: %v", tc.name, err)
		}
		if err := tb.Delete(ctx, key("p", "gone"), &table.DeleteOptions{If: table.NotEqual("extra", tc.value)}); err != nil {
			t.Errorf("Delete on condition not equal to %s: %v", tc.name, err)
		}
	}
	got, err := tb.Update(ctx, key("p", "s"), []table.Change{table.Set("count", n("0012.000")), table.Add("n", n("01.50"))},
		&table.UpdateOptions{If: table.Equal("count", n("3.0"))})
	if err != nil {
		t.Fatalf("Update with numbers in non-canonical form: %v", err)
	}
	want := Item{PK: "p", SK: "s", Note: "keep", Count: 12, N: ptr(1.5)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Update with numbers in non-canonical form (-want +got):\n%s", diff)
	}
	_, err = tb.Update(ctx, key("p", "s"), []table.Change{table.Set("note", "x")}, &table.UpdateOptions{If: table.Equal("count", n("12e0"))})
	if err != nil {
		t.Errorf("Update on condition equal to 12e0: %v", err)
	}
}
