package jsonstr_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/servous/servous/internal/jsonstr"
)

// want is encoding/json's encoding of s without HTML escaping, which is what AWS writes but for
// U+2028 and U+2029, which encoding/json always escapes and Append does not (TestLineSeparators).
func want(t testing.TB, s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

var cases = []string{
	"", "plain", `quote " and \ backslash`, "tab\tnew\nline\rret", "\x00\x01\x1f\x7f",
	"<html> & friends", "кот.mp4", "𝄞 astral", "bad \xff\xfe utf-8", "cut \xe2\x82", "\xe2\x80",
}

func TestLineSeparators(t *testing.T) {
	if got, w := string(jsonstr.Append(nil, "a\u2028b\u2029c")), "\"a\u2028b\u2029c\""; got != w {
		t.Errorf("Append wrote %q, want %q", got, w)
	}
}

func TestAppendMatchesEncodingJSON(t *testing.T) {
	for _, s := range cases {
		w := want(t, s)
		if got := string(jsonstr.Append(nil, s)); got != w {
			t.Errorf("Append(%q) = %s, want %s", s, got, w)
		}
		if got := string(jsonstr.Append([]byte("x"), []byte(s))); got != "x"+w {
			t.Errorf("Append([]byte(%q)) = %s, want x%s", s, got, w)
		}
		if got := string(jsonstr.AppendContent(nil, s)); got != w[1:len(w)-1] {
			t.Errorf("AppendContent(%q) = %s, want %s", s, got, w[1:len(w)-1])
		}
	}
}

// FuzzAppend holds Append to a string that decodes to what encoding/json's encoding of the same
// input decodes to. The bytes may differ where encoding/json chooses another escape (\b, \f,
// U+2028 and U+2029).
func FuzzAppend(f *testing.F) {
	for _, s := range cases {
		f.Add(s)
	}
	f.Add("\b\f\u2028")
	f.Fuzz(func(t *testing.T, s string) {
		got := jsonstr.Append(nil, []byte(s))
		if !utf8.Valid(got) {
			t.Fatalf("Append(%q) = %q is not UTF-8", s, got)
		}
		var g, w string
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("Append(%q) = %s: %v", s, got, err)
		}
		if err := json.Unmarshal([]byte(want(t, s)), &w); err != nil {
			t.Fatal(err)
		}
		if g != w {
			t.Fatalf("Append(%q) = %s decodes to %q, want %q", s, got, g, w)
		}
	})
}
