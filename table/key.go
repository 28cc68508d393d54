package table

import (
	"encoding/base64"
	"strconv"
	"unsafe"
)

// Kind is the type of a key value, as DynamoDB's key attribute types S, N and B.
type Kind uint8

const (
	// KindNone marks the zero Value: no value.
	KindNone Kind = iota
	// KindString is DynamoDB's S.
	KindString
	// KindNumber is DynamoDB's N.
	KindNumber
	// KindBinary is DynamoDB's B.
	KindBinary
)

// String returns the DynamoDB type letter: "S", "N", "B", or "" for KindNone.
func (k Kind) String() string {
	switch k {
	case KindString:
		return "S"
	case KindNumber:
		return "N"
	case KindBinary:
		return "B"
	}
	return ""
}

// Value is a key value: a string, a number or binary. The zero Value is no value.
// Values are immutable and comparable with ==, except that numbers compare as text.
type Value struct {
	kind Kind
	// text holds the string, the number's decimal text, or the binary bytes.
	text string
}

// String returns a string Value.
func String(s string) Value { return Value{kind: KindString, text: s} }

// Binary returns a binary Value holding a copy of b.
func Binary(b []byte) Value { return Value{kind: KindBinary, text: string(b)} }

// Number returns a number Value.
func Number[N ~int | ~int8 | ~int16 | ~int32 | ~int64 | ~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~float32 | ~float64](n N) Value {
	var one N = 1
	if one/2 != 0 { // a floating-point kind
		bits := 64
		if unsafe.Sizeof(n) == 4 {
			bits = 32
		}
		return Value{kind: KindNumber, text: strconv.FormatFloat(float64(n), 'g', -1, bits)}
	}
	if n < 0 {
		return Value{kind: KindNumber, text: strconv.FormatInt(int64(n), 10)}
	}
	return Value{kind: KindNumber, text: strconv.FormatUint(uint64(n), 10)}
}

// NumberText returns a number Value from its decimal text, as DynamoDB's N carries it
// ("42", "-1.5", "1e3"). Adapters reject text that is not a number with ErrInvalidKey.
func NumberText(s string) Value { return Value{kind: KindNumber, text: s} }

// Kind reports the value's type.
func (v Value) Kind() Kind { return v.kind }

// IsZero reports whether v is the zero Value.
func (v Value) IsZero() bool { return v.kind == KindNone }

// Text returns the string, or the number's decimal text, or the binary bytes as a string.
func (v Value) Text() string { return v.text }

// Bytes returns a copy of the binary bytes, or of the text for other kinds.
func (v Value) Bytes() []byte { return []byte(v.text) }

// Len returns the value's size in bytes as DynamoDB counts it for key limits: UTF-8 bytes of a
// string, bytes of binary, and the text length of a number.
func (v Value) Len() int { return len(v.text) }

// String formats v for messages: strings quoted, numbers as text, binary as base64.
func (v Value) String() string {
	switch v.kind {
	case KindString:
		return strconv.Quote(v.text)
	case KindNumber:
		return v.text
	case KindBinary:
		return "b64:" + base64.StdEncoding.EncodeToString([]byte(v.text))
	}
	return "<none>"
}

// Key addresses one item: a partition key and, in tables with a sort key, a sort key.
type Key struct {
	Partition Value
	Sort      Value
}

// String formats k for messages.
func (k Key) String() string {
	if k.Sort.IsZero() {
		return "(" + k.Partition.String() + ")"
	}
	return "(" + k.Partition.String() + ", " + k.Sort.String() + ")"
}

// Key size limits, in bytes, as DynamoDB has them.
const (
	MaxPartitionKeyLen = 2048
	MaxSortKeyLen      = 1024
)

// ItemSizeLimit is DynamoDB's maximum item size in bytes: 400 KB. An item's size is the sum
// over its attributes of the name's length plus the value's size (strings and binary by
// length, numbers by about half their significant digits plus one, containers with a few
// bytes of overhead).
const ItemSizeLimit = 400 * 1024
