package idempotency_test

import (
	"encoding/json"
	"testing"

	"github.com/servous/servous/runtime/idempotency"
)

func TestJSONKey(t *testing.T) {
	payload := []byte(`{"detail":{"object":{"key":"videos/a.mp4","size":42,"ids":{"b": 2, "a": 1}},"n":null},"list":[1]}`)
	for _, c := range []struct {
		path    []string
		want    string
		wantErr bool
	}{
		{path: []string{"detail", "object", "key"}, want: "videos/a.mp4"},
		{path: []string{"detail", "object", "size"}, want: "42"},
		{path: []string{"detail", "object", "ids"}, want: `{"b":2,"a":1}`},
		{path: []string{"list"}, want: "[1]"},
		{path: []string{"detail", "missing"}, wantErr: true},
		{path: []string{"detail", "n"}, wantErr: true},
		{path: []string{"list", "x"}, wantErr: true},
	} {
		got, err := idempotency.JSONKey(c.path...)(payload)
		if (err != nil) != c.wantErr || got != c.want {
			t.Errorf("JSONKey(%q) = %q, %v; want %q (error: %v)", c.path, got, err, c.want, c.wantErr)
		}
	}
	if _, err := idempotency.JSONKey("a")([]byte(`not json`)); err == nil {
		t.Error("JSONKey of a payload that is not JSON: no error")
	}
}

func FuzzJSONKey(f *testing.F) {
	f.Add([]byte(`{"detail":{"object":{"key":"videos/a.mp4"}}}`), "detail", "object")
	f.Add([]byte(`{"a":{"b":null}}`), "a", "b")
	f.Add([]byte(`{"a":{"b":[1,{"c":2}]}}`), "a", "b")
	f.Add([]byte(`{"a":"\u00e9\ud800"}`), "a", "")
	f.Fuzz(func(t *testing.T, payload []byte, p1, p2 string) {
		path := []string{p1}
		if p2 != "" {
			path = append(path, p2)
		}
		key, err := idempotency.JSONKey(path...)(payload)
		if err != nil {
			return
		}
		// The key must come from a non-null value at the path.
		var v any
		if err := json.Unmarshal(payload, &v); err != nil {
			t.Fatalf("key %q from a payload encoding/json rejects: %v", key, err)
		}
		for _, name := range path {
			obj, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("key %q though %q is not under an object", key, name)
			}
			if v, ok = obj[name]; !ok {
				t.Fatalf("key %q though %q is missing", key, name)
			}
		}
		if v == nil {
			t.Fatalf("key %q from a null", key)
		}
		if s, ok := v.(string); ok && s != key {
			t.Fatalf("key %q, want the string %q", key, s)
		}
	})
}
