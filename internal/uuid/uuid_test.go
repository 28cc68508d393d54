package uuid

import (
	"regexp"
	"testing"
)

// canonical is a version 4 UUID of RFC 9562's variant in lower-case hex.
var canonical = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestNewIsCanonicalVersion4(t *testing.T) {
	seen := make(map[string]bool)
	variants := make(map[byte]bool)
	for range 10000 {
		u := New()
		if !canonical.MatchString(u) {
			t.Fatalf("New() = %q, not a canonical version 4 UUID", u)
		}
		if seen[u] {
			t.Fatalf("New() returned %q twice", u)
		}
		seen[u] = true
		variants[u[19]] = true
	}
	// The two variant bits are fixed and the next two random: all four digits occur.
	if len(variants) != 4 {
		t.Errorf("variant digits seen: %v, want 8, 9, a and b", variants)
	}
}

func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		New()
	}
}
