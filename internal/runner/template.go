package runner

import (
	"encoding/json"
	"fmt"
	"github.com/snapflow/snapflow/internal/cfn"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// The local account and region every resource of the template lives in
// (the local AWS's defaults).
const (
	Region    = "us-east-1"
	AccountID = "123456789012"
	Partition = "aws"
)

// Template is a synthesized CloudFormation template (cdk.out/<stack>.template.json).
type Template struct {
	// Path is where it was read from; Dir is the cloud assembly (cdk.out).
	Path, Dir string
	// Stack is the stack name (the file name without .template.json).
	Stack     string
	Resources map[string]*Resource
}

// Resource is one resource of the template.
type Resource struct {
	Type       string         `json:"Type"`
	Properties map[string]any `json:"Properties"`
	DependsOn  any            `json:"DependsOn"`
	Metadata   map[string]any `json:"Metadata"`
}

// CDKPath is the resource's construct path (aws:cdk:path), if recorded.
func (r *Resource) CDKPath() string {
	s, _ := r.Metadata["aws:cdk:path"].(string)
	return s
}

// dependsOn lists the logical IDs in DependsOn.
func (r *Resource) dependsOn() []string {
	switch v := r.DependsOn.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// FindTemplate returns the one *.template.json of the cloud assembly dir.
func FindTemplate(dir string) (string, error) {
	matches, err := filepath.Glob(filepath.Join(dir, "*.template.json"))
	if err != nil {
		return "", err
	}
	switch len(matches) {
	case 0:
		return "", fmt.Errorf("no *.template.json in %s: run `make synth` first", dir)
	case 1:
		return matches[0], nil
	}
	return "", fmt.Errorf("%d templates in %s (%s): name one", len(matches), dir, strings.Join(matches, ", "))
}

// LoadTemplate reads a synthesized template.
func LoadTemplate(path string) (*Template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	var doc struct {
		Resources map[string]*Resource `json:"Resources"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("template %s: %w", path, err)
	}
	if len(doc.Resources) == 0 {
		return nil, fmt.Errorf("template %s has no resources", path)
	}
	return &Template{
		Path:      path,
		Dir:       filepath.Dir(path),
		Stack:     strings.TrimSuffix(filepath.Base(path), ".template.json"),
		Resources: doc.Resources,
	}, nil
}

// OfType returns the logical IDs of the resources of a type, sorted.
func (t *Template) OfType(typ string) []string {
	var out []string
	for id, r := range t.Resources {
		if r.Type == typ {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// physical holds what Ref and Fn::GetAtt of a resource give.
type physical struct {
	ref   any
	attrs map[string]any
}

// resolver evaluates the intrinsic functions of the template against the
// local account: pseudo parameters, Ref and Fn::GetAtt of resources (the
// names and ARNs the local resources get), Fn::Join, Fn::Sub, Fn::Select,
// Fn::Split and Fn::If-free conditions.
type resolver struct {
	t     *Template
	phys  map[string]*physical
	names map[string]string // logical ID -> physical name
	eval  *cfn.Evaluator
}

func newResolver(t *Template) *resolver {
	r := &resolver{t: t, phys: map[string]*physical{}, names: map[string]string{}}
	r.eval = &cfn.Evaluator{Partition: Partition, Region: Region, Account: AccountID, Stack: t.Stack, Value: r.value}
	for id, res := range t.Resources {
		r.phys[id] = r.physicalOf(id, res)
	}
	return r
}

// generatedName is the name CloudFormation would give a resource that has
// none: "<stack>-<logical ID>" (CloudFormation appends a random suffix; the
// local one is stable), within max characters.
func (r *resolver) generatedName(id string, max int, lower bool) string {
	n := r.t.Stack + "-" + id
	if lower {
		n = strings.ToLower(n)
	}
	if len(n) > max {
		n = n[:max]
	}
	return n
}

func str(props map[string]any, key string) string {
	s, _ := props[key].(string)
	return s
}

func (r *resolver) physicalOf(id string, res *Resource) *physical {
	p := res.Properties
	arn := func(service, resource string) string {
		return fmt.Sprintf("arn:%s:%s:%s:%s:%s", Partition, service, Region, AccountID, resource)
	}
	switch res.Type {
	case "AWS::Lambda::Function":
		name := str(p, "FunctionName")
		if name == "" {
			name = r.generatedName(id, 64, false)
		}
		r.names[id] = name
		a := arn("lambda", "function:"+name)
		return &physical{ref: name, attrs: map[string]any{"Arn": a}}
	case "AWS::StepFunctions::StateMachine":
		name := str(p, "StateMachineName")
		if name == "" {
			name = r.generatedName(id, 80, false)
		}
		r.names[id] = name
		a := arn("states", "stateMachine:"+name)
		return &physical{ref: a, attrs: map[string]any{"Arn": a, "Name": name}}
	case "AWS::SNS::Topic":
		name := str(p, "TopicName")
		if name == "" {
			name = r.generatedName(id, 256, false)
		}
		r.names[id] = name
		a := arn("sns", name)
		return &physical{ref: a, attrs: map[string]any{"TopicArn": a, "TopicName": name}}
	case "AWS::S3::Bucket":
		name := str(p, "BucketName")
		if name == "" {
			name = r.generatedName(id, 63, true)
		}
		r.names[id] = name
		return &physical{ref: name, attrs: map[string]any{
			"Arn": "arn:aws:s3:::" + name, "DomainName": name + ".s3.amazonaws.com",
			"RegionalDomainName": name + ".s3." + Region + ".amazonaws.com",
		}}
	case "AWS::Events::EventBus":
		name := str(p, "Name")
		r.names[id] = name
		a := arn("events", "event-bus/"+name)
		return &physical{ref: name, attrs: map[string]any{"Arn": a, "Name": name}}
	case "AWS::Events::Rule":
		// Ref is the rule's name ("eventbusname|rulename" on a custom
		// bus, which the stack does not use).
		name := str(p, "Name")
		if name == "" {
			name = r.generatedName(id, 64, false)
		}
		r.names[id] = name
		return &physical{ref: name, attrs: map[string]any{"Arn": arn("events", "rule/"+name)}}
	case "AWS::Scheduler::Schedule":
		name := str(p, "Name")
		if name == "" {
			name = r.generatedName(id, 64, false)
		}
		r.names[id] = name
		group := str(p, "GroupName")
		if group == "" {
			group = "default"
		}
		return &physical{ref: name, attrs: map[string]any{"Arn": arn("scheduler", "schedule/"+group+"/"+name)}}
	case "AWS::KMS::Key":
		key := strings.ToLower(id)
		return &physical{ref: key, attrs: map[string]any{"Arn": arn("kms", "key/"+key), "KeyId": key}}
	case "AWS::IAM::Role":
		name := str(p, "RoleName")
		if name == "" {
			name = r.generatedName(id, 64, false)
		}
		return &physical{ref: name, attrs: map[string]any{"Arn": "arn:aws:iam::" + AccountID + ":role/" + name, "RoleId": id}}
	case "AWS::Logs::LogGroup":
		name := str(p, "LogGroupName")
		if name == "" {
			name = r.generatedName(id, 512, false)
		}
		return &physical{ref: name, attrs: map[string]any{"Arn": arn("logs", "log-group:"+name+":*")}}
	case "AWS::SQS::Queue":
		name := str(p, "QueueName")
		if name == "" {
			name = r.generatedName(id, 80, false)
		}
		return &physical{ref: "https://sqs." + Region + ".amazonaws.com/" + AccountID + "/" + name,
			attrs: map[string]any{"Arn": arn("sqs", name), "QueueName": name}}
	}
	return &physical{ref: id, attrs: map[string]any{}}
}

// setAttr records an attribute known only once the resource exists (a
// custom resource's response data).
func (r *resolver) setAttr(id, attr string, v any) {
	if p, ok := r.phys[id]; ok {
		p.attrs[attr] = v
	}
}

// resolve evaluates v's intrinsic functions against the local resources.
func (r *resolver) resolve(v any) (any, error) { return r.eval.Resolve(v) }

// value is Ref (attr "") or Fn::GetAtt of a local resource.
func (r *resolver) value(id, attr string) (any, error) {
	p, ok := r.phys[id]
	switch {
	case !ok && attr == "":
		return nil, fmt.Errorf("Ref %q: no such resource or pseudo parameter", id)
	case !ok:
		return nil, fmt.Errorf("Fn::GetAtt %s.%s: no such resource", id, attr)
	case attr == "":
		return p.ref, nil
	}
	v, ok := p.attrs[attr]
	if !ok {
		return nil, fmt.Errorf("Fn::GetAtt %s.%s: attribute not known locally (%s)", id, attr, r.t.Resources[id].Type)
	}
	return v, nil
}

// refs lists the logical IDs v refers to with Ref and Fn::GetAtt (and
// ${...} in Fn::Sub).
func refs(v any, out map[string]bool) {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			refs(e, out)
		}
	case map[string]any:
		for k, e := range x {
			switch k {
			case "Ref":
				if s, ok := e.(string); ok && !strings.HasPrefix(s, "AWS::") {
					out[s] = true
				}
			case "Fn::GetAtt":
				switch a := e.(type) {
				case []any:
					if len(a) > 0 {
						if s, ok := a[0].(string); ok {
							out[s] = true
						}
					}
				case string:
					id, _, _ := strings.Cut(a, ".")
					out[id] = true
				}
			default:
				refs(e, out)
			}
		}
	}
}

// order sorts ids so that every resource comes after the ones it depends
// on (DependsOn, Ref, Fn::GetAtt), as CloudFormation creates them; ties
// keep ids' order.
func (t *Template) order(ids []string) ([]string, error) {
	in := map[string]bool{}
	for _, id := range ids {
		in[id] = true
	}
	deps := map[string][]string{}
	for _, id := range ids {
		res := t.Resources[id]
		m := map[string]bool{}
		refs(res.Properties, m)
		for _, d := range res.dependsOn() {
			m[d] = true
		}
		for d := range m {
			if in[d] && d != id {
				deps[id] = append(deps[id], d)
			}
		}
		sort.Strings(deps[id])
	}
	var out []string
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(id string) error
	visit = func(id string) error {
		switch state[id] {
		case 1:
			return fmt.Errorf("circular dependency at %s", id)
		case 2:
			return nil
		}
		state[id] = 1
		for _, d := range deps[id] {
			if err := visit(d); err != nil {
				return err
			}
		}
		state[id] = 2
		out = append(out, id)
		return nil
	}
	for _, id := range ids {
		if err := visit(id); err != nil {
			return nil, err
		}
	}
	return out, nil
}
