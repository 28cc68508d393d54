package table

import (
	"errors"
	"fmt"
)

var (
	// ErrNotFound means no live item has the key.
	ErrNotFound = errors.New("table: not found")
	// ErrAlreadyExists means Create found a live item with the key.
	ErrAlreadyExists = errors.New("table: already exists")
	// ErrConditionFailed means a write's condition did not hold, so nothing was written.
	ErrConditionFailed = errors.New("table: condition failed")
	// ErrVersionConflict means the stored version differs from the one the caller read.
	// errors.Is(ErrVersionConflict, ErrConditionFailed) holds.
	ErrVersionConflict = fmt.Errorf("table: version conflict: %w", ErrConditionFailed)
	// ErrTooLarge means an item exceeds DynamoDB's 400 KB item size.
	ErrTooLarge = errors.New("table: item too large")
	// ErrInvalidKey means a key is missing, empty, too long or of the wrong type.
	ErrInvalidKey = errors.New("table: invalid key")
	// ErrInvalidArgument means a call was malformed in another way: a bad condition,
	// update or cursor, or an item that does not marshal to an attribute map.
	ErrInvalidArgument = errors.New("table: invalid argument")
)
