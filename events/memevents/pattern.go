package memevents

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
)

// matcher tests one value of an event against one element of a pattern's
// array. present reports whether the field exists at all.
type matcher func(v any, present bool) bool

// pattern is a compiled EventBridge event pattern for an object: each field
// names either a nested pattern or the matchers one of which must accept the
// field's value.
type pattern struct {
	fields []patternField
}

type patternField struct {
	name     string
	nested   *pattern
	matchers []matcher
}

// compilePattern compiles the subset of EventBridge's pattern syntax that
// memevents supports: nested objects, arrays of literal values (strings,
// numbers, booleans, null), and the operators prefix, suffix,
// equals-ignore-case, exists, anything-but and numeric.
func compilePattern(src string) (*pattern, error) {
	dec := json.NewDecoder(strings.NewReader(src))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after the pattern")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("a pattern is a JSON object")
	}
	return compileObject(m)
}

func compileObject(m map[string]any) (*pattern, error) {
	p := &pattern{}
	for name, v := range m {
		f := patternField{name: name}
		switch x := v.(type) {
		case map[string]any:
			nested, err := compileObject(x)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			f.nested = nested
		case []any:
			if len(x) == 0 {
				return nil, fmt.Errorf("%s: empty array matches nothing", name)
			}
			for _, el := range x {
				mt, err := compileMatcher(el)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", name, err)
				}
				f.matchers = append(f.matchers, mt)
			}
		default:
			return nil, fmt.Errorf("%s: a pattern field's value is an object or an array, not %s", name, jsonString(v))
		}
		p.fields = append(p.fields, f)
	}
	return p, nil
}

func compileMatcher(el any) (matcher, error) {
	switch x := el.(type) {
	case nil, string, bool, json.Number:
		want := el
		return func(v any, present bool) bool { return present && equalLiteral(want, v) }, nil
	case map[string]any:
		if len(x) != 1 {
			return nil, fmt.Errorf("an operator object has one key: %s", jsonString(x))
		}
		for op, arg := range x {
			return compileOperator(op, arg)
		}
	}
	return nil, fmt.Errorf("unsupported pattern value %s", jsonString(el))
}

func compileOperator(op string, arg any) (matcher, error) {
	switch op {
	case "prefix", "suffix", "equals-ignore-case":
		s, ok := arg.(string)
		if !ok {
			return nil, fmt.Errorf("%s takes a string", op)
		}
		return func(v any, present bool) bool {
			got, ok := v.(string)
			if !present || !ok {
				return false
			}
			switch op {
			case "prefix":
				return strings.HasPrefix(got, s)
			case "suffix":
				return strings.HasSuffix(got, s)
			}
			return strings.EqualFold(got, s)
		}, nil
	case "exists":
		want, ok := arg.(bool)
		if !ok {
			return nil, fmt.Errorf("exists takes true or false")
		}
		return func(v any, present bool) bool { return present == want }, nil
	case "anything-but":
		var excluded []any
		switch x := arg.(type) {
		case []any:
			excluded = x
		case string, json.Number, bool, nil:
			excluded = []any{x}
		case map[string]any:
			p, ok := x["prefix"].(string)
			if len(x) != 1 || !ok {
				return nil, fmt.Errorf("anything-but takes values or {\"prefix\": string}")
			}
			return func(v any, present bool) bool {
				s, ok := v.(string)
				return present && ok && !strings.HasPrefix(s, p)
			}, nil
		default:
			return nil, fmt.Errorf("anything-but takes values")
		}
		return func(v any, present bool) bool {
			if !present {
				return false
			}
			for _, e := range excluded {
				if equalLiteral(e, v) {
					return false
				}
			}
			return true
		}, nil
	case "numeric":
		return compileNumeric(arg)
	}
	return nil, fmt.Errorf("unsupported operator %q", op)
}

func compileNumeric(arg any) (matcher, error) {
	list, ok := arg.([]any)
	if !ok || len(list) == 0 || len(list)%2 != 0 || len(list) > 4 {
		return nil, fmt.Errorf("numeric takes [op, n] or [op, n, op, n]")
	}
	type cond struct {
		op string
		n  float64
	}
	var conds []cond
	for i := 0; i < len(list); i += 2 {
		op, ok1 := list[i].(string)
		num, ok2 := list[i+1].(json.Number)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("numeric takes [op, n] or [op, n, op, n]")
		}
		n, err := num.Float64()
		if err != nil {
			return nil, err
		}
		switch op {
		case "=", "<", "<=", ">", ">=":
		default:
			return nil, fmt.Errorf("numeric operator %q", op)
		}
		conds = append(conds, cond{op, n})
	}
	return func(v any, present bool) bool {
		f, ok := toFloat(v)
		if !present || !ok {
			return false
		}
		for _, c := range conds {
			var r bool
			switch c.op {
			case "=":
				r = f == c.n
			case "<":
				r = f < c.n
			case "<=":
				r = f <= c.n
			case ">":
				r = f > c.n
			case ">=":
				r = f >= c.n
			}
			if !r {
				return false
			}
		}
		return true
	}, nil
}

func toFloat(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil && !math.IsInf(f, 0)
}

func equalLiteral(want, got any) bool {
	switch w := want.(type) {
	case json.Number:
		a, ok1 := toFloat(w)
		b, ok2 := toFloat(got)
		return ok1 && ok2 && a == b
	case nil:
		return got == nil
	}
	return want == got
}

// match reports whether the object obj satisfies p.
func (p *pattern) match(obj map[string]any) bool {
	for _, f := range p.fields {
		v, present := obj[f.name]
		if f.nested != nil {
			if !f.nested.matchNested(v) {
				return false
			}
			continue
		}
		if !f.matchValue(v, present) {
			return false
		}
	}
	return true
}

// matchNested matches an object, or any object of an array, as EventBridge
// does for patterns on fields inside arrays.
func (p *pattern) matchNested(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		return p.match(x)
	case []any:
		for _, el := range x {
			if p.matchNested(el) {
				return true
			}
		}
	}
	return false
}

// matchValue applies the matchers to a value; an array in the event matches
// when any element does, as in EventBridge.
func (f *patternField) matchValue(v any, present bool) bool {
	if arr, ok := v.([]any); ok {
		for _, el := range arr {
			if f.matchValue(el, true) {
				return true
			}
		}
		return false
	}
	for _, m := range f.matchers {
		if m(v, present) {
			return true
		}
	}
	return false
}

// decodeDetail returns the detail object of an EventBridge payload, or nil.
func decodeDetail(payload []byte) map[string]any {
	var env struct {
		Detail json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(payload, &env) != nil || len(env.Detail) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(env.Detail))
	dec.UseNumber()
	var detail map[string]any
	if dec.Decode(&detail) != nil {
		return nil
	}
	return detail
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
