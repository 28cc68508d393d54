package storage

import (
	"fmt"
	"math"
	"strconv"
)

// Range selects bytes of an object as an HTTP Range header does. Build one with ByteRange,
// FromOffset or LastBytes.
type Range struct {
	// Offset is the first byte, when Last is 0.
	Offset int64
	// Length is the number of bytes from Offset; 0 means up to the end of the object.
	Length int64
	// Last, when positive, selects the last Last bytes instead (the whole object if it is
	// shorter).
	Last int64
}

// ByteRange selects length bytes from offset (fewer if the object ends first).
func ByteRange(offset, length int64) *Range { return &Range{Offset: offset, Length: length} }

// FromOffset selects the bytes from offset to the end of the object.
func FromOffset(offset int64) *Range { return &Range{Offset: offset} }

// LastBytes selects the last n bytes of the object (all of it if it is shorter).
func LastBytes(n int64) *Range { return &Range{Last: n} }

// Validate reports an error wrapping ErrInvalidArgument if r selects nothing.
func (r *Range) Validate() error {
	switch {
	case r.Last < 0 || r.Offset < 0 || r.Length < 0:
		return fmt.Errorf("%w: negative range %+v", ErrInvalidArgument, *r)
	case r.Last > 0 && (r.Offset != 0 || r.Length != 0):
		return fmt.Errorf("%w: range with both Last and Offset/Length", ErrInvalidArgument)
	}
	return nil
}

// HeaderValue returns r as the value of an HTTP Range header ("bytes=0-99", "bytes=100-",
// "bytes=-10"). A range whose end lies past the largest int64 reads to the end of the object.
func (r *Range) HeaderValue() string {
	switch {
	case r.Last > 0:
		return "bytes=-" + strconv.FormatInt(r.Last, 10)
	case r.Length > 0 && r.Length <= math.MaxInt64-r.Offset:
		return "bytes=" + strconv.FormatInt(r.Offset, 10) + "-" + strconv.FormatInt(r.Offset+r.Length-1, 10)
	default:
		return "bytes=" + strconv.FormatInt(r.Offset, 10) + "-"
	}
}

// Resolve returns the offset and length of the bytes r selects in an object of size bytes, as S3
// serves them: a range that starts at or past the end is ErrInvalidRange (so is any range of an
// empty object); one that runs past the end is cut at the end.
func (r *Range) Resolve(size int64) (offset, length int64, err error) {
	if err := r.Validate(); err != nil {
		return 0, 0, err
	}
	if r.Last > 0 {
		if size == 0 {
			return 0, 0, fmt.Errorf("%w: last %d bytes of an empty object", ErrInvalidRange, r.Last)
		}
		n := min(r.Last, size)
		return size - n, n, nil
	}
	if r.Offset >= size {
		return 0, 0, fmt.Errorf("%w: offset %d of a %d-byte object", ErrInvalidRange, r.Offset, size)
	}
	length = size - r.Offset
	if r.Length > 0 && r.Length < length {
		length = r.Length
	}
	return r.Offset, length, nil
}
