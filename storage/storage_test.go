package storage_test

import (
	"errors"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/servous/servous/storage"
)

func TestValidateKey(t *testing.T) {
	tests := []struct {
		key  string
		want error
	}{
		{"a", nil},
		{"uploads/ü ✓/+%//x", nil},
		{strings.Repeat("k", storage.MaxKeyLength), nil},
		{strings.Repeat("é", storage.MaxKeyLength/2), nil},
		{"", storage.ErrInvalidKey},
		{strings.Repeat("k", storage.MaxKeyLength+1), storage.ErrInvalidKey},
		{strings.Repeat("é", storage.MaxKeyLength/2) + "x", storage.ErrInvalidKey},
		{"bad\xffutf8", storage.ErrInvalidKey},
	}
	for _, tt := range tests {
		if err := storage.ValidateKey(tt.key); !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("ValidateKey(%.20q) = %v, want %v", tt.key, err, tt.want)
		}
	}
}

func TestRangeResolve(t *testing.T) {
	type res struct {
		Off, Len int64
		Header   string
		Err      string
	}
	tests := []struct {
		r    *storage.Range
		size int64
		want res
	}{
		{storage.ByteRange(0, 1), 10, res{0, 1, "bytes=0-0", ""}},
		{storage.ByteRange(9, 5), 10, res{9, 1, "bytes=9-13", ""}},
		{storage.ByteRange(3, 4), 10, res{3, 4, "bytes=3-6", ""}},
		{storage.ByteRange(5, math.MaxInt64), 10, res{5, 5, "bytes=5-", ""}},
		{storage.FromOffset(0), 10, res{0, 10, "bytes=0-", ""}},
		{storage.FromOffset(9), 10, res{9, 1, "bytes=9-", ""}},
		{storage.FromOffset(10), 10, res{0, 0, "bytes=10-", "invalid range"}},
		{storage.LastBytes(3), 10, res{7, 3, "bytes=-3", ""}},
		{storage.LastBytes(30), 10, res{0, 10, "bytes=-30", ""}},
		{storage.LastBytes(1), 0, res{0, 0, "bytes=-1", "invalid range"}},
		{storage.FromOffset(0), 0, res{0, 0, "bytes=0-", "invalid range"}},
		{&storage.Range{Offset: -1}, 10, res{0, 0, "bytes=-1-", "invalid argument"}},
		{&storage.Range{Offset: 1, Last: 2}, 10, res{0, 0, "bytes=-2", "invalid argument"}},
	}
	for _, tt := range tests {
		off, n, err := tt.r.Resolve(tt.size)
		got := res{off, n, tt.r.HeaderValue(), ""}
		if err != nil {
			got.Err = strings.TrimPrefix(strings.SplitN(err.Error(), ":", 3)[1], " ")
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%+v in %d bytes (-want +got):\n%s", *tt.r, tt.size, diff)
		}
	}
}

func TestSignOptionsDefaults(t *testing.T) {
	s, err := (*storage.SignOptions)(nil).WithDefaults()
	if err != nil || s.Method != http.MethodGet || s.Expiry != storage.DefaultSignExpiry {
		t.Errorf("nil.WithDefaults() = %+v, %v", s, err)
	}
	for _, o := range []*storage.SignOptions{
		{Expiry: storage.MaxSignExpiry + time.Second},
		{Expiry: -time.Minute},
		{Method: http.MethodDelete},
		{ContentType: "text/plain"},
	} {
		if _, err := o.WithDefaults(); !errors.Is(err, storage.ErrInvalidArgument) {
			t.Errorf("%+v.WithDefaults() error = %v, want ErrInvalidArgument", *o, err)
		}
	}
	f, err := (&storage.FormOptions{ContentType: "video/mp4"}).WithDefaults()
	if err != nil || f.MaxSize != storage.DefaultMaxFormSize || f.Expiry != storage.DefaultSignExpiry {
		t.Errorf("FormOptions.WithDefaults() = %+v, %v", f, err)
	}
	if _, err := (&storage.FormOptions{ContentType: "a/b", ContentTypePrefix: "a/"}).WithDefaults(); !errors.Is(err, storage.ErrInvalidArgument) {
		t.Errorf("both content type forms: error = %v, want ErrInvalidArgument", err)
	}
}

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
