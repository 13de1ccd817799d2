package steps_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/snapflow/snapflow/events"
	"github.com/snapflow/snapflow/internal/metrics"
	"github.com/snapflow/snapflow/internal/steps"
	"github.com/snapflow/snapflow/internal/summary"
)

// childCause is what Step Functions puts in the cause of a failed
// startExecution.sync:2 task: the child's DescribeExecution output, whose
// Cause is in turn the Lambda error payload.
func childCause(t *testing.T, name, message string) string {
	t.Helper()
	lambdaErr, _ := json.Marshal(map[string]any{"errorType": name, "errorMessage": message})
	out, _ := json.Marshal(map[string]any{
		"ExecutionArn":    "arn:aws:states:us-east-1:123456789012:execution:snapflow-target:abc",
		"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:snapflow-target",
		"Status":          "FAILED",
		"Input":           `{"item": {"policy": "nightly"}}`,
		"Error":           name,
		"Cause":           string(lambdaErr),
	})
	return string(out)
}

// summaryInput is the Summarize state's input for the plan's items and
// results, as the state machine builds it.
func summaryInput(t *testing.T, plan events.PlanOutput, results []events.TargetResult) []byte {
	t.Helper()
	var p map[string]any
	b, _ := json.Marshal(plan)
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	p["results"] = results
	in, err := json.Marshal(map[string]any{
		"plan":               p,
		"executionId":        "arn:aws:states:us-east-1:123456789012:execution:snapflow-run:r1",
		"executionStartTime": "2026-11-20T02:00:01.123Z",
	})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func TestSummary(t *testing.T) {
	f := newFixture(t)
	plan := f.mustPlan(policy("nightly", `[{"service": "elasticache", "id": "orders"}, {"service": "memorydb", "id": "ledger"},
		{"service": "redshift-serverless", "id": "analytics"}, {"service": "elasticache", "id": "sessions", "kind": "cache-cluster"}]`, ""), start)
	// The fan-out's compact results, in the order of the items (sessions:
	// cache-cluster sorts first); one carries a cause (as a caller with the
	// child's DescribeExecution might pass it): it is unwrapped.
	results := []events.TargetResult{
		{Status: "succeeded"},
		{Status: "failed", Error: "States.TaskFailed",
			Cause: childCause(t, "Snapflow.SnapshotFailed", "Snapflow.SnapshotFailed: snapshot sf-nightly-orders-202611200200 of elasticache orders is failed")},
		{Status: "failed", Error: "States.TaskFailed"},
		// The fourth target's result went missing.
	}
	sum, ie := invoke(f, steps.Handler(f.steps, f.steps.Summary), summaryInput(t, plan, results))
	if ie != nil {
		t.Fatalf("%s: %s", ie.Type, ie.Message)
	}
	if sum.Targets != 4 || sum.Succeeded != 1 || sum.Failed != 3 || sum.Policy != "nightly" || !sum.Slot.Equal(start) ||
		!strings.HasSuffix(sum.ExecutionID, ":r1") || len(sum.Results) != 3 || sum.Unlisted != 0 {
		t.Fatalf("summary %+v", sum)
	}
	// Only the failed targets are listed, with the item's target.
	wantErrors := []string{"Snapflow.SnapshotFailed", "States.TaskFailed", summary.ErrNoResult}
	for i, r := range sum.Results {
		if r.Status != "failed" || r.Error != wantErrors[i] || r.State != nil {
			t.Errorf("result %d %+v, want error %q", i, r, wantErrors[i])
		}
		if r.Target == nil || *r.Target != plan.Items[i+1] {
			t.Errorf("result %d target %+v, want %+v", i, r.Target, plan.Items[i+1])
		}
	}
	if c := sum.Results[0].Cause; !strings.HasPrefix(c, "Snapflow.SnapshotFailed: snapshot sf-nightly-orders") {
		t.Errorf("cause not unwrapped: %q", c)
	}
	if len(sum.Subject) > 100 || sum.Subject != "snapflow nightly: 3 of 4 targets failed (slot 2026-11-20T02:00Z)" {
		t.Errorf("subject %q", sum.Subject)
	}
	for _, want := range []string{
		"3 of 4 targets failed, 1 succeeded",
		"- elasticache/orders: Snapflow.SnapshotFailed: snapshot sf-nightly-orders",
		"- memorydb/ledger: States.TaskFailed\n",
		"What to do: The target's execution (<stack>-target) failed",
		"- redshift-serverless/analytics: Snapflow.NoResult",
		"Execution: arn:aws:states:us-east-1:123456789012:execution:snapflow-run:r1",
	} {
		if !strings.Contains(sum.Message, want) {
			t.Errorf("message lacks %q:\n%s", want, sum.Message)
		}
	}
	if strings.Contains(sum.Message, `"item"`) {
		t.Errorf("the message leaks the execution input:\n%s", sum.Message)
	}

	// One EMF line per target and one per run.
	var emf []map[string]any
	for _, line := range f.out.lines() {
		if _, ok := line["_aws"]; ok {
			emf = append(emf, line)
		}
	}
	if len(emf) != 5 {
		t.Fatalf("%d EMF lines, want 5", len(emf))
	}
	want := map[string][2]float64{
		"elasticache/cache-cluster/sessions": {1, 0}, "elasticache/orders": {0, 1},
		"memorydb/ledger": {0, 1}, "redshift-serverless/analytics": {0, 1}, "": {1, 3},
	}
	for _, line := range emf {
		target, _ := line[metrics.DimensionTarget].(string)
		w, ok := want[target]
		if !ok || line[metrics.DimensionPolicy] != "nightly" {
			t.Errorf("EMF line %v", line)
			continue
		}
		if line[metrics.SnapshotsSucceeded] != w[0] || line[metrics.SnapshotsFailed] != w[1] {
			t.Errorf("%q: succeeded %v failed %v, want %v", target, line[metrics.SnapshotsSucceeded], line[metrics.SnapshotsFailed], w)
		}
		directive := line["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)[0].(map[string]any)
		if directive["Namespace"] != "Snapflow" {
			t.Errorf("namespace %v", directive["Namespace"])
		}
	}
}

// TestSummaryAllSucceeded: no alert text when nothing failed; a dry run
// counts no snapshot as made.
func TestSummaryAllSucceeded(t *testing.T) {
	f := newFixture(t)
	plan := f.mustPlan(policy("nightly", `[{"service": "memorydb", "id": "ledger"}]`, `"dryRun": true`), start)
	f.run(f.workItems(plan)[0])
	sum, ie := invoke(f, steps.Handler(f.steps, f.steps.Summary),
		summaryInput(t, plan, []events.TargetResult{{Status: "succeeded"}}))
	if ie != nil {
		t.Fatal(ie.Message)
	}
	if sum.Failed != 0 || sum.Succeeded != 1 || sum.Subject != "" || sum.Message != "" || !sum.DryRun {
		t.Fatalf("summary %+v", sum)
	}
	for _, line := range f.out.lines() {
		if _, ok := line["_aws"]; ok && line[metrics.SnapshotsSucceeded] != 0.0 {
			t.Errorf("dry run counted a snapshot: %v", line)
		}
	}
}

// TestSummarySubjectLimit keeps the subject within SNS's 100 characters.
func TestSummarySubjectLimit(t *testing.T) {
	f := newFixture(t)
	name := strings.Repeat("a", 40)
	plan := events.PlanOutput{Policy: name, Slot: start, DryRun: true}
	var results []events.TargetResult
	for range 1000 {
		results = append(results, events.TargetResult{Status: "failed", Error: "Snapflow.Throttled", Cause: strings.Repeat("x", 5000),
			Target: &events.Target{Service: "memorydb", ID: "c"}})
	}
	sum, ie := invoke(f, steps.Handler(f.steps, f.steps.Summary), summaryInput(t, plan, results))
	if ie != nil {
		t.Fatal(ie.Message)
	}
	if len(sum.Subject) > 100 || !strings.HasPrefix(sum.Subject, "[dry run] snapflow "+name) {
		t.Errorf("subject %q (%d)", sum.Subject, len(sum.Subject))
	}
	if len(sum.Message) > 64<<10 || !strings.Contains(sum.Message, "and 950 more") {
		t.Errorf("message of %d bytes", len(sum.Message))
	}
}

// TestSummaryErrors: the only error the summary can return is Transient,
// when its metrics cannot be written; bad input is InvalidInput.
func TestSummaryErrors(t *testing.T) {
	f := newFixture(t)
	f.steps.Metrics = metrics.Writer{Out: failingWriter{}}
	plan := events.PlanOutput{Policy: "p", Slot: start}
	_, ie := invoke(f, steps.Handler(f.steps, f.steps.Summary),
		summaryInput(t, plan, []events.TargetResult{{Status: "succeeded", Target: &events.Target{Service: "memorydb", ID: "c"}}}))
	wantError(t, ie, "Snapflow.Transient", "writing metrics")

	_, ie = invoke(f, steps.Handler(f.steps, f.steps.Summary), []byte(`{"plan": {"results": {}}}`))
	wantError(t, ie, "Snapflow.InvalidInput", "input: must be a JSON SummaryInput")
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("stdout closed") }

// TestSummaryFleet: 2,000 targets, all failed, stay far within 256 KiB
// (the summary is a state and the run event's detail): the first 100
// failures are listed, the rest counted; every target still gets its EMF
// line.
func TestSummaryFleet(t *testing.T) {
	f := newFixture(t)
	plan := events.PlanOutput{Policy: "fleet", Slot: start, Spec: events.Policy{Name: "fleet"}}
	var results []events.TargetResult
	for i := range 2000 {
		plan.Items = append(plan.Items, events.Target{Service: "elasticache", ID: fmt.Sprintf("cache-%04d", i), Kind: "replication-group"})
		results = append(results, events.TargetResult{Status: "failed", Error: "States.TaskFailed"})
	}
	plan.Count = len(plan.Items)
	in := summaryInput(t, plan, results)
	if len(in) > 256<<10 {
		t.Errorf("summary input %d bytes, over 256 KiB", len(in))
	}
	sum, ie := invoke(f, steps.Handler(f.steps, f.steps.Summary), in)
	if ie != nil {
		t.Fatal(ie.Message)
	}
	out, _ := json.Marshal(sum)
	if sum.Failed != 2000 || len(sum.Results) != 100 || sum.Unlisted != 1900 || len(out) > 100<<10 {
		t.Errorf("failed %d, listed %d, unlisted %d, %d bytes", sum.Failed, len(sum.Results), sum.Unlisted, len(out))
	}
	emf := 0
	for _, line := range f.out.lines() {
		if _, ok := line[metrics.DimensionTarget]; ok {
			emf++
		}
	}
	if emf != 2000 {
		t.Errorf("%d per-target EMF lines, want 2000", emf)
	}
	t.Logf("summary input %d bytes (%.1f per target), output %d bytes", len(in), float64(len(in))/2000, len(out))
}
