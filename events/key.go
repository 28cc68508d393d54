package events

import (
	"fmt"
	"net/url"
	"strings"
)

// EncodeObjectKey encodes an object key as S3 writes it into event
// notifications: form-URL-encoding ("red flower.jpg" becomes
// "red+flower.jpg", "a=b" becomes "a%3Db") that leaves letters, digits,
// "-", "_", ".", "*" and the path separator "/" as they are.
func EncodeObjectKey(key string) string {
	n := 0
	for i := 0; i < len(key); i++ {
		if !keepInKey(key[i]) && key[i] != ' ' {
			n++
		}
	}
	if n == 0 && !strings.Contains(key, " ") {
		return key
	}
	b := make([]byte, 0, len(key)+2*n)
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case keepInKey(c):
			b = append(b, c)
		case c == ' ':
			b = append(b, '+')
		default:
			b = append(b, '%', "0123456789ABCDEF"[c>>4], "0123456789ABCDEF"[c&0xf])
		}
	}
	return string(b)
}

func keepInKey(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '*' || c == '/'
}

// DecodeObjectKey decodes a key from an S3 notification: "+" is a space and
// "%XX" a byte. The result wraps ErrMalformed if an escape is invalid.
func DecodeObjectKey(encoded string) (string, error) {
	if !strings.ContainsAny(encoded, "+%") {
		return encoded, nil
	}
	key, err := url.QueryUnescape(encoded)
	if err != nil {
		return "", fmt.Errorf("events: object key %q: %w: %w", encoded, ErrMalformed, err)
	}
	return key, nil
}

// CompareSequencers compares two S3 sequencers of events on the same key and
// returns -1, 0 or +1 as a happened before, with, or after b. Sequencers
// differ in length; as S3 documents, the shorter is left-padded with zeros and
// the two compared as strings.
func CompareSequencers(a, b string) int {
	a, b = strings.ToUpper(a), strings.ToUpper(b)
	if len(a) < len(b) {
		a = strings.Repeat("0", len(b)-len(a)) + a
	} else if len(b) < len(a) {
		b = strings.Repeat("0", len(a)-len(b)) + b
	}
	return strings.Compare(a, b)
}
