package request_test

import (
	"errors"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/internal/request"
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
		if err := request.Key(tt.key); !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
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
		off, n, err := request.ResolveRange(tt.r, tt.size)
		got := res{off, n, request.RangeHeader(tt.r), ""}
		if err != nil {
			got.Err = strings.TrimPrefix(strings.SplitN(err.Error(), ":", 3)[1], " ")
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%+v in %d bytes (-want +got):\n%s", *tt.r, tt.size, diff)
		}
	}
}

func TestSignOptionsDefaults(t *testing.T) {
	s, err := request.Sign(nil)
	if err != nil || s.Method != http.MethodGet || s.Expiry != storage.DefaultSignExpiry {
		t.Errorf("Sign(nil) = %+v, %v", s, err)
	}
	for _, o := range []*storage.SignOptions{
		{Expiry: storage.MaxSignExpiry + time.Second},
		{Expiry: -time.Minute},
		{Method: http.MethodDelete},
		{ContentType: "text/plain"},
	} {
		if _, err := request.Sign(o); !errors.Is(err, storage.ErrInvalidArgument) {
			t.Errorf("%+v: Sign error = %v, want ErrInvalidArgument", *o, err)
		}
	}
	f, err := request.Form(&storage.FormOptions{ContentType: "video/mp4"})
	if err != nil || f.MaxSize != storage.DefaultMaxFormSize || f.Expiry != storage.DefaultSignExpiry {
		t.Errorf("Form = %+v, %v", f, err)
	}
	if _, err := request.Form(&storage.FormOptions{ContentType: "a/b", ContentTypePrefix: "a/"}); !errors.Is(err, storage.ErrInvalidArgument) {
		t.Errorf("both content type forms: error = %v, want ErrInvalidArgument", err)
	}
}
