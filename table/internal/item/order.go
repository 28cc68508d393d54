package item

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/servous/servous/table"
)

// Ord is a sort key value prepared for repeated comparison: strings and binary by bytes,
// numbers by value.
type Ord struct {
	num bool
	s   string
	d   decimal
}

// OrdOf prepares a key attribute value (S, N or B) for comparison.
func OrdOf(av types.AttributeValue) Ord {
	switch av := av.(type) {
	case *types.AttributeValueMemberS:
		return Ord{s: av.Value}
	case *types.AttributeValueMemberB:
		return Ord{s: string(av.Value)}
	case *types.AttributeValueMemberN:
		d, _ := parseNumber(av.Value)
		return Ord{num: true, d: d}
	}
	return Ord{}
}

// OrdOfValue prepares a checked key value for comparison.
func OrdOfValue(v table.Value) Ord {
	if v.Kind() == table.KindNumber {
		d, _ := parseNumber(v.Text())
		return Ord{num: true, d: d}
	}
	return Ord{s: v.Text()}
}

// Cmp compares two Ords of the same key.
func (a Ord) Cmp(b Ord) int {
	if a.num {
		return compareDecimals(a.d, b.d)
	}
	return strings.Compare(a.s, b.s)
}

// String returns the string or binary text, or the canonical number.
func (a Ord) String() string {
	if a.num {
		return a.d.String()
	}
	return a.s
}

// PrefixEnd returns the least string greater than every string with prefix p, and false
// when none exists (p is all 0xff bytes).
func PrefixEnd(p Ord) (Ord, bool) {
	b := []byte(p.s)
	for len(b) > 0 && b[len(b)-1] == 0xff {
		b = b[:len(b)-1]
	}
	if len(b) == 0 {
		return Ord{}, false
	}
	b[len(b)-1]++
	return Ord{s: string(b)}, true
}
