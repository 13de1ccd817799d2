package localmisc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"sort"
	"strings"
)

// EventBridge event patterns (EventBridge User Guide, "Creating event
// patterns", "Content filtering in Amazon EventBridge event patterns" and
// "Comparison operators for use in event patterns"). A pattern is a JSON
// object shaped like the events it matches: every field of the pattern must
// match (AND); a leaf is an array of values or filters, any of which may
// match (OR); when the event's field is an array, the pattern matches if it
// matches any element. Supported here: exact values (strings, numbers,
// true, false, null), prefix and suffix (optionally with
// equals-ignore-case), equals-ignore-case, anything-but (a value, a list of
// values, or a prefix/suffix/equals-ignore-case/wildcard filter), exists,
// numeric ranges, wildcard, cidr and $or.

// Pattern is a compiled event pattern.
type Pattern struct {
	root *objPattern
}

type objPattern struct {
	fields []fieldPattern
	ors    [][]*objPattern
}

type fieldPattern struct {
	key    string
	nested *objPattern
	leaf   []matcher
}

type matcherKind int

const (
	mExact matcherKind = iota
	mPrefix
	mSuffix
	mEqualsIgnoreCase
	mWildcard
	mNumeric
	mCIDR
	mExists
	mAnythingBut
)

type matcher struct {
	kind   matcherKind
	value  any // mExact: string, float64, bool or nil
	str    string
	fold   bool // prefix/suffix with equals-ignore-case
	exists bool
	nums   []numCond
	ipnet  *net.IPNet
	not    []matcher // mAnythingBut: the values or filter excluded
}

type numCond struct {
	op string
	n  float64
}

// PatternError is an invalid event pattern; the SDKs see it as
// InvalidEventPatternException.
type PatternError struct{ Reason string }

// Error returns the message EventBridge gives an invalid pattern.
func (e *PatternError) Error() string { return "Event pattern is not valid. Reason: " + e.Reason }

func patternErr(format string, args ...any) *PatternError {
	return &PatternError{Reason: fmt.Sprintf(format, args...)}
}

// CompilePattern parses and checks an event pattern.
func CompilePattern(text string) (*Pattern, error) {
	var raw any
	dec := json.NewDecoder(bytes.NewReader([]byte(text)))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, patternErr("Filter is not valid JSON")
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, patternErr("Filter is not an object")
	}
	root, err := compileObject(obj)
	if err != nil {
		return nil, err
	}
	return &Pattern{root: root}, nil
}

func compileObject(obj map[string]any) (*objPattern, error) {
	if len(obj) == 0 {
		return nil, patternErr("Empty objects are not allowed")
	}
	p := &objPattern{}
	for _, key := range sortedAnyKeys(obj) {
		v := obj[key]
		if key == "$or" {
			alts, ok := v.([]any)
			if !ok || len(alts) < 2 {
				return nil, patternErr("Value of $or must be an array of at least two objects")
			}
			var group []*objPattern
			for _, a := range alts {
				ao, ok := a.(map[string]any)
				if !ok {
					return nil, patternErr("Value of $or must be an array of at least two objects")
				}
				sub, err := compileObject(ao)
				if err != nil {
					return nil, err
				}
				group = append(group, sub)
			}
			p.ors = append(p.ors, group)
			continue
		}
		switch x := v.(type) {
		case map[string]any:
			sub, err := compileObject(x)
			if err != nil {
				return nil, err
			}
			p.fields = append(p.fields, fieldPattern{key: key, nested: sub})
		case []any:
			if len(x) == 0 {
				return nil, patternErr("Empty arrays are not allowed")
			}
			var ms []matcher
			for _, item := range x {
				m, err := compileMatcher(item)
				if err != nil {
					return nil, err
				}
				ms = append(ms, m)
			}
			p.fields = append(p.fields, fieldPattern{key: key, leaf: ms})
		default:
			return nil, patternErr("\"%s\" must be an object or an array", key)
		}
	}
	return p, nil
}

func compileMatcher(item any) (matcher, error) {
	switch x := item.(type) {
	case string, bool, nil:
		return matcher{kind: mExact, value: x}, nil
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return matcher{}, patternErr("Invalid number %s", x)
		}
		return matcher{kind: mExact, value: f}, nil
	case map[string]any:
		if len(x) != 1 {
			return matcher{}, patternErr("Only one key allowed in match expression")
		}
		for k, v := range x {
			return compileFilter(k, v)
		}
	}
	return matcher{}, patternErr("Match value must be String, number, true, false, or null")
}

// stringOrIgnoreCase reads the operand of prefix/suffix: a string, or
// {"equals-ignore-case": string}.
func stringOrIgnoreCase(op string, v any) (string, bool, error) {
	if s, ok := v.(string); ok {
		return s, false, nil
	}
	if m, ok := v.(map[string]any); ok && len(m) == 1 {
		if s, ok := m["equals-ignore-case"].(string); ok {
			return s, true, nil
		}
	}
	return "", false, patternErr("%s match pattern must be a string", op)
}

func compileFilter(op string, v any) (matcher, error) {
	switch op {
	case "prefix", "suffix":
		s, fold, err := stringOrIgnoreCase(op, v)
		if err != nil {
			return matcher{}, err
		}
		kind := mPrefix
		if op == "suffix" {
			kind = mSuffix
		}
		return matcher{kind: kind, str: s, fold: fold}, nil
	case "equals-ignore-case":
		s, ok := v.(string)
		if !ok {
			return matcher{}, patternErr("equals-ignore-case match pattern must be a string")
		}
		return matcher{kind: mEqualsIgnoreCase, str: s}, nil
	case "wildcard":
		s, ok := v.(string)
		if !ok {
			return matcher{}, patternErr("wildcard match pattern must be a string")
		}
		if strings.Contains(s, "**") {
			return matcher{}, patternErr("Consecutive wildcard characters at pos %d", strings.Index(s, "**")+1)
		}
		return matcher{kind: mWildcard, str: s}, nil
	case "exists":
		b, ok := v.(bool)
		if !ok {
			return matcher{}, patternErr("exists match pattern must be either true or false.")
		}
		return matcher{kind: mExists, exists: b}, nil
	case "cidr":
		s, ok := v.(string)
		if !ok {
			return matcher{}, patternErr("prefix match pattern must be a string")
		}
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			return matcher{}, patternErr("Malformed CIDR, one '/' required")
		}
		return matcher{kind: mCIDR, ipnet: n}, nil
	case "numeric":
		return compileNumeric(v)
	case "anything-but":
		return compileAnythingBut(v)
	}
	return matcher{}, patternErr("Unrecognized match type %s", op)
}

func compileNumeric(v any) (matcher, error) {
	arr, ok := v.([]any)
	if !ok || (len(arr) != 2 && len(arr) != 4) {
		return matcher{}, patternErr("Value of numeric must be an array.")
	}
	m := matcher{kind: mNumeric}
	for i := 0; i < len(arr); i += 2 {
		op, ok := arr[i].(string)
		if !ok {
			return matcher{}, patternErr("Invalid member in numeric match")
		}
		switch op {
		case "<", "<=", "=", ">", ">=":
		default:
			return matcher{}, patternErr("Unrecognized numeric range operator: %s", op)
		}
		num, ok := arr[i+1].(json.Number)
		if !ok {
			return matcher{}, patternErr("Value of %s must be numeric", op)
		}
		f, err := num.Float64()
		if err != nil {
			return matcher{}, patternErr("Value of %s must be numeric", op)
		}
		m.nums = append(m.nums, numCond{op, f})
	}
	if len(m.nums) == 2 && (m.nums[0].op == "=" || m.nums[1].op == "=") {
		return matcher{}, patternErr("Invalid numeric range")
	}
	return m, nil
}

func compileAnythingBut(v any) (matcher, error) {
	m := matcher{kind: mAnythingBut}
	switch x := v.(type) {
	case string, json.Number:
		in, err := compileMatcher(x)
		if err != nil {
			return matcher{}, err
		}
		m.not = []matcher{in}
	case []any:
		if len(x) == 0 {
			return matcher{}, patternErr("Empty arrays are not allowed")
		}
		for _, it := range x {
			switch it.(type) {
			case string, json.Number:
			default:
				return matcher{}, patternErr("Inside anything but list, start|null|boolean is not supported.")
			}
			in, err := compileMatcher(it)
			if err != nil {
				return matcher{}, err
			}
			m.not = append(m.not, in)
		}
	case map[string]any:
		if len(x) != 1 {
			return matcher{}, patternErr("Only one key allowed in match expression")
		}
		for k, val := range x {
			switch k {
			case "prefix", "suffix", "wildcard":
				s, ok := val.(string)
				if !ok {
					return matcher{}, patternErr("%s match pattern must be a string", k)
				}
				in, err := compileFilter(k, s)
				if err != nil {
					return matcher{}, err
				}
				m.not = []matcher{in}
			case "equals-ignore-case":
				vals, ok := val.([]any)
				if !ok {
					vals = []any{val}
				}
				for _, one := range vals {
					s, ok := one.(string)
					if !ok {
						return matcher{}, patternErr("equals-ignore-case match pattern must be a string")
					}
					m.not = append(m.not, matcher{kind: mEqualsIgnoreCase, str: s})
				}
			default:
				return matcher{}, patternErr("Unsupported anything-but pattern: %s", k)
			}
		}
	default:
		return matcher{}, patternErr("Value of anything-but must be an array or single string/number value.")
	}
	return m, nil
}

// Matches reports whether the event (the full envelope: version, id,
// detail-type, source, account, time, region, resources, detail) matches.
func (p *Pattern) Matches(event map[string]any) bool {
	return p.root.matches(event)
}

// MatchesJSON is Matches on an event given as JSON.
func (p *Pattern) MatchesJSON(event []byte) (bool, error) {
	var ev map[string]any
	if err := json.Unmarshal(event, &ev); err != nil {
		return false, err
	}
	return p.Matches(ev), nil
}

func (o *objPattern) matches(ev map[string]any) bool {
	for _, f := range o.fields {
		v, present := ev[f.key]
		if f.nested != nil {
			if !matchNested(f.nested, v, present) {
				return false
			}
			continue
		}
		if !matchLeaf(f.leaf, leafValues(v, present)) {
			return false
		}
	}
	for _, group := range o.ors {
		any := false
		for _, alt := range group {
			if alt.matches(ev) {
				any = true
				break
			}
		}
		if !any {
			return false
		}
	}
	return true
}

// matchNested matches a nested pattern against an object, or any object of
// an array. A missing field is matched as an empty object, so that only
// exists:false leaves can match inside it.
func matchNested(p *objPattern, v any, present bool) bool {
	switch x := v.(type) {
	case map[string]any:
		return p.matches(x)
	case []any:
		for _, el := range x {
			if m, ok := el.(map[string]any); ok && p.matches(m) {
				return true
			}
		}
		return false
	}
	if !present {
		return p.matches(map[string]any{})
	}
	return false
}

// leafValues lists the scalar values of an event field (none when it is
// missing or an object).
func leafValues(v any, present bool) []any {
	if !present {
		return nil
	}
	switch x := v.(type) {
	case map[string]any:
		return nil
	case []any:
		var out []any
		for _, el := range x {
			switch el.(type) {
			case map[string]any, []any:
			default:
				out = append(out, el)
			}
		}
		return out
	}
	return []any{v}
}

func matchLeaf(ms []matcher, vals []any) bool {
	for _, m := range ms {
		if m.kind == mExists {
			if m.exists == (len(vals) > 0) {
				return true
			}
			continue
		}
		for _, v := range vals {
			if m.matchValue(v) {
				return true
			}
		}
	}
	return false
}

func (m matcher) matchValue(v any) bool {
	s, isStr := v.(string)
	switch m.kind {
	case mExact:
		switch pv := m.value.(type) {
		case string:
			return isStr && s == pv
		case float64:
			f, ok := v.(float64)
			return ok && f == pv
		case bool:
			b, ok := v.(bool)
			return ok && b == pv
		case nil:
			return v == nil
		}
	case mPrefix:
		if m.fold {
			return isStr && strings.HasPrefix(strings.ToLower(s), strings.ToLower(m.str))
		}
		return isStr && strings.HasPrefix(s, m.str)
	case mSuffix:
		if m.fold {
			return isStr && strings.HasSuffix(strings.ToLower(s), strings.ToLower(m.str))
		}
		return isStr && strings.HasSuffix(s, m.str)
	case mEqualsIgnoreCase:
		return isStr && strings.EqualFold(s, m.str)
	case mWildcard:
		return isStr && wildcardMatch(m.str, s)
	case mCIDR:
		ip := net.ParseIP(s)
		return isStr && ip != nil && m.ipnet.Contains(ip)
	case mNumeric:
		f, ok := v.(float64)
		if !ok {
			return false
		}
		for _, c := range m.nums {
			var ok bool
			switch c.op {
			case "<":
				ok = f < c.n
			case "<=":
				ok = f <= c.n
			case "=":
				ok = f == c.n
			case ">":
				ok = f > c.n
			case ">=":
				ok = f >= c.n
			}
			if !ok {
				return false
			}
		}
		return true
	case mAnythingBut:
		for _, in := range m.not {
			if in.matchValue(v) {
				return false
			}
		}
		return true
	}
	return false
}

// wildcardMatch matches s against a pattern where * stands for any run of
// characters.
func wildcardMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for i := 1; i < len(parts)-1; i++ {
		j := strings.Index(s, parts[i])
		if j < 0 {
			return false
		}
		s = s[j+len(parts[i]):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}

func sortedAnyKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
