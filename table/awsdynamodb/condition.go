package awsdynamodb

import (
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/servous/servous/table/internal/expr"
	"github.com/servous/servous/table/internal/item"
)

// av passes an attribute value through the expression builder, which marshals operands
// with attributevalue, unchanged.
type av struct{ v types.AttributeValue }

func (a av) MarshalDynamoDBAttributeValue() (types.AttributeValue, error) { return a.v, nil }

func and(cs []expression.ConditionBuilder) expression.ConditionBuilder {
	if len(cs) == 1 {
		return cs[0]
	}
	return expression.And(cs[0], cs[1], cs[2:]...)
}

func or(cs []expression.ConditionBuilder) expression.ConditionBuilder {
	if len(cs) == 1 {
		return cs[0]
	}
	return expression.Or(cs[0], cs[1], cs[2:]...)
}

// expiredCond holds for an item whose expiry attribute is a number from 1 to now. BETWEEN is
// false for a missing attribute and for one of another type, as expiry requires.
func (t *Table[T]) expiredCond(now int64) (expression.ConditionBuilder, bool) {
	if t.schema.ExpiresAt == "" {
		return expression.ConditionBuilder{}, false
	}
	return expression.Name(t.schema.ExpiresAt).Between(expression.Value(1), expression.Value(now)), true
}

// live holds for an item that has not expired (and for no item).
func (t *Table[T]) live(now int64) (expression.ConditionBuilder, bool) {
	e, ok := t.expiredCond(now)
	if !ok {
		return e, false
	}
	return expression.Not(e), true
}

// absent holds when no live item has the key.
func (t *Table[T]) absent(now int64) expression.ConditionBuilder {
	c := expression.Name(t.schema.PartitionKey).AttributeNotExists()
	if e, ok := t.expiredCond(now); ok {
		c = c.Or(e)
	}
	return c
}

// condition translates a condition so that it sees an expired item as absent: a condition
// that holds for an absent item also holds for an expired one, and one that does not
// requires a live item.
func (t *Table[T]) condition(c *item.Cond, now int64) expression.ConditionBuilder {
	b := t.translate(c)
	if e, ok := t.expiredCond(now); ok {
		if c.Eval(nil) {
			return b.Or(e)
		}
		return b.And(expression.Not(e))
	}
	return b
}

func (t *Table[T]) translate(c *item.Cond) expression.ConditionBuilder {
	switch c.Op {
	case expr.CondAnd, expr.CondOr:
		if len(c.Subs) == 0 {
			// And() holds and Or() does not; DynamoDB has no literals, so use a tautology.
			pk := expression.Name(t.schema.PartitionKey)
			always := pk.AttributeExists().Or(pk.AttributeNotExists())
			if c.Op == expr.CondAnd {
				return always
			}
			return expression.Not(always)
		}
		subs := make([]expression.ConditionBuilder, len(c.Subs))
		for i, s := range c.Subs {
			subs[i] = t.translate(s)
		}
		if c.Op == expr.CondAnd {
			return and(subs)
		}
		return or(subs)
	case expr.CondNot:
		return expression.Not(t.translate(c.Subs[0]))
	}
	n := expression.Name(c.Name)
	v := expression.Value(av{c.Value})
	switch c.Op {
	case expr.CondExists:
		return n.AttributeExists()
	case expr.CondNotExists:
		return n.AttributeNotExists()
	case expr.CondEqual:
		return n.Equal(v)
	case expr.CondNotEqual:
		return n.NotEqual(v)
	case expr.CondLess:
		return n.LessThan(v)
	case expr.CondLessOrEqual:
		return n.LessThanEqual(v)
	case expr.CondGreater:
		return n.GreaterThan(v)
	case expr.CondGreaterOrEqual:
		return n.GreaterThanEqual(v)
	case expr.CondBeginsWith:
		switch p := c.Value.(type) {
		case *types.AttributeValueMemberS:
			return n.BeginsWith(p.Value)
		case *types.AttributeValueMemberB:
			// The builder's begins_with takes strings only. For binary, a value begins with
			// p exactly when p <= value < the least value above every extension of p.
			ge := n.GreaterThanEqual(v)
			if end, ok := prefixEnd(p.Value); ok {
				return ge.And(n.LessThan(expression.Value(av{&types.AttributeValueMemberB{Value: end}})))
			}
			return ge
		}
	}
	// CompileCondition admits no other operator.
	panic("awsdynamodb: untranslatable condition")
}

// prefixEnd returns the least byte string greater than every string beginning with p, and
// false when p is all 0xff bytes.
func prefixEnd(p []byte) ([]byte, bool) {
	b := append([]byte(nil), p...)
	for len(b) > 0 && b[len(b)-1] == 0xff {
		b = b[:len(b)-1]
	}
	if len(b) == 0 {
		return nil, false
	}
	b[len(b)-1]++
	return b, true
}
