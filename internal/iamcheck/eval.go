package iamcheck

import (
	"fmt"
	"sort"
	"strings"
)

// Decision is IAM's answer to one request.
type Decision int

// The three outcomes of evaluating an identity policy ("Policy evaluation
// logic", IAM User Guide: an explicit deny in any statement overrides any
// allow; without an allow the request is implicitly denied).
const (
	ImplicitDeny Decision = iota
	Allowed
	ExplicitDeny
)

func (d Decision) String() string {
	switch d {
	case Allowed:
		return "allowed"
	case ExplicitDeny:
		return "explicitly denied"
	}
	return "implicitly denied"
}

// Request is one authorization: an IAM action ("service:Operation") on a
// resource ARN ("*" for an action without resource-level permissions) with
// the request context.
type Request struct {
	Action   string
	Resource string
	// Context holds single-valued context keys, e.g.
	// "aws:ResourceTag/snapflow:managed": "true".
	Context map[string]string
	// Multi holds multivalued context keys (aws:TagKeys,
	// kms:ResourceAliases).
	Multi map[string][]string
}

// lookup returns a context key's values. Key names are case-insensitive
// ("IAM JSON policy elements: Condition": "Context key names are not
// case-sensitive").
func (r Request) lookup(key string) ([]string, bool) {
	for k, v := range r.Multi {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	for k, v := range r.Context {
		if strings.EqualFold(k, key) {
			return []string{v}, true
		}
	}
	return nil, false
}

// Grant is a statement that allowed a request, with the Action and Resource
// patterns that matched it.
type Grant struct {
	Statement *Statement
	Action    string // the matching Action pattern, or "NotAction"
	Resource  string // the matching Resource pattern, or "NotResource"
}

// Result is Evaluate's answer.
type Result struct {
	Decision Decision
	// Sid names the deciding statement: the Deny that matched, or the first
	// Allow (Statement.Name).
	Sid string
	// Grants are every Allow statement and pattern that matched (empty
	// unless Allowed).
	Grants []Grant
	// Why explains the decision in a sentence.
	Why string
	// Missing are context keys an Allow statement's condition needed and
	// the request lacked (set on an implicit deny): with them the request
	// might have been allowed.
	Missing []string
}

// Evaluate decides a request against an identity policy. A statement
// applies when its Action (or NotAction), Resource (or NotResource) and
// every condition match; a Deny that applies decides ExplicitDeny, else an
// Allow that applies decides Allowed, else ImplicitDeny.
func Evaluate(p *Policy, r Request) Result {
	var grants []Grant
	var allowSid string
	var misses []string
	missing := map[string]bool{}
	for _, s := range p.Statements {
		act, ok := actionMatch(s, r.Action)
		if !ok {
			continue
		}
		res := resourceMatches(s, r.Resource)
		if len(res) == 0 {
			if s.Effect == "Allow" {
				misses = append(misses, fmt.Sprintf("%s allows %s only on %s", s.Name(), r.Action, patterns(s)))
			}
			continue
		}
		if s.Unsupported != "" {
			if s.Effect == "Deny" {
				return Result{Decision: ExplicitDeny, Sid: s.Name(),
					Why: fmt.Sprintf("denied by %s (its condition operator %s is not modelled, so the Deny is taken to apply)", s.Name(), s.Unsupported)}
			}
			misses = append(misses, fmt.Sprintf("%s uses condition operator %s, which is not modelled", s.Name(), s.Unsupported))
			continue
		}
		ok, why, miss := conditionsHold(s.Condition, r)
		if !ok {
			if s.Effect == "Allow" {
				for _, k := range miss {
					missing[k] = true
				}
				misses = append(misses, fmt.Sprintf("%s allows %s on %s but its condition is false: %s", s.Name(), r.Action, res[0], why))
			}
			continue
		}
		if s.Effect == "Deny" {
			return Result{Decision: ExplicitDeny, Sid: s.Name(), Why: fmt.Sprintf("explicitly denied by %s (%s on %s)", s.Name(), act, res[0])}
		}
		if allowSid == "" {
			allowSid = s.Name()
		}
		for _, rp := range res {
			grants = append(grants, Grant{Statement: s, Action: act, Resource: rp})
		}
	}
	if len(grants) > 0 {
		g := grants[0]
		return Result{Decision: Allowed, Sid: allowSid, Grants: grants,
			Why: fmt.Sprintf("allowed by %s (%s on %s)", allowSid, g.Action, g.Resource)}
	}
	why := "no statement allows " + r.Action
	if len(misses) > 0 {
		why += ": " + strings.Join(misses, "; ")
	}
	out := Result{Decision: ImplicitDeny, Why: why}
	for k := range missing {
		out.Missing = append(out.Missing, k)
	}
	sort.Strings(out.Missing)
	return out
}

// actionMatch reports whether the statement's Action (case-insensitive
// wildcards) or NotAction covers the action.
func actionMatch(s *Statement, action string) (string, bool) {
	if len(s.NotAction) > 0 {
		for _, p := range s.NotAction {
			if match(p, action, true) {
				return "", false
			}
		}
		return "NotAction", true
	}
	for _, p := range s.Action {
		if match(p, action, true) {
			return p, true
		}
	}
	return "", false
}

// resourceMatches returns the statement's Resource patterns that match the
// resource (case-sensitive wildcards), or "NotResource" when a NotResource
// statement covers it.
func resourceMatches(s *Statement, resource string) []string {
	if len(s.NotResource) > 0 {
		for _, p := range s.NotResource {
			if match(p, resource, false) {
				return nil
			}
		}
		return []string{"NotResource"}
	}
	var out []string
	for _, p := range s.Resource {
		if match(p, resource, false) {
			out = append(out, p)
		}
	}
	return out
}

func patterns(s *Statement) string {
	if len(s.NotResource) > 0 {
		return "resources other than " + strings.Join(s.NotResource, ", ")
	}
	return strings.Join(s.Resource, ", ")
}

// Condition operators ("IAM JSON policy elements: Condition operators",
// IAM User Guide,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html):
//
//   - String: StringEquals / StringNotEquals (exact, case-sensitive),
//     StringEqualsIgnoreCase / StringNotEqualsIgnoreCase, StringLike /
//     StringNotLike (case-sensitive, * and ? wildcards).
//   - ARN: ArnEquals / ArnLike and ArnNotEquals / ArnNotLike: "Case-sensitive
//     matching of the ARN. Each of the six colon-delimited components of the
//     ARN is checked separately and each can include multi-character match
//     wildcards (*) or single-character match wildcards (?)".
//   - Bool: the key's value compared with "true"/"false".
//   - Null: "true" holds when the key is absent (or its value empty),
//     "false" when it is present.
//   - ...IfExists: "If the policy key is present in the context of the
//     request, process the key as specified in the policy. If the key is not
//     present, evaluate the condition element as true."
//
// Missing keys (the same page, "Important"): "If the key that you specify in
// a policy condition is not present in the request context, the values do
// not match and the condition is false. If the policy condition requires
// that the key is not matched, such as StringNotLike or ArnNotLike, and the
// right key is not present, the condition is true. This logic applies to all
// condition operators except ...IfExists and Null check."
//
// Several values for one key are ORed; several keys in one operator and
// several operators are ANDed ("Creating a condition with multiple keys or
// values"). A negated operator holds when the value matches none of the
// policy's values.
//
// Set operators for multivalued keys ("Single-valued vs. multivalued context
// keys", IAM User Guide): ForAnyValue holds when at least one request value
// matches, and is false when the key is missing or empty; ForAllValues holds
// when every request value matches, and "also returns true if there are no
// context keys in the request".
type operator struct {
	set      string // "", "ForAnyValue" or "ForAllValues"
	base     string // the positive form: StringEquals, StringLike, ArnLike, …
	negated  bool
	ifExists bool
}

var positive = map[string]string{
	"StringEquals": "StringEquals", "StringNotEquals": "StringEquals",
	"StringEqualsIgnoreCase": "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
	"StringLike": "StringLike", "StringNotLike": "StringLike",
	"ArnEquals": "ArnLike", "ArnNotEquals": "ArnLike", "ArnLike": "ArnLike", "ArnNotLike": "ArnLike",
	"Bool": "Bool", "Null": "Null",
}

func parseOperator(name string) (operator, error) {
	var o operator
	rest := name
	if set, op, ok := strings.Cut(rest, ":"); ok {
		if set != "ForAnyValue" && set != "ForAllValues" {
			return o, fmt.Errorf("unknown set operator %s", set)
		}
		o.set, rest = set, op
	}
	if r, ok := strings.CutSuffix(rest, "IfExists"); ok && rest != "Null" {
		o.ifExists, rest = true, r
	}
	base, ok := positive[rest]
	if !ok {
		return o, fmt.Errorf("condition operator %s is not modelled", name)
	}
	o.base = base
	o.negated = strings.Contains(rest, "Not")
	return o, nil
}

// conditionsHold evaluates a statement's Condition block. why explains the
// first condition that is false; missing lists the keys absent from the
// request that a false condition needed.
func conditionsHold(c map[string]map[string][]string, r Request) (ok bool, why string, missing []string) {
	ops := make([]string, 0, len(c))
	for op := range c {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	for _, name := range ops {
		o, err := parseOperator(name)
		if err != nil {
			return false, err.Error(), nil
		}
		keys := make([]string, 0, len(c[name]))
		for k := range c[name] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, key := range keys {
			want := c[name][key]
			got, present := r.lookup(key)
			if o.holds(want, got, present) {
				continue
			}
			if !present {
				return false, fmt.Sprintf("%s %s %v: the key is not in the request context", name, key, want), []string{key}
			}
			return false, fmt.Sprintf("%s %s %v: the request has %v", name, key, want, got), nil
		}
	}
	return true, "", nil
}

// holds evaluates one operator on one key: the policy's values want and the
// request's values got (present false when the key is missing).
func (o operator) holds(want, got []string, present bool) bool {
	absent := !present || len(got) == 0
	if o.base == "Null" {
		for _, w := range want {
			if strings.EqualFold(w, "true") == absent {
				return true
			}
		}
		return false
	}
	if absent {
		switch {
		case o.set == "ForAllValues":
			return true
		case o.set == "ForAnyValue":
			return false
		case o.ifExists:
			return true
		}
		return o.negated
	}
	one := func(v string) bool {
		m := false
		for _, w := range want {
			if compare(o.base, w, v) {
				m = true
				break
			}
		}
		return m != o.negated
	}
	if o.set == "ForAllValues" {
		for _, v := range got {
			if !one(v) {
				return false
			}
		}
		return true
	}
	// ForAnyValue, and a single-valued key (taken as its one value; a plain
	// operator on a multivalued key holds when any value does).
	for _, v := range got {
		if one(v) {
			return true
		}
	}
	return false
}

// compare applies a positive operator to the policy value w and the request
// value v.
func compare(base, w, v string) bool {
	switch base {
	case "StringEquals":
		return w == v
	case "StringEqualsIgnoreCase":
		return strings.EqualFold(w, v)
	case "StringLike":
		return match(w, v, false)
	case "ArnLike":
		wp, vp := strings.SplitN(w, ":", 6), strings.SplitN(v, ":", 6)
		if len(wp) != 6 || len(vp) != 6 {
			return false
		}
		for i := range wp {
			if !match(wp[i], vp[i], false) {
				return false
			}
		}
		return true
	case "Bool":
		return strings.EqualFold(w, v)
	}
	return false
}
