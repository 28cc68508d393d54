package tabletest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/servous/servous/table"
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
