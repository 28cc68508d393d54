package item

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/servous/servous/table"
	"github.com/servous/servous/table/internal/expr"
)

// Cond is a checked table.Condition with its operands marshaled.
type Cond struct {
	Op    expr.CondOp
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
	return compile(expr.CondOf(c), 0)
}

func compile(c expr.Cond, depth int) (*Cond, error) {
	if depth > 32 {
		return nil, fmt.Errorf("condition nested too deeply: %w", table.ErrInvalidArgument)
	}
	out := &Cond{Op: c.Op, Name: c.Name}
	switch c.Op {
	case expr.CondAnd, expr.CondOr, expr.CondNot:
		if c.Op == expr.CondNot && len(c.Operands) != 1 {
			return nil, fmt.Errorf("not takes one condition: %w", table.ErrInvalidArgument)
		}
		for _, s := range c.Operands {
			if s.Op == expr.CondNone {
				return nil, fmt.Errorf("empty condition inside and/or/not: %w", table.ErrInvalidArgument)
			}
			cs, err := compile(s, depth+1)
			if err != nil {
				return nil, err
			}
			out.Subs = append(out.Subs, cs)
		}
		return out, nil
	case expr.CondExists, expr.CondNotExists:
	case expr.CondEqual, expr.CondNotEqual, expr.CondLess, expr.CondLessOrEqual,
		expr.CondGreater, expr.CondGreaterOrEqual, expr.CondBeginsWith:
		v, err := Marshal(c.Value)
		if err != nil {
			return nil, fmt.Errorf("condition on %q: %w", c.Name, err)
		}
		out.Value = v
		if c.Op == expr.CondBeginsWith {
			switch v.(type) {
			case *types.AttributeValueMemberS, *types.AttributeValueMemberB:
			default:
				return nil, fmt.Errorf("begins_with on %q: operand must be a string or binary: %w", c.Name, table.ErrInvalidArgument)
			}
		}
		if c.Op >= expr.CondLess && c.Op <= expr.CondGreaterOrEqual {
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
	case expr.CondAnd:
		for _, s := range c.Subs {
			if !s.Eval(it) {
				return false
			}
		}
		return true
	case expr.CondOr:
		for _, s := range c.Subs {
			if s.Eval(it) {
				return true
			}
		}
		return false
	case expr.CondNot:
		return !c.Subs[0].Eval(it)
	}
	v, present := it[c.Name]
	switch c.Op {
	case expr.CondExists:
		return present
	case expr.CondNotExists:
		return !present
	case expr.CondEqual:
		return present && Equal(v, c.Value)
	case expr.CondNotEqual:
		return !present || !Equal(v, c.Value)
	case expr.CondBeginsWith:
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
	case expr.CondLess:
		return r < 0
	case expr.CondLessOrEqual:
		return r <= 0
	case expr.CondGreater:
		return r > 0
	case expr.CondGreaterOrEqual:
		return r >= 0
	}
	return false
}

// SortCond is a checked table.SortCondition with its operands converted.
type SortCond struct {
	Op        expr.SortOp
	Low, High types.AttributeValue
}

// CompileSort checks a sort condition against the schema's sort key kind.
func CompileSort(s table.Schema, sc table.SortCondition) (*SortCond, error) {
	c := expr.SortOf(sc)
	if c.Op == expr.SortNone {
		return nil, nil
	}
	if s.SortKey == "" {
		return nil, fmt.Errorf("sort condition on a table without a sort key: %w", table.ErrInvalidArgument)
	}
	conv := func(a any) (types.AttributeValue, error) {
		v, _ := a.(table.Value)
		if v.Kind() != s.SortKeyKind {
			return nil, fmt.Errorf("sort condition value %v is %v, want %v: %w", v, v.Kind(), s.SortKeyKind, table.ErrInvalidArgument)
		}
		return ValueOf(v)
	}
	out := &SortCond{Op: c.Op}
	var err error
	if c.Op < expr.SortEqual || c.Op > expr.SortBeginsWith {
		return nil, fmt.Errorf("unknown sort operator %d: %w", c.Op, table.ErrInvalidArgument)
	}
	if out.Low, err = conv(c.Value); err != nil {
		return nil, err
	}
	if c.Op == expr.SortBetween {
		if out.High, err = conv(c.High); err != nil {
			return nil, err
		}
		if r, _ := Compare(out.Low, out.High); r > 0 {
			return nil, fmt.Errorf("between: low %v above high %v: %w", c.Value, c.High, table.ErrInvalidArgument)
		}
	}
	if c.Op == expr.SortBeginsWith && s.SortKeyKind == table.KindNumber {
		return nil, fmt.Errorf("begins_with on a number sort key: %w", table.ErrInvalidArgument)
	}
	return out, nil
}

// Match reports whether a sort key value satisfies the condition.
func (c *SortCond) Match(v types.AttributeValue) bool {
	if c == nil {
		return true
	}
	if c.Op == expr.SortBeginsWith {
		return (&Cond{Op: expr.CondBeginsWith, Name: "k", Value: c.Low}).Eval(Item{"k": v})
	}
	r, ok := Compare(v, c.Low)
	if !ok {
		return false
	}
	switch c.Op {
	case expr.SortEqual:
		return r == 0
	case expr.SortLess:
		return r < 0
	case expr.SortLessOrEqual:
		return r <= 0
	case expr.SortGreater:
		return r > 0
	case expr.SortGreaterOrEqual:
		return r >= 0
	case expr.SortBetween:
		h, _ := Compare(v, c.High)
		return r >= 0 && h <= 0
	}
	return false
}
