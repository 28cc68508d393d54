package item

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/servous/servous/table"
)

// Cond is a checked table.Condition with its operands marshaled.
type Cond struct {
	Op    table.CondOp
	Name  string
	Value types.AttributeValue
	Subs  []*Cond
}

// CompileCondition checks c and marshals its operands; the zero Condition compiles to nil,
// which holds for every item.
func CompileCondition(c table.Condition) (*Cond, error) {
	if c.IsZero() {
		return nil, nil
	}
	return compile(c, 0)
}

func compile(c table.Condition, depth int) (*Cond, error) {
	if depth > 32 {
		return nil, fmt.Errorf("condition nested too deeply: %w", table.ErrInvalidArgument)
	}
	out := &Cond{Op: c.Op, Name: c.Name}
	switch c.Op {
	case table.CondAnd, table.CondOr, table.CondNot:
		if c.Op == table.CondNot && len(c.Operands) != 1 {
			return nil, fmt.Errorf("not takes one condition: %w", table.ErrInvalidArgument)
		}
		for _, s := range c.Operands {
			if s.IsZero() {
				return nil, fmt.Errorf("empty condition inside and/or/not: %w", table.ErrInvalidArgument)
			}
			cs, err := compile(s, depth+1)
			if err != nil {
				return nil, err
			}
			out.Subs = append(out.Subs, cs)
		}
		return out, nil
	case table.CondExists, table.CondNotExists:
	case table.CondEqual, table.CondNotEqual, table.CondLess, table.CondLessOrEqual,
		table.CondGreater, table.CondGreaterOrEqual, table.CondBeginsWith:
		v, err := Marshal(c.Value)
		if err != nil {
			return nil, fmt.Errorf("condition on %q: %w", c.Name, err)
		}
		out.Value = v
		if c.Op == table.CondBeginsWith {
			switch v.(type) {
			case *types.AttributeValueMemberS, *types.AttributeValueMemberB:
			default:
				return nil, fmt.Errorf("begins_with on %q: operand must be a string or binary: %w", c.Name, table.ErrInvalidArgument)
			}
		}
		if c.Op >= table.CondLess && c.Op <= table.CondGreaterOrEqual {
			switch v.(type) {
			case *types.AttributeValueMemberS, *types.AttributeValueMemberN, *types.AttributeValueMemberB:
			default:
				return nil, fmt.Errorf("comparison on %q: operand must be a string, number or binary: %w", c.Name, table.ErrInvalidArgument)
			}
		}
	default:
		return nil, fmt.Errorf("unknown condition operator %d: %w", c.Op, table.ErrInvalidArgument)
	}
	if err := CheckName(c.Name); err != nil {
		return nil, fmt.Errorf("condition: %w", err)
	}
	return out, nil
}

// CheckName checks a top-level attribute name of a condition or change. Names with '.' or
// '[' are refused: DynamoDB's expression builder would read them as document paths, which
// the in-memory adapter does not follow.
func CheckName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("no attribute name: %w", table.ErrInvalidArgument)
	case !utf8.ValidString(name):
		return fmt.Errorf("attribute name %q is not valid UTF-8: %w", name, table.ErrInvalidArgument)
	case strings.ContainsAny(name, ".["):
		return fmt.Errorf("attribute name %q is a document path; only top-level names are supported: %w", name, table.ErrInvalidArgument)
	}
	return nil
}

// Eval evaluates the condition on an item; a nil item is an absent one.
func (c *Cond) Eval(it Item) bool {
	if c == nil {
		return true
	}
	switch c.Op {
	case table.CondAnd:
		for _, s := range c.Subs {
			if !s.Eval(it) {
				return false
			}
		}
		return true
	case table.CondOr:
		for _, s := range c.Subs {
			if s.Eval(it) {
				return true
			}
		}
		return false
	case table.CondNot:
		return !c.Subs[0].Eval(it)
	}
	v, present := it[c.Name]
	switch c.Op {
	case table.CondExists:
		return present
	case table.CondNotExists:
		return !present
	case table.CondEqual:
		return present && Equal(v, c.Value)
	case table.CondNotEqual:
		return !present || !Equal(v, c.Value)
	case table.CondBeginsWith:
		switch p := c.Value.(type) {
		case *types.AttributeValueMemberS:
			s, ok := v.(*types.AttributeValueMemberS)
			return ok && strings.HasPrefix(s.Value, p.Value)
		case *types.AttributeValueMemberB:
			b, ok := v.(*types.AttributeValueMemberB)
			return ok && bytes.HasPrefix(b.Value, p.Value)
		}
		return false
	}
	if !present {
		return false
	}
	r, ok := Compare(v, c.Value)
	if !ok {
		return false
	}
	switch c.Op {
	case table.CondLess:
		return r < 0
	case table.CondLessOrEqual:
		return r <= 0
	case table.CondGreater:
		return r > 0
	case table.CondGreaterOrEqual:
		return r >= 0
	}
	return false
}

// SortCond is a checked table.SortCondition with its operands converted.
type SortCond struct {
	Op        table.SortOp
	Low, High types.AttributeValue
}

// CompileSort checks a sort condition against the schema's sort key kind.
func CompileSort(s table.Schema, c table.SortCondition) (*SortCond, error) {
	if c.Op == table.SortNone {
		return nil, nil
	}
	if s.SortKey == "" {
		return nil, fmt.Errorf("sort condition on a table without a sort key: %w", table.ErrInvalidArgument)
	}
	conv := func(v table.Value) (types.AttributeValue, error) {
		if v.Kind() != s.SortKeyKind {
			return nil, fmt.Errorf("sort condition value %v is %v, want %v: %w", v, v.Kind(), s.SortKeyKind, table.ErrInvalidArgument)
		}
		return ValueOf(v)
	}
	out := &SortCond{Op: c.Op}
	var err error
	if c.Op < table.SortEqual || c.Op > table.SortBeginsWith {
		return nil, fmt.Errorf("unknown sort operator %d: %w", c.Op, table.ErrInvalidArgument)
	}
	if out.Low, err = conv(c.Value); err != nil {
		return nil, err
	}
	if c.Op == table.SortBetween {
		if out.High, err = conv(c.High); err != nil {
			return nil, err
		}
		if r, _ := Compare(out.Low, out.High); r > 0 {
			return nil, fmt.Errorf("between: low %v above high %v: %w", c.Value, c.High, table.ErrInvalidArgument)
		}
	}
	if c.Op == table.SortBeginsWith && s.SortKeyKind == table.KindNumber {
		return nil, fmt.Errorf("begins_with on a number sort key: %w", table.ErrInvalidArgument)
	}
	return out, nil
}

// Match reports whether a sort key value satisfies the condition.
func (c *SortCond) Match(v types.AttributeValue) bool {
	if c == nil {
		return true
	}
	if c.Op == table.SortBeginsWith {
		return (&Cond{Op: table.CondBeginsWith, Name: "k", Value: c.Low}).Eval(Item{"k": v})
	}
	r, ok := Compare(v, c.Low)
	if !ok {
		return false
	}
	switch c.Op {
	case table.SortEqual:
		return r == 0
	case table.SortLess:
		return r < 0
	case table.SortLessOrEqual:
		return r <= 0
	case table.SortGreater:
		return r > 0
	case table.SortGreaterOrEqual:
		return r >= 0
	case table.SortBetween:
		h, _ := Compare(v, c.High)
		return r >= 0 && h <= 0
	}
	return false
}
