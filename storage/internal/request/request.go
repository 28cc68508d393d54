// Package request checks and completes the arguments of storage.Bucket calls the way every
// adapter must, before any I/O: keys, ranges, page sizes, expiries, the options of signed URLs
// and forms, and user metadata. It is shared by storage's adapters and not part of the
// storage API.
package request

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/servous/servous/storage"
)

// Key reports whether key is a valid object key: 1 to storage.MaxKeyLength bytes of valid
// UTF-8. The error wraps storage.ErrInvalidKey.
func Key(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: empty", storage.ErrInvalidKey)
	case len(key) > storage.MaxKeyLength:
		return fmt.Errorf("%w: %d bytes, more than %d", storage.ErrInvalidKey, len(key), storage.MaxKeyLength)
	case !utf8.ValidString(key):
		return fmt.Errorf("%w: not valid UTF-8", storage.ErrInvalidKey)
	}
	return nil
}

// Expiry returns the expiry d asks for, storage.DefaultSignExpiry when 0, or an error
// wrapping storage.ErrInvalidArgument when it is under a second or over
// storage.MaxSignExpiry.
func Expiry(d time.Duration) (time.Duration, error) {
	switch {
	case d == 0:
		return storage.DefaultSignExpiry, nil
	case d < time.Second || d > storage.MaxSignExpiry:
		return 0, fmt.Errorf("%w: expiry %v, want 1s to %v", storage.ErrInvalidArgument, d, storage.MaxSignExpiry)
	}
	return d, nil
}

// List returns a copy of opts (nil meaning the defaults) and the page size it asks for,
// storage.MaxPageSize when unset, or an error wrapping storage.ErrInvalidArgument.
func List(opts *storage.ListOptions) (storage.ListOptions, int, error) {
	var o storage.ListOptions
	if opts != nil {
		o = *opts
	}
	switch {
	case o.PageSize == 0:
		return o, storage.MaxPageSize, nil
	case o.PageSize < 0 || o.PageSize > storage.MaxPageSize:
		return o, 0, fmt.Errorf("%w: page size %d, want 1 to %d", storage.ErrInvalidArgument, o.PageSize, storage.MaxPageSize)
	}
	return o, o.PageSize, nil
}

// Sign returns a copy of o (nil meaning all defaults) with the defaults filled in, or an
// error wrapping storage.ErrInvalidArgument if a value is out of range.
func Sign(o *storage.SignOptions) (storage.SignOptions, error) {
	var s storage.SignOptions
	if o != nil {
		s = *o
	}
	switch s.Method {
	case "":
		s.Method = http.MethodGet
	case http.MethodGet, http.MethodPut:
	default:
		return s, fmt.Errorf("%w: sign method %q, want GET or PUT", storage.ErrInvalidArgument, s.Method)
	}
	if s.Method == http.MethodGet && s.ContentType != "" {
		return s, fmt.Errorf("%w: content type on a signed GET", storage.ErrInvalidArgument)
	}
	var err error
	s.Expiry, err = Expiry(s.Expiry)
	return s, err
}

// Form returns a copy of o (nil meaning all defaults) with the defaults filled in, or an
// error wrapping storage.ErrInvalidArgument if a value is out of range.
func Form(o *storage.FormOptions) (storage.FormOptions, error) {
	var f storage.FormOptions
	if o != nil {
		f = *o
	}
	switch {
	case f.MaxSize == 0:
		f.MaxSize = storage.DefaultMaxFormSize
	case f.MaxSize < 0:
		return f, fmt.Errorf("%w: max size %d", storage.ErrInvalidArgument, f.MaxSize)
	}
	if f.MinSize < 0 || f.MinSize > f.MaxSize {
		return f, fmt.Errorf("%w: min size %d with max size %d", storage.ErrInvalidArgument, f.MinSize, f.MaxSize)
	}
	if f.ContentType != "" && f.ContentTypePrefix != "" {
		return f, fmt.Errorf("%w: both ContentType and ContentTypePrefix", storage.ErrInvalidArgument)
	}
	var err error
	f.Expiry, err = Expiry(f.Expiry)
	return f, err
}

// Metadata returns a copy of m with lower-case keys, as S3 stores user metadata; nil if m is
// empty.
func Metadata(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[strings.ToLower(k)] = v
	}
	return out
}

// Range reports an error wrapping storage.ErrInvalidArgument if r is a range no HTTP request
// can carry.
func Range(r *storage.Range) error {
	switch {
	case r.Last < 0 || r.Offset < 0 || r.Length < 0:
		return fmt.Errorf("%w: negative range %+v", storage.ErrInvalidArgument, *r)
	case r.Last > 0 && (r.Offset != 0 || r.Length != 0):
		return fmt.Errorf("%w: range with both Last and Offset/Length", storage.ErrInvalidArgument)
	}
	return nil
}

// RangeHeader returns r as the value of an HTTP Range header ("bytes=0-99", "bytes=100-",
// "bytes=-10"). A range whose end lies past the largest int64 reads to the end of the object.
func RangeHeader(r *storage.Range) string {
	switch {
	case r.Last > 0:
		return "bytes=-" + strconv.FormatInt(r.Last, 10)
	case r.Length > 0 && r.Length <= math.MaxInt64-r.Offset:
		return "bytes=" + strconv.FormatInt(r.Offset, 10) + "-" + strconv.FormatInt(r.Offset+r.Length-1, 10)
	default:
		return "bytes=" + strconv.FormatInt(r.Offset, 10) + "-"
	}
}

// ResolveRange returns the offset and length of the bytes r selects in an object of size
// bytes, as S3 serves them: a range that starts at or past the end is storage.ErrInvalidRange
// (so is any range of an empty object); one that runs past the end is cut at the end.
func ResolveRange(r *storage.Range, size int64) (offset, length int64, err error) {
	if err := Range(r); err != nil {
		return 0, 0, err
	}
	if r.Last > 0 {
		if size == 0 {
			return 0, 0, fmt.Errorf("%w: last %d bytes of an empty object", storage.ErrInvalidRange, r.Last)
		}
		n := min(r.Last, size)
		return size - n, n, nil
	}
	if r.Offset >= size {
		return 0, 0, fmt.Errorf("%w: offset %d of a %d-byte object", storage.ErrInvalidRange, r.Offset, size)
	}
	length = size - r.Offset
	if r.Length > 0 && r.Length < length {
		length = r.Length
	}
	return r.Offset, length, nil
}
