package localmisc

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

func entry(source, detailType, detail string) types.PutEventsRequestEntry {
	return types.PutEventsRequestEntry{Source: aws.String(source), DetailType: aws.String(detailType), Detail: aws.String(detail)}
}

func TestPutEvents(t *testing.T) {
	h := newHarness(t)
	c := h.ebClient("us-east-1")
	h.clock.Advance(time.Minute)
	when := time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)
	withTime := entry("snapflow", "Run Completed", `{"policy":"nightly","failed":0}`)
	withTime.Time = aws.Time(when)
	withTime.Resources = []string{"arn:aws:states:us-east-1:123456789012:execution:sm:run-1"}
	out, err := c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{
		entry("snapflow", "Run Requested", `{"policy":"nightly"}`),
		entry("snapflow", "Run Requested", `not json`),
		{DetailType: aws.String("x"), Detail: aws.String("{}")},
		entry("aws.elasticache", "Snapshot", `{}`),
		withTime,
		entry("snapflow", "Array", `[1,2]`),
	}})
	must(t, err)
	if out.FailedEntryCount != 4 || len(out.Entries) != 6 {
		t.Fatalf("result %+v", out)
	}
	want := []string{"", "MalformedDetail", "InvalidArgument", "NotAuthorizedForSourceException", "", "MalformedDetail"}
	for i, w := range want {
		e := out.Entries[i]
		if aws.ToString(e.ErrorCode) != w || (w == "") != (aws.ToString(e.EventId) != "") {
			t.Fatalf("entry %d: %+v", i, e)
		}
	}
	if aws.ToString(out.Entries[2].ErrorMessage) != "Parameter Source is not valid. Reason: Source is a required argument." {
		t.Fatalf("message %q", aws.ToString(out.Entries[2].ErrorMessage))
	}
	evs := h.events.Events()
	if len(evs) != 2 {
		t.Fatalf("events %+v", evs)
	}
	if evs[0].ID != aws.ToString(out.Entries[0].EventId) || evs[0].EventBusName != "default" || evs[0].Source != "snapflow" ||
		evs[0].DetailType != "Run Requested" || !evs[0].Time.Equal(t0.Add(time.Minute)) || evs[0].Dropped || evs[0].Account != "123456789012" {
		t.Fatalf("event %+v", evs[0])
	}
	if !evs[1].Time.Equal(when) || evs[1].Resources[0] != withTime.Resources[0] {
		t.Fatalf("event time/resources %+v", evs[1])
	}
	if call := h.lastCall("PutEvents"); call.Resource != "arn:aws:events:us-east-1:123456789012:event-bus/default" {
		t.Fatalf("resource %q", call.Resource)
	}

	// At most 10 entries a call.
	var eleven []types.PutEventsRequestEntry
	for i := 0; i < 11; i++ {
		eleven = append(eleven, entry("snapflow", "x", "{}"))
	}
	_, err = c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: eleven})
	mustCode(t, err, "ValidationException")

	// A bus that does not exist: accepted, dropped.
	missing := entry("snapflow", "x", "{}")
	missing.EventBusName = aws.String("no-such-bus")
	out, err = c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{missing}})
	must(t, err)
	if out.FailedEntryCount != 0 || aws.ToString(out.Entries[0].EventId) == "" {
		t.Fatalf("missing bus: %+v", out.Entries)
	}
	if evs := h.events.Events(); !evs[len(evs)-1].Dropped {
		t.Fatal("event on a missing bus not marked dropped")
	}
}

func TestEventBuses(t *testing.T) {
	h := newHarness(t)
	c := h.ebClient("us-east-1")
	cb, err := c.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("snapflow"), Description: aws.String("runs"),
		Tags: []types.Tag{{Key: aws.String("app"), Value: aws.String("snapflow")}}})
	must(t, err)
	if aws.ToString(cb.EventBusArn) != "arn:aws:events:us-east-1:123456789012:event-bus/snapflow" {
		t.Fatalf("arn %v", cb.EventBusArn)
	}
	_, err = c.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("snapflow")})
	mustAs[*types.ResourceAlreadyExistsException](t, err)
	_, err = c.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("default")})
	mustAs[*types.ResourceAlreadyExistsException](t, err)
	_, err = c.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("bad name")})
	mustCode(t, err, "ValidationException")

	d, err := c.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: cb.EventBusArn})
	must(t, err)
	if aws.ToString(d.Name) != "snapflow" || aws.ToString(d.Description) != "runs" || !d.CreationTime.Equal(t0) {
		t.Fatalf("describe %+v", d)
	}
	def, err := c.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{})
	must(t, err)
	if aws.ToString(def.Name) != "default" {
		t.Fatalf("default bus %+v", def)
	}
	_, err = c.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String("nope")})
	mustAs[*types.ResourceNotFoundException](t, err)
	lb, err := c.ListEventBuses(ctx, &eventbridge.ListEventBusesInput{})
	must(t, err)
	if len(lb.EventBuses) != 2 {
		t.Fatalf("buses %+v", lb.EventBuses)
	}
	if tr := h.events.TaggedResources("us-east-1"); len(tr) != 1 || tr[0].ARN != aws.ToString(cb.EventBusArn) {
		t.Fatalf("tagged %+v", tr)
	}

	_, err = c.DeleteEventBus(ctx, &eventbridge.DeleteEventBusInput{Name: aws.String("default")})
	mustCode(t, err, "ValidationException")
	_, err = c.DeleteEventBus(ctx, &eventbridge.DeleteEventBusInput{Name: aws.String("snapflow")})
	must(t, err)
	_, err = c.DeleteEventBus(ctx, &eventbridge.DeleteEventBusInput{Name: aws.String("snapflow")})
	must(t, err)
	_, err = c.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String("snapflow")})
	mustAs[*types.ResourceNotFoundException](t, err)
}

func TestRulesTargetsAndMatching(t *testing.T) {
	h := newHarness(t)
	c := h.ebClient("us-east-1")
	_, err := c.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("snapflow")})
	must(t, err)
	pattern := `{"source":["snapflow"],"detail-type":["Run Requested"],"detail":{"policy":[{"prefix":"night"}]}}`
	pr, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("run-requested"), EventBusName: aws.String("snapflow"), EventPattern: aws.String(pattern)})
	must(t, err)
	if aws.ToString(pr.RuleArn) != "arn:aws:events:us-east-1:123456789012:rule/snapflow/run-requested" {
		t.Fatalf("rule arn %v", pr.RuleArn)
	}
	_, err = c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("bad"), EventBusName: aws.String("snapflow"), EventPattern: aws.String(`{"source":"snapflow"}`)})
	mustAs[*types.InvalidEventPatternException](t, err)
	_, err = c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("bad"), EventBusName: aws.String("snapflow"), EventPattern: aws.String(`{"source":[{"regex":"x"}]}`)})
	mustAs[*types.InvalidEventPatternException](t, err)
	_, err = c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("nothing"), EventBusName: aws.String("snapflow")})
	mustCode(t, err, "ValidationException")
	_, err = c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("r"), EventBusName: aws.String("missing"), EventPattern: aws.String(pattern)})
	mustAs[*types.ResourceNotFoundException](t, err)
	_, err = c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("sched"), EventBusName: aws.String("snapflow"), ScheduleExpression: aws.String("rate(5 minutes)")})
	mustCode(t, err, "ValidationException")
	_, err = c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("disabled"), EventBusName: aws.String("snapflow"), EventPattern: aws.String(`{"source":["snapflow"]}`),
		State: types.RuleStateDisabled})
	must(t, err)

	sfn := "arn:aws:states:us-east-1:123456789012:stateMachine:snapflow"
	pt, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("run-requested"), EventBusName: aws.String("snapflow"), Targets: []types.Target{
		{Id: aws.String("sm"), Arn: aws.String(sfn), RoleArn: aws.String("arn:aws:iam::123456789012:role/events"), InputPath: aws.String("$.detail")}}})
	must(t, err)
	if pt.FailedEntryCount != 0 {
		t.Fatalf("put targets %+v", pt)
	}
	_, err = c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("nope"), EventBusName: aws.String("snapflow"), Targets: []types.Target{{Id: aws.String("x"), Arn: aws.String(sfn)}}})
	mustAs[*types.ResourceNotFoundException](t, err)
	var six []types.Target
	for i := 0; i < 6; i++ {
		six = append(six, types.Target{Id: aws.String(fmt.Sprintf("t%d", i)), Arn: aws.String(sfn)})
	}
	_, err = c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("run-requested"), EventBusName: aws.String("snapflow"), Targets: six})
	mustAs[*types.LimitExceededException](t, err)

	lt, err := c.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("run-requested"), EventBusName: aws.String("snapflow")})
	must(t, err)
	if len(lt.Targets) != 1 || aws.ToString(lt.Targets[0].InputPath) != "$.detail" || aws.ToString(lt.Targets[0].RoleArn) == "" {
		t.Fatalf("targets %+v", lt.Targets)
	}
	dr, err := c.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("run-requested"), EventBusName: aws.String("snapflow")})
	must(t, err)
	if aws.ToString(dr.EventPattern) != pattern || dr.State != types.RuleStateEnabled || aws.ToString(dr.EventBusName) != "snapflow" {
		t.Fatalf("describe %+v", dr)
	}
	lr, err := c.ListRules(ctx, &eventbridge.ListRulesInput{EventBusName: aws.String("snapflow"), NamePrefix: aws.String("run")})
	must(t, err)
	if len(lr.Rules) != 1 {
		t.Fatalf("rules %+v", lr.Rules)
	}

	// A Run Requested event on the bus triggers the rule; others do not.
	put := func(detailType, detail string) Event {
		en := entry("snapflow", detailType, detail)
		en.EventBusName = aws.String("snapflow")
		out, err := c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{en}})
		must(t, err)
		if out.FailedEntryCount != 0 {
			t.Fatalf("put %+v", out.Entries)
		}
		evs := h.events.Events()
		return evs[len(evs)-1]
	}
	rules := h.events.MatchingRules(put("Run Requested", `{"policy":"nightly","target":"cache-1"}`))
	if len(rules) != 1 || rules[0].Name != "run-requested" || len(rules[0].Targets) != 1 || rules[0].Targets[0].Arn != sfn {
		t.Fatalf("matching %+v", rules)
	}
	if rules := h.events.MatchingRules(put("Run Requested", `{"policy":"weekly"}`)); len(rules) != 0 {
		t.Fatalf("weekly matched %+v", rules)
	}
	if rules := h.events.MatchingRules(put("Run Completed", `{"policy":"nightly"}`)); len(rules) != 0 {
		t.Fatalf("completed matched %+v", rules)
	}

	_, err = c.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("run-requested"), EventBusName: aws.String("snapflow")})
	mustCode(t, err, "ValidationException")
	rt, err := c.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String("run-requested"), EventBusName: aws.String("snapflow"), Ids: []string{"sm", "ghost"}})
	must(t, err)
	if rt.FailedEntryCount != 1 || aws.ToString(rt.FailedEntries[0].TargetId) != "ghost" {
		t.Fatalf("remove %+v", rt)
	}
	_, err = c.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("run-requested"), EventBusName: aws.String("snapflow")})
	must(t, err)
	_, err = c.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("run-requested"), EventBusName: aws.String("snapflow")})
	mustAs[*types.ResourceNotFoundException](t, err)

	// TestEventPattern through the SDK.
	ev := `{"id":"1","account":"123456789012","source":"snapflow","time":"2025-03-01T12:00:00Z","region":"us-east-1",
		"resources":[],"detail-type":"Run Requested","detail":{"policy":"nightly"}}`
	tp, err := c.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{EventPattern: aws.String(pattern), Event: aws.String(ev)})
	must(t, err)
	if !tp.Result {
		t.Fatal("TestEventPattern: no match")
	}
	_, err = c.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{EventPattern: aws.String(pattern), Event: aws.String(`{"source":"snapflow"}`)})
	mustCode(t, err, "ValidationException")
}

func TestEventsFaultsAndSeed(t *testing.T) {
	h := newHarness(t)
	c := h.ebClient("us-east-1")
	seed := `{
	  "buses": [{"name": "snapflow", "tags": {"app": "snapflow"}}],
	  "rules": [{"name": "run-requested", "eventBusName": "snapflow",
	             "eventPattern": {"source": ["snapflow"], "detail-type": ["Run Requested"]},
	             "targets": [{"id": "sm", "arn": "arn:aws:states:us-east-1:123456789012:stateMachine:snapflow"}]},
	            {"name": "nightly", "scheduleExpression": "cron(0 3 * * ? *)"}]
	}`
	must(t, h.events.Seed("us-east-1", json.RawMessage(seed)))
	lt, err := c.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("run-requested"), EventBusName: aws.String("snapflow")})
	must(t, err)
	if len(lt.Targets) != 1 || lt.Targets[0].RoleArn != nil {
		t.Fatalf("seeded targets %+v", lt.Targets)
	}
	ev := Event{Region: "us-east-1", EventBusName: "snapflow", Source: "snapflow", DetailType: "Run Requested", Detail: json.RawMessage(`{}`), Time: t0}
	if rules := h.events.MatchingRules(ev); len(rules) != 1 {
		t.Fatalf("seeded rule does not match: %+v", rules)
	}
	for _, bad := range []string{
		`{"rules": [{"name": "r", "eventPattern": {"source": "x"}}]}`,
		`{"buses": [{"name": "snapflow"}]}`,
		`{"rules": [{"name": "r", "eventBusName": "ghost", "eventPattern": {"source": ["x"]}}]}`,
		`{"bus": []}`,
	} {
		if err := h.events.Seed("us-east-1", json.RawMessage(bad)); err == nil {
			t.Fatalf("seed accepted: %s", bad)
		}
	}

	h.env.Faults.Add(emu.Fault{Service: "events", Action: "PutEvents", Kind: emu.FaultThrottle, Count: 1})
	_, err = c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{entry("snapflow", "x", "{}")}})
	mustCode(t, err, "ThrottlingException")
	if call := h.lastCall("PutEvents"); call.Fault != "throttle" || call.ErrorCode != "ThrottlingException" {
		t.Fatalf("call %+v", call)
	}
	h.env.Faults.Add(emu.Fault{Service: "events", Action: "CreateEventBus", Kind: emu.FaultInternal, Count: 1})
	_, err = c.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("x")})
	mustAs[*types.InternalException](t, err)
	h.env.Faults.Add(emu.Fault{Service: "events", Action: "PutRule", Kind: emu.FaultQuota, Count: 1})
	_, err = c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("q"), EventPattern: aws.String(`{"source":["x"]}`)})
	mustAs[*types.LimitExceededException](t, err)
	h.env.Faults.Add(emu.Fault{Service: "events", Action: "PutRule", Kind: emu.FaultBusy, Count: 1})
	_, err = c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("q"), EventPattern: aws.String(`{"source":["x"]}`)})
	mustAs[*types.ConcurrentModificationException](t, err)
	if !strings.Contains(h.lastCall("PutRule").Resource, "rule/q") {
		t.Fatal("PutRule resource")
	}
}
