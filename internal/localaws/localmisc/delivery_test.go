package localmisc

import (
	"encoding/json"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// TestDelivery: an accepted event that matches enabled rules reaches each
// of their targets, before PutEvents answers, with the input the target
// asks for: Input as it is, InputPath's part of the event,
// InputTransformer's template filled in, else the whole event.
func TestDelivery(t *testing.T) {
	h := newHarness(t)
	c := h.ebClient("us-east-1")
	var mu sync.Mutex
	var got []Delivery
	h.events.SetDelivery(func(d Delivery) {
		mu.Lock()
		got = append(got, d)
		mu.Unlock()
	})
	const sfn = "arn:aws:states:us-east-1:123456789012:stateMachine:run"
	pattern := `{"source":["snapflow"],"detail-type":["Snapflow Run Requested"],"detail":{"policy":["nightly"]}}`
	_, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("run-nightly"), EventPattern: aws.String(pattern)})
	must(t, err)
	_, err = c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("off"), EventPattern: aws.String(pattern), State: types.RuleStateDisabled})
	must(t, err)
	_, err = c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("off"), Targets: []types.Target{{Id: aws.String("t"), Arn: aws.String(sfn)}}})
	must(t, err)
	_, err = c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("run-nightly"), Targets: []types.Target{
		{Id: aws.String("a-input"), Arn: aws.String(sfn), Input: aws.String(`{"name":"nightly"}`)},
		{Id: aws.String("b-path"), Arn: aws.String(sfn), InputPath: aws.String("$.detail")},
		{Id: aws.String("c-transformer"), Arn: aws.String(sfn), InputTransformer: &types.InputTransformer{
			InputPathsMap: map[string]string{"policy": "$.detail.policy", "first": "$.detail.targets[0]", "n": "$.detail.n", "none": "$.detail.ghost"},
			InputTemplate: aws.String(`{"name": <policy>, "why": "run <policy> (<n>) for \"<first>\"<none>", "n": <n>, "none": <none>, "rule": "<aws.events.rule-name>", "event": <aws.events.event>}`),
		}},
		{Id: aws.String("d-text"), Arn: aws.String(sfn), InputTransformer: &types.InputTransformer{
			InputPathsMap: map[string]string{"policy": "$.detail.policy"},
			InputTemplate: aws.String(`<policy> requested by <unknown>`),
		}},
		{Id: aws.String("e-event"), Arn: aws.String(sfn)},
	}})
	must(t, err)

	detail := `{"policy":"nightly","reason":"pre-deploy","targets":["web","db"],"n":2}`
	out, err := c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{
		entry("snapflow", "Snapflow Run Requested", detail),
		entry("snapflow", "Snapflow Run Requested", `{"policy":"weekly"}`), // no rule
		entry("other", "Snapflow Run Requested", `{"policy":"nightly"}`),   // another source
	}})
	must(t, err)
	if out.FailedEntryCount != 0 {
		t.Fatalf("put %+v", out.Entries)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 5 {
		t.Fatalf("%d deliveries, want 5 (one per target of the one matching rule): %+v", len(got), got)
	}
	id := aws.ToString(out.Entries[0].EventId)
	inputs := map[string]string{}
	for _, d := range got {
		if d.Event.ID != id || d.Rule != "run-nightly" || d.Target.Arn != sfn || d.RuleArn != "arn:aws:events:us-east-1:123456789012:rule/run-nightly" {
			t.Errorf("delivery %+v", d)
		}
		inputs[d.Target.ID] = d.Input
	}
	if inputs["a-input"] != `{"name":"nightly"}` {
		t.Errorf("Input: %s", inputs["a-input"])
	}
	if inputs["b-path"] != `{"n":2,"policy":"nightly","reason":"pre-deploy","targets":["web","db"]}` {
		t.Errorf("InputPath: %s", inputs["b-path"])
	}
	var tr struct {
		Name  string          `json:"name"`
		Why   string          `json:"why"`
		N     int             `json:"n"`
		None  any             `json:"none"`
		Rule  string          `json:"rule"`
		Event json.RawMessage `json:"event"`
	}
	if err := json.Unmarshal([]byte(inputs["c-transformer"]), &tr); err != nil {
		t.Fatalf("InputTransformer output is not JSON: %v\n%s", err, inputs["c-transformer"])
	}
	if tr.Name != "nightly" || tr.Why != `run nightly (2) for "web"` || tr.N != 2 || tr.None != nil || tr.Rule != "run-nightly" {
		t.Errorf("InputTransformer: %+v from %s", tr, inputs["c-transformer"])
	}
	var ev map[string]any
	if json.Unmarshal(tr.Event, &ev) != nil || ev["source"] != "snapflow" || ev["id"] != id || ev["detail"] != nil {
		t.Errorf("<aws.events.event>: %s", tr.Event)
	}
	if inputs["d-text"] != "nightly requested by <unknown>" {
		t.Errorf("text template: %q", inputs["d-text"])
	}
	var whole map[string]any
	if json.Unmarshal([]byte(inputs["e-event"]), &whole) != nil || whole["detail-type"] != "Snapflow Run Requested" || whole["id"] != id ||
		whole["detail"].(map[string]any)["reason"] != "pre-deploy" || whole["version"] != "0" || whole["account"] != "123456789012" {
		t.Errorf("no input settings: the whole event, got %s", inputs["e-event"])
	}

	// An event for a bus that does not exist is dropped: nothing delivered.
	en := entry("snapflow", "Snapflow Run Requested", detail)
	en.EventBusName = aws.String("ghost")
	_, err = c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{en}})
	must(t, err)
	if len(got) != 5 {
		t.Errorf("a dropped event was delivered: %+v", got[5:])
	}
}

func TestJSONPath(t *testing.T) {
	doc := map[string]any{"detail": map[string]any{"a-b": []any{"x", map[string]any{"c_d": 1.0}}}}
	for _, c := range []struct {
		path string
		want any
		ok   bool
	}{
		{"$", doc, true},
		{"$.detail.a-b[1].c_d", 1.0, true},
		{"$.detail.a-b[0]", "x", true},
		{"$.detail.a-b[2]", nil, false},
		{"$.detail.ghost", nil, false},
		{"$.detail.a-b.x", nil, false},
	} {
		got, ok, err := jsonPath(doc, c.path)
		if err != nil || ok != c.ok {
			t.Errorf("%s: ok %v err %v", c.path, ok, err)
			continue
		}
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(c.want)
		if ok && string(gj) != string(wj) {
			t.Errorf("%s = %s, want %s", c.path, gj, wj)
		}
	}
	for _, bad := range []string{"detail", "$.detail[x]", "$.detail[0", "$..detail", "$.*"} {
		if _, _, err := jsonPath(doc, bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
