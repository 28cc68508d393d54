package item

import (
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/servous/servous/table"
	"github.com/servous/servous/table/internal/expr"
)

// CheckKey checks a key against the schema: the sort key present exactly when the table
// has one, kinds as declared, lengths within DynamoDB's limits, numbers valid. The schema
// must have its defaults applied.
func CheckKey(s table.Schema, k table.Key) error {
	if err := checkPart("partition", s.PartitionKey, s.PartitionKeyKind, k.Partition, table.MaxPartitionKeyLen); err != nil {
		return err
	}
	if s.SortKey == "" {
		if !k.Sort.IsZero() {
			return fmt.Errorf("key %v: the table has no sort key: %w", k, table.ErrInvalidKey)
		}
		return nil
	}
	return checkPart("sort", s.SortKey, s.SortKeyKind, k.Sort, table.MaxSortKeyLen)
}

func checkPart(role, name string, kind table.Kind, v table.Value, max int) error {
	switch {
	case v.IsZero():
		return fmt.Errorf("%s key %q missing: %w", role, name, table.ErrInvalidKey)
	case v.Kind() != kind:
		return fmt.Errorf("%s key %q is %v, want %v: %w", role, name, v.Kind(), kind, table.ErrInvalidKey)
	case v.Len() == 0:
		return fmt.Errorf("%s key %q is empty: %w", role, name, table.ErrInvalidKey)
	case v.Len() > max:
		return fmt.Errorf("%s key %q has %d bytes, more than %d: %w", role, name, v.Len(), max, table.ErrInvalidKey)
	}
	if kind == table.KindString && !utf8.ValidString(v.Text()) {
		return fmt.Errorf("%s key %q is not valid UTF-8: %w", role, name, table.ErrInvalidKey)
	}
	if kind == table.KindNumber {
		if _, err := NormalizeNumber(v.Text()); err != nil {
			return fmt.Errorf("%s key %q: %w: %w", role, name, table.ErrInvalidKey, err)
		}
	}
	return nil
}

// KeyOf returns the key of an item, checked against the schema.
func KeyOf(s table.Schema, it Item) (table.Key, error) {
	var k table.Key
	var ok bool
	if av, present := it[s.PartitionKey]; present {
		if k.Partition, ok = KeyValue(av); !ok {
			return k, fmt.Errorf("partition key %q is not S, N or B: %w", s.PartitionKey, table.ErrInvalidKey)
		}
	}
	if s.SortKey != "" {
		if av, present := it[s.SortKey]; present {
			if k.Sort, ok = KeyValue(av); !ok {
				return k, fmt.Errorf("sort key %q is not S, N or B: %w", s.SortKey, table.ErrInvalidKey)
			}
		}
	}
	return k, CheckKey(s, k)
}

// KeyItem returns the key as attributes of a checked key.
func KeyItem(s table.Schema, k table.Key) (Item, error) {
	if err := CheckKey(s, k); err != nil {
		return nil, err
	}
	pk, err := ValueOf(k.Partition)
	if err != nil {
		return nil, err
	}
	it := Item{s.PartitionKey: pk}
	if s.SortKey != "" {
		sk, err := ValueOf(k.Sort)
		if err != nil {
			return nil, err
		}
		it[s.SortKey] = sk
	}
	return it, nil
}

// KeyString returns a string identifying a checked key, equal for equal keys (numbers
// compared by value).
func KeyString(k table.Key) string {
	return valueString(k.Partition) + "\x00" + valueString(k.Sort)
}

func valueString(v table.Value) string {
	t := v.Text()
	if v.Kind() == table.KindNumber {
		if n, err := NormalizeNumber(t); err == nil {
			t = n
		}
	}
	return v.Kind().String() + strconv.Itoa(len(t)) + ":" + t
}

// CheckChanges checks an update's changes: names present, no key or version attribute, no
// attribute changed twice, Add only of numbers; it returns the marshaled operands.
func CheckChanges(s table.Schema, changes []table.Change) ([]types.AttributeValue, error) {
	seen := map[string]bool{}
	vals := make([]types.AttributeValue, len(changes))
	for i, ch := range changes {
		c := expr.ChangeOf(ch)
		if err := CheckName(c.Name); err != nil {
			return nil, fmt.Errorf("change %d: %w", i, err)
		}
		switch {
		case c.Name == s.PartitionKey || c.Name == s.SortKey:
			return nil, fmt.Errorf("change of key attribute %q: %w", c.Name, table.ErrInvalidKey)
		case c.Name == s.Version && s.Version != "":
			return nil, fmt.Errorf("change of version attribute %q: %w", c.Name, table.ErrInvalidArgument)
		case seen[c.Name]:
			return nil, fmt.Errorf("attribute %q changed twice: %w", c.Name, table.ErrInvalidArgument)
		}
		seen[c.Name] = true
		switch c.Op {
		case expr.ChangeSet, expr.ChangeAdd:
			v, err := Marshal(c.Value)
			if err != nil {
				return nil, fmt.Errorf("change of %q: %w", c.Name, err)
			}
			if _, isN := v.(*types.AttributeValueMemberN); c.Op == expr.ChangeAdd && !isN {
				return nil, fmt.Errorf("add to %q: operand is not a number: %w", c.Name, table.ErrInvalidArgument)
			}
			vals[i] = v
		case expr.ChangeRemove:
		default:
			return nil, fmt.Errorf("change of %q: unknown operator %d: %w", c.Name, c.Op, table.ErrInvalidArgument)
		}
	}
	return vals, nil
}

// Encode marshals v as attributevalue does, and checks it as DynamoDB would before storing it:
// its key against the schema, its numbers in range, its strings UTF-8. Both adapters encode
// items this way, so they refuse the same items with the same errors.
func Encode[T any](s table.Schema, v *T) (Item, table.Key, error) {
	if v == nil {
		return nil, table.Key{}, fmt.Errorf("nil item: %w", table.ErrInvalidArgument)
	}
	it, err := attributevalue.MarshalMap(v)
	if err != nil {
		return nil, table.Key{}, fmt.Errorf("marshal: %w: %w", table.ErrInvalidArgument, err)
	}
	k, err := KeyOf(s, it)
	if err != nil {
		return nil, k, err
	}
	if err := Normalize(it); err != nil {
		return nil, k, err
	}
	return it, k, nil
}
