package runner

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

func testTemplate(t *testing.T, resources string) *Template {
	t.Helper()
	var res map[string]*Resource
	if err := json.Unmarshal([]byte(resources), &res); err != nil {
		t.Fatal(err)
	}
	return &Template{Stack: "Stk", Resources: res}
}

func TestResolve(t *testing.T) {
	tm := testTemplate(t, `{
		"Fn1": {"Type": "AWS::Lambda::Function", "Properties": {}},
		"Fn2": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "named"}},
		"Sm": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {"StateMachineName": "Stk-target"}},
		"Topic": {"Type": "AWS::SNS::Topic", "Properties": {}},
		"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {}},
		"Owner": {"Type": "Custom::AWS", "Properties": {}},
		"Rule": {"Type": "AWS::Events::Rule", "Properties": {}},
		"Sched": {"Type": "AWS::Scheduler::Schedule", "Properties": {"Name": "nightly"}}
	}`)
	r := newResolver(tm)
	r.setAttr("Owner", "Owner.ID", "abc")
	tests := []struct {
		in   string
		want any
	}{
		{`{"Fn::GetAtt": ["Fn1", "Arn"]}`, "arn:aws:lambda:us-east-1:123456789012:function:Stk-Fn1"},
		{`{"Fn::GetAtt": "Fn2.Arn"}`, "arn:aws:lambda:us-east-1:123456789012:function:named"},
		{`{"Ref": "Sm"}`, "arn:aws:states:us-east-1:123456789012:stateMachine:Stk-target"},
		{`{"Ref": "Topic"}`, "arn:aws:sns:us-east-1:123456789012:Stk-Topic"},
		{`{"Ref": "Bucket"}`, "stk-bucket"},
		{`{"Ref": "Rule"}`, "Stk-Rule"},
		{`{"Fn::GetAtt": ["Rule", "Arn"]}`, "arn:aws:events:us-east-1:123456789012:rule/Stk-Rule"},
		{`{"Fn::GetAtt": ["Sched", "Arn"]}`, "arn:aws:scheduler:us-east-1:123456789012:schedule/default/nightly"},
		{`{"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", {"Ref": "Bucket"}, "/*"]]}`, "arn:aws:s3:::stk-bucket/*"},
		{`{"Fn::Sub": "${AWS::Region}.${Bucket}.${Owner.Owner.ID}"}`, "us-east-1.stk-bucket.abc"},
		{`{"Fn::Select": [1, {"Fn::Split": [",", "a,b,c"]}]}`, "b"},
		{`{"k": [{"Ref": "AWS::AccountId"}]}`, map[string]any{"k": []any{"123456789012"}}},
	}
	for _, tt := range tests {
		var v any
		_ = json.Unmarshal([]byte(tt.in), &v)
		got, err := r.resolve(v)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s = %v (%v), want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{`{"Ref": "Nope"}`, `{"Fn::GetAtt": ["Fn1", "Nope"]}`, `{"Fn::ImportValue": "x"}`} {
		var v any
		_ = json.Unmarshal([]byte(bad), &v)
		if _, err := r.resolve(v); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestOrder(t *testing.T) {
	tm := testTemplate(t, `{
		"Acl": {"Type": "Custom::AWS", "Properties": {"Create": {"Fn::Join": ["", [{"Fn::GetAtt": ["Owner", "Owner.ID"]}]]}}, "DependsOn": ["Policy"]},
		"Owner": {"Type": "Custom::AWS", "Properties": {"B": {"Ref": "Bucket"}}},
		"Policy": {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": {"Ref": "Bucket"}}},
		"Bucket": {"Type": "AWS::S3::Bucket"}
	}`)
	got, err := tm.order([]string{"Acl", "Owner", "Policy", "Bucket"})
	if err != nil {
		t.Fatal(err)
	}
	pos := func(id string) int { return slices.Index(got, id) }
	if !(pos("Bucket") < pos("Owner") && pos("Bucket") < pos("Policy") && pos("Owner") < pos("Acl") && pos("Policy") < pos("Acl")) {
		t.Errorf("order %v", got)
	}
	cyc := testTemplate(t, `{"A": {"Type": "X", "DependsOn": "B"}, "B": {"Type": "X", "DependsOn": "A"}}`)
	if _, err := cyc.order([]string{"A", "B"}); err == nil {
		t.Error("no error for a cycle")
	}
}

func TestDefaultTaskTimeouts(t *testing.T) {
	var def any
	_ = json.Unmarshal([]byte(`{"States": {
		"A": {"Type": "Task"}, "B": {"Type": "Task", "TimeoutSeconds": 5}, "C": {"Type": "Task", "TimeoutSecondsPath": "$.t"},
		"M": {"Type": "Map", "ItemProcessor": {"States": {"D": {"Type": "Task"}}}}}}`), &def)
	defaultTaskTimeouts(def)
	st := def.(map[string]any)["States"].(map[string]any)
	get := func(m any, k string) any { return m.(map[string]any)[k] }
	if get(st["A"], "TimeoutSeconds") != awsTaskTimeout || get(st["B"], "TimeoutSeconds") != 5.0 || get(st["C"], "TimeoutSeconds") != nil {
		t.Errorf("%v", st)
	}
	inner := get(get(st["M"], "ItemProcessor"), "States").(map[string]any)
	if get(inner["D"], "TimeoutSeconds") != awsTaskTimeout {
		t.Errorf("map: %v", inner)
	}
}

func TestFlatten(t *testing.T) {
	var doc any
	_ = json.Unmarshal([]byte(`{"Owner": {"ID": "o"}, "Grants": [{"Permission": "READ"}], "ResultMetadata": {"x": 1}}`), &doc)
	got := map[string]any{}
	flatten("", doc, got)
	want := map[string]any{"Owner.ID": "o", "Grants.0.Permission": "READ"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%v", got)
	}
}

func TestAttribute(t *testing.T) {
	a1 := &Invocation{AccessKey: "F-1", toSeq: 3}
	a2 := &Invocation{AccessKey: "F-1", toSeq: 6}
	b1 := &Invocation{AccessKey: "G-1", toSeq: 5}
	calls := []emu.Call{
		{Seq: 1, AccessKeyID: "F-1"}, {Seq: 2, AccessKeyID: "G-1"}, {Seq: 3, AccessKeyID: "F-1"},
		{Seq: 4, AccessKeyID: "cloudformation"}, {Seq: 5, AccessKeyID: "F-1"}, {Seq: 6, AccessKeyID: "G-1"},
	}
	attribute([]*Invocation{a2, b1, a1}, calls)
	seqs := func(inv *Invocation) []int {
		var out []int
		for _, c := range inv.Calls {
			out = append(out, c.Seq)
		}
		return out
	}
	if !slices.Equal(seqs(a1), []int{1, 3}) || !slices.Equal(seqs(a2), []int{5}) || !slices.Equal(seqs(b1), []int{2}) {
		t.Errorf("a1 %v a2 %v b1 %v", seqs(a1), seqs(a2), seqs(b1))
	}
}

func TestDescribeExecution(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	x := &Execution{ARN: "arn:x", Name: "n", Machine: "Stk-target", Input: json.RawMessage(`{"item":1}`), Start: start,
		Stop: start.Add(time.Minute), Status: "FAILED", Error: "Snapflow.SnapshotFailed", Cause: "boom"}
	d := describeExecution(x, true)
	if d["Status"] != "FAILED" || d["Error"] != "Snapflow.SnapshotFailed" || d["Cause"] != "boom" || d["Output"] != nil ||
		d["StateMachineArn"] != "arn:aws:states:us-east-1:123456789012:stateMachine:Stk-target" {
		t.Errorf("%v", d)
	}
	x.Status, x.Output = "SUCCEEDED", json.RawMessage(`{"done":true}`)
	d = describeExecution(x, false)
	if d["Output"] != `{"done":true}` || d["Input"] != `{"item":1}` {
		t.Errorf(".sync (not :2) returns Input and Output as strings: %v", d)
	}
}
