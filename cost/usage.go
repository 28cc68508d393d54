package cost

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
)

// Usage is a snapshot of metered units: a quantity for each [Key]. Quantities add: the usage
// of two runs is the sum of their usages ([Usage.Add]), and the usage of what happened
// between two snapshots is their difference ([Usage.Sub]).
//
// It marshals to JSON as an array of {"service", "resource", "unit", "quantity"} objects,
// sorted by service, resource and unit; see [Line].
type Usage map[Key]float64

// A Line is one quantity of a [Usage], as its JSON form lists it.
type Line struct {
	Service  string  `json:"service"`
	Resource string  `json:"resource"`
	Unit     string  `json:"unit"`
	Quantity float64 `json:"quantity"`
}

// Get returns the quantity metered of a unit of a resource of a service.
func (u Usage) Get(service, resource, unit string) float64 {
	return u[Key{service, resource, unit}]
}

// Sub returns u minus v: what was metered after snapshot v was taken, when u is a later
// snapshot of the same meter. Quantities that come out zero are left out.
func (u Usage) Sub(v Usage) Usage {
	out := maps.Clone(u)
	if out == nil {
		out = make(Usage)
	}
	for k, q := range v {
		out[k] -= q
		if out[k] == 0 {
			delete(out, k)
		}
	}
	return out
}

// Add returns u plus v, such as the usage of two processes.
func (u Usage) Add(v Usage) Usage {
	out := maps.Clone(u)
	if out == nil {
		out = make(Usage)
	}
	for k, q := range v {
		out[k] += q
		if out[k] == 0 {
			delete(out, k)
		}
	}
	return out
}

// Lines returns u's quantities sorted by service, resource and unit.
func (u Usage) Lines() []Line {
	lines := make([]Line, 0, len(u))
	for k, q := range u {
		lines = append(lines, Line{k.Service, k.Resource, k.Unit, q})
	}
	slices.SortFunc(lines, func(a, b Line) int {
		return cmp.Or(cmp.Compare(a.Service, b.Service), cmp.Compare(a.Resource, b.Resource), cmp.Compare(a.Unit, b.Unit))
	})
	return lines
}

// MarshalJSON writes u as an array of [Line] objects.
func (u Usage) MarshalJSON() ([]byte, error) { return json.Marshal(u.Lines()) }

// UnmarshalJSON reads what MarshalJSON writes, adding up lines of the same key.
func (u *Usage) UnmarshalJSON(data []byte) error {
	var lines []Line
	if err := json.Unmarshal(data, &lines); err != nil {
		return fmt.Errorf("cost: usage: %w", err)
	}
	if *u == nil {
		*u = make(Usage, len(lines))
	}
	for _, l := range lines {
		(*u)[Key{l.Service, l.Resource, l.Unit}] += l.Quantity
	}
	return nil
}
