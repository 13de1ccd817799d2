package iamcheck

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
)

// Policy is one principal's identity policy: every statement of every
// policy attached to its role.
type Policy struct {
	// Function is the handler name (plan, create, …) of a snapflow Lambda
	// function; "" for other principals.
	Function string
	// LogicalID is the template's logical ID of the Lambda function or
	// state machine; "" for a role no function or state machine uses.
	LogicalID string
	// Name is the function's or state machine's physical name.
	Name string
	// Role is the role's logical ID.
	Role       string
	Statements []*Statement
	// Warnings are what was not modelled: managed policies, unresolved
	// references, unsupported condition operators.
	Warnings []string
}

// Label names the principal for messages: the handler name, else the
// logical ID.
func (p *Policy) Label() string {
	switch {
	case p.Function != "":
		return p.Function
	case p.LogicalID != "":
		return p.LogicalID
	}
	return p.Role
}

// Statement is one statement of an identity policy, with Action, Resource
// and Condition values normalised to lists.
type Statement struct {
	Sid         string
	Effect      string // Allow or Deny
	Action      []string
	NotAction   []string
	Resource    []string
	NotResource []string
	// Condition is operator → context key → values, as in the policy.
	Condition map[string]map[string][]string
	// Origin is the policy the statement comes from and its position.
	Origin string
	// Unsupported names a condition operator Evaluate does not model; such
	// a statement never allows and, as a Deny, always applies.
	Unsupported string

	index int
}

// Name is the statement's Sid, or its position and first action when it has
// none (CDK's log and X-Ray grants have no Sid).
func (s *Statement) Name() string {
	if s.Sid != "" {
		return s.Sid
	}
	first := ""
	switch {
	case len(s.Action) > 0:
		first = s.Action[0]
	case len(s.NotAction) > 0:
		first = "NotAction " + s.NotAction[0]
	}
	return fmt.Sprintf("#%d(%s)", s.index+1, first)
}

// ParsePolicy reads an identity policy document (JSON, with no intrinsic
// functions left) as the policy of a principal named name.
func ParsePolicy(name string, doc []byte) (*Policy, error) {
	var raw any
	if err := json.Unmarshal(doc, &raw); err != nil {
		return nil, fmt.Errorf("policy %s: %w", name, err)
	}
	p := &Policy{Function: name}
	if err := p.add(raw, name); err != nil {
		return nil, err
	}
	return p, nil
}

// add appends the statements of a (resolved) policy document.
func (p *Policy) add(doc any, origin string) error {
	m, ok := doc.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: the policy document is not an object", origin)
	}
	var list []any
	switch st := m["Statement"].(type) {
	case []any:
		list = st
	case map[string]any:
		list = []any{st}
	default:
		return fmt.Errorf("%s: no Statement", origin)
	}
	for i, raw := range list {
		s, err := parseStatement(raw)
		if err != nil {
			return fmt.Errorf("%s statement %d: %w", origin, i+1, err)
		}
		s.Origin = fmt.Sprintf("%s #%d", origin, i+1)
		s.index = len(p.Statements)
		if s.Unsupported != "" {
			p.Warnings = append(p.Warnings, fmt.Sprintf("%s: condition operator %s is not modelled", s.Origin, s.Unsupported))
		}
		p.Statements = append(p.Statements, s)
	}
	return nil
}

func parseStatement(raw any) (*Statement, error) {
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("not an object")
	}
	s := &Statement{}
	s.Sid, _ = m["Sid"].(string)
	s.Effect, _ = m["Effect"].(string)
	if s.Effect != "Allow" && s.Effect != "Deny" {
		return nil, fmt.Errorf("effect %q", s.Effect)
	}
	var err error
	for _, f := range []struct {
		key string
		dst *[]string
	}{{"Action", &s.Action}, {"NotAction", &s.NotAction}, {"Resource", &s.Resource}, {"NotResource", &s.NotResource}} {
		if v, ok := m[f.key]; ok {
			if *f.dst, err = strings1(v); err != nil {
				return nil, fmt.Errorf("%s: %w", f.key, err)
			}
		}
	}
	if (len(s.Action) == 0) == (len(s.NotAction) == 0) {
		return nil, fmt.Errorf("needs exactly one of Action and NotAction")
	}
	if (len(s.Resource) == 0) == (len(s.NotResource) == 0) {
		return nil, fmt.Errorf("needs exactly one of Resource and NotResource (an identity policy statement)")
	}
	if c, ok := m["Condition"]; ok {
		cm, ok := c.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("Condition is not an object")
		}
		s.Condition = map[string]map[string][]string{}
		ops := make([]string, 0, len(cm))
		for op := range cm {
			ops = append(ops, op)
		}
		sort.Strings(ops)
		for _, op := range ops {
			keys, ok := cm[op].(map[string]any)
			if !ok {
				return nil, fmt.Errorf("Condition %s is not an object", op)
			}
			s.Condition[op] = map[string][]string{}
			for k, v := range keys {
				vals, err := strings1(v)
				if err != nil {
					return nil, fmt.Errorf("Condition %s %s: %w", op, k, err)
				}
				s.Condition[op][k] = vals
			}
			if _, err := parseOperator(op); err != nil && s.Unsupported == "" {
				s.Unsupported = op
			}
		}
	}
	return s, nil
}

// strings1 reads a policy value that is a string, a scalar or a list of
// them.
func strings1(v any) ([]string, error) {
	switch x := v.(type) {
	case string:
		return []string{x}, nil
	case bool:
		return []string{strconv.FormatBool(x)}, nil
	case float64:
		return []string{strconv.FormatFloat(x, 'f', -1, 64)}, nil
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, err := strings1(e)
			if err != nil {
				return nil, err
			}
			out = append(out, s...)
		}
		return out, nil
	}
	return nil, fmt.Errorf("value %v (%T) is not a string or list", v, v)
}
