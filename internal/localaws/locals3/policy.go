package locals3

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// A small evaluator of S3 bucket policies, enough to decide whether a bucket
// lets an AWS service principal (an export of ElastiCache or MemoryDB) act on
// it. Sources: IAM User Guide, "IAM JSON policy element reference"
// (Statement, Effect, Principal, NotPrincipal, Action, NotAction, Resource,
// NotResource, Condition), "Policy evaluation logic" (an explicit Deny
// overrides any Allow; without an Allow the request is implicitly denied),
// and "IAM JSON policy elements: Condition operators".

// policyRequest is the request a policy is evaluated against.
type policyRequest struct {
	Principal string // a service principal, e.g. us-east-1.elasticache-snapshot.amazonaws.com
	Action    string // e.g. s3:PutObject
	Resource  string // e.g. arn:aws:s3:::bucket/key
	// Context holds the request's condition keys, lower-cased
	// (aws:securetransport, aws:sourceaccount, aws:sourcearn, …).
	Context map[string]string
}

type policyDocument struct {
	Statements []policyStatement
}

type policyStatement struct {
	Sid                         string
	Effect                      string
	Principal, NotPrincipal     *principalSpec
	Action, NotAction           []string
	HasAction, HasNotAction     bool
	Resource, NotResource       []string
	HasResource, HasNotResource bool
	Condition                   map[string]map[string][]string
}

// principalSpec is a Principal element: "*" or a map of principal types
// (AWS, Service, Federated, CanonicalUser) to values.
type principalSpec struct {
	Any    bool
	ByType map[string][]string
}

// errPolicyJSON is the message S3 gives a body that is not a JSON object.
const errPolicyJSON = "Policies must be valid JSON and the first byte must be '{'"

// parsePolicy parses a bucket policy. The error messages are those of S3's
// MalformedPolicy errors.
func parsePolicy(text string) (*policyDocument, error) {
	trimmed := bytes.TrimSpace([]byte(text))
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, fmt.Errorf(errPolicyJSON)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &top); err != nil {
		return nil, fmt.Errorf(errPolicyJSON)
	}
	rawStmt, ok := top["Statement"]
	if !ok {
		return nil, fmt.Errorf("Missing required field Statement")
	}
	var rawList []json.RawMessage
	if t := bytes.TrimSpace(rawStmt); len(t) > 0 && t[0] == '[' {
		if err := json.Unmarshal(t, &rawList); err != nil {
			return nil, fmt.Errorf(errPolicyJSON)
		}
	} else {
		rawList = []json.RawMessage{rawStmt}
	}
	if len(rawList) == 0 {
		return nil, fmt.Errorf("Missing required field Statement")
	}
	doc := &policyDocument{}
	for _, rs := range rawList {
		st, err := parseStatement(rs)
		if err != nil {
			return nil, err
		}
		doc.Statements = append(doc.Statements, st)
	}
	return doc, nil
}

func parseStatement(raw json.RawMessage) (policyStatement, error) {
	var st policyStatement
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return st, fmt.Errorf(errPolicyJSON)
	}
	if v, ok := m["Sid"]; ok {
		_ = json.Unmarshal(v, &st.Sid)
	}
	v, ok := m["Effect"]
	if !ok {
		return st, fmt.Errorf("Missing required field Effect")
	}
	if err := json.Unmarshal(v, &st.Effect); err != nil || (st.Effect != "Allow" && st.Effect != "Deny") {
		return st, fmt.Errorf("Invalid effect: %s", strings.Trim(string(v), `"`))
	}
	var err error
	if v, ok := m["Principal"]; ok {
		if st.Principal, err = parsePrincipal(v); err != nil {
			return st, err
		}
	}
	if v, ok := m["NotPrincipal"]; ok {
		if st.NotPrincipal, err = parsePrincipal(v); err != nil {
			return st, err
		}
	}
	if st.Principal == nil && st.NotPrincipal == nil {
		return st, fmt.Errorf("Missing required field Principal")
	}
	if v, ok := m["Action"]; ok {
		st.HasAction = true
		if st.Action, err = stringOrList(v); err != nil {
			return st, fmt.Errorf("Policy has invalid action")
		}
	}
	if v, ok := m["NotAction"]; ok {
		st.HasNotAction = true
		if st.NotAction, err = stringOrList(v); err != nil {
			return st, fmt.Errorf("Policy has invalid action")
		}
	}
	if !st.HasAction && !st.HasNotAction {
		return st, fmt.Errorf("Missing required field Action")
	}
	for _, a := range append(append([]string(nil), st.Action...), st.NotAction...) {
		if a != "*" && !strings.HasPrefix(strings.ToLower(a), "s3:") {
			return st, fmt.Errorf("Policy has invalid action")
		}
	}
	if v, ok := m["Resource"]; ok {
		st.HasResource = true
		if st.Resource, err = stringOrList(v); err != nil {
			return st, fmt.Errorf("Policy has invalid resource")
		}
	}
	if v, ok := m["NotResource"]; ok {
		st.HasNotResource = true
		if st.NotResource, err = stringOrList(v); err != nil {
			return st, fmt.Errorf("Policy has invalid resource")
		}
	}
	if !st.HasResource && !st.HasNotResource {
		return st, fmt.Errorf("Missing required field Resource")
	}
	if v, ok := m["Condition"]; ok {
		var cond map[string]map[string]json.RawMessage
		if err := json.Unmarshal(v, &cond); err != nil {
			return st, fmt.Errorf("Invalid Condition block")
		}
		st.Condition = map[string]map[string][]string{}
		for op, keys := range cond {
			st.Condition[op] = map[string][]string{}
			for k, rv := range keys {
				vals, err := scalarOrList(rv)
				if err != nil {
					return st, fmt.Errorf("Invalid Condition value for %s", k)
				}
				st.Condition[op][k] = vals
			}
		}
	}
	return st, nil
}

func parsePrincipal(raw json.RawMessage) (*principalSpec, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if s != "*" {
			return nil, fmt.Errorf("Invalid principal in policy")
		}
		return &principalSpec{Any: true}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("Invalid principal in policy")
	}
	p := &principalSpec{ByType: map[string][]string{}}
	for typ, v := range m {
		vals, err := stringOrList(v)
		if err != nil {
			return nil, fmt.Errorf("Invalid principal in policy")
		}
		p.ByType[typ] = vals
	}
	return p, nil
}

// stringOrList reads a JSON string or a list of strings.
func stringOrList(raw json.RawMessage) ([]string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return []string{s}, nil
	}
	var l []string
	if err := json.Unmarshal(raw, &l); err != nil {
		return nil, err
	}
	return l, nil
}

// scalarOrList reads a condition value: a string, boolean or number, or a
// list of them, each as its string form.
func scalarOrList(raw json.RawMessage) ([]string, error) {
	var any interface{}
	if err := json.Unmarshal(raw, &any); err != nil {
		return nil, err
	}
	items, ok := any.([]interface{})
	if !ok {
		items = []interface{}{any}
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		switch x := it.(type) {
		case string:
			out = append(out, x)
		case bool:
			out = append(out, strconv.FormatBool(x))
		case float64:
			out = append(out, strconv.FormatFloat(x, 'f', -1, 64))
		default:
			return nil, fmt.Errorf("unsupported condition value")
		}
	}
	return out, nil
}

// validateFor checks the resources against the bucket the policy is put on:
// every resource must be the bucket or lie in it (S3 rejects others with
// "Policy has invalid resource").
func (d *policyDocument) validateFor(bucket string) error {
	for _, st := range d.Statements {
		for _, r := range append(append([]string(nil), st.Resource...), st.NotResource...) {
			if r == "*" {
				continue
			}
			rest, ok := strings.CutPrefix(r, "arn:aws:s3:::")
			if !ok {
				return fmt.Errorf("Policy has invalid resource")
			}
			name, _, _ := strings.Cut(rest, "/")
			if !globMatch(name, bucket, false) {
				return fmt.Errorf("Policy has invalid resource")
			}
		}
	}
	return nil
}

// public reports whether the policy is public in the sense of Block Public
// Access (S3 User Guide, "The meaning of public"): an Allow statement whose
// principal is a wildcard, unless a condition pins it to fixed values with
// one of the keys S3 accepts for that (aws:SourceArn, aws:SourceAccount,
// aws:SourceVpc, aws:SourceVpce, aws:SourceOwner, aws:PrincipalOrgID,
// aws:PrincipalAccount, aws:PrincipalArn, aws:userid, aws:SourceIp,
// s3:DataAccessPointArn, s3:DataAccessPointAccount) without wildcards.
func (d *policyDocument) public() bool {
	fixing := map[string]bool{"aws:sourcearn": true, "aws:sourceaccount": true, "aws:sourcevpc": true, "aws:sourcevpce": true,
		"aws:sourceowner": true, "aws:principalorgid": true, "aws:principalaccount": true, "aws:principalarn": true,
		"aws:userid": true, "aws:sourceip": true, "s3:dataaccesspointarn": true, "s3:dataaccesspointaccount": true}
	for _, st := range d.Statements {
		if st.Effect != "Allow" || st.Principal == nil || !st.Principal.wildcard() {
			continue
		}
		pinned := false
		for op, keys := range st.Condition {
			if strings.Contains(op, "Not") || strings.HasSuffix(op, "IfExists") {
				continue
			}
			for k, vals := range keys {
				if !fixing[strings.ToLower(k)] {
					continue
				}
				wild := false
				for _, v := range vals {
					if strings.ContainsAny(v, "*?") {
						wild = true
					}
				}
				if !wild {
					pinned = true
				}
			}
		}
		if !pinned {
			return true
		}
	}
	return false
}

func (p *principalSpec) wildcard() bool {
	if p.Any {
		return true
	}
	for _, v := range p.ByType["AWS"] {
		if v == "*" {
			return true
		}
	}
	return false
}

// matches reports whether the principal element names the service principal.
// "*" and {"AWS": "*"} name everyone (IAM User Guide, "AWS JSON policy
// elements: Principal", anonymous/everyone); {"Service": …} names service
// principals, compared without regard to case.
func (p *principalSpec) matches(principal string) bool {
	if p.wildcard() {
		return true
	}
	for _, v := range p.ByType["Service"] {
		if strings.EqualFold(v, principal) {
			return true
		}
	}
	return false
}

// evaluate decides the request: false when a Deny statement applies or no
// Allow statement does.
func (d *policyDocument) evaluate(req policyRequest) bool {
	allowed := false
	for _, st := range d.Statements {
		if !st.applies(req) {
			continue
		}
		if st.Effect == "Deny" {
			return false
		}
		allowed = true
	}
	return allowed
}

func (st *policyStatement) applies(req policyRequest) bool {
	if st.Principal != nil && !st.Principal.matches(req.Principal) {
		return false
	}
	if st.NotPrincipal != nil && st.NotPrincipal.matches(req.Principal) {
		return false
	}
	// Action names are not case-sensitive; resources (ARNs) are.
	if st.HasAction && !anyGlob(st.Action, req.Action, true) {
		return false
	}
	if st.HasNotAction && anyGlob(st.NotAction, req.Action, true) {
		return false
	}
	if st.HasResource && !anyGlob(st.Resource, req.Resource, false) {
		return false
	}
	if st.HasNotResource && anyGlob(st.NotResource, req.Resource, false) {
		return false
	}
	for op, keys := range st.Condition {
		for key, vals := range keys {
			ok, known := evalCondition(op, key, vals, req.Context)
			// An operator this evaluator does not know (Numeric*, Date*,
			// IpAddress, ForAnyValue:/ForAllValues: qualifiers, …) makes the
			// whole statement not apply: for an Allow that means no grant,
			// for a Deny no denial. That is an approximation of IAM, which
			// would evaluate it; the keys the export services send are all
			// covered by the operators below.
			if !known || !ok {
				return false
			}
		}
	}
	return true
}

// evalCondition evaluates one operator on one key. known is false for an
// operator this evaluator does not implement.
func evalCondition(op, key string, vals []string, ctx map[string]string) (ok, known bool) {
	base, ifExists := strings.CutSuffix(op, "IfExists")
	v, present := ctx[strings.ToLower(key)]
	if base == "Null" {
		if ifExists || len(vals) != 1 {
			return false, false
		}
		want, err := strconv.ParseBool(vals[0])
		if err != nil {
			return false, true
		}
		return want == !present, true
	}
	var match func(pattern string) bool
	negated := false
	switch base {
	case "StringEquals", "StringNotEquals":
		match = func(p string) bool { return p == v }
		negated = base == "StringNotEquals"
	case "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase":
		match = func(p string) bool { return strings.EqualFold(p, v) }
		negated = base == "StringNotEqualsIgnoreCase"
	case "StringLike", "StringNotLike":
		match = func(p string) bool { return globMatch(p, v, false) }
		negated = base == "StringNotLike"
	case "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike":
		match = func(p string) bool { return arnLike(p, v) }
		negated = base == "ArnNotEquals" || base == "ArnNotLike"
	case "Bool":
		match = func(p string) bool { return strings.EqualFold(p, v) }
	default:
		return false, false
	}
	// A key missing from the request: the condition is false, except for
	// …IfExists (true) and the negated operators (true) (IAM User Guide,
	// "Condition operators", the note on missing keys).
	if !present {
		return ifExists || negated, true
	}
	any := false
	for _, p := range vals {
		if match(p) {
			any = true
			break
		}
	}
	// Several values are ORed; for a negated operator they are NORed
	// ("Conditions with multiple context keys or values").
	if negated {
		return !any, true
	}
	return any, true
}

// arnLike compares ARNs component by component, each with * and ?
// wildcards that do not cross a colon (ArnLike; ArnEquals behaves the same).
func arnLike(pattern, arn string) bool {
	pp := strings.SplitN(pattern, ":", 6)
	ap := strings.SplitN(arn, ":", 6)
	if len(pp) != 6 || len(ap) != 6 {
		return false
	}
	for i := range pp {
		if !globMatch(pp[i], ap[i], false) {
			return false
		}
	}
	return true
}

func anyGlob(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if globMatch(p, s, fold) {
			return true
		}
	}
	return false
}

// globMatch matches s against a pattern where * stands for any run of
// characters and ? for exactly one.
func globMatch(pattern, s string, fold bool) bool {
	if fold {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	p, t := []rune(pattern), []rune(s)
	pi, ti := 0, 0
	star, mark := -1, 0
	for ti < len(t) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == t[ti]):
			pi++
			ti++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ti
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			ti = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
