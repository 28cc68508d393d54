package table

import (
	"context"
	"iter"

	"github.com/servous/servous/table/internal/expr"
)

// A SortCondition restricts a query to sort keys that satisfy it. The zero SortCondition
// matches every sort key. Values must have the sort key's kind; SortPrefix takes strings or
// binary only.
type SortCondition struct{ s expr.Sort }

func sortCond(op expr.SortOp, v Value) SortCondition {
	return SortCondition{expr.Sort{Op: op, Value: v}}
}

// SortEQ matches the sort key equal to v.
func SortEQ(v Value) SortCondition { return sortCond(expr.SortEqual, v) }

// SortLT matches sort keys less than v.
func SortLT(v Value) SortCondition { return sortCond(expr.SortLess, v) }

// SortLE matches sort keys less than or equal to v.
func SortLE(v Value) SortCondition { return sortCond(expr.SortLessOrEqual, v) }

// SortGT matches sort keys greater than v.
func SortGT(v Value) SortCondition { return sortCond(expr.SortGreater, v) }

// SortGE matches sort keys greater than or equal to v.
func SortGE(v Value) SortCondition { return sortCond(expr.SortGreaterOrEqual, v) }

// SortBetweenValues matches sort keys from low to high, both included.
func SortBetweenValues(low, high Value) SortCondition {
	return SortCondition{expr.Sort{Op: expr.SortBetween, Value: low, High: high}}
}

// SortPrefix matches string or binary sort keys that begin with prefix.
func SortPrefix(prefix Value) SortCondition { return sortCond(expr.SortBeginsWith, prefix) }

// QueryOptions are the options of Table.Query; nil means all items of the partition in
// ascending sort key order, in pages of up to 1 MB.
type QueryOptions struct {
	// Sort restricts the sort keys; the zero value matches all.
	Sort SortCondition
	// Descending returns items in descending sort key order.
	Descending bool
	// Limit is the most items a page holds; zero means no limit but DynamoDB's 1 MB.
	Limit int
	// Cursor continues after the page that returned it; empty starts at the beginning.
	// Cursors are opaque and belong to the adapter, partition and order that made them; as
	// DynamoDB refuses such a starting key, a cursor used with another partition or order,
	// or with a sort condition its position lies outside, is refused with
	// ErrInvalidArgument.
	Cursor string
	// ConsistentRead asks for a strongly consistent read.
	ConsistentRead bool
}

// Page is one page of a query.
type Page[T any] struct {
	// Items are the page's live items in sort key order.
	Items []T
	// Cursor continues the query after this page; empty when no items follow. A page may
	// hold fewer than Limit items (DynamoDB's 1 MB page size) and still have a Cursor. As
	// with DynamoDB's LastEvaluatedKey, a page filled to Limit has a Cursor even when no
	// items follow, so the last page of a query may be empty.
	Cursor string
}

// Pages iterates over the pages of a query of one partition, starting at opts.Cursor, until
// the last page or the first error.
func Pages[T any](ctx context.Context, t Table[T], partition Value, opts *QueryOptions) iter.Seq2[Page[T], error] {
	return func(yield func(Page[T], error) bool) {
		var o QueryOptions
		if opts != nil {
			o = *opts
		}
		for {
			p, err := t.Query(ctx, partition, &o)
			if err != nil {
				yield(Page[T]{}, err)
				return
			}
			if !yield(p, nil) || p.Cursor == "" {
				return
			}
			o.Cursor = p.Cursor
		}
	}
}

// All iterates over every item of a query of one partition across all pages, starting at
// opts.Cursor; opts.Limit sets the page size. It stops at the first error.
func All[T any](ctx context.Context, t Table[T], partition Value, opts *QueryOptions) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for p, err := range Pages(ctx, t, partition, opts) {
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range p.Items {
				if !yield(it, nil) {
					return
				}
			}
		}
	}
}
