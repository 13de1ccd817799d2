package runner

import (
	"context"
	_ "embed"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/snapflow/snapflow/internal/naming"
)

// configuredFleet holds the sources snapflow.yaml's policies name (the
// synthesized stack's schedules and rules run them).
//
//go:embed testdata/configured-fleet.json
var configuredFleet []byte

// scheduleRunner starts the synthesized stack on the configured fleet at
// start, with every schedule disabled but those of the named policies.
func scheduleRunner(t *testing.T, start time.Time, enabled ...string) *Runner {
	t.Helper()
	return newRunner(t, func(o *Options) {
		o.Seed = configuredFleet
		o.Start = start
		o.Edit = func(tm *Template) error {
			for _, id := range tm.OfType("AWS::Scheduler::Schedule") {
				props := tm.Resources[id].Properties
				if !slices.Contains(enabled, schedulePolicy(t, props)) {
					props["State"] = "DISABLED"
				}
			}
			return nil
		}
	})
}

// schedulePolicy is the name of the policy a schedule's input runs.
func schedulePolicy(t *testing.T, props map[string]any) string {
	t.Helper()
	target, _ := props["Target"].(map[string]any)
	var in struct{ Name string }
	if err := json.Unmarshal([]byte(str(target, "Input")), &in); err != nil {
		t.Fatalf("schedule input: %v", err)
	}
	return in.Name
}

// scheduleOf returns the runner's schedule of a policy and checks it is
// what the test expects of snapflow.yaml.
func scheduleOf(t *testing.T, r *Runner, policy, expr, tz string) *Schedule {
	t.Helper()
	for _, s := range r.Schedules() {
		props := r.Template.Resources[s.LogicalID].Properties
		if schedulePolicy(t, props) != policy {
			continue
		}
		if s.Expression != expr || s.TimeZone != tz {
			t.Fatalf("snapflow.yaml changed: policy %s is scheduled %s in %s, this test expects %s in %s", policy, s.Expression, s.TimeZone, expr, tz)
		}
		return s
	}
	t.Fatalf("no schedule for policy %s in the template", policy)
	return nil
}

// checkScheduledRun checks a run a schedule started at `scheduled`: on
// time, the input's scheduledTime filled in, the plan's slot that time
// (truncated to the minute), and every target's snapshot named after the
// slot and there on the local AWS.
func checkScheduledRun(t *testing.T, r *Runner, rep *Report, policy string, scheduled time.Time) {
	t.Helper()
	slot := scheduled.UTC().Truncate(time.Minute)
	if rep.Status != "SUCCEEDED" {
		t.Fatalf("run for %s: %s %s %s", scheduled, rep.Status, rep.Error, rep.Cause)
	}
	if rep.Trigger == nil || rep.Trigger.Kind != "schedule" || !rep.Trigger.ScheduledTime.Equal(scheduled) {
		t.Errorf("run for %s: trigger %+v", scheduled, rep.Trigger)
	}
	if rep.Start.Before(scheduled) || rep.Start.After(scheduled.Add(time.Minute)) {
		t.Errorf("run for %s started at %s: not on time", scheduled, rep.Start)
	}
	if rep.Plan == nil {
		t.Fatalf("run for %s: no plan", scheduled)
	}
	if rep.Plan.Policy != policy || !rep.Plan.Slot.Equal(slot) || rep.Plan.Spec.ScheduledTime != scheduled.UTC().Format(time.RFC3339) {
		t.Errorf("run for %s: plan policy %s, slot %s, scheduledTime %q; want %s, %s", scheduled, rep.Plan.Policy, rep.Plan.Slot, rep.Plan.Spec.ScheduledTime, policy, slot)
	}
	if len(rep.Targets) == 0 || len(rep.Targets) != rep.Plan.Count {
		t.Errorf("run for %s: %d targets reported, %d planned", scheduled, len(rep.Targets), rep.Plan.Count)
	}
	for _, tr := range rep.Targets {
		want := naming.SnapshotName(tr.Target.Service, policy, tr.Target.ID, slot)
		if tr.Status != "SUCCEEDED" || tr.Snapshot != want {
			t.Errorf("run for %s, %s/%s: %s, snapshot %q, want %q (%s)", scheduled, tr.Target.Service, tr.Target.ID, tr.Status, tr.Snapshot, want, tr.Error)
			continue
		}
		if _, ok := snapshots(t, r, tr.Target)[want]; !ok {
			t.Errorf("%s/%s: snapshot %s is not on the local AWS", tr.Target.Service, tr.Target.ID, want)
		}
	}
}

func fire(t *testing.T, r *Runner, until time.Time) []*Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	started := time.Now()
	reps, err := r.FireSchedules(ctx, until)
	if err != nil {
		t.Fatal(err)
	}
	for _, rep := range reps {
		policy := ""
		if rep.Plan != nil {
			policy = rep.Plan.Policy
		}
		t.Logf("%s: %s %s started %s, %d targets, %v simulated", rep.Trigger.Name, policy, rep.Status, rep.Start.Format(time.RFC3339), len(rep.Targets), rep.SimDuration)
	}
	t.Logf("FireSchedules until %s: %d runs in %v real; clock at %s", until.Format(time.RFC3339), len(reps), time.Since(started).Round(time.Millisecond), r.Clock().Now().Format(time.RFC3339))
	return reps
}

// TestSchedulesDailyCronInTimeZone: over two nights, the nightly policy's
// schedule (cron(0 2 * * ? *) in Europe/Berlin) starts two runs, at 02:00
// Berlin time (01:00 UTC in November), whose slots are those times; the
// disabled schedules (an hourly rate, a weekly cron due on the Sunday in
// between) never fire.
func TestSchedulesDailyCronInTimeZone(t *testing.T) {
	start := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC) // a Friday
	r := scheduleRunner(t, start, "nightly")
	scheduleOf(t, r, "nightly", "cron(0 2 * * ? *)", "Europe/Berlin")
	for _, s := range r.Schedules() {
		if want := schedulePolicy(t, r.Template.Resources[s.LogicalID].Properties) == "nightly"; s.Enabled() != want {
			t.Fatalf("schedule %s enabled %v", s.Name, s.Enabled())
		}
	}
	until := time.Date(2026, 11, 22, 4, 0, 0, 0, time.UTC) // past Sunday 03:30 UTC, tagged-weekly's time
	reps := fire(t, r, until)
	want := []time.Time{time.Date(2026, 11, 21, 1, 0, 0, 0, time.UTC), time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC)}
	if len(reps) != len(want) {
		t.Fatalf("%d runs, want %d (one per night; disabled schedules never fire)", len(reps), len(want))
	}
	for i, rep := range reps {
		checkScheduledRun(t, r, rep, "nightly", want[i])
	}
	if now := r.Clock().Now(); now.Before(until) {
		t.Errorf("the clock is at %s, before %s", now, until)
	}
	// Nothing is left to fire up to `until`.
	if again := fire(t, r, until); len(again) != 0 {
		t.Errorf("firing up to the same time again started %d runs", len(again))
	}
}

// TestSchedulesRate: ledger-3h's rate(3 hours) invokes at once when the
// schedule is created, then every 3 hours; a later FireSchedules goes on
// from where the last one stopped.
func TestSchedulesRate(t *testing.T) {
	start := time.Date(2026, 11, 20, 10, 7, 30, 0, time.UTC)
	r := scheduleRunner(t, start, "ledger-3h")
	s := scheduleOf(t, r, "ledger-3h", "rate(3 hours)", "UTC")
	// Created when the stack was provisioned: the clock ran meanwhile.
	if s.Start.Before(start) || s.Start.After(start.Add(time.Minute)) || !s.Start.Equal(s.Start.Truncate(time.Second)) {
		t.Fatalf("schedule created at %s, want a second within a minute of %s", s.Start, start)
	}
	start = s.Start
	reps := fire(t, r, start.Add(6*time.Hour))
	want := []time.Time{start, start.Add(3 * time.Hour), start.Add(6 * time.Hour)}
	if len(reps) != len(want) {
		t.Fatalf("%d runs, want %d", len(reps), len(want))
	}
	for i, rep := range reps {
		checkScheduledRun(t, r, rep, "ledger-3h", want[i])
	}
	more := fire(t, r, start.Add(10*time.Hour+30*time.Minute))
	if len(more) != 1 {
		t.Fatalf("the next 4.5 hours: %d runs, want 1", len(more))
	}
	checkScheduledRun(t, r, more[0], "ledger-3h", start.Add(9*time.Hour))
	for _, tr := range more[0].Targets {
		if tr.Copy == "" || len(tr.ExportedObjects) == 0 {
			t.Errorf("%s: copy %q, exported %v: the policy copies and exports", tr.Target.ID, tr.Copy, tr.ExportedObjects)
		}
	}
}

// TestRunRequestedEvent: a Snapflow Run Requested event put through the
// SDK on the local EventBridge starts exactly one run of the configured
// policy it names (the rule's Input: the policy without a scheduled time,
// so the slot is the execution's start); an event for a policy that is not
// configured, or from another source, starts none.
func TestRunRequestedEvent(t *testing.T) {
	start := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
	r := scheduleRunner(t, start)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	roots := func() int {
		n := 0
		_ = r.eng.call(func() {
			for _, x := range r.eng.execs {
				if x.Parent == nil {
					n++
				}
			}
		})
		return n
	}

	reps, err := r.RunRequested(ctx, "ledger-3h", "pre-deploy of orders v42")
	if err != nil {
		t.Fatal(err)
	}
	if len(reps) != 1 || roots() != 1 {
		t.Fatalf("%d runs reported, %d started; want exactly 1", len(reps), roots())
	}
	rep := reps[0]
	if rep.Status != "SUCCEEDED" || rep.Plan == nil {
		t.Fatalf("run: %s %s %s", rep.Status, rep.Error, rep.Cause)
	}
	if rep.Trigger == nil || rep.Trigger.Kind != "rule" || rep.Trigger.EventID == "" {
		t.Errorf("trigger %+v", rep.Trigger)
	}
	slot := rep.Start.UTC().Truncate(time.Minute)
	if rep.Plan.Policy != "ledger-3h" || rep.Plan.Spec.ScheduledTime != "" || !rep.Plan.Slot.Equal(slot) {
		t.Errorf("plan: policy %s, scheduledTime %q, slot %s; want ledger-3h, none, %s", rep.Plan.Policy, rep.Plan.Spec.ScheduledTime, rep.Plan.Slot, slot)
	}
	if len(rep.Targets) != 1 || rep.Targets[0].Target.ID != "orders-ledger" || rep.Targets[0].Status != "SUCCEEDED" ||
		rep.Targets[0].Snapshot != naming.SnapshotName(rep.Targets[0].Target.Service, "ledger-3h", "orders-ledger", slot) {
		t.Errorf("targets %+v", rep.Targets)
	}
	put := 0
	for _, c := range r.AWS().Calls() {
		if c.Service == "events" && c.Action == "PutEvents" && c.AccessKeyID == RunnerAccessKey {
			put++
		}
	}
	if put != 1 {
		t.Errorf("%d PutEvents calls by the requester on the local AWS, want 1", put)
	}

	for name, entry := range map[string]ebtypes.PutEventsRequestEntry{
		"unknown policy": {Source: aws.String(RunRequestedSource), DetailType: aws.String(RunRequestedDetailType), Detail: aws.String(`{"policy":"ghost"}`)},
		"other source":   {Source: aws.String("someone-else"), DetailType: aws.String(RunRequestedDetailType), Detail: aws.String(`{"policy":"ledger-3h"}`)},
		"other type":     {Source: aws.String(RunRequestedSource), DetailType: aws.String("Snapflow Run Completed"), Detail: aws.String(`{"policy":"ledger-3h"}`)},
	} {
		reps, err := r.PutEvent(ctx, entry)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(reps) != 0 || roots() != 1 {
			t.Errorf("%s: %d runs reported, %d started in all; want none", name, len(reps), roots())
		}
	}
	if reps, err := r.RunRequested(ctx, "ghost", ""); err != nil || len(reps) != 0 {
		t.Errorf("RunRequested(ghost): %d runs, %v", len(reps), err)
	}
}
