package table

import "github.com/servous/servous/table/internal/expr"

// A Condition is a predicate over the stored item that a write requires. The zero Condition
// means "no condition". Build conditions with the functions below; adapters translate them
// to DynamoDB condition expressions or evaluate them in memory with DynamoDB's rules:
// comparisons hold only between values of the same type (numbers numerically, strings and
// binary bytewise), and every comparison on a missing attribute is false. An item that does
// not exist, or has expired, has no attributes.
//
// Conditions name top-level attributes. Document paths ("a.b", "a[0]") are not supported:
// names containing '.' or '[' are refused with ErrInvalidArgument. A comparison's operand
// is any value attributevalue marshals, or a Value.
type Condition struct{ c expr.Cond }

// IsZero reports whether c is the zero Condition.
func (c Condition) IsZero() bool { return c.c.Op == expr.CondNone }

func cond(op expr.CondOp, name string, v any) Condition {
	return Condition{expr.Cond{Op: op, Name: name, Value: v}}
}

func combine(op expr.CondOp, cs []Condition) Condition {
	ops := make([]expr.Cond, len(cs))
	for i, c := range cs {
		ops[i] = c.c
	}
	return Condition{expr.Cond{Op: op, Operands: ops}}
}

// Exists holds when the item has the attribute.
func Exists(name string) Condition { return cond(expr.CondExists, name, nil) }

// NotExists holds when the item lacks the attribute; NotExists of the partition key holds
// when there is no live item.
func NotExists(name string) Condition { return cond(expr.CondNotExists, name, nil) }

// Equal holds when the attribute equals v.
func Equal(name string, v any) Condition { return cond(expr.CondEqual, name, v) }

// NotEqual holds when the attribute is missing or differs from v, as DynamoDB's <> does.
func NotEqual(name string, v any) Condition { return cond(expr.CondNotEqual, name, v) }

// LessThan holds when the attribute is less than v.
func LessThan(name string, v any) Condition { return cond(expr.CondLess, name, v) }

// LessOrEqual holds when the attribute is less than or equal to v.
func LessOrEqual(name string, v any) Condition { return cond(expr.CondLessOrEqual, name, v) }

// GreaterThan holds when the attribute is greater than v.
func GreaterThan(name string, v any) Condition { return cond(expr.CondGreater, name, v) }

// GreaterOrEqual holds when the attribute is greater than or equal to v.
func GreaterOrEqual(name string, v any) Condition {
	return cond(expr.CondGreaterOrEqual, name, v)
}

// BeginsWith holds when the string or binary attribute starts with prefix (a string or
// []byte).
func BeginsWith(name string, prefix any) Condition {
	return cond(expr.CondBeginsWith, name, prefix)
}

// And holds when every operand holds; And() holds.
func And(cs ...Condition) Condition { return combine(expr.CondAnd, cs) }

// Or holds when some operand holds; Or() does not hold.
func Or(cs ...Condition) Condition { return combine(expr.CondOr, cs) }

// Not holds when c does not.
func Not(c Condition) Condition { return combine(expr.CondNot, []Condition{c}) }

// A Change is one field update of Table.Update, made by Set, Remove or Add.
type Change struct{ c expr.Change }

// Set sets the attribute to v (any value attributevalue marshals, or a Value).
func Set(name string, v any) Change {
	return Change{expr.Change{Op: expr.ChangeSet, Name: name, Value: v}}
}

// Remove removes the attribute.
func Remove(name string) Change { return Change{expr.Change{Op: expr.ChangeRemove, Name: name}} }

// Add adds the number n to a number attribute, a missing attribute counting as zero.
func Add(name string, n any) Change {
	return Change{expr.Change{Op: expr.ChangeAdd, Name: name, Value: n}}
}

func init() {
	expr.CondOf = func(c any) expr.Cond { return c.(Condition).c }
	expr.SortOf = func(s any) expr.Sort { return s.(SortCondition).s }
	expr.ChangeOf = func(c any) expr.Change { return c.(Change).c }
}
