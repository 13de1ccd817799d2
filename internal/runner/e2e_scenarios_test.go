package runner

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/snapflow/snapflow/events"
	"github.com/snapflow/snapflow/internal/localaws/emu"
	"github.com/snapflow/snapflow/internal/naming"
	"github.com/snapflow/snapflow/internal/snapshot"
	"github.com/snapflow/snapflow/internal/snapshot/adapters"
)

// listObjects returns the keys under prefix in the export bucket.
func listObjects(t *testing.T, r *Runner, prefix string) []string {
	t.Helper()
	out, err := s3Client(r.AWSConfig(RunnerAccessKey)).ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{
		Bucket: aws.String(r.ExportBucket()), Prefix: aws.String(prefix),
	})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	sort.Strings(keys)
	return keys
}

// snapshots lists a target's manual snapshots by name.
func snapshots(t *testing.T, r *Runner, tg events.Target) map[string]snapshot.Snapshot {
	t.Helper()
	a, err := adapters.New(r.AWSConfig(RunnerAccessKey)).For(tg.Service)
	if err != nil {
		t.Fatal(err)
	}
	list, err := a.List(context.Background(), tg.ID, tg.Kind)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]snapshot.Snapshot{}
	for _, sn := range list {
		out[sn.Name] = sn
	}
	return out
}

// checkWaitsHonoured checks the one clock: every poll of a target ran no
// sooner than the waitSeconds the step before it returned, in simulated
// time, and not much later.
func checkWaitsHonoured(t *testing.T, rep *Report) {
	t.Helper()
	byExec := map[string][]*Invocation{}
	for _, inv := range rep.InvocationList {
		byExec[inv.Exec.ARN] = append(byExec[inv.Exec.ARN], inv)
	}
	checked := 0
	for _, invs := range byExec {
		sort.Slice(invs, func(i, j int) bool { return invs[i].Start.Before(invs[j].Start) })
		for i := 1; i < len(invs); i++ {
			prev, cur := invs[i-1], invs[i]
			if !strings.HasPrefix(cur.State, "Poll ") || prev.ErrorType != "" || cur.ErrorType != "" {
				continue
			}
			var st events.TargetState
			if json.Unmarshal(prev.Output, &st) != nil || st.WaitSeconds <= 0 {
				continue
			}
			gap := cur.Start.Sub(prev.End)
			want := time.Duration(st.WaitSeconds) * time.Second
			if gap < want-50*time.Millisecond || gap > want+5*time.Second {
				t.Errorf("%s after %s: waited %v, the workflow asked for %v", cur.State, prev.State, gap, want)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Error("no waits to check")
	}
}

// TestHappyPathAllServices runs two policies at once, as a schedule would:
// the caches (ElastiCache cluster mode disabled and enabled, a serverless
// cache, MemoryDB) with a copy, an export and retention, and Redshift
// Serverless (which can neither copy nor export) with retention.
func TestHappyPathAllServices(t *testing.T) {
	r := newRunner(t, nil)
	ctx := context.Background()
	if _, err := r.CreateHistory(ctx, "caches", caches, []time.Time{slot.Add(-48 * time.Hour), slot.Add(-24 * time.Hour)}, nil); err != nil {
		t.Fatal(err)
	}
	r.Clock().AdvanceTo(slot)
	var reps [2]*Report
	var wg sync.WaitGroup
	for i, in := range []json.RawMessage{
		cachesPolicy(r, nil),
		policy("warehouse", []events.Target{analytics}, map[string]any{"retention": map[string]any{"keepLast": 7}, "redshiftRetentionDays": 35}),
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reps[i] = run(t, r, in)
		}()
	}
	wg.Wait()
	for _, rep := range reps {
		if rep == nil {
			t.FailNow()
		}
		if rep.Status != "SUCCEEDED" {
			t.Fatalf("%s: %s %s", rep.Execution, rep.Error, rep.Cause)
		}
		if rep.Summary == nil || rep.Summary.Failed != 0 || rep.Summary.Succeeded != len(rep.Targets) {
			t.Errorf("summary %+v", rep.Summary)
		}
		if len(rep.Alerts) != 0 {
			t.Errorf("alerts on success: %+v", rep.Alerts)
		}
		if len(rep.RunEvents) != 1 || rep.RunEvents[0].DetailType != "Snapflow Run Completed" || rep.RunEvents[0].Source != "snapflow" {
			t.Errorf("run events %+v", rep.RunEvents)
		}
		checkWaitsHonoured(t, rep)
		for _, c := range rep.Calls {
			if c.AccessKeyID != StatesAccessKey && r.FunctionOfAccessKey(c.AccessKeyID) == "" {
				t.Errorf("call %s %s by %q attributed to the run", c.Service, c.Action, c.AccessKeyID)
			}
		}
	}
	wantObjects := map[string]int{"orders": 1, "sessions": 3, "carts": 2, "ledger": 2}
	for _, tg := range append(slices.Clone(caches), analytics) {
		rep := reps[0]
		if tg == analytics {
			rep = reps[1]
		}
		tr := target(rep, tg.ID)
		if tr == nil {
			t.Fatalf("no report for %s", tg.ID)
		}
		if tr.Status != "SUCCEEDED" || tr.Snapshot != naming.SnapshotName(tg.Service, map[bool]string{true: "warehouse", false: "caches"}[tg == analytics], tg.ID, slot) {
			t.Errorf("%s: %s %s %s", tg.ID, tr.Status, tr.Snapshot, tr.Error)
		}
		if tr.Transitions == 0 || tr.Invocations == 0 || tr.APICalls == 0 || tr.SimDuration <= 0 {
			t.Errorf("%s: transitions %d, invocations %d, calls %d, duration %v", tg.ID, tr.Transitions, tr.Invocations, tr.APICalls, tr.SimDuration)
		}
		if tr.NoticeDelay < 0 || tr.NoticeDelay > 10*time.Minute {
			t.Errorf("%s: snapshot available at %v, noticed at %v", tg.ID, tr.AvailableAt, tr.NoticedAt)
		}
		if tg == analytics {
			if tr.Copy != "" || len(tr.ExportedObjects) != 0 {
				t.Errorf("redshift: copy %q, export %v", tr.Copy, tr.ExportedObjects)
			}
			continue
		}
		if tr.Copy == "" || len(tr.ExportedObjects) != wantObjects[tg.ID] {
			t.Errorf("%s: copy %q, exported %v (want %d objects)", tg.ID, tr.Copy, tr.ExportedObjects, wantObjects[tg.ID])
		}
		if len(tr.Pruned) != 0 {
			t.Errorf("%s: pruned %v with keepLast 3 and 3 snapshots", tg.ID, tr.Pruned)
		}
		all := snapshots(t, r, tg)
		if _, ok := all[tr.Copy]; !ok {
			t.Errorf("%s: the copy %s is not there", tg.ID, tr.Copy)
		}
	}
	if keys := listObjects(t, r, "e2e/"); len(keys) < 6 {
		t.Errorf("objects in the bucket: %v", keys)
	}
}

// TestThrottlingStorm rate-limits ElastiCache's API (2 calls a second, in
// bursts of 3) while three targets work at once, and throttles the orders
// create five times in a row, which exhausts the SDK's own retries: Step
// Functions' Retry on Snapflow.Throttled recovers.
func TestThrottlingStorm(t *testing.T) {
	r := newRunner(t, nil)
	r.AWS().Faults().SetRateLimit(emu.RateLimit{Service: "elasticache", Rate: 2, Burst: 3})
	r.AWS().Faults().Add(emu.Fault{Service: "elasticache", Action: "CreateSnapshot", Resource: "orders", Kind: emu.FaultThrottle, Count: 5})
	rep := run(t, r, policy("storm", []events.Target{orders, sessions, carts}, nil))
	if rep.Status != "SUCCEEDED" {
		t.Fatalf("%s %s", rep.Error, rep.Cause)
	}
	throttled := 0
	for _, tr := range rep.Targets {
		if tr.Status != "SUCCEEDED" {
			t.Errorf("%s: %s %s", tr.Target.ID, tr.Error, tr.Cause)
		}
		throttled += tr.Throttled
	}
	if throttled < 5 {
		t.Errorf("%d throttled calls", throttled)
	}
	tr := target(rep, "orders")
	retried := 0
	for _, inv := range rep.InvocationList {
		if inv.Exec.ARN == tr.Execution && inv.State == "Create snapshot" && inv.ErrorType == "Snapflow.Throttled" {
			retried++
		}
	}
	if retried == 0 {
		t.Error("the create of orders was never throttled past the SDK's retries")
	}
}

// TestBusyTarget: the replication group rejects the snapshot twice
// (InvalidReplicationGroupState); Retry on Snapflow.TargetBusy waits and
// the third attempt goes through.
func TestBusyTarget(t *testing.T) {
	r := newRunner(t, nil)
	r.AWS().Faults().Add(emu.Fault{Service: "elasticache", Action: "CreateSnapshot", Resource: "orders", Kind: emu.FaultBusy, Count: 2})
	rep := run(t, r, policy("busy", []events.Target{orders}, nil))
	tr := target(rep, "orders")
	if rep.Status != "SUCCEEDED" || tr == nil || tr.Status != "SUCCEEDED" {
		t.Fatalf("%s %s", rep.Error, rep.Cause)
	}
	var busy []*Invocation
	for _, inv := range rep.InvocationList {
		if inv.State == "Create snapshot" && inv.ErrorType == "Snapflow.TargetBusy" {
			busy = append(busy, inv)
		}
	}
	if len(busy) != 2 {
		t.Errorf("%d busy creates, want 2", len(busy))
	}
	if tr.CallsByAction["CreateSnapshot"] != 3 {
		t.Errorf("CreateSnapshot calls %d, want 3", tr.CallsByAction["CreateSnapshot"])
	}
}

// TestSnapshotEndsFailed: the MemoryDB snapshot ends failed. That target
// fails with Snapflow.SnapshotFailed, the others succeed, the run fails
// with Snapflow.TargetsFailed and the alert goes to SNS.
func TestSnapshotEndsFailed(t *testing.T) {
	r := newRunner(t, nil)
	r.AWS().Faults().Add(emu.Fault{Service: "memorydb", Action: "CreateSnapshot", Kind: emu.FaultSnapshotFailed, Count: 1})
	rep := run(t, r, policy("failing", []events.Target{orders, carts, ledger}, nil))
	if rep.Status != "FAILED" || rep.Error != "Snapflow.TargetsFailed" {
		t.Fatalf("run %s %s", rep.Status, rep.Error)
	}
	for _, tr := range rep.Targets {
		switch tr.Target.ID {
		case "ledger":
			if tr.Status != "FAILED" || tr.Error != "Snapflow.SnapshotFailed" {
				t.Errorf("ledger: %s %s %s", tr.Status, tr.Error, tr.Cause)
			}
		default:
			if tr.Status != "SUCCEEDED" {
				t.Errorf("%s: %s %s", tr.Target.ID, tr.Error, tr.Cause)
			}
		}
	}
	if rep.Summary == nil || rep.Summary.Failed != 1 || rep.Summary.Succeeded != 2 {
		t.Fatalf("summary %+v", rep.Summary)
	}
	// The summary lists the failed target with the child's own error name,
	// read from the failed child's cause.
	if len(rep.Summary.Results) != 1 || rep.Summary.Results[0].Target == nil || rep.Summary.Results[0].Target.ID != "ledger" ||
		rep.Summary.Results[0].Error != "Snapflow.SnapshotFailed" {
		t.Errorf("the summary lists %+v, want ledger with Snapflow.SnapshotFailed", rep.Summary.Results)
	}
	if !strings.Contains(rep.Alerts[0].Message, "Snapflow.SnapshotFailed") {
		t.Errorf("the alert does not name the error: %q", rep.Alerts[0].Message)
	}
	if tr := target(rep, "ledger"); tr == nil || tr.Error != "Snapflow.SnapshotFailed" {
		t.Errorf("the ledger execution: %+v, want Snapflow.SnapshotFailed", tr)
	}
	if len(rep.Alerts) != 1 || !strings.Contains(rep.Alerts[0].Message, "ledger") || rep.Alerts[0].Subject == "" {
		t.Errorf("alerts %+v", rep.Alerts)
	}
}

// TestExportBucketWithoutGrant removes the ACL grant to ElastiCache's
// canonical user from the stack: the export fails, naming the missing
// permission, as it would in AWS.
func TestExportBucketWithoutGrant(t *testing.T) {
	r := newRunner(t, func(o *Options) {
		o.Edit = func(tm *Template) error {
			for _, id := range tm.OfType("Custom::AWS") {
				if strings.Contains(fmtJSON(tm.Resources[id].Properties["Create"]), "putBucketAcl") {
					delete(tm.Resources, id)
				}
			}
			return nil
		}
	})
	rep := run(t, r, cachesPolicy(r, map[string]any{"retention": nil}))
	tr := target(rep, "orders")
	if rep.Status != "FAILED" || tr == nil || tr.Status != "FAILED" {
		t.Fatalf("run %s", rep.Status)
	}
	if !strings.Contains(tr.Cause, "has not been granted") || !strings.Contains(tr.Cause, r.ExportBucket()) {
		t.Errorf("orders: %s: %s", tr.Error, tr.Cause)
	}
	// MemoryDB exports through the bucket policy, which is still there.
	if l := target(rep, "ledger"); l == nil || l.Status != "SUCCEEDED" {
		t.Errorf("ledger: %+v", l)
	}
}

func fmtJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestSameSlotTwice runs one slot twice: the second run finds its own
// snapshots, copies and exports and makes nothing new.
func TestSameSlotTwice(t *testing.T) {
	r := newRunner(t, nil)
	first := run(t, r, cachesPolicy(r, nil))
	if first.Status != "SUCCEEDED" {
		t.Fatalf("first run: %s %s", first.Error, first.Cause)
	}
	before := map[events.Target]map[string]snapshot.Snapshot{}
	for _, tg := range caches {
		before[tg] = snapshots(t, r, tg)
	}
	objects := listObjects(t, r, "")
	second := run(t, r, cachesPolicy(r, nil))
	if second.Status != "SUCCEEDED" {
		t.Fatalf("second run: %s %s", second.Error, second.Cause)
	}
	for _, tg := range caches {
		tr := target(second, tg.ID)
		if tr == nil || !tr.Resumed {
			t.Errorf("%s: not resumed: %+v", tg.ID, tr)
		}
		after := snapshots(t, r, tg)
		if len(after) != len(before[tg]) {
			var names []string
			for n := range after {
				names = append(names, n)
			}
			t.Errorf("%s: %d snapshots after the second run, %d before: %v", tg.ID, len(after), len(before[tg]), names)
		}
	}
	if got := listObjects(t, r, ""); !slices.Equal(got, objects) {
		t.Errorf("objects changed:\n before %v\n after  %v", objects, got)
	}
	for _, c := range second.Calls {
		if c.Status < 300 && (strings.HasPrefix(c.Action, "Create") || strings.HasPrefix(c.Action, "Copy") || strings.HasPrefix(c.Action, "Export")) {
			t.Errorf("the second run made %s %s", c.Action, c.Resource)
		}
	}
}

// TestRetentionDeletesExactlyTheExpectedSet: keepLast 2 over three older
// snapshots and the new one deletes the two oldest of this policy and
// target, and nothing of another policy or made by hand.
func TestRetentionDeletesExactlyTheExpectedSet(t *testing.T) {
	r := newRunner(t, nil)
	ctx := context.Background()
	targets := []events.Target{orders, carts}
	other, err := r.CreateHistory(ctx, "other", targets, []time.Time{slot.Add(-96 * time.Hour)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	hist, err := r.CreateHistory(ctx, "keep2", targets, []time.Time{slot.Add(-72 * time.Hour), slot.Add(-48 * time.Hour), slot.Add(-24 * time.Hour)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// One made by hand: no managed tags.
	for _, tg := range targets {
		a, _ := adapters.New(r.AWSConfig(HistoryAccessKey)).For(tg.Service)
		if _, err := a.Create(ctx, snapshot.CreateInput{SourceID: tg.ID, Name: "manual-" + tg.ID}); err != nil {
			t.Fatal(err)
		}
	}
	r.Clock().AdvanceTo(slot)
	rep := run(t, r, policy("keep2", targets, map[string]any{"retention": map[string]any{"keepLast": 2}}))
	if rep.Status != "SUCCEEDED" {
		t.Fatalf("%s %s", rep.Error, rep.Cause)
	}
	for _, tg := range targets {
		tr := target(rep, tg.ID)
		want := hist[tg.ID][:2]
		got := slices.Clone(tr.Pruned)
		sort.Strings(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: pruned %v, want %v", tg.ID, got, want)
		}
		left := snapshots(t, r, tg)
		for _, n := range append([]string{tr.Snapshot, hist[tg.ID][2], "manual-" + tg.ID}, other[tg.ID]...) {
			if sn, ok := left[n]; !ok || sn.Status == snapshot.Deleting {
				t.Errorf("%s: %s should have been kept", tg.ID, n)
			}
		}
		for _, n := range want {
			if sn, ok := left[n]; ok && sn.Status != snapshot.Deleting && sn.Status != snapshot.Deleted {
				t.Errorf("%s: %s is still %s", tg.ID, n, sn.Status)
			}
		}
	}
}

// TestInvalidInputFailsFast: a bad policy fails the run in the plan step
// with Snapflow.InvalidInput, and nothing is created: no mutating call.
func TestInvalidInputFailsFast(t *testing.T) {
	r := newRunner(t, nil)
	rep := run(t, r, json.RawMessage(`{"name": "Bad Name!", "targets": [{"service": "elasticache", "id": "orders"}], "retention": {"keepLast": -1}}`))
	if rep.Status != "FAILED" || rep.Error != "Snapflow.InvalidInput" {
		t.Fatalf("%s %s %s", rep.Status, rep.Error, rep.Cause)
	}
	if !strings.Contains(rep.Cause, "name") || !strings.Contains(rep.Cause, "keepLast") {
		t.Errorf("the cause should name the fields: %s", rep.Cause)
	}
	if rep.Invocations != 1 || len(rep.Targets) != 0 {
		t.Errorf("%d invocations, %d targets", rep.Invocations, len(rep.Targets))
	}
	for _, c := range r.AWS().Calls() {
		if c.Mutating() && c.AccessKeyID != ProvisionAccessKey {
			t.Errorf("mutating call %s %s by %s", c.Service, c.Action, c.AccessKeyID)
		}
	}
	if rep.SimDuration > time.Minute {
		t.Errorf("took %v simulated", rep.SimDuration)
	}
}
