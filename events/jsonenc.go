package events

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"github.com/servous/servous/internal/jsonstr"
)

// marshal encodes v as compact JSON without HTML escaping: AWS writes "<",
// ">" and "&" as they are, and so must we to match its payloads byte for byte.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}

// appendField appends `"name":` after a comma unless it opens the object.
func appendField(b []byte, name string) []byte {
	if n := len(b); n > 0 && b[n-1] != '{' {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, name...)
	return append(b, '"', ':')
}

func appendStringField(b []byte, name, value string) []byte {
	return jsonstr.Append(appendField(b, name), value)
}

func appendIntField(b []byte, name string, v int64) []byte {
	return strconv.AppendInt(appendField(b, name), v, 10)
}

// s3TimeLayout is the time format of S3 notifications: UTC, milliseconds.
const s3TimeLayout = "2006-01-02T15:04:05.000Z"

func appendS3Time(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, s3TimeLayout)
	return append(b, '"')
}
