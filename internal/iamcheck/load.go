package iamcheck

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/snapflow/snapflow/internal/cfn"
	"sort"
	"strings"
)

// Options are what a template is resolved against.
type Options struct {
	// Partition, Region and Account are AWS::Partition, AWS::Region and
	// AWS::AccountId: aws, us-east-1 and 123456789012 (the local AWS's) when
	// empty.
	Partition, Region, Account string
	// Stack is AWS::StackName, and the start of the names CloudFormation
	// generates for resources that name none ("Snapflow" when empty).
	Stack string
	// Resolve gives the Ref (attribute "") and Fn::GetAtt values of the
	// template's resources; when nil or when it answers false, the local
	// runner's naming is used (DefaultResolver).
	Resolve Resolver
}

func (o Options) withDefaults() Options {
	if o.Partition == "" {
		o.Partition = "aws"
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.Account == "" {
		o.Account = "123456789012"
	}
	if o.Stack == "" {
		o.Stack = "Snapflow"
	}
	return o
}

// Resource is a template resource as a Resolver sees it.
type Resource struct {
	LogicalID  string
	Type       string
	Properties map[string]any
	Metadata   map[string]any
}

// Resolver returns the value of Ref (attribute "") or Fn::GetAtt (the
// attribute) of a resource, and whether it knows it. The local runner can
// supply its own to check against the names it really gave the resources.
type Resolver func(r Resource, attribute string) (string, bool)

// DefaultResolver names the resources as the local runner does
// (internal/runner/template.go, physicalOf): a resource's name property
// (BucketName, FunctionName, TopicName, …) or "<stack>-<logical ID>"
// (lower case for buckets, cut to the type's length limit), and ARNs in
// opts' partition, region and account.
func DefaultResolver(opts Options) Resolver {
	o := opts.withDefaults()
	return func(r Resource, attr string) (string, bool) {
		name := func(prop string, max int, lower bool) string {
			if s, ok := r.Properties[prop].(string); ok && s != "" {
				return s
			}
			n := o.Stack + "-" + r.LogicalID
			if lower {
				n = strings.ToLower(n)
			}
			if len(n) > max {
				n = n[:max]
			}
			return n
		}
		arn := func(service, resource string) string {
			return "arn:" + o.Partition + ":" + service + ":" + o.Region + ":" + o.Account + ":" + resource
		}
		var ref string
		attrs := map[string]string{}
		switch r.Type {
		case "AWS::Lambda::Function":
			ref = name("FunctionName", 64, false)
			attrs["Arn"] = arn("lambda", "function:"+ref)
		case "AWS::StepFunctions::StateMachine":
			n := name("StateMachineName", 80, false)
			ref = arn("states", "stateMachine:"+n)
			attrs["Arn"], attrs["Name"] = ref, n
		case "AWS::SNS::Topic":
			n := name("TopicName", 256, false)
			ref = arn("sns", n)
			attrs["TopicArn"], attrs["TopicName"] = ref, n
		case "AWS::S3::Bucket":
			ref = name("BucketName", 63, true)
			attrs["Arn"] = "arn:" + o.Partition + ":s3:::" + ref
			attrs["DomainName"] = ref + ".s3.amazonaws.com"
			attrs["RegionalDomainName"] = ref + ".s3." + o.Region + ".amazonaws.com"
		case "AWS::Events::EventBus":
			ref, _ = r.Properties["Name"].(string)
			attrs["Arn"], attrs["Name"] = arn("events", "event-bus/"+ref), ref
		case "AWS::KMS::Key":
			ref = strings.ToLower(r.LogicalID)
			attrs["Arn"], attrs["KeyId"] = arn("kms", "key/"+ref), ref
		case "AWS::IAM::Role":
			ref = name("RoleName", 64, false)
			attrs["Arn"] = "arn:" + o.Partition + ":iam::" + o.Account + ":role/" + ref
			attrs["RoleId"] = r.LogicalID
		case "AWS::Logs::LogGroup":
			ref = name("LogGroupName", 512, false)
			attrs["Arn"] = arn("logs", "log-group:"+ref+":*")
		case "AWS::SQS::Queue":
			n := name("QueueName", 80, false)
			ref = "https://sqs." + o.Region + ".amazonaws.com/" + o.Account + "/" + n
			attrs["Arn"], attrs["QueueName"] = arn("sqs", n), n
		default:
			ref = r.LogicalID
		}
		if attr == "" {
			return ref, true
		}
		v, ok := attrs[attr]
		return v, ok
	}
}

// Policies are the identity policies of a template's principals.
type Policies struct {
	// Partition, Region and Account are what the template was resolved
	// against; Check builds ARNs in them.
	Partition, Region, Account string
	all                        []*Policy
	by                         map[string]*Policy
	// Warnings are what was not modelled, for every principal.
	Warnings []string
}

// For returns the policy of a principal named by its handler name (plan,
// create, …), the logical ID or physical name of its Lambda function or
// state machine, or its role's logical ID; nil when none.
func (ps *Policies) For(name string) *Policy { return ps.by[name] }

// All returns every principal's policy: the Lambda functions (handlers
// first, by name), then state machines and roles used by neither.
func (ps *Policies) All() []*Policy { return append([]*Policy(nil), ps.all...) }

// Functions returns the policies of snapflow's handler functions, by name.
func (ps *Policies) Functions() []*Policy {
	var out []*Policy
	for _, p := range ps.all {
		if p.Function != "" {
			out = append(out, p)
		}
	}
	return out
}

type template struct {
	Resources map[string]struct {
		Type       string         `json:"Type"`
		Properties map[string]any `json:"Properties"`
		Metadata   map[string]any `json:"Metadata"`
	} `json:"Resources"`
}

// Load reads a synthesized CloudFormation template and returns the identity
// policy of every Lambda function, state machine and role in it.
//
// A role's policy is the statements of every AWS::IAM::Policy whose Roles
// name it and of its inline Policies (managed policies are not modelled and
// give a warning). A Lambda function is known by its handler name when its
// Description is "snapflow <name>", its role's Description "snapflow
// <name> handler", or its construct path ".../Functions/<name>/Resource".
func Load(data []byte, opts Options) (*Policies, error) {
	o := opts.withDefaults()
	var t template
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	if len(t.Resources) == 0 {
		return nil, errors.New("template: no Resources")
	}
	res := map[string]Resource{}
	for id, r := range t.Resources {
		res[id] = Resource{LogicalID: id, Type: r.Type, Properties: r.Properties, Metadata: r.Metadata}
	}
	rv := &resolver{opts: o, res: res, fallback: DefaultResolver(o)}
	ps := &Policies{Partition: o.Partition, Region: o.Region, Account: o.Account, by: map[string]*Policy{}}

	ids := make([]string, 0, len(res))
	for id := range res {
		ids = append(ids, id)
	}
	sort.Strings(ids)

	roles := map[string]*Policy{}
	for _, id := range ids {
		if res[id].Type == "AWS::IAM::Role" {
			p := &Policy{Role: id}
			roles[id] = p
			for i, inline := range list(res[id].Properties["Policies"]) {
				m, _ := inline.(map[string]any)
				rv.warn = nil
				doc := rv.resolve(m["PolicyDocument"])
				if err := p.add(doc, fmt.Sprintf("%s inline policy %d", id, i+1)); err != nil {
					return nil, err
				}
				p.Warnings = append(p.Warnings, rv.warn...)
			}
			for _, mp := range list(res[id].Properties["ManagedPolicyArns"]) {
				rv.warn = nil
				p.Warnings = append(p.Warnings, fmt.Sprintf("%s: managed policy %v is not modelled", id, rv.resolve(mp)))
			}
		}
	}
	for _, id := range ids {
		r := res[id]
		if r.Type != "AWS::IAM::Policy" {
			continue
		}
		for _, ref := range list(r.Properties["Roles"]) {
			roleID := refID(ref)
			role := roles[roleID]
			if role == nil {
				ps.Warnings = append(ps.Warnings, fmt.Sprintf("%s: role %v is not in the template", id, ref))
				continue
			}
			rv.warn = nil
			doc := rv.resolve(r.Properties["PolicyDocument"])
			if err := role.add(doc, id); err != nil {
				return nil, err
			}
			role.Warnings = append(role.Warnings, rv.warn...)
		}
	}

	used := map[string]bool{}
	var fns, machines []*Policy
	for _, id := range ids {
		r := res[id]
		var roleProp string
		switch r.Type {
		case "AWS::Lambda::Function":
			roleProp = "Role"
		case "AWS::StepFunctions::StateMachine":
			roleProp = "RoleArn"
		default:
			continue
		}
		roleID := rv.roleOf(r.Properties[roleProp], roles)
		role := roles[roleID]
		if role == nil {
			ps.Warnings = append(ps.Warnings, fmt.Sprintf("%s: its role is not in the template", id))
			continue
		}
		used[roleID] = true
		p := &Policy{LogicalID: id, Role: roleID, Statements: role.Statements, Warnings: role.Warnings}
		if r.Type == "AWS::Lambda::Function" {
			p.Name, _ = rv.value(id, "")
			p.Function = handlerName(r, res[roleID])
			fns = append(fns, p)
		} else {
			p.Name, _ = rv.value(id, "Name")
			machines = append(machines, p)
		}
	}
	sort.SliceStable(fns, func(i, j int) bool {
		a, b := fns[i], fns[j]
		if (a.Function == "") != (b.Function == "") {
			return a.Function != ""
		}
		if a.Function != b.Function {
			return a.Function < b.Function
		}
		return a.LogicalID < b.LogicalID
	})
	ps.all = append(append(ps.all, fns...), machines...)
	for _, id := range ids {
		if p := roles[id]; p != nil && !used[id] {
			ps.all = append(ps.all, p)
		}
	}
	for _, p := range ps.all {
		for _, k := range []string{p.Function, p.LogicalID, p.Name} {
			if k != "" && ps.by[k] == nil {
				ps.by[k] = p
			}
		}
		if ps.by[p.Role] == nil {
			ps.by[p.Role] = p
		}
		ps.Warnings = append(ps.Warnings, p.Warnings...)
	}
	return ps, nil
}

// handlerName is the snapflow handler a function runs: from its
// Description ("snapflow <name>"), its role's ("snapflow <name> handler")
// or its construct path (<stack>/Functions/<name>/Resource).
func handlerName(fn, role Resource) string {
	if d, _ := fn.Properties["Description"].(string); strings.HasPrefix(d, "snapflow ") {
		if n := strings.TrimPrefix(d, "snapflow "); n != "" && !strings.ContainsAny(n, " :") {
			return n
		}
	}
	if d, _ := role.Properties["Description"].(string); strings.HasPrefix(d, "snapflow ") && strings.HasSuffix(d, " handler") {
		if n := strings.TrimSuffix(strings.TrimPrefix(d, "snapflow "), " handler"); n != "" && !strings.Contains(n, " ") {
			return n
		}
	}
	if path, _ := fn.Metadata["aws:cdk:path"].(string); path != "" {
		parts := strings.Split(path, "/")
		if len(parts) >= 3 && parts[len(parts)-1] == "Resource" && parts[len(parts)-3] == "Functions" {
			return parts[len(parts)-2]
		}
	}
	return ""
}

// refID returns the logical ID of {"Ref": id}.
func refID(v any) string {
	if m, ok := v.(map[string]any); ok {
		if id, ok := m["Ref"].(string); ok {
			return id
		}
	}
	s, _ := v.(string)
	return s
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

// resolver evaluates intrinsic functions.
type resolver struct {
	opts     Options
	res      map[string]Resource
	fallback Resolver
	warn     []string
	eval     *cfn.Evaluator
}

// roleOf returns the logical ID of the role a function or state machine
// names: {"Fn::GetAtt": [id, "Arn"]}, or a role ARN matching one of the
// template's roles.
func (rv *resolver) roleOf(v any, roles map[string]*Policy) string {
	if m, ok := v.(map[string]any); ok {
		if ga, ok := m["Fn::GetAtt"]; ok {
			switch a := ga.(type) {
			case []any:
				if len(a) == 2 {
					id, _ := a[0].(string)
					return id
				}
			case string:
				id, _, _ := strings.Cut(a, ".")
				return id
			}
		}
	}
	arn, _ := rv.resolve(v).(string)
	for id := range roles {
		if a, ok := rv.value(id, "Arn"); ok && a == arn {
			return id
		}
	}
	return ""
}

// value is Ref (attr "") or Fn::GetAtt of a resource.
func (rv *resolver) value(id, attr string) (string, bool) {
	r, ok := rv.res[id]
	if !ok {
		return "", false
	}
	if rv.opts.Resolve != nil {
		if v, ok := rv.opts.Resolve(r, attr); ok {
			return v, true
		}
	}
	return rv.fallback(r, attr)
}

// resolve returns v with its intrinsic functions evaluated. What it cannot
// resolve becomes "<unresolved …>", which no ARN matches, and a warning.
func (rv *resolver) resolve(v any) any {
	if rv.eval == nil {
		rv.eval = &cfn.Evaluator{
			Partition: rv.opts.Partition, Region: rv.opts.Region, Account: rv.opts.Account, Stack: rv.opts.Stack,
			Value: func(id, attr string) (any, error) {
				if v, ok := rv.value(id, attr); ok {
					return v, nil
				}
				if attr == "" {
					return nil, fmt.Errorf("Ref %s", id)
				}
				return nil, fmt.Errorf("Fn::GetAtt %s.%s", id, attr)
			},
			OnError: func(err error) any {
				rv.warn = append(rv.warn, err.Error())
				return fmt.Sprintf("<unresolved %s>", err)
			},
		}
	}
	out, _ := rv.eval.Resolve(v) // OnError: never an error
	return out
}
