package idempotency_test

import (
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
