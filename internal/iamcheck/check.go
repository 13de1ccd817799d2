package iamcheck

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// CheckOptions tune Check.
type CheckOptions struct {
	// Detail supplies what a call's record lacks (the names of the
	// resources it creates, its tags, the tags of the resource it acts on).
	// Nil: nothing is known beyond the record. The record's own Params,
	// RequestTags, ResourceTags and Resources (emu.Call) are used where
	// Detail leaves a field nil: a field Detail gives wins.
	Detail func(emu.Call) Detail
	// Unobservable are action patterns ("<function> <pattern>" for one
	// function's grants) no recorded call can use, with the reason: their
	// grants are listed in Unused with it. Nil: DefaultUnobservable.
	Unobservable map[string]string
}

// DefaultUnobservable are the grants the local AWS cannot see used, by
// action (exact names, or patterns for a whole service). The state
// machines' own integrations are listed one action at a time: the local
// runner (aws-local-stepfunctions, internal/runner) invokes the handlers
// and runs a child execution itself, so the Lambda invokes and the .sync
// child's StartExecution, DescribeExecution, StopExecution and managed
// EventBridge rule are no calls of the local AWS; the SNS Publish and
// EventBridge PutEvents integrations it does make through the local AWS,
// so sns:Publish and events:PutEvents are not listed (an unused one is
// reported without a reason).
var DefaultUnobservable = map[string]string{
	"logs:*": "unobservable: the Lambda service writes the functions' logs, and Step Functions delivers the state machines' logs (vended log delivery); no call the local AWS records",
	"xray:*": "unobservable: the Lambda service and Step Functions write the X-Ray segments; no call the local AWS records",
	"kms:*":  "unobservable: the services call KMS on the caller's behalf (ElastiCache and MemoryDB for an encrypted copy, SNS to publish to the encrypted alert topic); the local AWS has no KMS and records no such call",

	"lambda:InvokeFunction":    unobservableStates + " (a Lambda task invokes its handler)",
	"states:StartExecution":    unobservableStates + " (the .sync task starts the child execution)",
	"states:DescribeExecution": unobservableStates + " (the .sync task watches the child execution)",
	"states:StopExecution":     unobservableStates + " (the .sync task stops the child when the parent stops)",
	"events:PutTargets":        unobservableStates + " (the .sync task's managed EventBridge rule)",
	"events:PutRule":           unobservableStates + " (the .sync task's managed EventBridge rule)",
	"events:DescribeRule":      unobservableStates + " (the .sync task's managed EventBridge rule)",

	// The export bucket rights the ElastiCache and MemoryDB export guides
	// list for the caller of an export, beyond the API permissions
	// reference's s3:GetBucketLocation and s3:ListAllMyBuckets (needs.go).
	"export s3:ListBucket":   exportCaller,
	"export s3:GetBucketAcl": exportCaller,
	"export s3:PutObject":    exportCaller,
	"export s3:GetObject":    exportCaller,
}

const exportCaller = "unobservable: granted as the export guides list it for an export's caller (ElastiCache User Guide, \"Exporting a backup\"; MemoryDB Developer Guide, \"Exporting a snapshot\"); a service that checks it does so inside CopySnapshot, which no call the local AWS records shows"

// unobservableStates is why a state machine's Lambda and Step Functions
// integration grants are unobservable.
const unobservableStates = "unobservable: Step Functions calls it for the state machine; locally the runner and aws-local-stepfunctions invoke the handlers and run child executions themselves, not through the local AWS"

// Finding is one authorization IAM would deny, or that the record does not
// say enough to decide.
type Finding struct {
	Call     emu.Call
	Function string // the principal (handler name or logical ID)
	Action   string // IAM action
	Resource string // the ARN, or the pattern of the unknown resource
	For      string // what the authorization is for
	Decision Decision
	Sid      string // the deciding statement, if any
	Why      string
	Source   string // the table row's documentation
}

func (f Finding) String() string {
	return fmt.Sprintf("call #%d %s %s by %s (key %s): %s on %s (%s): %s",
		f.Call.Seq, f.Call.Service, f.Call.Action, f.Function, f.Call.AccessKeyID, f.Action, f.Resource, f.For, f.Why)
}

// Permission is one grant of a policy: a statement's action pattern on one
// of its resource patterns.
type Permission struct {
	Function string
	Sid      string
	Action   string
	Resource string
	// Reason says why it was not used when it is known: unobservable,
	// inapplicable (the action is never authorized on that resource type),
	// or only possibly used by a call whose record lacked the resource.
	Reason string
}

func (p Permission) String() string {
	s := fmt.Sprintf("%s %s: %s on %s", p.Function, p.Sid, p.Action, p.Resource)
	if p.Reason != "" {
		s += " (" + p.Reason + ")"
	}
	return s
}

// Report is what Check found.
type Report struct {
	// Calls is how many recorded calls were attributed to a principal and
	// checked; Requests how many authorizations they needed.
	Calls, Requests int
	// Denied are authorizations IAM would deny: each would fail the call
	// with AccessDenied in AWS.
	Denied []Finding
	// Unverified are authorizations the record does not say enough to
	// decide (see Detail): the resource a call creates, whether it carried
	// tags, the tags of the resource it acts on, an operation not in the
	// table.
	Unverified []Finding
	// Unused are the grants no checked call used, for every handler
	// function and every principal that made a call.
	Unused []Permission
	// Unattributed counts the calls whose access key names no principal,
	// by key (the runner's own calls, the test's set-up).
	Unattributed map[string]int
}

// Err is an error listing the denied authorizations, nil when there are
// none.
func (r *Report) Err() error {
	if len(r.Denied) == 0 {
		return nil
	}
	lines := make([]string, len(r.Denied))
	for i, f := range r.Denied {
		lines[i] = "  " + f.String()
	}
	return errors.New("IAM would deny " + plural(len(r.Denied), "authorization") + ":\n" + strings.Join(lines, "\n"))
}

func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "IAM check: %s, %s: %d denied, %d unverified, %s unused\n",
		plural(r.Calls, "call"), plural(r.Requests, "authorization"), len(r.Denied), len(r.Unverified), plural(len(r.Unused), "grant"))
	section := func(title string, lines []string) {
		if len(lines) == 0 {
			return
		}
		fmt.Fprintf(&b, "%s:\n", title)
		for _, l := range lines {
			fmt.Fprintf(&b, "  %s\n", l)
		}
	}
	var den, unv, unu []string
	for _, f := range r.Denied {
		den = append(den, f.String())
	}
	for _, f := range r.Unverified {
		unv = append(unv, f.String())
	}
	for _, p := range r.Unused {
		unu = append(unu, p.String())
	}
	section("Denied", den)
	section("Unverified", unv)
	section("Unused", unu)
	if len(r.Unattributed) > 0 {
		keys := make([]string, 0, len(r.Unattributed))
		for k := range r.Unattributed {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s %d", k, r.Unattributed[k]))
		}
		fmt.Fprintf(&b, "Not attributed to a principal (not checked): %s\n", strings.Join(parts, ", "))
	}
	return b.String()
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// Check checks every recorded call against the policy of the principal
// that made it: fnForKey maps the call's access key to a principal name
// Policies.For knows (a handler name, a logical ID), or "" for a caller
// that is not checked.
func Check(calls []emu.Call, fnForKey func(accessKey string) string, ps *Policies) *Report {
	return CheckWith(calls, fnForKey, ps, CheckOptions{})
}

type grantKey struct {
	st               *Statement
	action, resource string
}

type usage struct {
	used     map[grantKey]bool
	possibly map[grantKey]int
}

// CheckWith is Check with options.
func CheckWith(calls []emu.Call, fnForKey func(accessKey string) string, ps *Policies, o CheckOptions) *Report {
	r := &Report{Unattributed: map[string]int{}}
	w := where{ps.Partition, ps.Region, ps.Account}
	uses := map[*Policy]*usage{}
	use := func(p *Policy) *usage {
		u := uses[p]
		if u == nil {
			u = &usage{used: map[grantKey]bool{}, possibly: map[grantKey]int{}}
			uses[p] = u
		}
		return u
	}
	for _, c := range calls {
		name := fnForKey(c.AccessKeyID)
		if name == "" {
			r.Unattributed[c.AccessKeyID]++
			continue
		}
		r.Calls++
		p := ps.For(name)
		if p == nil {
			r.Denied = append(r.Denied, Finding{Call: c, Function: name, Action: prefixOf(c.Service) + ":" + c.Action,
				Resource: c.Resource, For: "the call", Why: "no principal " + name + " in the template: the call has no policy"})
			continue
		}
		u := use(p)
		var d Detail
		if o.Detail != nil {
			d = o.Detail(c)
		}
		d = withRecord(c, d)
		for _, n := range needs(c, d, w) {
			r.Requests++
			f := Finding{Call: c, Function: p.Label(), Action: n.Action, Resource: n.Resource, For: n.For, Source: n.Source}
			if n.Resource == "" {
				f.Resource = n.AnyOf
				cands := possible(p, n, d)
				if len(cands) == 0 {
					f.Why = fmt.Sprintf("no statement allows %s on any resource matching %s (%s)", n.Action, n.AnyOf, n.Gap)
					if n.Maybe {
						f.Why = "if needed, " + f.Why
						r.Unverified = append(r.Unverified, f)
					} else {
						r.Denied = append(r.Denied, f)
					}
					continue
				}
				var sids []string
				for _, g := range cands {
					u.possibly[grantKey{g.Statement, g.Action, g.Resource}]++
					sids = appendOnce(sids, g.Statement.Name())
				}
				f.Why = fmt.Sprintf("%s; %s could allow it", n.Gap, strings.Join(sids, ", "))
				r.Unverified = append(r.Unverified, f)
				continue
			}
			res := Evaluate(p, Request{Action: n.Action, Resource: n.Resource, Context: n.Context, Multi: n.Multi})
			f.Decision, f.Sid, f.Why = res.Decision, res.Sid, res.Why
			if res.Decision == Allowed {
				for _, g := range res.Grants {
					k := grantKey{g.Statement, g.Action, g.Resource}
					if !n.Maybe {
						u.used[k] = true
					} else {
						u.possibly[k]++
					}
				}
				if n.Unmapped {
					f.Why = "the operation is not in the table (needs.go): checked as " + n.Action + " on the recorded resource, " + res.Why
					r.Unverified = append(r.Unverified, f)
				}
				continue
			}
			switch {
			case n.Maybe:
				f.Why = n.Gap + "; if needed, " + res.Decision.String() + ": " + res.Why
				r.Unverified = append(r.Unverified, f)
			case res.Decision == ImplicitDeny && unknownContext(res.Missing, d):
				f.Why = "depends on " + strings.Join(res.Missing, ", ") + ", which the record lacks: " + res.Why
				r.Unverified = append(r.Unverified, f)
			default:
				r.Denied = append(r.Denied, f)
			}
		}
	}
	unobs := o.Unobservable
	if unobs == nil {
		unobs = DefaultUnobservable
	}
	report := ps.Functions()
	for p := range uses {
		if p.Function == "" {
			report = append(report, p)
		}
	}
	types := ActionTypes()
	for _, p := range report {
		u := use(p)
		for _, s := range p.Statements {
			if s.Effect != "Allow" {
				continue
			}
			actions, resources := s.Action, s.Resource
			if len(s.NotAction) > 0 {
				actions = []string{"NotAction"}
			}
			if len(s.NotResource) > 0 {
				resources = []string{"NotResource"}
			}
			for _, a := range actions {
				for _, rp := range resources {
					k := grantKey{s, a, rp}
					if u.used[k] {
						continue
					}
					perm := Permission{Function: p.Label(), Sid: s.Name(), Action: a, Resource: rp}
					if a == "NotAction" {
						perm.Action = "NotAction " + strings.Join(s.NotAction, ", ")
					}
					if rp == "NotResource" {
						perm.Resource = "NotResource " + strings.Join(s.NotResource, ", ")
					}
					perm.Reason = unusedReason(p.Label(), a, rp, unobs, types, u.possibly[k])
					r.Unused = append(r.Unused, perm)
				}
			}
		}
	}
	return r
}

// unusedReason explains an unused grant of a function when it can. A key of
// unobs is an action pattern, or "<function> <action pattern>" for one
// function's grants only.
func unusedReason(function, action, resource string, unobs map[string]string, types map[string][]string, possibly int) string {
	pats := make([]string, 0, len(unobs))
	for p := range unobs {
		pats = append(pats, p)
	}
	sort.Strings(pats)
	for _, p := range pats {
		pat := p
		if fn, a, scoped := strings.Cut(p, " "); scoped {
			if fn != function {
				continue
			}
			pat = a
		}
		if match(pat, action, true) {
			return unobs[p]
		}
	}
	if possibly > 0 {
		return fmt.Sprintf("possibly used by %s whose record lacked what to decide it (see Unverified)", plural(possibly, "authorization"))
	}
	if resource == "*" || resource == "NotResource" || strings.ContainsAny(action, "*?") {
		return ""
	}
	var known []string
	for a, t := range types {
		if strings.EqualFold(a, action) {
			known = t
		}
	}
	if known == nil {
		return ""
	}
	_, typ := typeOf(resource)
	for _, t := range known {
		if t == "any" || t == typ {
			return ""
		}
	}
	if len(known) == 1 && known[0] == "" {
		return "inapplicable: " + action + " has no resource-level permissions; only Resource \"*\" grants it"
	}
	if typ == "" {
		typ = "resource of another type"
	}
	return fmt.Sprintf("inapplicable: %s is authorized on %s only, never on a %s (table in needs.go)", action, strings.Join(known, ", "), typ)
}

// unknownContext reports whether every missing key is one the record could
// not provide (tags the Detail did not give).
func unknownContext(missing []string, d Detail) bool {
	if len(missing) == 0 {
		return false
	}
	for _, k := range missing {
		lk := strings.ToLower(k)
		switch {
		case strings.HasPrefix(lk, "aws:resourcetag/") && d.ResourceTags == nil:
		case (strings.HasPrefix(lk, "aws:requesttag/") || lk == "aws:tagkeys") && d.RequestTags == nil:
		default:
			return false
		}
	}
	return true
}

// possible returns the Allow grants that could allow the need on some
// resource matching its AnyOf pattern: the action matches, a resource
// pattern intersects the type's pattern, and the conditions hold or fail
// only for lack of context the record does not give.
func possible(p *Policy, n Need, d Detail) []Grant {
	var out []Grant
	for _, s := range p.Statements {
		if s.Effect != "Allow" || s.Unsupported != "" {
			continue
		}
		act, ok := actionMatch(s, n.Action)
		if !ok {
			continue
		}
		var res []string
		if len(s.NotResource) > 0 {
			res = []string{"NotResource"}
		} else {
			for _, rp := range s.Resource {
				if intersect(rp, n.AnyOf) {
					res = append(res, rp)
				}
			}
		}
		if len(res) == 0 {
			continue
		}
		if ok, _, missing := conditionsHold(s.Condition, Request{Context: n.Context, Multi: n.Multi}); !ok && !unknownContext(missing, d) {
			continue
		}
		for _, rp := range res {
			out = append(out, Grant{Statement: s, Action: act, Resource: rp})
		}
	}
	return out
}

func appendOnce(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// LogicalIDOfKey returns the function's logical ID in an access key the
// local runner makes (runner.SandboxAccessKey: "<logical ID>-<sandbox>"),
// for Check's fnForKey when the caller has no runner; "" for a key of
// another form.
func LogicalIDOfKey(key string) string {
	i := strings.LastIndexByte(key, '-')
	if i <= 0 {
		return ""
	}
	for _, r := range key[i+1:] {
		if r < '0' || r > '9' {
			return ""
		}
	}
	if i+1 == len(key) {
		return ""
	}
	return key[:i]
}
