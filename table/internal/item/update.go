package item

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/servous/servous/table"
	"github.com/servous/servous/table/internal/expr"
)

// Updated returns the item an UpdateItem of changes makes of old (nil: no item) under the
// key item key, as DynamoDB makes it: SET replaces an attribute, REMOVE drops it, ADD adds
// to a number (from zero when absent), and a versioned schema's version goes up by one. vals
// are the changes' values as CheckChanges returns them. old is not modified. The error wraps
// table.ErrInvalidArgument for an ADD to a stored value that is not a number, a sum out of
// DynamoDB's range, or a version at its maximum.
func Updated(s table.Schema, old, key Item, changes []table.Change, vals []types.AttributeValue) (Item, error) {
	it := make(Item, len(old)+len(changes)+1)
	for k, v := range old {
		it[k] = v
	}
	for k, v := range key {
		it[k] = v
	}
	for i, c := range changes {
		ch := expr.ChangeOf(c)
		switch ch.Op {
		case expr.ChangeSet:
			it[ch.Name] = vals[i]
		case expr.ChangeRemove:
			delete(it, ch.Name)
		case expr.ChangeAdd:
			cur := "0"
			if prev, ok := it[ch.Name]; ok {
				n, isN := prev.(*types.AttributeValueMemberN)
				if !isN {
					return nil, fmt.Errorf("add to %q: stored value is not a number: %w", ch.Name, table.ErrInvalidArgument)
				}
				cur = n.Value
			}
			sum, err := AddNumbers(cur, vals[i].(*types.AttributeValueMemberN).Value)
			if err != nil {
				return nil, fmt.Errorf("add to %q: %w", ch.Name, err)
			}
			it[ch.Name] = &types.AttributeValueMemberN{Value: sum}
		}
	}
	if s.Version != "" {
		v, err := Version(it, s.Version)
		if err != nil {
			return nil, err
		}
		next, err := NextVersion(s.Version, v)
		if err != nil {
			return nil, err
		}
		SetVersion(it, s.Version, next)
	}
	return it, nil
}
