// Package item holds what the table adapters share about DynamoDB items: sizes as DynamoDB
// counts them, key checks, value comparison, condition evaluation, expiry and versions.
package item

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
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
		if !utf8.ValidString(v.Text()) {
			return nil, fmt.Errorf("string is not valid UTF-8: %w", table.ErrInvalidArgument)
		}
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
// types.AttributeValue, or anything attributevalue marshals. Attribute values are checked and
// normalized as marshaled ones are, without changing the caller's value.
func Marshal(v any) (types.AttributeValue, error) {
	switch v := v.(type) {
	case table.Value:
		return ValueOf(v)
	case types.AttributeValue:
		return normalizeValue(v, 1)
	}
	av, err := attributevalue.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("marshal %T: %w: %w", v, table.ErrInvalidArgument, err)
	}
	return normalizeValue(av, 1)
}

// MaxNesting is how many levels deep DynamoDB lets a document go, counting the top-level
// attribute as level 1: a value may sit inside at most 31 maps and lists.
const MaxNesting = 32

// Normalize checks the item as DynamoDB would and rewrites its numbers, at any depth, in
// canonical form, so that the in-memory adapter stores and returns what DynamoDB would. It
// refuses, with an error wrapping table.ErrInvalidArgument, what DynamoDB rejects: invalid
// numbers, strings and names that are not UTF-8, a NULL that is not true, empty sets, sets
// with duplicate members (numbers compared by value), and documents nested deeper than
// MaxNesting.
func Normalize(it Item) error {
	for name, v := range it {
		if !utf8.ValidString(name) {
			return fmt.Errorf("attribute name %q is not valid UTF-8: %w", name, table.ErrInvalidArgument)
		}
		nv, err := normalizeValue(v, 1)
		if err != nil {
			return fmt.Errorf("attribute %q: %w", name, err)
		}
		if nv != v {
			it[name] = nv
		}
	}
	return nil
}

// normalizeValue returns v checked and with canonical numbers; level is v's nesting level.
// It never changes v: a value that needs rewriting is copied.
func normalizeValue(v types.AttributeValue, level int) (types.AttributeValue, error) {
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
		if len(v.Value) == 0 {
			return nil, fmt.Errorf("empty number set: %w", table.ErrInvalidArgument)
		}
		out := make([]string, len(v.Value))
		seen := make(map[string]bool, len(v.Value))
		for i, s := range v.Value {
			n, err := NormalizeNumber(s)
			if err != nil {
				return nil, err
			}
			if seen[n] {
				return nil, fmt.Errorf("number set holds %s twice: %w", n, table.ErrInvalidArgument)
			}
			seen[n] = true
			out[i] = n
		}
		return &types.AttributeValueMemberNS{Value: out}, nil
	case *types.AttributeValueMemberSS:
		if len(v.Value) == 0 {
			return nil, fmt.Errorf("empty string set: %w", table.ErrInvalidArgument)
		}
		seen := make(map[string]bool, len(v.Value))
		for _, s := range v.Value {
			if !utf8.ValidString(s) {
				return nil, fmt.Errorf("string set member %q is not valid UTF-8: %w", s, table.ErrInvalidArgument)
			}
			if seen[s] {
				return nil, fmt.Errorf("string set holds %q twice: %w", s, table.ErrInvalidArgument)
			}
			seen[s] = true
		}
	case *types.AttributeValueMemberBS:
		if len(v.Value) == 0 {
			return nil, fmt.Errorf("empty binary set: %w", table.ErrInvalidArgument)
		}
		seen := make(map[string]bool, len(v.Value))
		for _, b := range v.Value {
			if seen[string(b)] {
				return nil, fmt.Errorf("binary set holds %x twice: %w", b, table.ErrInvalidArgument)
			}
			seen[string(b)] = true
		}
	case *types.AttributeValueMemberL:
		if level >= MaxNesting {
			return nil, errNesting
		}
		var out []types.AttributeValue
		for i, e := range v.Value {
			ne, err := normalizeValue(e, level+1)
			if err != nil {
				return nil, fmt.Errorf("list element %d: %w", i, err)
			}
			if ne != e && out == nil {
				out = slices.Clone(v.Value)
			}
			if out != nil {
				out[i] = ne
			}
		}
		if out != nil {
			return &types.AttributeValueMemberL{Value: out}, nil
		}
	case *types.AttributeValueMemberM:
		if level >= MaxNesting {
			return nil, errNesting
		}
		var out map[string]types.AttributeValue
		for k, e := range v.Value {
			if !utf8.ValidString(k) {
				return nil, fmt.Errorf("map key %q is not valid UTF-8: %w", k, table.ErrInvalidArgument)
			}
			ne, err := normalizeValue(e, level+1)
			if err != nil {
				return nil, fmt.Errorf("map key %q: %w", k, err)
			}
			if ne != e && out == nil {
				out = maps.Clone(v.Value)
			}
			if out != nil {
				out[k] = ne
			}
		}
		if out != nil {
			return &types.AttributeValueMemberM{Value: out}, nil
		}
	case *types.AttributeValueMemberS:
		if !utf8.ValidString(v.Value) {
			return nil, fmt.Errorf("string is not valid UTF-8: %w", table.ErrInvalidArgument)
		}
	case *types.AttributeValueMemberNULL:
		if !v.Value {
			return nil, fmt.Errorf("NULL attribute value must be true: %w", table.ErrInvalidArgument)
		}
	}
	return v, nil
}

var errNesting = fmt.Errorf("document nested deeper than %d levels: %w", MaxNesting, table.ErrInvalidArgument)

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
