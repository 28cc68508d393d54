package tabletest

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/servous/servous/table"
	"github.com/servous/servous/table/internal/expr"
)

// keySpace is the keys a differential run draws from: few partitions, so that operations
// meet, and sort keys that sort awkwardly.
type keySpace struct {
	schema     table.Schema
	partitions []table.Value
	sorts      []table.Value
	// sortOperands are the values sort conditions compare with: the sort keys and some
	// that no item has.
	sortOperands []table.Value
}

// The string keys: unicode, spaces, '+', '%', '?' and runs of '/'. "𝄞" (U+1D11E) and "ﬁx"
// (U+FB01) sort one way by UTF-8 bytes and the other way by UTF-16 code units.
var (
	diffStringPartitions = []string{"p", "a b", "ü/ß", "x+y%2F?z=1"}
	diffStringSorts      = []string{"a", "a/b", "a//b", "a///", "b", "A", "é", "日本", "a b", " ", "+", "%", "%2F",
		"?x=1", "q?x=1", "𝄞", "ﬁx", "z"}
	diffStringOperands = []string{"a/", "%2", "é", "", "~"}
	diffNumberSorts    = []float64{-10, -1.5, 0, 0.25, 1, 2, 10, 100, 1e10, -1e-5}
	diffNumberOperands = []float64{0.5, 3, -100, 1e12}
	diffBinarySorts    = [][]byte{{0}, {0, 0}, {0, 1}, {1}, {0x7f}, {0x80}, {0xff}, {0xff, 0xff}, []byte("a"), []byte("ab"), []byte("b")}
	diffBinaryOperands = [][]byte{{}, {0xfe}, []byte("a/")}
	diffBinaryParts    = [][]byte{{0}, {1, 2}, {0xff}, []byte("p/q")}
)

func newKeySpace(s table.Schema) keySpace {
	ks := keySpace{schema: s}
	if s.PartitionKeyKind == table.KindBinary {
		for _, b := range diffBinaryParts {
			ks.partitions = append(ks.partitions, table.Binary(b))
		}
	} else {
		for _, p := range diffStringPartitions {
			ks.partitions = append(ks.partitions, table.String(p))
		}
	}
	switch s.SortKeyKind {
	case table.KindString:
		for _, v := range diffStringSorts {
			ks.sorts = append(ks.sorts, table.String(v))
		}
		ks.sortOperands = slices.Clone(ks.sorts)
		for _, v := range diffStringOperands {
			ks.sortOperands = append(ks.sortOperands, table.String(v))
		}
	case table.KindNumber:
		for _, v := range diffNumberSorts {
			ks.sorts = append(ks.sorts, table.Number(v))
		}
		ks.sortOperands = slices.Clone(ks.sorts)
		for _, v := range diffNumberOperands {
			ks.sortOperands = append(ks.sortOperands, table.Number(v))
		}
	case table.KindBinary:
		for _, v := range diffBinarySorts {
			ks.sorts = append(ks.sorts, table.Binary(v))
		}
		ks.sortOperands = slices.Clone(ks.sorts)
		for _, v := range diffBinaryOperands {
			ks.sortOperands = append(ks.sortOperands, table.Binary(v))
		}
	}
	return ks
}

func (ks keySpace) key(p, s int) table.Key {
	k := table.Key{Partition: ks.partitions[p]}
	if ks.schema.SortKey != "" {
		k.Sort = ks.sorts[s]
	}
	return k
}

// all returns every key of the space.
func (ks keySpace) all() []table.Key {
	var out []table.Key
	for p := range ks.partitions {
		if ks.schema.SortKey == "" {
			out = append(out, ks.key(p, 0))
			continue
		}
		for s := range ks.sorts {
			out = append(out, ks.key(p, s))
		}
	}
	return out
}

// setKey gives it the key k.
func (ks keySpace) setKey(it *Item, k table.Key) {
	set := func(name string, v table.Value) {
		switch name {
		case "pk":
			it.PK = v.Text()
		case "sk":
			it.SK = v.Text()
		case "n":
			f := 0.0
			_, _ = fmt.Sscan(v.Text(), &f)
			it.N = &f
		case "bin":
			it.Bin = v.Bytes()
		}
	}
	set(ks.schema.PartitionKey, k.Partition)
	if ks.schema.SortKey != "" {
		set(ks.schema.SortKey, k.Sort)
	}
}

func pick[E any](r *run, s []E) E { return s[r.rng.IntN(len(s))] }

func (r *run) chance(p float64) bool { return r.rng.Float64() < p }

func (r *run) randomKey() table.Key {
	return r.keys.key(r.rng.IntN(len(r.keys.partitions)), r.rng.IntN(max(len(r.keys.sorts), 1)))
}

// opKey returns the key of a single-item operation: mostly one of the space, sometimes
// the same key written another way (a number as "1.0e0"), sometimes an invalid one.
func (r *run) opKey() table.Key {
	k := r.randomKey()
	switch n := r.rng.IntN(100); {
	case n < 8 && k.Sort.Kind() == table.KindNumber:
		k.Sort = table.NumberText(pick(r, []string{"1.0", "01", "1e0", "10.000", "1e1", "-0", "0.0", "2.50e-1", "100e0"}))
	case n < 10:
		bad := pick(r, []table.Value{table.String(""), table.Binary(nil), table.String(strings.Repeat("k", 1025)),
			table.Number(1), table.String("\xff")})
		if k.Sort.IsZero() || r.chance(0.5) {
			k.Partition = bad
		} else {
			k.Sort = bad
		}
	}
	return k
}

// distinctKeys returns up to n different keys.
func (r *run) distinctKeys(n int) []table.Key {
	var out []table.Key
	seen := map[string]bool{}
	for range n {
		k := r.randomKey()
		if s := k.String(); !seen[s] {
			seen[s] = true
			out = append(out, k)
		}
	}
	return out
}

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

// current returns the reference's live item with the key, if any.
func (r *run) current(ctx context.Context, k table.Key) (Item, bool) {
	it, err := r.tables[0].Get(ctx, k, &table.GetOptions{ConsistentRead: true})
	return it, err == nil
}

// next generates the next operation.
func (r *run) next(ctx context.Context) op {
	switch n := r.rng.IntN(100); {
	case n < 10:
		return r.opGet()
	case n < 26:
		return r.opPut(ctx)
	case n < 32:
		return r.opCreate(ctx)
	case n < 40:
		return r.opDelete()
	case n < 53:
		return r.opUpdate()
	case n < 68:
		return r.opQuery(r.newQuery())
	case n < 78 && len(r.cursors) > 0:
		return r.opContinue(false)
	case n < 81 && len(r.cursors) > 0:
		return r.opContinue(true)
	case n < 87:
		return r.opBatchGet()
	case n < 94:
		return r.opBatchWrite()
	case n < 98:
		return r.opAdvance()
	default:
		return r.opAddBeyondRange()
	}
}

func (r *run) opGet() op {
	k := r.opKey()
	return op{
		desc: fmt.Sprintf("Get(%v)", k),
		do: func(ctx context.Context, tb table.Table[Item], _ int) outcome {
			it, err := tb.Get(ctx, k, &table.GetOptions{ConsistentRead: true})
			o := result(err)
			if err == nil {
				o.Item = &it
			}
			return o
		},
	}
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

func (r *run) opPut(ctx context.Context) op {
	k := r.randomKey()
	it := r.randomItem(k)
	if r.keys.schema.Version != "" {
		it.Version = r.randomVersion(ctx, k)
	}
	cond := r.maybeCondition(0.3)
	return op{
		desc: fmt.Sprintf("Put(%v, If: %s)", it, condString(cond)),
		keys: []table.Key{k},
		do: func(ctx context.Context, tb table.Table[Item], _ int) outcome {
			mine := copyItem(it)
			var opts *table.PutOptions
			if !cond.IsZero() {
				opts = &table.PutOptions{If: cond}
			}
			o := result(tb.Put(ctx, &mine, opts))
			o.Item = &mine
			return o
		},
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

func (r *run) opCreate(ctx context.Context) op {
	k := r.randomKey()
	it := r.randomItem(k)
	if r.keys.schema.Version != "" && r.chance(0.3) {
		it.Version = r.randomVersion(ctx, k)
	}
	return op{
		desc: fmt.Sprintf("Create(%v)", it),
		keys: []table.Key{k},
		do: func(ctx context.Context, tb table.Table[Item], _ int) outcome {
			mine := copyItem(it)
			o := result(tb.Create(ctx, &mine))
			o.Item = &mine
			return o
		},
	}
}

func (r *run) opDelete() op {
	k := r.opKey()
	cond := r.maybeCondition(0.5)
	return op{
		desc: fmt.Sprintf("Delete(%v, If: %s)", k, condString(cond)),
		keys: []table.Key{k},
		do: func(ctx context.Context, tb table.Table[Item], _ int) outcome {
			var opts *table.DeleteOptions
			if !cond.IsZero() {
				opts = &table.DeleteOptions{If: cond}
			}
			return result(tb.Delete(ctx, k, opts))
		},
	}
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

func (r *run) opUpdate() op {
	k := r.opKey()
	changes := r.randomChanges()
	if r.chance(0.05) {
		changes = nil
	}
	cond := r.maybeCondition(0.4)
	return r.update(k, changes, cond, false)
}

func (r *run) update(k table.Key, changes []table.Change, cond table.Condition, add bool) op {
	return op{
		desc: fmt.Sprintf("Update(%v, %s, If: %s)", k, changesString(changes), condString(cond)),
		keys: []table.Key{k},
		add:  add,
		do: func(ctx context.Context, tb table.Table[Item], _ int) outcome {
			var opts *table.UpdateOptions
			if !cond.IsZero() {
				opts = &table.UpdateOptions{If: cond}
			}
			it, err := tb.Update(ctx, k, changes, opts)
			o := result(err)
			if err == nil {
				o.Item = &it
			}
			return o
		},
	}
}

// opAddBeyondRange adds to a number so that the sum may leave DynamoDB's range (magnitude
// below 10^126) or precision (38 digits), which DynamoDB refuses.
func (r *run) opAddBeyondRange() op {
	k := r.randomKey()
	if r.keys.schema.SortKey == "n" {
		// n is the key, and count an int64 that a fraction or a huge sum would leave
		// undecodable.
		return r.opUpdate()
	}
	v := pick(r, []table.Value{table.NumberText("9.9e125"), table.NumberText("1e37"), table.NumberText("0.000001")})
	return r.update(k, []table.Change{table.Add("n", v)}, table.Condition{}, true)
}

// queryOp is a query, the cursor it starts from (one per side) and where the next
// continuation goes.
type queryOp struct {
	partition table.Value
	opts      table.QueryOptions
	from      [2]string
	// fromSK holds the sort keys where the cursors in from stand.
	fromSK [2]string
	// origin names the query whose cursors from holds.
	origin string
	next   cursorEntry
}

func (r *run) randomSort() table.SortCondition {
	if r.keys.schema.SortKey == "" || r.chance(0.3) {
		return table.SortCondition{}
	}
	v := pick(r, r.keys.sortOperands)
	switch r.rng.IntN(7) {
	case 0:
		return table.SortEQ(v)
	case 1:
		return table.SortLT(v)
	case 2:
		return table.SortLE(v)
	case 3:
		return table.SortGT(v)
	case 4:
		return table.SortGE(v)
	case 5:
		w := pick(r, r.keys.sortOperands)
		if r.chance(0.9) && compareValues(v, w) > 0 {
			v, w = w, v
		}
		return table.SortBetweenValues(v, w)
	}
	if r.keys.schema.SortKeyKind == table.KindString {
		v = table.String(pick(r, []string{"a", "a/", "a//", "%", "?", "é", "日", ""}))
	}
	return table.SortPrefix(v)
}

// compareValues orders two key values of one kind as DynamoDB does.
func compareValues(a, b table.Value) int {
	if a.Kind() == table.KindNumber {
		var x, y float64
		_, _ = fmt.Sscan(a.Text(), &x)
		_, _ = fmt.Sscan(b.Text(), &y)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	}
	return strings.Compare(a.Text(), b.Text())
}

func (r *run) newQuery() *queryOp {
	return &queryOp{
		partition: pick(r, r.keys.partitions),
		opts: table.QueryOptions{
			Sort:           r.randomSort(),
			Descending:     r.chance(0.4),
			Limit:          pick(r, []int{0, 0, 1, 2, 3, 5}),
			ConsistentRead: true,
		},
	}
}

// opContinue continues an earlier query from its cursor or, misuse set, uses its cursor
// with another partition, direction, sort condition or limit.
func (r *run) opContinue(misuse bool) op {
	i := r.rng.IntN(len(r.cursors))
	e := r.cursors[i]
	r.cursors = slices.Delete(r.cursors, i, i+1)
	q := &queryOp{partition: e.partition, opts: e.opts, from: e.cursor, fromSK: e.lastSK,
		origin: fmt.Sprintf("the cursors %q of %s", e.cursor, queryString(e.partition, e.opts))}
	if misuse {
		switch r.rng.IntN(4) {
		case 0:
			q.partition = pick(r, r.keys.partitions)
		case 1:
			q.opts.Descending = !q.opts.Descending
		case 2:
			q.opts.Sort = r.randomSort()
		default:
			q.opts.Limit = pick(r, []int{0, 1, 4})
		}
	}
	return r.opQuery(q)
}

func (r *run) opQuery(q *queryOp) op {
	q.next = cursorEntry{partition: q.partition, opts: q.opts}
	desc := queryString(q.partition, q.opts)
	if q.origin != "" {
		desc += " from " + q.origin
	}
	o := op{
		desc:  desc,
		query: q,
		do: func(ctx context.Context, tb table.Table[Item], side int) outcome {
			opts := q.opts
			opts.Cursor = q.from[side]
			p, err := tb.Query(ctx, q.partition, &opts)
			o := result(err)
			if err == nil {
				o.Items = p.Items
				if o.Items == nil {
					o.Items = []Item{}
				}
				o.More = p.Cursor != ""
				q.next.cursor[side] = p.Cursor
				if len(p.Items) > 0 {
					q.next.lastSK[side] = p.Items[len(p.Items)-1].SK
				} else {
					q.next.lastSK[side] = q.fromSK[side]
				}
			}
			return o
		},
	}
	o.after = func() {
		if q.next.cursor[0] != "" && q.next.cursor[1] != "" {
			r.cursors = append(r.cursors, q.next)
			if len(r.cursors) > 16 {
				r.cursors = r.cursors[1:]
			}
		}
	}
	return o
}

func queryString(p table.Value, o table.QueryOptions) string {
	return fmt.Sprintf("Query(%v, Sort: %s, Descending: %v, Limit: %d)", p, sortString(o.Sort), o.Descending, o.Limit)
}

func sortString(sc table.SortCondition) string {
	c := expr.SortOf(sc)
	names := [...]string{"all", "EQ", "LT", "LE", "GT", "GE", "Between", "Prefix"}
	switch c.Op {
	case expr.SortNone:
		return "all"
	case expr.SortBetween:
		return fmt.Sprintf("Between(%v, %v)", c.Value, c.High)
	}
	return fmt.Sprintf("%s(%v)", names[c.Op], c.Value)
}

func (r *run) opBatchGet() op {
	keys := r.distinctKeys(1 + r.rng.IntN(8))
	if r.chance(0.05) {
		keys = append(keys, keys[0]) // a key given twice: refused
	}
	return op{
		desc: fmt.Sprintf("BatchGet(%v)", keys),
		do: func(ctx context.Context, tb table.Table[Item], _ int) outcome {
			items, err := tb.BatchGet(ctx, keys, &table.BatchGetOptions{ConsistentRead: true})
			o := result(err)
			if err == nil {
				o.Items = items
				if o.Items == nil {
					o.Items = []Item{}
				}
			}
			return o
		},
	}
}

func (r *run) opBatchWrite() op {
	keys := r.distinctKeys(1 + r.rng.IntN(6))
	var puts []Item
	var deletes []table.Key
	for _, k := range keys {
		if r.chance(0.3) {
			deletes = append(deletes, k)
			continue
		}
		it := r.randomItem(k)
		if r.keys.schema.Version != "" {
			it.Version = pick(r, []int64{0, 1, 3})
		}
		puts = append(puts, it)
	}
	if r.chance(0.05) && len(puts) > 0 {
		deletes = append(deletes, keys[0]) // a key given twice: refused
	}
	return op{
		desc: fmt.Sprintf("BatchWrite(puts: %v, deletes: %v)", puts, deletes),
		keys: keys,
		do: func(ctx context.Context, tb table.Table[Item], _ int) outcome {
			mine := make([]Item, len(puts))
			for i, it := range puts {
				mine[i] = copyItem(it)
			}
			return result(tb.BatchWrite(ctx, mine, deletes))
		},
	}
}

// opAdvance moves the shared clock; both sides answer nothing, and the next operations see
// items expire.
func (r *run) opAdvance() op {
	d := time.Duration(pick(r, []int{1, 30, 61, 3600, 7201})) * time.Second
	done := false
	return op{
		desc: fmt.Sprintf("advance the clock by %v", d),
		do: func(context.Context, table.Table[Item], int) outcome {
			if !done {
				r.clock.advance(d)
				done = true
			}
			return outcome{Err: "ok"}
		},
	}
}

// dynaliteDeparture explains a divergence by a documented departure of dynalite from
// DynamoDB, or returns "".
func (r *run) dynaliteDeparture(ctx context.Context, o op, got [2]outcome) string {
	if !r.pair.OnDynalite {
		return ""
	}
	if o.add && got[0].Err == "ErrInvalidArgument" && got[1].Err != "ErrInvalidArgument" {
		return "dynalite stores an ADD's sum beyond DynamoDB's range or precision"
	}
	if q := o.query; q != nil && r.keys.schema.SortKeyKind == table.KindString {
		// The strings that decide the answers: the sort condition's, the items' and those
		// of the cursors' positions.
		sc := expr.SortOf(q.opts.Sort)
		low, _ := sc.Value.(table.Value)
		high, _ := sc.High.(table.Value)
		texts := []string{low.Text(), high.Text(), q.fromSK[0], q.fromSK[1]}
		for _, g := range got {
			for _, it := range g.Items {
				texts = append(texts, it.SK)
			}
		}
		if utf16Disorder(texts) {
			return "dynalite orders strings by UTF-16 code units, DynamoDB by UTF-8 bytes"
		}
	}
	return ""
}

// utf16Disorder reports whether two of the strings order differently by UTF-8 bytes and by
// UTF-16 code units.
func utf16Disorder(texts []string) bool {
	for i, a := range texts {
		for _, b := range texts[i+1:] {
			if strings.Compare(a, b) != slices.Compare(utf16.Encode([]rune(a)), utf16.Encode([]rune(b))) {
				return true
			}
		}
	}
	return false
}
