// Package uuid makes random (version 4) UUIDs, the form of Lambda's request ids and
// EventBridge's event ids. It is internal to servous and imports the standard library only, so
// every package, the interface packages included, may use it.
package uuid

import (
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
)

// New returns a random version 4 UUID (RFC 9562) in its canonical form: 36 characters, lower-case
// hex in groups of 8-4-4-4-12.
//
// The bits come from math/rand/v2's generator, which the Go runtime seeds from the system and
// keeps per thread: these ids need to be unique, not secret, and crypto/rand cost a tenth of a
// local Lambda invocation.
func New() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:], rand.Uint64())
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // the RFC's variant
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}
