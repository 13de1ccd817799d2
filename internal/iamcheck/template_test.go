package iamcheck_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/snapflow/snapflow/internal/iamcheck"
)

// The committed template is cdk.out's, trimmed to what IAM needs. After a
// change to the stack's IAM, regenerate it with
//
//	make build && make synth
//	go test ./internal/iamcheck -run TestTrimmedTemplate -update
var update = flag.Bool("update", false, "rewrite testdata/Snapflow.template.json from cdk.out")

const fixture = "testdata/Snapflow.template.json"

// keep lists the resource types the trimmed template holds and the
// properties kept of each: what Load reads (policies, roles, the functions
// and state machines that use them) and what names the resources policies
// refer to.
var keep = map[string][]string{
	"AWS::IAM::Role":                   {"Description", "RoleName", "Policies", "ManagedPolicyArns"},
	"AWS::IAM::Policy":                 {"PolicyName", "PolicyDocument", "Roles"},
	"AWS::Lambda::Function":            {"Description", "FunctionName", "Role"},
	"AWS::StepFunctions::StateMachine": {"StateMachineName", "RoleArn"},
	"AWS::S3::Bucket":                  {"BucketName"},
	"AWS::SNS::Topic":                  {"TopicName"},
	"AWS::KMS::Key":                    {},
	"AWS::Logs::LogGroup":              {"LogGroupName"},
	"AWS::SQS::Queue":                  {"QueueName"},
	"AWS::Events::EventBus":            {"Name"},
}

func trim(t *testing.T, data []byte) []byte {
	t.Helper()
	var doc struct {
		Resources map[string]map[string]any `json:"Resources"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	for id, r := range doc.Resources {
		typ, _ := r["Type"].(string)
		props, ok := keep[typ]
		if !ok {
			continue
		}
		res := map[string]any{"Type": typ}
		if p, ok := r["Properties"].(map[string]any); ok {
			kept := map[string]any{}
			for _, k := range props {
				if v, ok := p[k]; ok {
					kept[k] = v
				}
			}
			if len(kept) > 0 {
				res["Properties"] = kept
			}
		}
		if m, ok := r["Metadata"].(map[string]any); ok {
			if path, ok := m["aws:cdk:path"]; ok {
				res["Metadata"] = map[string]any{"aws:cdk:path": path}
			}
		}
		out[id] = res
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(map[string]any{
		"Description": "cdk.out/Snapflow.template.json trimmed to its IAM (internal/iamcheck/template_test.go); regenerate: make build && make synth && go test ./internal/iamcheck -run TestTrimmedTemplate -update",
		"Resources":   out,
	}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestTrimmedTemplate checks that trimming loses nothing Load reads: the
// trimmed template gives every principal the same statements as the full
// one. With -update it rewrites the fixture from cdk.out.
func TestTrimmedTemplate(t *testing.T) {
	full, err := filepath.Glob("../../cdk.out/*.template.json")
	if err != nil || len(full) != 1 {
		if *update {
			t.Fatalf("-update needs exactly one cdk.out/*.template.json (make build && make synth): %v %v", full, err)
		}
		t.Skip("no cdk.out template: run make synth to compare the fixture with it")
	}
	data, err := os.ReadFile(full[0])
	if err != nil {
		t.Fatal(err)
	}
	trimmed := trim(t, data)
	if *update {
		if err := os.WriteFile(fixture, trimmed, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s from %s", fixture, full[0])
	}
	a, err := iamcheck.Load(data, iamcheck.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := iamcheck.Load(trimmed, iamcheck.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.All()) != len(b.All()) {
		t.Fatalf("%d principals in the full template, %d trimmed", len(a.All()), len(b.All()))
	}
	for i, pa := range a.All() {
		pb := b.All()[i]
		if pa.Label() != pb.Label() || pa.Name != pb.Name || !reflect.DeepEqual(statements(pa), statements(pb)) {
			t.Errorf("principal %s differs once trimmed", pa.Label())
		}
	}
	committed, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	if string(committed) != string(trimmed) {
		t.Logf("note: %s differs from cdk.out's template: regenerate it if the stack's IAM changed (see the comment on update)", fixture)
	}
}

type stmt struct {
	Sid, Effect                              string
	Action, NotAction, Resource, NotResource []string
	Condition                                map[string]map[string][]string
}

func statements(p *iamcheck.Policy) []stmt {
	var out []stmt
	for _, s := range p.Statements {
		out = append(out, stmt{s.Sid, s.Effect, s.Action, s.NotAction, s.Resource, s.NotResource, s.Condition})
	}
	return out
}
