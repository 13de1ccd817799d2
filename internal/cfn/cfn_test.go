package cfn

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
)

func TestResolve(t *testing.T) {
	e := &Evaluator{Partition: "aws", Region: "us-east-1", Account: "123456789012", Stack: "Snapflow",
		Value: func(id, attr string) (any, error) {
			switch {
			case id == "Bucket" && attr == "":
				return "snapflow-exports", nil
			case id == "Bucket" && attr == "Arn":
				return "arn:aws:s3:::snapflow-exports", nil
			}
			return nil, fmt.Errorf("no %s.%s", id, attr)
		}}
	for in, want := range map[string]any{
		`{"Ref": "AWS::StackName"}`: "Snapflow",
		`{"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", {"Ref": "Bucket"}, "/*"]]}`: "arn:aws:s3:::snapflow-exports/*",
		`{"Fn::Sub": "${Bucket.Arn}/${AWS::Region}/${!Literal}"}`:                                    "arn:aws:s3:::snapflow-exports/us-east-1/${Literal}",
		`{"Fn::Sub": ["${X}-${AWS::AccountId}", {"X": {"Ref": "Bucket"}}]}`:                          "snapflow-exports-123456789012",
		`{"Fn::Select": [1, {"Fn::Split": [":", {"Fn::GetAtt": ["Bucket", "Arn"]}]}]}`:               "aws",
		`[{"a": {"Ref": "AWS::NoValue"}}, "b"]`:                                                      []any{map[string]any{"a": nil}, "b"},
	} {
		var v any
		if err := json.Unmarshal([]byte(in), &v); err != nil {
			t.Fatal(err)
		}
		got, err := e.Resolve(v)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %#v, %v; want %#v", in, got, err, want)
		}
	}

	var v any
	_ = json.Unmarshal([]byte(`{"Statement": [{"Resource": {"Fn::GetAtt": ["Nowhere", "Arn"]}}, {"Resource": {"Fn::If": []}}]}`), &v)
	if _, err := e.Resolve(v); err == nil || err.Error() != "no Nowhere.Arn" {
		t.Errorf("without OnError: %v, want the Value's error", err)
	}
	var seen []string
	e.OnError = func(err error) any { seen = append(seen, err.Error()); return "?" }
	got, err := e.Resolve(v)
	want := map[string]any{"Statement": []any{map[string]any{"Resource": "?"}, map[string]any{"Resource": "?"}}}
	if err != nil || !reflect.DeepEqual(got, want) || len(seen) != 2 {
		t.Errorf("with OnError: %#v, %v, %v", got, err, seen)
	}
}
