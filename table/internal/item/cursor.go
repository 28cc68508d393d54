package item

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/servous/servous/table"
)

// cursor is a query's position, the key of the last item a page held, and its direction.
type cursor struct {
	Desc      bool       `json:"d,omitempty"`
	Partition [2]string  `json:"p"`
	Sort      *[2]string `json:"s,omitempty"`
}

func cursorValue(v table.Value) [2]string {
	text := v.Text()
	if v.Kind() == table.KindBinary {
		// JSON strings hold UTF-8 only; binary keys travel as base64.
		text = base64.StdEncoding.EncodeToString(v.Bytes())
	}
	return [2]string{v.Kind().String(), text}
}

func cursorValueOf(c [2]string) (types.AttributeValue, bool) {
	var v table.Value
	switch c[0] {
	case "S":
		v = table.String(c[1])
	case "N":
		v = table.NumberText(c[1])
	case "B":
		b, err := base64.StdEncoding.DecodeString(c[1])
		if err != nil {
			return nil, false
		}
		v = table.Binary(b)
	default:
		return nil, false
	}
	av, err := ValueOf(v)
	return av, err == nil
}

// EncodeCursor returns the cursor that continues a query in direction desc after the item
// with the key attributes in key (an item, or DynamoDB's LastEvaluatedKey). Both adapters
// write cursors this way.
func EncodeCursor(s table.Schema, key Item, desc bool) string {
	pk, _ := KeyValue(key[s.PartitionKey])
	c := cursor{Desc: desc, Partition: cursorValue(pk)}
	if s.SortKey != "" {
		sk, _ := KeyValue(key[s.SortKey])
		v := cursorValue(sk)
		c.Sort = &v
	}
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor returns the key attributes a cursor continues after. A cursor of another
// partition, direction or schema, or whose sort key lies outside the query's sort
// condition sc, is refused with table.ErrInvalidArgument, as DynamoDB refuses such a
// starting key.
func DecodeCursor(s table.Schema, text string, partition table.Value, sc *SortCond, desc bool) (Item, error) {
	bad := fmt.Errorf("cursor %q is not one of this query's: %w", text, table.ErrInvalidArgument)
	b, err := base64.RawURLEncoding.DecodeString(text)
	if err != nil {
		return nil, bad
	}
	var c cursor
	if json.Unmarshal(b, &c) != nil || c.Desc != desc || (c.Sort != nil) != (s.SortKey != "") {
		return nil, bad
	}
	pk, ok := cursorValueOf(c.Partition)
	want, _ := ValueOf(partition)
	if !ok || !Equal(pk, want) {
		return nil, bad
	}
	key := Item{s.PartitionKey: pk}
	if c.Sort == nil {
		return key, nil
	}
	sk, ok := cursorValueOf(*c.Sort)
	if kv, _ := KeyValue(sk); !ok || kv.Kind() != s.SortKeyKind {
		return nil, bad
	}
	if !sc.Match(sk) {
		return nil, fmt.Errorf("cursor %q lies outside the sort condition: %w", text, table.ErrInvalidArgument)
	}
	key[s.SortKey] = sk
	return key, nil
}
