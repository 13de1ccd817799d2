// Package cfn evaluates the intrinsic functions of a synthesized
// CloudFormation template, as the local runner (which provisions the
// template's resources locally) and the IAM check (which reads its
// policies) both need: the pseudo parameters, Ref and Fn::GetAtt of the
// template's resources, Fn::Join, Fn::Sub, Fn::Select and Fn::Split
// (source: AWS CloudFormation User Guide, "Intrinsic function reference"
// and "Pseudo parameters reference").
package cfn

import (
	"errors"
	"fmt"
	"strings"
)

// Evaluator evaluates intrinsic functions in one account, region and stack.
type Evaluator struct {
	Partition, Region, Account, Stack string
	// Value returns Ref (attr "") or Fn::GetAtt of a logical ID, or an
	// error saying why it has none.
	Value func(id, attr string) (any, error)
	// OnError, when set, stands in for an intrinsic function that cannot be
	// evaluated: what it returns replaces the function and evaluation goes
	// on. Nil: the first such error ends Resolve.
	OnError func(err error) any
}

// Resolve returns v (a template value decoded from JSON) with its intrinsic
// functions evaluated.
func (e *Evaluator) Resolve(v any) (any, error) {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, el := range x {
			y, err := e.Resolve(el)
			if err != nil {
				return nil, err
			}
			out[i] = y
		}
		return out, nil
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					out, err := e.intrinsic(k, arg)
					if err != nil && e.OnError != nil {
						return e.OnError(err), nil
					}
					return out, err
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, el := range x {
			y, err := e.Resolve(el)
			if err != nil {
				return nil, err
			}
			out[k] = y
		}
		return out, nil
	}
	return v, nil
}

func (e *Evaluator) intrinsic(fn string, arg any) (any, error) {
	switch fn {
	case "Ref":
		name, _ := arg.(string)
		switch name {
		case "AWS::Partition":
			return e.Partition, nil
		case "AWS::Region":
			return e.Region, nil
		case "AWS::AccountId":
			return e.Account, nil
		case "AWS::StackName":
			return e.Stack, nil
		case "AWS::URLSuffix":
			return "amazonaws.com", nil
		case "AWS::NoValue":
			return nil, nil
		}
		return e.Value(name, "")
	case "Fn::GetAtt":
		var id, attr string
		switch a := arg.(type) {
		case []any:
			if len(a) == 2 {
				id, _ = a[0].(string)
				attr, _ = a[1].(string)
			}
		case string:
			id, attr, _ = strings.Cut(a, ".")
		}
		return e.Value(id, attr)
	case "Fn::Join":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, errors.New("Fn::Join: want [separator, [values]]")
		}
		sep, _ := a[0].(string)
		list, err := e.Resolve(a[1])
		if err != nil {
			return nil, err
		}
		parts, ok := list.([]any)
		if !ok {
			return nil, errors.New("Fn::Join: values are not a list")
		}
		strs := make([]string, len(parts))
		for i, p := range parts {
			strs[i] = fmt.Sprint(p)
		}
		return strings.Join(strs, sep), nil
	case "Fn::Sub":
		var tmpl string
		vars := map[string]any{}
		switch a := arg.(type) {
		case string:
			tmpl = a
		case []any:
			if len(a) != 2 {
				return nil, errors.New("Fn::Sub: want [template, {vars}]")
			}
			tmpl, _ = a[0].(string)
			m, err := e.Resolve(a[1])
			if err != nil {
				return nil, err
			}
			vars, _ = m.(map[string]any)
		}
		return ExpandSub(tmpl, func(name string) (any, error) {
			if x, ok := vars[name]; ok {
				return x, nil
			}
			if id, attr, ok := strings.Cut(name, "."); ok && !strings.HasPrefix(name, "AWS::") {
				return e.intrinsic("Fn::GetAtt", []any{id, attr})
			}
			return e.intrinsic("Ref", name)
		})
	case "Fn::Select":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, errors.New("Fn::Select: want [index, list]")
		}
		idx, err := e.Resolve(a[0])
		if err != nil {
			return nil, err
		}
		list, err := e.Resolve(a[1])
		if err != nil {
			return nil, err
		}
		l, _ := list.([]any)
		var i int
		switch n := idx.(type) {
		case float64:
			i = int(n)
		case string:
			_, _ = fmt.Sscan(n, &i)
		}
		if i < 0 || i >= len(l) {
			return nil, fmt.Errorf("Fn::Select: index %d out of range", i)
		}
		return l[i], nil
	case "Fn::Split":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, errors.New("Fn::Split: want [separator, string]")
		}
		sep, _ := a[0].(string)
		s, err := e.Resolve(a[1])
		if err != nil {
			return nil, err
		}
		var out []any
		for _, p := range strings.Split(fmt.Sprint(s), sep) {
			out = append(out, p)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s is not supported", fn)
}
