package httpfn

import (
	"encoding/base64"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/servous/servous/internal/jsonstr"
)

// streamContentType is the content type of a streamed HTTP response: a JSON prelude with the
// status, headers and cookies, eight NUL bytes, then the body.
const streamContentType = "application/vnd.awslambda.http-integration-response"

// preludeSeparator ends the prelude of a streamed HTTP response.
var preludeSeparator = []byte{0, 0, 0, 0, 0, 0, 0, 0}

// encode writes the response payload the event's source expects. The JSON is built by hand: a
// body of megabytes is base64-encoded straight into the payload, with no copy through
// encoding/json.
func (f *function) encode(ev *event, status int, h http.Header, body []byte) []byte {
	b64 := len(body) > 0 && (f.binary(h.Get("Content-Type")) || !utf8.Valid(body))
	size := 256 + 64*len(h)
	if b64 {
		size += base64.StdEncoding.EncodedLen(len(body))
	} else {
		size += len(body) + len(body)/8
	}
	out := make([]byte, 0, size)
	out = append(out, `{"statusCode":`...)
	out = strconv.AppendInt(out, int64(status), 10)
	switch {
	case ev.source == FunctionURL || ev.source == HTTPAPI:
		out = appendV2Headers(out, h)
	case ev.source == ALB:
		out = append(out, `,"statusDescription":`...)
		out = jsonstr.Append(out, strconv.Itoa(status)+" "+http.StatusText(status))
		if ev.multiValue {
			out = appendMultiHeaders(out, h)
		} else {
			out = appendSingleHeaders(out, h)
		}
	default:
		out = appendMultiHeaders(out, h)
	}
	out = append(out, `,"body":"`...)
	if b64 {
		out = base64.StdEncoding.AppendEncode(out, body)
		out = append(out, `","isBase64Encoded":true}`...)
	} else {
		out = jsonstr.AppendContent(out, body)
		out = append(out, `","isBase64Encoded":false}`...)
	}
	return out
}

// encodedLen is a lower bound of the size of the payload encode writes for a body of n bytes:
// enough to refuse a body that cannot fit before encoding it.
func (f *function) encodedLen(h http.Header, n int) int {
	if n > 0 && f.binary(h.Get("Content-Type")) {
		return base64.StdEncoding.EncodedLen(n)
	}
	return n
}

// appendPrelude writes a streamed response: its prelude, the separator, and body.
func appendPrelude(out []byte, status int, h http.Header, body []byte) []byte {
	out = append(out, `{"statusCode":`...)
	out = strconv.AppendInt(out, int64(status), 10)
	out = appendV2Headers(out, h)
	out = append(out, '}')
	out = append(out, preludeSeparator...)
	return append(out, body...)
}

func sortedKeys(h http.Header) []string { return slices.Sorted(maps.Keys(h)) }

// appendV2Headers writes payload format 2.0's headers, several values joined by commas, and
// its cookies: one Set-Cookie header each.
func appendV2Headers(out []byte, h http.Header) []byte {
	out = append(out, `,"headers":{`...)
	first := true
	for _, k := range sortedKeys(h) {
		if k == "Set-Cookie" || len(h[k]) == 0 {
			continue
		}
		if !first {
			out = append(out, ',')
		}
		first = false
		out = jsonstr.Append(out, k)
		out = append(out, ':')
		out = jsonstr.Append(out, strings.Join(h[k], ","))
	}
	out = append(out, '}')
	if cookies := h["Set-Cookie"]; len(cookies) > 0 {
		out = append(out, `,"cookies":[`...)
		for i, c := range cookies {
			if i > 0 {
				out = append(out, ',')
			}
			out = jsonstr.Append(out, c)
		}
		out = append(out, ']')
	}
	return out
}

// appendMultiHeaders writes payload format 1.0's multiValueHeaders.
func appendMultiHeaders(out []byte, h http.Header) []byte {
	out = append(out, `,"multiValueHeaders":{`...)
	first := true
	for _, k := range sortedKeys(h) {
		if len(h[k]) == 0 {
			continue
		}
		if !first {
			out = append(out, ',')
		}
		first = false
		out = jsonstr.Append(out, k)
		out = append(out, ":["...)
		for i, v := range h[k] {
			if i > 0 {
				out = append(out, ',')
			}
			out = jsonstr.Append(out, v)
		}
		out = append(out, ']')
	}
	return append(out, '}')
}

// appendSingleHeaders writes the headers of an ALB target group without multi-value headers:
// several values joined by commas, except Set-Cookie, which cannot be joined and of which the
// last is kept.
func appendSingleHeaders(out []byte, h http.Header) []byte {
	out = append(out, `,"headers":{`...)
	first := true
	for _, k := range sortedKeys(h) {
		vs := h[k]
		if len(vs) == 0 {
			continue
		}
		if !first {
			out = append(out, ',')
		}
		first = false
		out = jsonstr.Append(out, k)
		out = append(out, ':')
		if k == "Set-Cookie" {
			out = jsonstr.Append(out, vs[len(vs)-1])
		} else {
			out = jsonstr.Append(out, strings.Join(vs, ","))
		}
	}
	return append(out, '}')
}
