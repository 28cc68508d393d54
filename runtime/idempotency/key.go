package idempotency

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// JSONKey returns a key function for [Store.Middleware] that takes the key from the raw
// payload at path, a list of object member names: JSONKey("detail", "object", "key") reads
// {"detail":{"object":{"key":…}}}. A string is the key as it is; any other value is the key
// as compact JSON, so a key may be a number or an object of several fields. A missing or
// null value is an error.
func JSONKey(path ...string) func(payload []byte) (string, error) {
	return func(payload []byte) (string, error) {
		raw := json.RawMessage(payload)
		for _, name := range path {
			var obj map[string]json.RawMessage
			if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
				return "", fmt.Errorf("payload at %q is not a JSON object", strings.Join(path, "."))
			}
			v, ok := obj[name]
			if !ok {
				return "", fmt.Errorf("payload has no %q", strings.Join(path, "."))
			}
			raw = v
		}
		if string(bytes.TrimSpace(raw)) == "null" {
			return "", fmt.Errorf("payload has null at %q", strings.Join(path, "."))
		}
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			return s, nil
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err != nil {
			return "", fmt.Errorf("payload at %q: %w", strings.Join(path, "."), err)
		}
		return buf.String(), nil
	}
}
