package item

import (
	"fmt"
	"math"

	"github.com/servous/servous/table"
)

// MaxVersion is the highest version a versioned write can store. A version counts writes in
// an int64; rather than wrap round, or store a number no Go item can hold again, a write that
// would move a version past MaxVersion is refused with table.ErrInvalidArgument.
const MaxVersion = math.MaxInt64

// NextVersion returns the version a write stores over version v, or an error wrapping
// table.ErrInvalidArgument when v is MaxVersion.
func NextVersion(attr string, v int64) (int64, error) {
	if v == MaxVersion {
		return 0, fmt.Errorf("version attribute %q is at its maximum %d and cannot be incremented: %w", attr, v, table.ErrInvalidArgument)
	}
	return v + 1, nil
}

// Write is an item prepared for Put or Create.
type Write struct {
	// Item is the encoded item, its version attribute (if any) set to the version to store.
	Item Item
	// Key is the item's key; it is set even when the item does not encode, when known.
	Key table.Key
	// Cond is the compiled condition, nil for none.
	Cond *Cond
	// Version is the version the caller's item carried: the one a versioned Put expects
	// stored (zero: no live item).
	Version int64
	// Size is the item's size as DynamoDB counts it.
	Size int
}

// PrepareWrite encodes v for Put or Create and checks it as both adapters must before
// writing anything: the item as Encode does, the condition, the version's increment and the
// size of the item as it will be stored.
func PrepareWrite[T any](s table.Schema, v *T, cond table.Condition) (Write, error) {
	var w Write
	var err error
	if w.Item, w.Key, err = Encode(s, v); err != nil {
		return w, err
	}
	if w.Cond, err = CompileCondition(cond); err != nil {
		return w, err
	}
	if s.Version != "" {
		if w.Version, err = Version(w.Item, s.Version); err != nil {
			return w, err
		}
		next, err := NextVersion(s.Version, w.Version)
		if err != nil {
			return w, err
		}
		SetVersion(w.Item, s.Version, next)
	}
	if w.Size, err = CheckSize(w.Item); err != nil {
		return w, err
	}
	return w, nil
}
