// Package item holds what the table adapters share about DynamoDB items: sizes as DynamoDB
// counts them, key checks, value comparison, condition evaluation, expiry and versions.
package item

import (
	"bytes"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/servous/servous/table"
)

// Item is an item as DynamoDB sees it.
type Item = map[string]types.AttributeValue

// Size returns the item's size as DynamoDB counts it against the 400 KB limit: for each
// attribute, the UTF-8 length of its name plus the size of its value.
func Size(it Item) int {
	n := 0
	for name, v := range it {
		n += len(name) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		d, _ := parseNumber(v.Value)
		return d.size()
	case *types.AttributeValueMemberSS:
		n := 0
		for _, s := range v.Value {
			n += len(s)
		}
		return n
	case *types.AttributeValueMemberBS:
		n := 0
		for _, b := range v.Value {
			n += len(b)
		}
		return n
	case *types.AttributeValueMemberNS:
		n := 0
		for _, s := range v.Value {
			d, _ := parseNumber(s)
			n += d.size()
		}
		return n
	case *types.AttributeValueMemberNULL, *types.AttributeValueMemberBOOL:
		return 1
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += 1 + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberM:
		return 3 + len(v.Value) + Size(v.Value)
	}
	return 0
}

// CheckSize returns the item's size, and an error wrapping table.ErrTooLarge when it
// exceeds 400 KB.
func CheckSize(it Item) (int, error) {
	n := Size(it)
	if n > table.ItemSizeLimit {
		return n, fmt.Errorf("item of %d bytes exceeds %d: %w", n, table.ItemSizeLimit, table.ErrTooLarge)
	}
	return n, nil
}

// ValueOf converts a key value to an attribute value, normalizing numbers.
func ValueOf(v table.Value) (types.AttributeValue, error) {
	switch v.Kind() {
	case table.KindString:
		return &types.AttributeValueMemberS{Value: v.Text()}, nil
	case table.KindNumber:
		n, err := NormalizeNumber(v.Text())
		if err != nil {
			return nil, err
		}
		return &types.AttributeValueMemberN{Value: n}, nil
	case table.KindBinary:
		return &types.AttributeValueMemberB{Value: v.Bytes()}, nil
	}
	return nil, fmt.Errorf("no value: %w", table.ErrInvalidArgument)
}

// KeyValue converts an attribute value of a key to a table.Value.
func KeyValue(av types.AttributeValue) (table.Value, bool) {
	switch av := av.(type) {
	case *types.AttributeValueMemberS:
		return table.String(av.Value), true
	case *types.AttributeValueMemberN:
		return table.NumberText(av.Value), true
	case *types.AttributeValueMemberB:
		return table.Binary(av.Value), true
	}
	return table.Value{}, false
}

// Marshal converts an operand of a condition or update: a table.Value, a
// types.AttributeValue, or anything attributevalue marshals.
func Marshal(v any) (types.AttributeValue, error) {
	switch v := v.(type) {
	case table.Value:
		return ValueOf(v)
	case types.AttributeValue:
		return v, nil
	}
	av, err := attributevalue.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("marshal %T: %w: %w", v, table.ErrInvalidArgument, err)
	}
	return normalizeValue(av)
}

// Normalize rewrites the item's numbers, at any depth, in canonical form, so that the
// in-memory adapter stores and returns what DynamoDB would. It reports numbers DynamoDB
// would reject.
func Normalize(it Item) error {
	for name, v := range it {
		nv, err := normalizeValue(v)
		if err != nil {
			return fmt.Errorf("attribute %q: %w", name, err)
		}
		it[name] = nv
	}
	return nil
}

func normalizeValue(v types.AttributeValue) (types.AttributeValue, error) {
	switch v := v.(type) {
	case *types.AttributeValueMemberN:
		s, err := NormalizeNumber(v.Value)
		if err != nil {
			return nil, err
		}
		if s == v.Value {
			return v, nil
		}
		return &types.AttributeValueMemberN{Value: s}, nil
	case *types.AttributeValueMemberNS:
		out := make([]string, len(v.Value))
		for i, s := range v.Value {
			n, err := NormalizeNumber(s)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return &types.AttributeValueMemberNS{Value: out}, nil
	case *types.AttributeValueMemberL:
		for i, e := range v.Value {
			ne, err := normalizeValue(e)
			if err != nil {
				return nil, err
			}
			v.Value[i] = ne
		}
	case *types.AttributeValueMemberM:
		if err := Normalize(v.Value); err != nil {
			return nil, err
		}
	case *types.AttributeValueMemberS:
		if !utf8.ValidString(v.Value) {
			return nil, fmt.Errorf("string is not valid UTF-8: %w", table.ErrInvalidArgument)
		}
	}
	return v, nil
}

// Compare compares two scalar attribute values of the same type (N, S or B), as
// DynamoDB orders them; ok is false when they cannot be compared.
func Compare(a, b types.AttributeValue) (c int, ok bool) {
	switch a := a.(type) {
	case *types.AttributeValueMemberS:
		if b, isS := b.(*types.AttributeValueMemberS); isS {
			return compareStrings(a.Value, b.Value), true
		}
	case *types.AttributeValueMemberN:
		if b, isN := b.(*types.AttributeValueMemberN); isN {
			return CompareNumbers(a.Value, b.Value), true
		}
	case *types.AttributeValueMemberB:
		if b, isB := b.(*types.AttributeValueMemberB); isB {
			return bytes.Compare(a.Value, b.Value), true
		}
	}
	return 0, false
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Equal reports whether a and b are the same value of the same type; sets compare
// regardless of order, as DynamoDB compares them.
func Equal(a, b types.AttributeValue) bool {
	switch a := a.(type) {
	case *types.AttributeValueMemberS, *types.AttributeValueMemberN, *types.AttributeValueMemberB:
		c, ok := Compare(a, b)
		return ok && c == 0
	case *types.AttributeValueMemberBOOL:
		b, ok := b.(*types.AttributeValueMemberBOOL)
		return ok && a.Value == b.Value
	case *types.AttributeValueMemberNULL:
		_, ok := b.(*types.AttributeValueMemberNULL)
		return ok
	case *types.AttributeValueMemberSS:
		b, ok := b.(*types.AttributeValueMemberSS)
		return ok && sameSet(a.Value, b.Value, func(s string) string { return s })
	case *types.AttributeValueMemberBS:
		b, ok := b.(*types.AttributeValueMemberBS)
		return ok && sameSet(a.Value, b.Value, func(s []byte) string { return string(s) })
	case *types.AttributeValueMemberNS:
		b, ok := b.(*types.AttributeValueMemberNS)
		norm := func(s string) string { n, _ := NormalizeNumber(s); return n }
		return ok && sameSet(a.Value, b.Value, norm)
	case *types.AttributeValueMemberL:
		b, ok := b.(*types.AttributeValueMemberL)
		if !ok || len(a.Value) != len(b.Value) {
			return false
		}
		for i := range a.Value {
			if !Equal(a.Value[i], b.Value[i]) {
				return false
			}
		}
		return true
	case *types.AttributeValueMemberM:
		b, ok := b.(*types.AttributeValueMemberM)
		if !ok || len(a.Value) != len(b.Value) {
			return false
		}
		for k, av := range a.Value {
			bv, ok := b.Value[k]
			if !ok || !Equal(av, bv) {
				return false
			}
		}
		return true
	}
	return false
}

func sameSet[E any](a, b []E, key func(E) string) bool {
	m := make(map[string]bool, len(a))
	for _, e := range a {
		m[key(e)] = true
	}
	n := make(map[string]bool, len(b))
	for _, e := range b {
		if !m[key(e)] {
			return false
		}
		n[key(e)] = true
	}
	return len(m) == len(n)
}

// Expired reports whether the item's expiry attribute holds a positive number of epoch
// seconds not after now.
func Expired(it Item, attr string, now int64) bool {
	if attr == "" || it == nil {
		return false
	}
	n, ok := it[attr].(*types.AttributeValueMemberN)
	if !ok {
		return false
	}
	d, err := parseNumber(n.Value)
	if err != nil || d.neg || d.digits == "0" {
		return false
	}
	t, _ := parseNumber(strconv.FormatInt(now, 10))
	return compareDecimals(d, t) <= 0
}

// Version returns the item's version: zero when the attribute is absent or not a number.
func Version(it Item, attr string) (int64, error) {
	n, ok := it[attr].(*types.AttributeValueMemberN)
	if !ok {
		if _, present := it[attr]; present {
			return 0, fmt.Errorf("version attribute %q is not a number: %w", attr, table.ErrInvalidArgument)
		}
		return 0, nil
	}
	v, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("version attribute %q = %s: %w", attr, n.Value, table.ErrInvalidArgument)
	}
	return v, nil
}

// SetVersion stores v in the version attribute.
func SetVersion(it Item, attr string, v int64) {
	it[attr] = &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}
