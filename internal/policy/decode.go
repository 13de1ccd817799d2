package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/snapflow/snapflow/events"
	"github.com/snapflow/snapflow/internal/fieldpath"
)

// Decode parses a policy strictly, applies Normalize and returns it with
// Validate's verdict. Unknown fields (matched case-sensitively) and values
// of the wrong JSON type are reported by their path, e.g.
// `targets[1].kind: unknown field`, in a *ValidationError.
func Decode(data []byte) (events.Policy, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return events.Policy{}, invalidJSON(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return events.Policy{}, &ValidationError{Errors: []FieldError{{Rule: "unexpected data after the policy object"}}}
	}
	if doc == nil {
		return events.Policy{}, &ValidationError{Errors: []FieldError{{Rule: "must be a JSON object, not null"}}}
	}
	var e errs
	checkShape(&e, doc, reflect.TypeFor[events.Policy](), "")
	if err := e.err(); err != nil {
		return events.Policy{}, err
	}
	// Decode what checkShape saw: of duplicate keys, the last one. data
	// itself would fail on an earlier duplicate of the wrong type.
	shaped, err := json.Marshal(doc)
	if err != nil {
		return events.Policy{}, invalidJSON(err)
	}
	var p events.Policy
	if err := json.Unmarshal(shaped, &p); err != nil {
		return events.Policy{}, invalidJSON(err) // checkShape should have caught it
	}
	p = Normalize(p)
	return p, Validate(p)
}

func invalidJSON(err error) error {
	rule := "not valid JSON: " + err.Error()
	if se := (*json.SyntaxError)(nil); errors.As(err, &se) {
		rule = fmt.Sprintf("not valid JSON at byte %d: %v", se.Offset, se)
	}
	return &ValidationError{Errors: []FieldError{{Rule: rule}}}
}

var timeType = reflect.TypeFor[time.Time]()

// checkShape walks a generic JSON document alongside the Go type it is to
// be decoded into and records unknown fields and type mismatches. null is
// accepted anywhere, as encoding/json does.
func checkShape(e *errs, v any, t reflect.Type, path string) {
	if v == nil {
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	want := ""
	switch t.Kind() {
	case reflect.Struct:
		if t == timeType {
			want = "a string"
			if _, ok := v.(string); ok {
				return
			}
			break
		}
		obj, ok := v.(map[string]any)
		if !ok {
			want = "an object"
			break
		}
		fields := jsonFields(t)
		for _, k := range sortedKeys(obj) {
			ft, ok := fields[k]
			if !ok {
				e.add(fieldpath.Name(path, k), "unknown field")
				continue
			}
			checkShape(e, obj[k], ft, fieldpath.Name(path, k))
		}
		return
	case reflect.Map:
		obj, ok := v.(map[string]any)
		if !ok {
			want = "an object"
			break
		}
		for _, k := range sortedKeys(obj) {
			checkShape(e, obj[k], t.Elem(), fieldpath.Key(path, k))
		}
		return
	case reflect.Slice:
		arr, ok := v.([]any)
		if !ok {
			want = "an array"
			break
		}
		for i, x := range arr {
			checkShape(e, x, t.Elem(), fieldpath.Index(path, i))
		}
		return
	case reflect.String:
		if _, ok := v.(string); ok {
			return
		}
		want = "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if n, ok := v.(json.Number); ok {
			i, err := n.Int64()
			if err == nil && !reflect.Zero(t).OverflowInt(i) {
				return
			}
		}
		want = "an integer"
	case reflect.Bool:
		if _, ok := v.(bool); ok {
			return
		}
		want = "a boolean"
	default:
		return // no such field in the payloads
	}
	rule := "must be " + want + ", not " + jsonKind(v)
	if path == "" {
		rule = "must be a JSON object, not " + jsonKind(v)
	}
	e.add(path, rule)
}

// jsonFields maps the JSON names of t's exported fields to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	fields := make(map[string]reflect.Type, t.NumField())
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = f.Type
	}
	return fields
}

func jsonKind(v any) string {
	switch x := v.(type) {
	case string:
		return "a string"
	case json.Number:
		return "the number " + x.String()
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return "null"
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
