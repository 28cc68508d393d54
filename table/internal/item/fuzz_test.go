package item

import (
	"errors"
	"math/big"
	"testing"

	"github.com/servous/servous/table"
)

// FuzzNormalizeNumber checks number text from callers: either a clear error or a canonical
// form of the same value, stable under normalizing again.
func FuzzNormalizeNumber(f *testing.F) {
	for _, s := range []string{"0", "-0", "1", "1.50", "-1e3", "1E-130", "9.9e125", ".5", "5.", "+7", "1e", "--1", "0x1", " 1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := NormalizeNumber(s)
		if err != nil {
			if !errors.Is(err, table.ErrInvalidArgument) {
				t.Fatalf("NormalizeNumber(%q) error %v does not wrap ErrInvalidArgument", s, err)
			}
			return
		}
		again, err := NormalizeNumber(n)
		if err != nil || again != n {
			t.Fatalf("NormalizeNumber(%q) = %q, which normalizes to %q, %v", s, n, again, err)
		}
		want, ok := new(big.Rat).SetString(s)
		got, ok2 := new(big.Rat).SetString(n)
		if ok && ok2 && want.Cmp(got) != 0 {
			t.Fatalf("NormalizeNumber(%q) = %q, a different value", s, n)
		}
		if CompareNumbers(s, n) != 0 {
			t.Fatalf("CompareNumbers(%q, %q) != 0", s, n)
		}
	})
}
