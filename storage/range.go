package storage

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
