package storage_test

import (
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/servous/servous/storage"
)

func TestUploadFormNewRequest(t *testing.T) {
	form := &storage.UploadForm{URL: "http://example.test/b", Fields: map[string]string{"key": "k", "policy": "p"}}
	file := "hello, form"
	req, err := form.NewRequest(t.Context(), strings.NewReader(file), int64(len(file)), "text/plain")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(body)) != req.ContentLength {
		t.Errorf("ContentLength = %d, body has %d bytes", req.ContentLength, len(body))
	}
	req.Body = io.NopCloser(strings.NewReader(string(body)))
	if err := req.ParseMultipartForm(1 << 20); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for k, v := range req.MultipartForm.Value {
		got[k] = v[0]
	}
	if diff := cmp.Diff(map[string]string{"key": "k", "policy": "p", "Content-Type": "text/plain"}, got); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	f, err := req.MultipartForm.File["file"][0].Open()
	if err != nil {
		t.Fatal(err)
	}
	gotFile, _ := io.ReadAll(f)
	if string(gotFile) != file {
		t.Errorf("file = %q, want %q", gotFile, file)
	}
	if !strings.HasSuffix(string(body), "--\r\n") {
		t.Errorf("body does not end with the closing boundary: %q", body[len(body)-20:])
	}
}

func TestETagsEqual(t *testing.T) {
	if !storage.ETagsEqual(`"abc"`, "abc") || storage.ETagsEqual(`"abc"`, `"abd"`) {
		t.Error("ETagsEqual compares quoted and bare tags wrongly")
	}
}
