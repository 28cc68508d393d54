package awsapp_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/awslabs/goformation/v7/cloudformation"
)

// TestTemplateMatchesSchema checks every resource of the template against the CloudFormation
// and SAM resource types as goformation generates them from AWS's specification: known
// resource types, no unknown property at any depth, every required property present, lists
// where lists go and numbers and booleans where they go. A SAM function is checked with the
// Globals merged in, as SAM merges them. Values made by intrinsic functions are not checked,
// nor are the SAM properties that take one of several shapes (CodeUri, Policies, event
// properties, a Function URL's Cors), which goformation decodes by hand.
func TestTemplateMatchesSchema(t *testing.T) {
	tpl := loadTemplate(t)
	types := cloudformation.AllResources()
	resources := lookup(tpl, "Resources").(map[string]any)
	for _, id := range slices.Sorted(maps.Keys(resources)) {
		r := resources[id].(map[string]any)
		for k := range r {
			switch k {
			case "Type", "Properties", "DependsOn", "Metadata", "Condition", "DeletionPolicy", "UpdateReplacePolicy":
			default:
				t.Errorf("%s: unknown resource attribute %s", id, k)
			}
		}
		typ, _ := r["Type"].(string)
		res, ok := types[typ]
		if !ok {
			t.Errorf("%s: unknown resource type %q", id, typ)
			continue
		}
		props, _ := r["Properties"].(map[string]any)
		if props == nil {
			props = map[string]any{}
		}
		if typ == "AWS::Serverless::Function" {
			props = withGlobals(lookup(tpl, "Globals", "Function"), props).(map[string]any)
		}
		c := schemaCheck{t: t}
		c.check(id, props, reflect.TypeOf(res))
	}
}

// withGlobals merges SAM's Globals under a resource's properties: maps merge key by key, and
// anything else the resource sets wins.
func withGlobals(globals, props any) any {
	g, gok := globals.(map[string]any)
	p, pok := props.(map[string]any)
	if !gok || !pok {
		if props != nil {
			return props
		}
		return globals
	}
	out := maps.Clone(g)
	for k, v := range p {
		out[k] = withGlobals(g[k], v)
	}
	return out
}

type schemaCheck struct{ t *testing.T }

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

func (c schemaCheck) check(path string, v any, typ reflect.Type) {
	c.t.Helper()
	if m, ok := v.(map[string]any); ok && len(m) == 1 {
		for k := range m {
			if k == "Ref" || strings.HasPrefix(k, "Fn::") {
				return // an intrinsic function: its value is known at deployment
			}
		}
	}
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if reflect.PointerTo(typ).Implements(unmarshalerType) && typ.Kind() == reflect.Struct && !isResource(typ) {
		return // one of several shapes, decoded by hand
	}
	switch typ.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			c.t.Errorf("%s: want an object (%s), got %v", path, typ.Name(), v)
			return
		}
		fields := map[string]reflect.Type{}
		for i := range typ.NumField() {
			f := typ.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			fields[name] = f.Type
			if _, ok := m[name]; !ok && !strings.Contains(opts, "omitempty") {
				c.t.Errorf("%s: missing required property %s", path, name)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			ft, ok := fields[k]
			if !ok {
				c.t.Errorf("%s: unknown property %s of %s", path, k, typ.Name())
				continue
			}
			c.check(path+"."+k, m[k], ft)
		}
	case reflect.Slice:
		s, ok := v.([]any)
		if !ok {
			c.t.Errorf("%s: want a list, got %v", path, v)
			return
		}
		for i, x := range s {
			c.check(fmt.Sprintf("%s[%d]", path, i), x, typ.Elem())
		}
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			c.t.Errorf("%s: want an object, got %v", path, v)
			return
		}
		for k, x := range m {
			c.check(path+"."+k, x, typ.Elem())
		}
	case reflect.Int, reflect.Int64, reflect.Float64:
		if s, ok := v.(string); !ok || func() bool { _, err := strconv.ParseFloat(s, 64); return err != nil }() {
			c.t.Errorf("%s: want a number, got %v", path, v)
		}
	case reflect.Bool:
		if s, ok := v.(string); !ok || s != "true" && s != "false" {
			c.t.Errorf("%s: want true or false, got %v", path, v)
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			c.t.Errorf("%s: want a string, got %v", path, v)
		}
	}
}

// isResource reports whether typ is a resource's own type, whose JSON methods wrap it in Type
// and Properties rather than choosing among shapes.
func isResource(typ reflect.Type) bool {
	_, ok := reflect.New(typ).Interface().(cloudformation.Resource)
	if !ok {
		return false
	}
	name := reflect.New(typ).Interface().(cloudformation.Resource).AWSCloudFormationType()
	return !strings.Contains(name, ".")
}
