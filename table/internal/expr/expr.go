// Package expr holds the parts of the conditions, sort conditions and changes that package
// table keeps opaque, for the adapters and the item package to read. It cannot import
// table, which imports it: values typed any here hold what table's constructors were given
// (a sort condition's bounds are table.Values).
package expr

// CondOp is a condition's operator.
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

// Cond is a table.Condition's parts.
type Cond struct {
	Op CondOp
	// Name is the attribute compared or tested.
	Name string
	// Value is the operand of a comparison.
	Value any
	// Operands are the conditions And, Or and Not combine.
	Operands []Cond
}

// SortOp is a sort condition's operator.
type SortOp uint8

// The sort key operators, those of DynamoDB's key condition expressions.
const (
	SortNone SortOp = iota
	SortEqual
	SortLess
	SortLessOrEqual
	SortGreater
	SortGreaterOrEqual
	SortBetween
	SortBeginsWith
)

// Sort is a table.SortCondition's parts.
type Sort struct {
	Op SortOp
	// Value is the operand, or the lower bound of SortBetween: a table.Value.
	Value any
	// High is the inclusive upper bound of SortBetween: a table.Value.
	High any
}

// ChangeOp is a change's operator.
type ChangeOp uint8

// The update operators.
const (
	ChangeNone ChangeOp = iota
	ChangeSet
	ChangeRemove
	ChangeAdd
)

// Change is a table.Change's parts.
type Change struct {
	Op    ChangeOp
	Name  string
	Value any
}

// Package table sets these when it is initialised; they return the parts of a
// table.Condition, table.SortCondition and table.Change, and panic on anything else.
var (
	CondOf   func(c any) Cond
	SortOf   func(s any) Sort
	ChangeOf func(c any) Change
)
