package item

import (
	"errors"
	"testing"

	"github.com/servous/servous/table"
)

func TestNormalizeNumber(t *testing.T) {
	for in, want := range map[string]string{
		"0": "0", "-0": "0", "00.000": "0", "1": "1", "1.0": "1", "+1.50": "1.5", "1e2": "100",
		"1.5E-3": "0.0015", "-120": "-120", "0012.3400": "12.34", ".5": "0.5", "5.": "5",
		"123456789012345678901234567890123456780000": "123456789012345678901234567890123456780000",
	} {
		got, err := NormalizeNumber(in)
		if err != nil || got != want {
			t.Errorf("NormalizeNumber(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-", "1e", "abc", "1.2.3", "1e200", "1e-200",
		"1234567890123456789012345678901234567890", "0x10", "1 e2"} {
		if _, err := NormalizeNumber(in); !errors.Is(err, table.ErrInvalidArgument) {
			t.Errorf("NormalizeNumber(%q) err = %v, want ErrInvalidArgument", in, err)
		}
	}
}

func TestCompareNumbers(t *testing.T) {
	ordered := []string{"-1e10", "-100", "-99.5", "-1", "-0.001", "0", "0.0001", "0.5", "1", "1.5", "9", "10", "1e3"}
	for i, a := range ordered {
		for j, b := range ordered {
			if got, want := CompareNumbers(a, b), cmpInt(i, j); got != want {
				t.Errorf("CompareNumbers(%s, %s) = %d, want %d", a, b, got, want)
			}
		}
	}
}

func TestAddNumbers(t *testing.T) {
	for _, tc := range []struct{ a, b, want string }{
		{"1", "2", "3"}, {"0.1", "0.2", "0.3"}, {"-5", "5", "0"}, {"1.25", "-0.05", "1.2"}, {"1e3", "1", "1001"},
	} {
		if got, err := AddNumbers(tc.a, tc.b); err != nil || got != tc.want {
			t.Errorf("AddNumbers(%s, %s) = %s, %v; want %s", tc.a, tc.b, got, err, tc.want)
		}
	}
}

func TestNumberSize(t *testing.T) {
	// Sizes as dynalite computes them for the same texts.
	for in, want := range map[string]int{"0": 1, "1": 2, "12": 2, "123": 3, "0.12": 2, "1200": 2, "120": 3, "-1": 3, "10": 2, "1.5": 3, "100": 2, "1234": 3} {
		d, err := parseNumber(in)
		if err != nil || d.size() != want {
			t.Errorf("size(%s) = %d, %v; want %d", in, d.size(), err, want)
		}
	}
}
