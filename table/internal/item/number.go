package item

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/servous/servous/table"
)

// decimal is a parsed DynamoDB number: value = ±0.d1d2d3… × 10^(exp+1), that is, the first
// digit stands at 10^exp. digits has no leading or trailing zeros; zero is digits "0".
type decimal struct {
	neg    bool
	digits string
	exp    int
}

// parseNumber parses DynamoDB number text and checks DynamoDB's limits: at most 38
// significant digits, magnitudes from 1e-130 to below 1e126.
func parseNumber(s string) (decimal, error) {
	var d decimal
	t := strings.TrimSpace(s)
	if t == "" {
		return d, fmt.Errorf("number %q: empty: %w", s, table.ErrInvalidArgument)
	}
	if t[0] == '-' || t[0] == '+' {
		d.neg = t[0] == '-'
		t = t[1:]
	}
	if isPlainInt(t) {
		// The common case: an integer without leading zeros or exponent.
		digits := strings.TrimRight(t, "0")
		if t == "0" {
			return decimal{digits: "0"}, nil
		}
		d.digits, d.exp = digits, len(t)-1
		if len(d.digits) > 38 || d.exp > 125 {
			return d, fmt.Errorf("number %q: beyond DynamoDB's range or precision: %w", s, table.ErrInvalidArgument)
		}
		return d, nil
	}
	mant, expText, hasExp := strings.Cut(strings.ToLower(t), "e")
	exp10 := 0
	if hasExp {
		if _, err := fmt.Sscanf(expText, "%d", &exp10); err != nil || expText == "" || strings.ContainsAny(expText, " .") {
			return d, fmt.Errorf("number %q: bad exponent: %w", s, table.ErrInvalidArgument)
		}
		if exp10 > 1000 || exp10 < -1000 {
			return d, fmt.Errorf("number %q: out of range: %w", s, table.ErrInvalidArgument)
		}
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	if intPart == "" && frac == "" {
		return d, fmt.Errorf("number %q: no digits: %w", s, table.ErrInvalidArgument)
	}
	all := intPart + frac
	for _, c := range all {
		if c < '0' || c > '9' {
			return d, fmt.Errorf("number %q: not a number: %w", s, table.ErrInvalidArgument)
		}
	}
	// The first digit of all stands at 10^(len(intPart)-1+exp10).
	lead := len(all) - len(strings.TrimLeft(all, "0"))
	all = strings.TrimRight(all[lead:], "0")
	if all == "" {
		return decimal{digits: "0"}, nil
	}
	d.digits = all
	d.exp = len(intPart) - 1 + exp10 - lead
	if len(d.digits) > 38 {
		return d, fmt.Errorf("number %q: more than 38 significant digits: %w", s, table.ErrInvalidArgument)
	}
	if d.exp > 125 || d.exp < -130 {
		return d, fmt.Errorf("number %q: magnitude out of range: %w", s, table.ErrInvalidArgument)
	}
	return d, nil
}

// isPlainInt reports whether t is a non-empty run of digits without a leading zero, or "0".
func isPlainInt(t string) bool {
	if t == "" || (t[0] == '0' && len(t) > 1) {
		return false
	}
	for i := 0; i < len(t); i++ {
		if t[i] < '0' || t[i] > '9' {
			return false
		}
	}
	return true
}

// String formats d as plain decimal text, without an exponent, as DynamoDB returns numbers.
func (d decimal) String() string {
	var b strings.Builder
	if d.digits == "0" {
		return "0"
	}
	if d.neg {
		b.WriteByte('-')
	}
	n := len(d.digits)
	switch {
	case d.exp >= n-1:
		b.WriteString(d.digits)
		b.WriteString(strings.Repeat("0", d.exp-n+1))
	case d.exp >= 0:
		b.WriteString(d.digits[:d.exp+1])
		b.WriteByte('.')
		b.WriteString(d.digits[d.exp+1:])
	default:
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -d.exp-1))
		b.WriteString(d.digits)
	}
	return b.String()
}

// size is the number's size as DynamoDB counts it (the formula dynalite reproduces).
func (d decimal) size() int {
	if d.digits == "0" {
		return 1
	}
	n := len(d.digits)
	s := 1 + (n+1)/2
	if n%2 == 0 && d.exp%2 == 0 {
		s++
	}
	if d.neg {
		s++
	}
	return s
}

func (d decimal) rat() *big.Rat {
	r, _ := new(big.Rat).SetString(d.String())
	return r
}

// NormalizeNumber returns s in DynamoDB's canonical form, or an error wrapping
// table.ErrInvalidArgument.
func NormalizeNumber(s string) (string, error) {
	if t := strings.TrimPrefix(s, "-"); isPlainInt(t) && t != "0" && len(t) <= 38 {
		return s, nil // already canonical
	}
	d, err := parseNumber(s)
	if err != nil {
		return "", err
	}
	return d.String(), nil
}

// CompareNumbers compares two valid number texts numerically.
func CompareNumbers(a, b string) int {
	da, _ := parseNumber(a)
	db, _ := parseNumber(b)
	return compareDecimals(da, db)
}

func compareDecimals(a, b decimal) int {
	sign := func(d decimal) int {
		switch {
		case d.digits == "0":
			return 0
		case d.neg:
			return -1
		}
		return 1
	}
	sa, sb := sign(a), sign(b)
	if sa != sb || sa == 0 {
		return cmpInt(sa, sb)
	}
	// Same sign, both non-zero: compare magnitudes, then flip for negatives.
	m := cmpInt(a.exp, b.exp)
	if m == 0 {
		m = strings.Compare(a.digits, b.digits)
	}
	return m * sa
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// AddNumbers returns a+b in canonical form, checking DynamoDB's limits on the result.
func AddNumbers(a, b string) (string, error) {
	da, err := parseNumber(a)
	if err != nil {
		return "", err
	}
	db, err := parseNumber(b)
	if err != nil {
		return "", err
	}
	sum := new(big.Rat).Add(da.rat(), db.rat())
	scale := 0
	for _, d := range []decimal{da, db} {
		if s := len(d.digits) - 1 - d.exp; s > scale {
			scale = s
		}
	}
	return NormalizeNumber(sum.FloatString(scale))
}
