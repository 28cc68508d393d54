package tabletest

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/servous/servous/table"
	"github.com/servous/servous/table/internal/expr"
)

func pick[E any](r *run, s []E) E { return s[r.rng.IntN(len(s))] }

func (r *run) chance(p float64) bool { return r.rng.Float64() < p }

var (
	diffNotes = []string{"hello", "help", "a/b", "é", "x y", "50%"}
	diffNames = []string{"pk", "note", "count", "tags", "data", "done", "version", "expires_at", "nothing"}
)

// randomItem returns an item with the key and random attributes.
func (r *run) randomItem(k table.Key) Item {
	var it Item
	if r.chance(0.8) {
		it.Note = pick(r, diffNotes)
	}
	if r.chance(0.7) {
		it.Count = int64(r.rng.IntN(7) - 2)
	}
	if r.chance(0.3) {
		it.Tags = pick(r, [][]string{{"a"}, {"a", "b"}, {"b", "c"}})
	}
	if r.chance(0.3) {
		it.Data = pick(r, [][]byte{{1, 2, 3}, {1}, {0xff}})
	}
	it.Done = r.chance(0.3)
	if r.keys.schema.SortKey != "n" && r.chance(0.3) {
		it.N = ptr(pick(r, []float64{1.5, -2, 1e20}))
	}
	if r.keys.schema.SortKey != "bin" && r.keys.schema.PartitionKey != "bin" && r.chance(0.2) {
		it.Bin = []byte{9}
	}
	if r.chance(0.04) {
		// Around DynamoDB's 400 KB item size, on both sides of it.
		it.Data = bytes.Repeat([]byte{7}, table.ItemSizeLimit-200+r.rng.IntN(400))
	}
	it.ExpiresAt = r.randomExpiry()
	r.keys.setKey(&it, k)
	return it
}

func (r *run) randomExpiry() int64 {
	now := r.clock.Now().Unix()
	switch r.rng.IntN(8) {
	case 0:
		return now - 10
	case 1:
		return now + 60
	case 2:
		return now + 7200
	case 3:
		return now + r.rng.Int64N(2) // expired this second, or the next
	}
	return 0
}

// randomCondition returns a condition over the item's attributes, nested at most depth
// levels below the top.
func (r *run) randomCondition(depth int) table.Condition {
	if depth > 0 && r.chance(0.3) {
		switch r.rng.IntN(3) {
		case 0:
			return table.And(r.randomCondition(depth-1), r.randomCondition(depth-1))
		case 1:
			return table.Or(r.randomCondition(depth-1), r.randomCondition(depth-1))
		default:
			return table.Not(r.randomCondition(depth - 1))
		}
	}
	if r.chance(0.03) {
		return pick(r, []table.Condition{table.And(), table.Or()})
	}
	name := pick(r, diffNames)
	if r.chance(0.1) {
		name = pick(r, []string{r.keys.schema.PartitionKey, r.keys.schema.SortKey, "sk"})
		if name == "" {
			name = "sk"
		}
	}
	switch r.rng.IntN(5) {
	case 0:
		return table.Exists(name)
	case 1:
		return table.NotExists(name)
	case 2:
		if r.chance(0.5) {
			return table.BeginsWith("note", pick(r, []string{"hel", "a/", "x", "é"}))
		}
		return table.BeginsWith("data", []byte{1})
	}
	var v any
	switch r.rng.IntN(5) {
	case 0:
		name, v = "note", pick(r, diffNotes)
	case 1:
		name, v = "tags", stringSet(pick(r, [][]string{{"a"}, {"b", "a"}}))
	case 2:
		name, v = "data", []byte{1, 2, 3}
	case 3:
		name, v = "count", pick(r, []any{"1", 1.0})
	default:
		name, v = pick(r, []string{"count", "version", "expires_at"}), r.rng.IntN(7)-2
	}
	return pick(r, []func(string, any) table.Condition{
		table.Equal, table.NotEqual, table.LessThan, table.LessOrEqual, table.GreaterThan, table.GreaterOrEqual,
	})(name, v)
}

func (r *run) maybeCondition(p float64) table.Condition {
	if r.chance(p) {
		return r.randomCondition(2)
	}
	return table.Condition{}
}

func condString(c table.Condition) string { return exprString(expr.CondOf(c)) }

func exprString(c expr.Cond) string {
	switch c.Op {
	case expr.CondNone:
		return "none"
	case expr.CondAnd, expr.CondOr, expr.CondNot:
		parts := make([]string, len(c.Operands))
		for i, o := range c.Operands {
			parts[i] = exprString(o)
		}
		return fmt.Sprintf("%s(%s)", [...]string{expr.CondAnd: "And", expr.CondOr: "Or", expr.CondNot: "Not"}[c.Op], strings.Join(parts, ", "))
	}
	names := [...]string{"", "Exists", "NotExists", "Equal", "NotEqual", "LessThan", "LessOrEqual", "GreaterThan",
		"GreaterOrEqual", "BeginsWith"}
	if c.Op == expr.CondExists || c.Op == expr.CondNotExists {
		return fmt.Sprintf("%s(%q)", names[c.Op], c.Name)
	}
	return fmt.Sprintf("%s(%q, %#v)", names[c.Op], c.Name, c.Value)
}

// randomVersion picks the version a versioned write carries: mostly the stored one, or 0,
// or one off, or the highest.
func (r *run) randomVersion(ctx context.Context, k table.Key) int64 {
	cur, ok := r.current(ctx, k)
	switch n := r.rng.IntN(10); {
	case n < 5 && ok:
		return cur.Version
	case n < 7:
		return 0
	case n < 8:
		return cur.Version + 1
	case n < 9:
		return max(cur.Version-1, 0)
	default:
		return pick(r, []int64{math.MaxInt64, math.MaxInt64 - 1})
	}
}

// copyItem copies the slices of it, so that each side gets an item of its own.
func copyItem(it Item) Item {
	it.Tags = slices.Clone(it.Tags)
	it.Data = bytes.Clone(it.Data)
	it.Bin = bytes.Clone(it.Bin)
	if it.N != nil {
		it.N = ptr(*it.N)
	}
	return it
}

func (r *run) randomChanges() []table.Change {
	var changes []table.Change
	used := map[string]bool{}
	for range 1 + r.rng.IntN(3) {
		var c table.Change
		switch r.rng.IntN(10) {
		case 0:
			c = table.Set("note", pick(r, diffNotes))
		case 1:
			c = table.Remove(pick(r, []string{"note", "tags", "data", "count", "expires_at"}))
		case 2:
			c = table.Add("count", r.rng.IntN(5)-2)
		case 3:
			c = table.Set("tags", stringSet(pick(r, [][]string{{"x"}, {"a", "b"}})))
		case 4:
			c = table.Set("expires_at", r.randomExpiry())
		case 5:
			c = table.Set("done", r.chance(0.5))
		case 6:
			c = table.Add("note", 1) // a number added to a string: refused
		case 7:
			c = table.Set(pick(r, []string{r.keys.schema.PartitionKey, "version"}), 1) // a key or the version: refused
		case 8:
			// Values at the edges: empty strings and binary, which DynamoDB stores outside
			// keys, NULL, empty lists and maps, numbers in other forms.
			null := &types.AttributeValueMemberNULL{Value: true}
			switch r.rng.IntN(4) {
			case 0:
				c = table.Set("extra", pick(r, []any{"", []byte{}, null, &types.AttributeValueMemberL{},
					&types.AttributeValueMemberM{}, table.NumberText("-0"), table.NumberText("1.50e1"), "text"}))
			case 1:
				c = table.Set("note", pick(r, []any{"", null}))
			case 2:
				c = table.Set("data", pick(r, []any{[]byte{}, null}))
			default:
				c = table.Set("expires_at", pick(r, []table.Value{table.NumberText("-0"), table.NumberText("0015")}))
			}
		default:
			c = table.Set("data", []byte{byte(r.rng.IntN(3))})
		}
		name := expr.ChangeOf(c).Name
		if used[name] && r.chance(0.8) {
			continue
		}
		used[name] = true
		changes = append(changes, c)
	}
	return changes
}

func changesString(cs []table.Change) string {
	parts := make([]string, len(cs))
	for i, ch := range cs {
		c := expr.ChangeOf(ch)
		parts[i] = fmt.Sprintf("%s(%q, %#v)", [...]string{"None", "Set", "Remove", "Add"}[c.Op], c.Name, c.Value)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
