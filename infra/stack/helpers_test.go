package stack

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"

	"github.com/snapflow/snapflow/internal/config"
)

// tmp outlives the tests that share a synthesized stack (t.TempDir would be
// removed with the first test that asked for it).
var tmp string

func TestMain(m *testing.M) {
	var err error
	if tmp, err = os.MkdirTemp("", "snapflow-infra-"); err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(tmp)
	os.Exit(code)
}

func tempDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp(tmp, "")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// dummyAssets writes a zip per handler into a temporary directory.
func dummyAssets(t testing.TB) string {
	t.Helper()
	dir := tempDir(t)
	// An empty zip archive: the end-of-central-directory record alone.
	empty := append([]byte("PK\x05\x06"), make([]byte, 18)...)
	for _, name := range FunctionNames {
		if err := os.WriteFile(filepath.Join(dir, name+".zip"), empty, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// synthesized is a stack built from a configuration, with its template.
type synthesized struct {
	stack    *Stack
	template assertions.Template
	json     map[string]any // the template as plain JSON
}

var (
	exampleOnce sync.Once
	example     *synthesized
)

// exampleStack synthesizes the root snapflow.yaml once for all tests.
func exampleStack(t *testing.T) *synthesized {
	t.Helper()
	exampleOnce.Do(func() {
		cfg, err := config.Load(filepath.Join("..", "..", config.DefaultFile))
		if err != nil {
			t.Fatal(err)
		}
		example = synth(t, cfg)
	})
	if example == nil {
		t.Fatal("example stack failed to synthesize")
	}
	return example
}

func synth(t testing.TB, cfg *config.Config) *synthesized {
	t.Helper()
	app := NewApp(tempDir(t))
	s := New(app, cfg.StackName, &Props{Config: cfg, AssetsDir: dummyAssets(t)})
	CheckNag(app)
	tmpl := assertions.Template_FromStack(s.Stack, nil)
	var doc map[string]any
	raw, err := json.Marshal(tmpl.ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return &synthesized{stack: s, template: tmpl, json: doc}
}

// resources returns the template's resources of a type, by logical ID.
func (s *synthesized) resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range s.json["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

// props returns a resource's Properties.
func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

// find returns the one resource of typ whose property key equals value.
func (s *synthesized) find(t *testing.T, typ, key string, value any) (string, map[string]any) {
	t.Helper()
	var id string
	var res map[string]any
	for rid, r := range s.resources(typ) {
		if reflect.DeepEqual(props(r)[key], value) {
			if id != "" {
				t.Fatalf("two %s with %s = %v: %s and %s", typ, key, value, id, rid)
			}
			id, res = rid, r
		}
	}
	if id == "" {
		t.Fatalf("no %s with %s = %v", typ, key, value)
	}
	return id, res
}

// statement is an IAM policy statement, normalized: Action and Resource
// are always lists (Resource values flattened to strings).
type statement struct {
	Sid       string
	Effect    string
	Actions   []string
	Resources []string
	Condition map[string]any
}

// roleStatements returns the statements of every AWS::IAM::Policy attached
// to the role with logical ID roleID.
func (s *synthesized) roleStatements(roleID string) []statement {
	var out []statement
	for _, r := range s.resources("AWS::IAM::Policy") {
		p := props(r)
		attached := false
		for _, ref := range p["Roles"].([]any) {
			if m, ok := ref.(map[string]any); ok && m["Ref"] == roleID {
				attached = true
			}
		}
		if !attached {
			continue
		}
		for _, st := range p["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			out = append(out, parseStatement(st.(map[string]any)))
		}
	}
	return out
}

func parseStatement(m map[string]any) statement {
	st := statement{Effect: fmt.Sprint(m["Effect"])}
	if sid, ok := m["Sid"].(string); ok {
		st.Sid = sid
	}
	list := func(v any) []string {
		switch x := v.(type) {
		case []any:
			var out []string
			for _, e := range x {
				out = append(out, flatten(e))
			}
			return out
		case nil:
			return nil
		default:
			return []string{flatten(x)}
		}
	}
	st.Actions = list(m["Action"])
	st.Resources = list(m["Resource"])
	st.Condition, _ = m["Condition"].(map[string]any)
	return st
}

// definition returns the parsed ASL of the state machine named name.
func (s *synthesized) definition(t *testing.T, name string) map[string]any {
	t.Helper()
	_, r := s.find(t, "AWS::StepFunctions::StateMachine", "StateMachineName", name)
	var asl map[string]any
	if err := json.Unmarshal([]byte(flatten(props(r)["DefinitionString"])), &asl); err != nil {
		t.Fatalf("%s: definition is not JSON: %v", name, err)
	}
	return asl
}

func states(asl map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for name, st := range asl["States"].(map[string]any) {
		out[name] = st.(map[string]any)
	}
	return out
}

// flatten renders a CloudFormation value with intrinsic functions as a
// string: Fn::Join is joined, Ref and Fn::GetAtt become ${Ref}/${Id.Attr}
// placeholders.
func flatten(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if j, ok := x["Fn::Join"].([]any); ok {
			sep := j[0].(string)
			var parts []string
			for _, p := range j[1].([]any) {
				parts = append(parts, flatten(p))
			}
			return strings.Join(parts, sep)
		}
		if r, ok := x["Ref"].(string); ok {
			return "${" + r + "}"
		}
		if g, ok := x["Fn::GetAtt"].([]any); ok {
			return "${" + g[0].(string) + "." + g[1].(string) + "}"
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}
