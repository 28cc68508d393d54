package tabletest

import (
	"context"
	"slices"
	"strings"
	"unicode/utf16"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/servous/servous/table"
	"github.com/servous/servous/table/internal/expr"
	"github.com/servous/servous/table/internal/item"
)

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
		// The strings dynalite compares: the sort condition's, the cursors' positions, and
		// the sort keys of the items it reads, live or expired. An adapter that filters
		// expired items sends the key of a filtered one as the next request's starting key,
		// so every key stored in the partition within the condition counts.
		sc := expr.SortOf(q.opts.Sort)
		low, _ := sc.Value.(table.Value)
		high, _ := sc.High.(table.Value)
		texts := []string{low.Text(), high.Text(), q.fromSK[0], q.fromSK[1]}
		for _, g := range got {
			for _, it := range g.Items {
				texts = append(texts, it.SK)
			}
		}
		if c, err := item.CompileSort(r.schema, q.opts.Sort); err == nil {
			for sk := range r.written[q.partition.Text()] {
				if c.Match(&types.AttributeValueMemberS{Value: sk}) {
					texts = append(texts, sk)
				}
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
