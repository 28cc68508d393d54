package memevents

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/servous/servous/events"
)

var jsonCases = []string{
	``, ` `, `{}`, ` { } `, `[]`, `[ ]`, `{"a":1}`, `{"a" : [1, 2.5e-3, -0, true, false, null, "x"]}`,
	`{"a":1,}`, `{"a":1 "b":2}`, `{,}`, `[1,]`, `[,1]`, `{"a"}`, `{"a`, `{"a":1,"b`, `{"a":}`, `{a:1}`, `{"a":1}}`, `{"a":1}x`,
	`"str"`, `"\"\\\/\b\f\n\r\t\u00e9"`, `"\u00g0"`, `"\x"`, "\"a\x01b\"", "\"\xff\xfe\"", `"abc`, `"\`,
	`0`, `-`, `-0`, `01`, `1.`, `.5`, `1e`, `1e+`, `1E-7`, `-12.34e+56`, `+1`, `1.5.5`,
	`tru`, `true`, `truex`, `nul`, `null`, `falsey`, `[true false]`, `{"a":{"b":{"c":[]}}}`,
	`[[[[[]]]]]`, `[[[[[]]]]`, `{"a":[}`, `[}`, `{]`, "\t\r\n{\"k\"\n:\r\"v\"\t}\n",
	strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth),
	strings.Repeat("[", maxJSONDepth+1) + strings.Repeat("]", maxJSONDepth+1),
	strings.Repeat(`{"a":`, maxJSONDepth) + `1` + strings.Repeat("}", maxJSONDepth),
	strings.Repeat(`{"a":`, maxJSONDepth) + `{}` + strings.Repeat("}", maxJSONDepth),
}

func TestValidJSONAgreesWithEncodingJSON(t *testing.T) {
	for _, c := range jsonCases {
		if got, want := validJSON([]byte(c)), json.Valid([]byte(c)); got != want {
			t.Errorf("validJSON(%.60q) = %v, encoding/json.Valid says %v", c, got, want)
		}
	}
}

func FuzzValidJSON(f *testing.F) {
	for _, c := range jsonCases {
		if len(c) < 1000 {
			f.Add([]byte(c))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := validJSON(b), json.Valid(b); got != want {
			t.Fatalf("validJSON(%q) = %v, encoding/json.Valid says %v", b, got, want)
		}
	})
}

// BenchmarkValidJSON compares validJSON with encoding/json.Valid on an S3
// notification, the payload memevents checks most.
func BenchmarkValidJSON(b *testing.B) {
	e, err := events.NewObjectEvent(events.ObjectEvent{Name: events.ObjectCreatedPut, Bucket: "b", Key: "videos/user-1/clip.mp4", Size: 1})
	if err != nil {
		b.Fatal(err)
	}
	payload := e.Payload
	b.Run("validJSON", func(b *testing.B) {
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			if !validJSON(payload) {
				b.Fatal("invalid")
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			if !json.Valid(payload) {
				b.Fatal("invalid")
			}
		}
	})
}
