package tabletest

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/servous/servous/table"
)

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
			it.Version = pick(r, []int64{0, 1, 3, math.MaxInt64})
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
