package table

// CondOp is a Condition's operator.
type CondOp uint8

// The condition operators. Comparison operators compare an attribute with Value.
const (
	CondNone CondOp = iota
	CondExists
	CondNotExists
	CondEqual
	CondNotEqual
	CondLess
	CondLessOrEqual
	CondGreater
	CondGreaterOrEqual
	CondBeginsWith
	CondAnd
	CondOr
	CondNot
)

// A Condition is a predicate over the stored item that a write requires. The zero Condition
// means "no condition". Build conditions with the functions below; adapters translate them
// to DynamoDB condition expressions or evaluate them in memory with DynamoDB's rules:
// comparisons hold only between values of the same type (numbers numerically, strings and
// binary bytewise), and every comparison on a missing attribute is false. An item that does
// not exist, or has expired, has no attributes.
type Condition struct {
	Op CondOp
	// Name is the top-level attribute compared or tested. Document paths ("a.b", "a[0]")
	// are not supported: names containing '.' or '[' are refused with ErrInvalidArgument.
	Name string
	// Value is the operand of a comparison: any value attributevalue marshals, or a Value.
	Value any
	// Operands are the conditions And, Or and Not combine.
	Operands []Condition
}

// IsZero reports whether c is the zero Condition.
func (c Condition) IsZero() bool { return c.Op == CondNone }

// Exists holds when the item has the attribute.
func Exists(name string) Condition { return Condition{Op: CondExists, Name: name} }

// NotExists holds when the item lacks the attribute; NotExists of the partition key holds
// when there is no live item.
func NotExists(name string) Condition { return Condition{Op: CondNotExists, Name: name} }

// Equal holds when the attribute equals v.
func Equal(name string, v any) Condition { return Condition{Op: CondEqual, Name: name, Value: v} }

// NotEqual holds when the attribute is missing or differs from v, as DynamoDB's <> does.
func NotEqual(name string, v any) Condition {
	return Condition{Op: CondNotEqual, Name: name, Value: v}
}

// LessThan holds when the attribute is less than v.
func LessThan(name string, v any) Condition { return Condition{Op: CondLess, Name: name, Value: v} }

// LessOrEqual holds when the attribute is less than or equal to v.
func LessOrEqual(name string, v any) Condition {
	return Condition{Op: CondLessOrEqual, Name: name, Value: v}
}

// GreaterThan holds when the attribute is greater than v.
func GreaterThan(name string, v any) Condition {
	return Condition{Op: CondGreater, Name: name, Value: v}
}

// GreaterOrEqual holds when the attribute is greater than or equal to v.
func GreaterOrEqual(name string, v any) Condition {
	return Condition{Op: CondGreaterOrEqual, Name: name, Value: v}
}

// BeginsWith holds when the string or binary attribute starts with prefix (a string or
// []byte).
func BeginsWith(name string, prefix any) Condition {
	return Condition{Op: CondBeginsWith, Name: name, Value: prefix}
}

// And holds when every operand holds; And() holds.
func And(cs ...Condition) Condition { return Condition{Op: CondAnd, Operands: cs} }

// Or holds when some operand holds; Or() does not hold.
func Or(cs ...Condition) Condition { return Condition{Op: CondOr, Operands: cs} }

// Not holds when c does not.
func Not(c Condition) Condition { return Condition{Op: CondNot, Operands: []Condition{c}} }

// ChangeOp is a Change's operator.
type ChangeOp uint8

// The update operators.
const (
	ChangeNone ChangeOp = iota
	ChangeSet
	ChangeRemove
	ChangeAdd
)

// A Change is one field update of Table.Update.
type Change struct {
	Op    ChangeOp
	Name  string
	Value any
}

// Set sets the attribute to v (any value attributevalue marshals, or a Value).
func Set(name string, v any) Change { return Change{Op: ChangeSet, Name: name, Value: v} }

// Remove removes the attribute.
func Remove(name string) Change { return Change{Op: ChangeRemove, Name: name} }

// Add adds the number n to a number attribute, a missing attribute counting as zero.
func Add(name string, n any) Change { return Change{Op: ChangeAdd, Name: name, Value: n} }
