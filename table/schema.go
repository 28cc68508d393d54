package table

import (
	"fmt"
	"reflect"
	"strings"
)

// Schema describes a table's attributes that have a meaning to adapters.
type Schema struct {
	// PartitionKey names the partition key attribute; required.
	PartitionKey string
	// PartitionKeyKind is the partition key's type; KindNone means KindString.
	PartitionKeyKind Kind
	// SortKey names the sort key attribute; empty for a table without one.
	SortKey string
	// SortKeyKind is the sort key's type; KindNone means KindString.
	SortKeyKind Kind
	// Version names a number attribute used for optimistic concurrency; empty for none.
	Version string
	// ExpiresAt names a number attribute holding an expiry time in epoch seconds, as
	// DynamoDB's time to live reads it; empty for none.
	ExpiresAt string
}

// Validate reports a schema without a partition key, or with names used twice.
func (s Schema) Validate() error {
	if s.PartitionKey == "" {
		return fmt.Errorf("table: schema has no partition key: %w", ErrInvalidArgument)
	}
	seen := map[string]bool{}
	for _, n := range []string{s.PartitionKey, s.SortKey, s.Version, s.ExpiresAt} {
		if n == "" {
			continue
		}
		if seen[n] {
			return fmt.Errorf("table: schema uses attribute %q twice: %w", n, ErrInvalidArgument)
		}
		seen[n] = true
	}
	for _, k := range []Kind{s.PartitionKeyKind, s.SortKeyKind} {
		if k > KindBinary {
			return fmt.Errorf("table: schema has unknown key kind %d: %w", k, ErrInvalidArgument)
		}
	}
	return nil
}

// WithDefaults returns s with KindNone key kinds replaced by KindString.
func (s Schema) WithDefaults() Schema {
	if s.PartitionKeyKind == KindNone {
		s.PartitionKeyKind = KindString
	}
	if s.SortKey != "" && s.SortKeyKind == KindNone {
		s.SortKeyKind = KindString
	}
	if s.SortKey == "" {
		s.SortKeyKind = KindNone
	}
	return s
}

// SchemaOf reads a Schema from T's struct tags. A field tagged table:"partition",
// table:"sort", table:"version" or table:"expires" names that attribute; the attribute name
// is the field's dynamodbav name (or the field name), as attributevalue marshals it. Key
// kinds follow the field types: strings are KindString, numbers KindNumber, byte slices and
// arrays KindBinary. Fields of embedded structs count as attributevalue flattens them.
func SchemaOf[T any]() (Schema, error) {
	var s Schema
	t := reflect.TypeFor[T]()
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return s, fmt.Errorf("table: schema of %v: not a struct: %w", t, ErrInvalidArgument)
	}
	if err := readTags(t, &s, 0); err != nil {
		return s, fmt.Errorf("table: schema of %v: %w", t, err)
	}
	if err := s.Validate(); err != nil {
		return s, fmt.Errorf("table: schema of %v: %w", t, err)
	}
	return s.WithDefaults(), nil
}

func readTags(t reflect.Type, s *Schema, depth int) error {
	if depth > 8 {
		return nil
	}
	for i := range t.NumField() {
		f := t.Field(i)
		av := f.Tag.Get("dynamodbav")
		if av == "-" {
			continue
		}
		name, _, _ := strings.Cut(av, ",")
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			if err := readTags(ft, s, depth+1); err != nil {
				return err
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		role := f.Tag.Get("table")
		if role == "" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		var dst *string
		var kind *Kind
		switch role {
		case "partition":
			dst, kind = &s.PartitionKey, &s.PartitionKeyKind
		case "sort":
			dst, kind = &s.SortKey, &s.SortKeyKind
		case "version":
			dst = &s.Version
		case "expires":
			dst = &s.ExpiresAt
		default:
			return fmt.Errorf("field %s: unknown table tag %q: %w", f.Name, role, ErrInvalidArgument)
		}
		if *dst != "" {
			return fmt.Errorf("field %s: second table:%q field: %w", f.Name, role, ErrInvalidArgument)
		}
		*dst = name
		if kind != nil {
			*kind = kindOf(ft)
		}
	}
	return nil
}

func kindOf(t reflect.Type) Kind {
	switch t.Kind() {
	case reflect.String:
		return KindString
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return KindNumber
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return KindBinary
		}
	}
	return KindString
}
