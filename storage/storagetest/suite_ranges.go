package storagetest

import (
	"fmt"
	"io"
	"math"
	"testing"

	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/internal/request"
)

func testRanges(t *testing.T, tg Target) {
	ctx, b := t.Context(), tg.Bucket
	body := "0123456789"
	mustPut(t, b, "digits", body, nil)
	tests := []struct {
		r       *storage.Range
		want    string
		off     int64
		wantErr error
	}{
		{storage.ByteRange(0, 1), "0", 0, nil},
		{storage.ByteRange(9, 1), "9", 9, nil},
		{storage.ByteRange(3, 4), "3456", 3, nil},
		{storage.ByteRange(8, 100), "89", 8, nil},
		{storage.ByteRange(0, 10), body, 0, nil},
		{storage.ByteRange(5, math.MaxInt64), "56789", 5, nil},
		{storage.FromOffset(0), body, 0, nil},
		{storage.FromOffset(9), "9", 9, nil},
		{storage.LastBytes(1), "9", 9, nil},
		{storage.LastBytes(3), "789", 7, nil},
		{storage.LastBytes(10), body, 0, nil},
		{storage.LastBytes(11), body, 0, nil},
		{storage.FromOffset(10), "", 0, storage.ErrInvalidRange},
		{storage.ByteRange(15, 2), "", 0, storage.ErrInvalidRange},
	}
	for _, tt := range tests {
		obj, err := b.Get(ctx, "digits", &storage.GetOptions{Range: tt.r})
		if tt.wantErr != nil {
			wantErr(t, request.RangeHeader(tt.r), err, tt.wantErr)
			if err == nil {
				obj.Close()
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", request.RangeHeader(tt.r), err)
			continue
		}
		got, err := io.ReadAll(obj)
		obj.Close()
		if err != nil || string(got) != tt.want || obj.Offset != tt.off || obj.Length != int64(len(tt.want)) || obj.Info.Size != 10 {
			t.Errorf("%s: body %q, offset %d, length %d, size %d, %v; want %q at %d of 10",
				request.RangeHeader(tt.r), got, obj.Offset, obj.Length, obj.Info.Size, err, tt.want, tt.off)
		}
	}
	_, err := b.Get(ctx, "digits", &storage.GetOptions{Range: &storage.Range{Offset: -1}})
	wantErr(t, "negative offset", err, storage.ErrInvalidArgument)
}

// testInvalidRangeRefusedFirst checks that a range no request can carry is refused before the
// object or any condition is looked at.
func testInvalidRangeRefusedFirst(t *testing.T, tg Target) {
	ctx, b := t.Context(), tg.Bucket
	mustPut(t, b, "k", "0123456789", nil)
	stale := md5ETag([]byte("other"))
	for _, r := range []*storage.Range{{Offset: -1}, {Length: -1}, {Last: -1}, {Last: 2, Offset: 1}, {Last: 2, Length: 1}} {
		for _, tc := range []struct {
			key  string
			opts storage.GetOptions
		}{
			{"missing", storage.GetOptions{Range: r}},
			{"k", storage.GetOptions{Range: r, IfMatch: stale}},
			{"missing", storage.GetOptions{Range: r, IfMatch: stale}},
		} {
			obj, err := b.Get(ctx, tc.key, &tc.opts)
			wantErr(t, fmt.Sprintf("Get(%s, range %+v, If-Match %q)", tc.key, *r, tc.opts.IfMatch), err, storage.ErrInvalidArgument)
			if err == nil {
				obj.Close()
			}
		}
	}
}
