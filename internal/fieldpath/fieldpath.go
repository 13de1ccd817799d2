// Package fieldpath writes and reads the field paths that name a bad value
// in snapflow's validation errors (internal/policy, internal/config): names
// joined by dots (a name that is not plain is quoted in brackets), array
// indexes [n], and map keys quoted in brackets (Go syntax, as %q writes
// them), e.g. `policies[0].targets[1].id` or `tags["team.name"]`.
package fieldpath

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Name appends a field name or map key to a path: after a dot when it is a
// plain name (letters, digits, '_' and '-'), else quoted in brackets, so
// the path stays unambiguous.
func Name(path, name string) string {
	switch {
	case !plain(name):
		return fmt.Sprintf("%s[%q]", path, name)
	case path == "":
		return name
	}
	return path + "." + name
}

// Key appends a map key to a path, always quoted in brackets
// (`tags["team"]`): a key is data, not a field of the schema.
func Key(path, key string) string { return fmt.Sprintf("%s[%q]", path, key) }

// Index appends an array index to a path.
func Index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// Append appends a whole path (sub, as Name and Index write them) to a path.
func Append(path, sub string) string {
	if sub == "" || path == "" || strings.HasPrefix(sub, "[") {
		return path + sub
	}
	return path + "." + sub
}

func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		if !nameByte(s[i]) {
			return false
		}
	}
	return s != ""
}

func nameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// Step is one step of a path: a name or key (Index -1), or an index.
type Step struct {
	Key   string
	Index int
}

// Parse checks that p is a path as Name, Index and Append write them and
// splits it into its steps.
func Parse(p string) ([]Step, error) {
	if p == "" {
		return nil, errors.New("empty path")
	}
	var steps []Step
	for i := 0; p != ""; i++ {
		switch {
		case strings.HasPrefix(p, `["`):
			q, err := strconv.QuotedPrefix(p[1:])
			if err != nil || !strings.HasPrefix(p[1+len(q):], "]") {
				return nil, fmt.Errorf("bad quoted key at %q", p)
			}
			k, _ := strconv.Unquote(q)
			steps = append(steps, Step{k, -1})
			p = p[len(q)+2:]
		case strings.HasPrefix(p, "["):
			end := strings.IndexByte(p, ']')
			if end < 2 || strings.Trim(p[1:end], "0123456789") != "" {
				return nil, fmt.Errorf("bad index at %q", p)
			}
			n, err := strconv.Atoi(p[1:end])
			if err != nil {
				return nil, fmt.Errorf("bad index at %q", p)
			}
			steps = append(steps, Step{"", n})
			p = p[end+1:]
		default:
			if i > 0 {
				if p[0] != '.' {
					return nil, fmt.Errorf("want '.' or '[' at %q", p)
				}
				p = p[1:]
			}
			n := 0
			for n < len(p) && nameByte(p[n]) {
				n++
			}
			if n == 0 {
				return nil, fmt.Errorf("empty or bad name at %q", p)
			}
			steps = append(steps, Step{p[:n], -1})
			p = p[n:]
		}
	}
	return steps, nil
}

// Lookup reports whether steps name a value of doc, a document decoded
// into any (maps of string keys, slices).
func Lookup(doc any, steps []Step) bool {
	for _, s := range steps {
		switch v := doc.(type) {
		case map[string]any:
			x, ok := v[s.Key]
			if !ok || s.Index >= 0 {
				return false
			}
			doc = x
		case []any:
			if s.Index < 0 || s.Index >= len(v) {
				return false
			}
			doc = v[s.Index]
		default:
			return false
		}
	}
	return true
}
