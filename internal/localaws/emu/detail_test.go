package emu

import (
	"encoding/json"
	"maps"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestRequestResources(t *testing.T) {
	r := &Request{}
	if got := r.AllResources(); got != nil {
		t.Fatalf("no resource: %v", got)
	}
	r.AddResource("arn:aws:elasticache:us-east-1:123456789012:snapshot:new")
	r.AddResource("")
	r.Resource = "arn:aws:elasticache:us-east-1:123456789012:replicationgroup:orders"
	r.AddResource("arn:aws:elasticache:us-east-1:123456789012:snapshot:new") // again
	r.AddResource(r.Resource)                                                // the primary one
	r.AddResource("arn:aws:s3:::bucket")
	want := []string{
		"arn:aws:elasticache:us-east-1:123456789012:replicationgroup:orders",
		"arn:aws:elasticache:us-east-1:123456789012:snapshot:new",
		"arn:aws:s3:::bucket",
	}
	if got := r.AllResources(); !slices.Equal(got, want) {
		t.Errorf("AllResources %v, want %v", got, want)
	}
}

func TestRequestParamsAndTags(t *testing.T) {
	r := &Request{}
	if r.Params != nil || r.RequestTags != nil || r.ResourceTags != nil {
		t.Fatal("a new request records nothing")
	}
	r.SetParam("TargetBucket", "")
	if r.Params == nil || len(r.Params) != 0 {
		t.Errorf("an absent parameter: Params %v, want empty and non-nil", r.Params)
	}
	r.SetParam("SnapshotName", "Sf-1")
	if r.Params["SnapshotName"] != "Sf-1" {
		t.Errorf("Params %v", r.Params)
	}
	r.SetRequestTags(nil)
	if r.RequestTags == nil || len(r.RequestTags) != 0 {
		t.Errorf("no tags: RequestTags %v, want empty and non-nil", r.RequestTags)
	}
	src := map[string]string{"snapflow:managed": "true"}
	r.SetResourceTags(src)
	src["snapflow:managed"] = "changed"
	if r.ResourceTags["snapflow:managed"] != "true" {
		t.Errorf("ResourceTags shares the resource's map: %v", r.ResourceTags)
	}

	form := url.Values{"SnapshotName": {"a"}, "KmsKeyId": {""},
		"Tags.Tag.1.Key": {"team"}, "Tags.Tag.1.Value": {"data"}, "Tags.Tag.2.Key": {"empty"}}
	q := &Request{}
	q.RecordQueryParams(form, "SnapshotName", "KmsKeyId", "TargetBucket")
	if !maps.Equal(q.Params, map[string]string{"SnapshotName": "a"}) {
		t.Errorf("RecordQueryParams %v", q.Params)
	}
	if got := QueryTags(form, "Tags.Tag"); !maps.Equal(got, map[string]string{"team": "data", "empty": ""}) {
		t.Errorf("QueryTags %v", got)
	}
	if got := QueryTags(url.Values{}, "Tags.Tag"); got == nil || len(got) != 0 {
		t.Errorf("QueryTags of none %v, want empty and non-nil", got)
	}
}

func TestPeekJSON(t *testing.T) {
	body := `{"SnapshotName": "sf-1", "RetentionPeriod": 7, "TargetBucket": null, "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b"}]}`
	hr := httptest.NewRequest("POST", "/", strings.NewReader(body))
	m := PeekJSON(hr)
	r := &Request{}
	r.RecordJSONParams(m, "SnapshotName", "RetentionPeriod", "TargetBucket", "KmsKeyId")
	if !maps.Equal(r.Params, map[string]string{"SnapshotName": "sf-1", "RetentionPeriod": "7"}) {
		t.Errorf("RecordJSONParams %v", r.Params)
	}
	if got := JSONTags(m["Tags"], "Key", "Value"); !maps.Equal(got, map[string]string{"a": "1", "b": ""}) {
		t.Errorf("JSONTags %v", got)
	}
	if got := JSONTags(m["tags"], "key", "value"); got == nil || len(got) != 0 {
		t.Errorf("JSONTags of an absent list %v, want empty and non-nil", got)
	}
	if got := JSONTags(json.RawMessage(`"x"`), "Key", "Value"); got != nil {
		t.Errorf("JSONTags of a malformed list %v, want nil", got)
	}
	// The body is still there for the service.
	var in struct{ SnapshotName string }
	if err := DecodeJSON(hr, &in); err != nil || in.SnapshotName != "sf-1" {
		t.Errorf("DecodeJSON after PeekJSON: %+v %v", in, err)
	}
	if PeekJSON(httptest.NewRequest("POST", "/", strings.NewReader("not json"))) != nil {
		t.Error("PeekJSON of a body that is not JSON")
	}
}

// TestCallJSON checks that the record's JSON keeps nil (not recorded) and
// empty (recorded as none) maps apart, and omits what was not recorded.
func TestCallJSON(t *testing.T) {
	c := Call{Seq: 1, Service: "elasticache", Action: "CopySnapshot", Resource: "arn:a",
		Resources: []string{"arn:a", "arn:b"}, Params: map[string]string{}, RequestTags: map[string]string{},
		ResourceTags: map[string]string{"k": "v"}}
	data, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for _, want := range []string{`"resources":["arn:a","arn:b"]`, `"params":{}`, `"requestTags":{}`, `"resourceTags":{"k":"v"}`, `"seq":1`, `"action":"CopySnapshot"`} {
		if !strings.Contains(s, want) {
			t.Errorf("JSON %s lacks %s", s, want)
		}
	}
	var back Call
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, c) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, c)
	}

	bare, err := json.Marshal(Call{Seq: 2, Action: "DescribeSnapshots"})
	if err != nil {
		t.Fatal(err)
	}
	for _, absent := range []string{"resources", "params", "requestTags", "resourceTags"} {
		if strings.Contains(string(bare), absent) {
			t.Errorf("JSON of a call without detail %s has %s", bare, absent)
		}
	}
	var b Call
	if err := json.Unmarshal(bare, &b); err != nil || b.Params != nil || b.RequestTags != nil || b.ResourceTags != nil || b.Resources != nil {
		t.Errorf("round trip of a call without detail: %+v %v", b, err)
	}
	// A slice of calls (the admin API's /calls) uses the same encoding.
	list, _ := json.Marshal([]Call{c})
	if !strings.Contains(string(list), `"requestTags":{}`) {
		t.Errorf("JSON of a list %s", list)
	}
}

func TestRecordedDiff(t *testing.T) {
	want := Recorded{Resources: []string{"a", "b"}, Params: map[string]string{"Name": "x"}, RequestTags: map[string]string{}}
	if d := want.Diff(want); d != nil {
		t.Errorf("equal records differ: %v", d)
	}
	for name, got := range map[string]Recorded{
		"resource order":       {Resources: []string{"b", "a"}, Params: want.Params, RequestTags: map[string]string{}},
		"extra param":          {Resources: want.Resources, Params: map[string]string{"Name": "x", "K": "v"}, RequestTags: map[string]string{}},
		"tags not recorded":    {Resources: want.Resources, Params: want.Params},
		"resource tags extra":  {Resources: want.Resources, Params: want.Params, RequestTags: map[string]string{}, ResourceTags: map[string]string{}},
		"request tag mismatch": {Resources: want.Resources, Params: want.Params, RequestTags: map[string]string{"k": "v"}},
	} {
		if d := got.Diff(want); len(d) != 1 {
			t.Errorf("%s: %v, want one difference", name, d)
		}
	}
}
