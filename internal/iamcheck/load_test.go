package iamcheck_test

import (
	"strings"
	"testing"

	"github.com/snapflow/snapflow/internal/iamcheck"
	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// small is a template with one function of each naming (Description,
// role Description, construct path), the intrinsic functions policies use,
// and what Load does not model.
const small = `{"Resources": {
  "Bucket": {"Type": "AWS::S3::Bucket"},
  "Named": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "exports"}},
  "Topic": {"Type": "AWS::SNS::Topic"},
  "Machine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {"StateMachineName": "run",
     "RoleArn": {"Fn::GetAtt": ["MachineRole", "Arn"]}}},
  "MachineRole": {"Type": "AWS::IAM::Role", "Properties": {"Policies": [{"PolicyName": "inline", "PolicyDocument": {"Statement": [
     {"Effect": "Allow", "Action": "sns:Publish", "Resource": {"Ref": "Topic"}},
     {"Effect": "Allow", "Action": "states:DescribeExecution",
      "Resource": {"Fn::Join": ["", ["arn:aws:states:us-east-1:123456789012:execution:", {"Fn::Select": [6, {"Fn::Split": [":", {"Ref": "Machine"}]}]}, ":*"]]}}]}}]}},
  "DemoRole": {"Type": "AWS::IAM::Role", "Properties": {"Description": "snapflow other handler",
     "ManagedPolicyArns": [{"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/ReadOnlyAccess"]]}]}},
  "DemoPolicy": {"Type": "AWS::IAM::Policy", "Properties": {"Roles": [{"Ref": "DemoRole"}], "PolicyDocument": {"Statement": [
     {"Sid": "Describe", "Effect": "Allow", "Action": "elasticache:Describe*", "Resource": "*"},
     {"Sid": "Objects", "Effect": "Allow", "Action": "s3:GetObject", "Resource": [
        {"Fn::Sub": "${Bucket.Arn}/*"},
        {"Fn::Join": ["", [{"Fn::GetAtt": ["Named", "Arn"]}, "/", {"Ref": "AWS::Region"}, "/*"]]}]},
     {"Sid": "Broken", "Effect": "Allow", "Action": "s3:GetObject", "Resource": {"Fn::GetAtt": ["Nowhere", "Arn"]}}]}}},
  "Demo": {"Type": "AWS::Lambda::Function", "Properties": {"Description": "snapflow demo", "Role": {"Fn::GetAtt": ["DemoRole", "Arn"]}}},
  "ByRole": {"Type": "AWS::Lambda::Function", "Properties": {"Role": {"Fn::GetAtt": ["DemoRole", "Arn"]}}},
  "PathRole": {"Type": "AWS::IAM::Role", "Properties": {}},
  "ByPath": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "by-path", "Role": {"Fn::GetAtt": ["PathRole", "Arn"]}},
     "Metadata": {"aws:cdk:path": "Snapflow/Functions/pathy/Resource"}}
}}`

func TestLoad(t *testing.T) {
	ps, err := iamcheck.Load([]byte(small), iamcheck.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range ps.Functions() {
		names = append(names, p.Function)
	}
	if strings.Join(names, " ") != "demo other pathy" {
		t.Errorf("handlers %v", names)
	}
	demo := ps.For("demo")
	for _, name := range []string{"Demo", "Snapflow-Demo"} {
		if ps.For(name) != demo {
			t.Errorf("For(%q) is not the demo function", name)
		}
	}
	if ps.For("pathy").Name != "by-path" || ps.For("by-path") != ps.For("pathy") || ps.For("run") == nil || ps.For("MachineRole") != ps.For("Machine") {
		t.Errorf("lookups by physical name and role")
	}
	objects := demo.Statements[1].Resource
	if len(objects) != 2 || objects[0] != "arn:aws:s3:::snapflow-bucket/*" || objects[1] != "arn:aws:s3:::exports/us-east-1/*" {
		t.Errorf("resolved resources %v", objects)
	}
	if r := demo.Statements[2].Resource[0]; !strings.HasPrefix(r, "<unresolved Fn::GetAtt Nowhere.Arn") {
		t.Errorf("an unresolvable reference became %q", r)
	}
	warnings := strings.Join(ps.Warnings, "\n")
	for _, w := range []string{"managed policy arn:aws:iam::aws:policy/ReadOnlyAccess is not modelled", "Fn::GetAtt Nowhere.Arn"} {
		if !strings.Contains(warnings, w) {
			t.Errorf("warnings %q lack %q", warnings, w)
		}
	}
	m := ps.For("Machine")
	if m.Statements[0].Resource[0] != "arn:aws:sns:us-east-1:123456789012:Snapflow-Topic" ||
		m.Statements[1].Resource[0] != "arn:aws:states:us-east-1:123456789012:execution:run:*" {
		t.Errorf("state machine resources %v %v", m.Statements[0].Resource, m.Statements[1].Resource)
	}
}

func TestLoadResolverAndOptions(t *testing.T) {
	resolve := func(r iamcheck.Resource, attr string) (string, bool) {
		if r.LogicalID == "Bucket" && attr == "Arn" {
			return "arn:aws:s3:::runner-bucket", true
		}
		return "", false
	}
	ps, err := iamcheck.Load([]byte(small), iamcheck.Options{Region: "eu-west-1", Account: "210987654321", Stack: "Other", Resolve: resolve})
	if err != nil {
		t.Fatal(err)
	}
	objects := ps.For("demo").Statements[1].Resource
	if objects[0] != "arn:aws:s3:::runner-bucket/*" || objects[1] != "arn:aws:s3:::exports/eu-west-1/*" {
		t.Errorf("resources %v", objects)
	}
	if ps.For("Other-Demo") == nil || ps.Account != "210987654321" {
		t.Errorf("the stack name and account are not applied")
	}
}

func TestLoadErrors(t *testing.T) {
	for _, doc := range []string{`{`, `{"Resources": {}}`,
		`{"Resources": {"R": {"Type": "AWS::IAM::Role"}, "P": {"Type": "AWS::IAM::Policy", "Properties": {"Roles": [{"Ref": "R"}], "PolicyDocument": {"Statement": [{"Effect": "Allow"}]}}}}}`,
	} {
		if _, err := iamcheck.Load([]byte(doc), iamcheck.Options{}); err == nil {
			t.Errorf("%s: no error", doc)
		}
	}
}

// TestUnmappedAllowedIsUnverified: an operation the table does not have is
// checked as "<prefix>:<Operation>" on the recorded resource; allowed, it
// is still unverified, since that mapping is not sourced.
func TestUnmappedAllowedIsUnverified(t *testing.T) {
	ps, err := iamcheck.Load([]byte(small), iamcheck.Options{})
	if err != nil {
		t.Fatal(err)
	}
	calls := []emu.Call{{Seq: 1, Service: "elasticache", Action: "DescribeEvents", Region: "us-east-1", AccessKeyID: "Demo-1"}}
	r := iamcheck.Check(calls, iamcheck.LogicalIDOfKey, ps)
	if len(r.Denied) != 0 || len(r.Unverified) != 1 || !strings.Contains(r.Unverified[0].Why, "not in the table") {
		t.Fatalf("%s", r)
	}
}

func TestLogicalIDOfKey(t *testing.T) {
	for key, want := range map[string]string{
		"FunctionscreateA93C11C3-1":  "FunctionscreateA93C11C3",
		"FunctionscreateA93C11C3-12": "FunctionscreateA93C11C3",
		"cloudformation":             "",
		"snapflow-local":             "",
		"states":                     "",
		"x-":                         "",
		"-1":                         "",
	} {
		if got := iamcheck.LogicalIDOfKey(key); got != want {
			t.Errorf("LogicalIDOfKey(%q) = %q, want %q", key, got, want)
		}
	}
}
