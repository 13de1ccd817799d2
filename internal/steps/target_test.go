package steps_test

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/snapflow/snapflow/events"
	"github.com/snapflow/snapflow/internal/localaws/emu"
	"github.com/snapflow/snapflow/internal/naming"
	"github.com/snapflow/snapflow/internal/snapshot"
	"github.com/snapflow/snapflow/internal/steps"
)

// lifecycle is one source's whole sub-workflow, run twice a day apart.
type lifecycle struct {
	name    string
	service string
	target  string // the policy's targets member
	id      string
	kind    string
	region  string
	extra   string // copy, export, … of the policy
	objects int    // export objects; 0 without export
	prefix  string // key prefix of the export objects
	bucket  string
	copy    bool
	skipped []string // what create reports as skipped
}

var lifecycles = []lifecycle{
	{name: "elasticache cluster mode disabled", service: "elasticache", id: "orders", kind: "replication-group",
		target: `{"service": "elasticache", "id": "orders"}`,
		extra:  `"copy": {}, "export": {"bucket": "ec-exports", "prefix": "exports"}`,
		copy:   true, objects: 1, prefix: "exports/", bucket: "ec-exports"},
	{name: "elasticache cluster mode enabled", service: "elasticache", id: "catalog", kind: "replication-group",
		target: `{"service": "elasticache", "id": "catalog"}`,
		extra:  `"copy": {"prefix": "bk"}, "export": {"bucket": "ec-exports"}`,
		copy:   true, objects: 3, bucket: "ec-exports"},
	{name: "elasticache cache cluster", service: "elasticache", id: "sessions", kind: "cache-cluster",
		target: `{"service": "elasticache", "id": "sessions", "kind": "cache-cluster"}`,
		extra:  `"export": {"bucket": "ec-exports"}`, objects: 1, bucket: "ec-exports"},
	{name: "elasticache data tiering", service: "elasticache", id: "tiered", kind: "replication-group",
		target: `{"service": "elasticache", "id": "tiered"}`,
		extra:  `"copy": {}, "export": {"bucket": "ec-exports"}`, copy: true,
		skipped: []string{"export: replication group tiered uses data tiering"}},
	{name: "elasticache serverless", service: "elasticache-serverless", id: "carts",
		target: `{"service": "elasticache-serverless", "id": "carts"}`,
		extra:  `"copy": {}, "export": {"bucket": "ec-exports", "prefix": "exports"}`,
		copy:   true, objects: 2, bucket: "ec-exports",
		skipped: []string{"export.prefix: elasticache-serverless exports to the bucket root"}},
	{name: "memorydb", service: "memorydb", id: "ledger",
		target: `{"service": "memorydb", "id": "ledger"}`,
		extra:  `"copy": {"kmsKeyId": "alias/backup"}, "export": {"bucket": "mdb-exports", "prefix": "md/"}`,
		copy:   true, objects: 2, prefix: "md/", bucket: "mdb-exports"},
	{name: "memorydb in another region", service: "memorydb", id: "ledger", region: "eu-west-1",
		target: `{"service": "memorydb", "id": "ledger", "region": "eu-west-1"}`,
		extra:  `"copy": {}, "export": {"bucket": "mdb-exports-eu"}`,
		copy:   true, objects: 1, bucket: "mdb-exports-eu"},
	{name: "redshift serverless", service: "redshift-serverless", id: "analytics",
		target: `{"service": "redshift-serverless", "id": "analytics"}`, extra: `"redshiftRetentionDays": 7`},
}

// TestLifecycle runs each kind of source through create, poll, copy,
// export, verify and prune, twice a day apart with keep-last 1: the second
// run prunes the first run's snapshot and copy and nothing else (not a
// snapshot made outside snapflow), and times its first poll from the
// duration the first run measured.
func TestLifecycle(t *testing.T) {
	for _, lc := range lifecycles {
		t.Run(lc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			ctx := context.Background()
			a := f.adapterIn(lc.service, lc.region)
			doc := policy("nightly", "["+lc.target+"]", `"retention": {"keepLast": 1}, "tags": {"team": "data"}, `+lc.extra)

			plan1 := f.mustPlan(doc, start)
			if len(plan1.Items) != 1 {
				t.Fatalf("items %+v", plan1.Items)
			}
			item1 := f.workItems(plan1)[0]
			st := f.run(item1)

			if st.Snapshot == nil || st.Snapshot.Status != "available" || st.Snapshot.DoneAt == nil || st.Resumed {
				t.Fatalf("snapshot %+v (resumed %v)", st.Snapshot, st.Resumed)
			}
			for _, want := range lc.skipped {
				if !slices.ContainsFunc(st.Skipped, func(s string) bool { return strings.HasPrefix(s, want) }) {
					t.Errorf("skipped %q, want %q", st.Skipped, want)
				}
			}
			sn, err := a.Describe(ctx, item1.SnapshotName)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range item1.Tags {
				if sn.Tags[k] != v {
					t.Errorf("snapshot tag %s = %q, want %q", k, sn.Tags[k], v)
				}
			}
			if secs, err := strconv.Atoi(sn.Tags[steps.TagDurationSeconds]); err != nil || secs <= 0 {
				t.Errorf("duration tag %q", sn.Tags[steps.TagDurationSeconds])
			}
			if st.HasCopy != lc.copy {
				t.Fatalf("hasCopy %v, want %v", st.HasCopy, lc.copy)
			}
			if lc.copy {
				if st.Copy == nil || st.Copy.Name != item1.CopyName || st.Copy.Status != "available" {
					t.Fatalf("copy %+v", st.Copy)
				}
				cp, err := a.Describe(ctx, item1.CopyName)
				if err != nil {
					t.Fatal(err)
				}
				if cp.Tags[steps.TagCopyOf] != item1.SnapshotName || cp.Tags[naming.TagSlot] != item1.Tags[naming.TagSlot] {
					t.Errorf("copy tags %v", cp.Tags)
				}
			}
			if st.HasExport != (lc.objects > 0) {
				t.Fatalf("hasExport %v, want %d objects", st.HasExport, lc.objects)
			}
			if lc.objects > 0 {
				e := st.Export
				if e == nil || e.Status != "verified" || len(e.Objects) != lc.objects || e.Bucket != lc.bucket {
					t.Fatalf("export %+v", e)
				}
				for i, o := range e.Objects {
					want := lc.prefix + item1.SnapshotName + "-000" + strconv.Itoa(i+1) + ".rdb"
					if o.Key != want || o.Size <= 9 || o.RDBVersion <= 0 {
						t.Errorf("object %d %+v, want key %s", i, o, want)
					}
				}
			}
			if len(st.Pruned) != 0 {
				t.Errorf("first run pruned %+v", st.Pruned)
			}

			// A snapshot made outside snapflow, without tags: never pruned.
			if _, err := a.Create(ctx, snapshot.CreateInput{SourceID: lc.id, SourceKind: lc.kind, Name: "manual-keep"}); err != nil {
				t.Fatal(err)
			}
			f.aws.Clock().Advance(time.Hour)

			// The next day's run.
			next := start.Add(24 * time.Hour)
			f.aws.Clock().AdvanceTo(next)
			item2 := f.workItems(f.mustPlan(doc, next))[0]
			st2 := f.must("create", events.TargetState{Item: item2})
			if lc.service != "redshift-serverless" && st2.ExpectedSeconds <= 0 {
				t.Errorf("second run expects %d s: the first run's duration was not used", st2.ExpectedSeconds)
			}
			st2 = f.wait(st2)
			if st2.HasCopy {
				st2 = f.wait(f.must("copy", st2))
			}
			if st2.HasExport {
				st2 = f.must("verify", f.wait(f.must("export", st2)))
			}
			st2 = f.must("prune", st2)

			var pruned []string
			for _, p := range st2.Pruned {
				pruned = append(pruned, p.Name)
				if p.DryRun || !strings.Contains(p.Reason, "not kept by any rule") {
					t.Errorf("pruned %+v", p)
				}
			}
			wantPruned := []string{item1.SnapshotName}
			if lc.copy {
				wantPruned = append(wantPruned, item1.CopyName)
			}
			slices.Sort(pruned)
			slices.Sort(wantPruned)
			if !slices.Equal(pruned, wantPruned) {
				t.Errorf("pruned %v, want %v", pruned, wantPruned)
			}
			left := f.namesIn(lc.service, lc.region, lc.id, lc.kind)
			wantLeft := []string{"manual-keep", item2.SnapshotName}
			if lc.copy {
				wantLeft = append(wantLeft, item2.CopyName)
			}
			slices.Sort(left)
			slices.Sort(wantLeft)
			if !slices.Equal(left, wantLeft) {
				t.Errorf("left %v, want %v", left, wantLeft)
			}
		})
	}
}

// TestSameSlotTwice re-runs a slot: the second create, copy and export find
// what the first made and carry on with it; there is one snapshot, one copy
// and one set of objects.
func TestSameSlotTwice(t *testing.T) {
	for _, lc := range []lifecycle{lifecycles[0], lifecycles[4], lifecycles[5], lifecycles[7]} {
		t.Run(lc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			doc := policy("nightly", "["+lc.target+"]", `"retention": {"keepLast": 3}, `+lc.extra)
			item := f.workItems(f.mustPlan(doc, start))[0]

			// Create retried while the snapshot is still being made.
			first := f.must("create", events.TargetState{Item: item})
			again := f.must("create", events.TargetState{Item: item})
			if first.Resumed || !again.Resumed || again.Snapshot.Name != item.SnapshotName {
				t.Fatalf("first resumed %v, second resumed %v", first.Resumed, again.Resumed)
			}
			f.wait(again)

			// The whole slot again, as a re-run of the execution.
			f.run(item)
			mark := f.mark()
			st := f.run(item)
			if !st.Resumed {
				t.Error("the re-run did not resume")
			}
			if lc.objects > 0 && (st.Export == nil || len(st.Export.Objects) != lc.objects) {
				t.Errorf("export %+v", st.Export)
			}
			for _, c := range f.mutating(mark) {
				if !strings.Contains(c, "Delete") {
					t.Errorf("the re-run made %s", c)
				}
			}
			f.wantOnly(lc, item)
		})
	}
}

// TestFailedSlotRedriven: a run whose snapshot (or copy) ended failed
// reports it; re-driving the slot deletes that failed snapshot (snapflow's
// own, of this slot), retries while it is being deleted (TargetBusy, which
// the workflow retries) and ends with exactly one available snapshot and
// copy of the slot.
func TestFailedSlotRedriven(t *testing.T) {
	cases := []struct {
		lc     lifecycle
		fail   string // the create or copy step that ends failed
		action string // its API operation
	}{
		{lifecycles[0], "create", "CreateSnapshot"},
		{lifecycles[0], "copy", "CopySnapshot"},
		{lifecycles[4], "create", "CreateServerlessCacheSnapshot"},
		{lifecycles[4], "copy", "CopyServerlessCacheSnapshot"},
		{lifecycles[5], "create", "CreateSnapshot"},
		{lifecycles[5], "copy", "CopySnapshot"},
		{lifecycles[7], "create", "CreateSnapshot"},
	}
	for _, tc := range cases {
		lc := tc.lc
		t.Run(lc.name+"/"+tc.fail, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			doc := policy("nightly", "["+lc.target+"]", `"retention": {"keepLast": 3}, `+lc.extra)
			item := f.workItems(f.mustPlan(doc, start))[0]
			svc := map[string]string{"elasticache": "elasticache", "elasticache-serverless": "elasticache"}[lc.service]
			if svc == "" {
				svc = lc.service
			}
			f.fault(svc, tc.action, emu.FaultSnapshotFailed, 1)

			// The first run: the failure is reported, nothing is deleted.
			st := f.must("create", events.TargetState{Item: item})
			if tc.fail == "copy" {
				st = f.must("copy", f.wait(st))
			}
			for i := 0; ; i++ {
				if i == 200 {
					t.Fatal("the failed phase never ended")
				}
				f.aws.Clock().Advance(time.Duration(max(st.WaitSeconds, 1)) * time.Second)
				next, ie := f.step("poll", st)
				if ie != nil {
					wantError(t, ie, "Snapflow.SnapshotFailed", map[string]string{"create": item.SnapshotName, "copy": item.CopyName}[tc.fail])
					break
				}
				st = next
			}

			// The re-drive, as the workflow retries TargetBusy.
			mark := f.mark()
			retry := func(step string, in events.TargetState) (events.TargetState, int) {
				for busy := 0; ; busy++ {
					out, ie := f.step(step, in)
					if ie == nil {
						return out, busy
					}
					if ie.Type != "Snapflow.TargetBusy" || busy == 10 {
						t.Fatalf("%s: %s: %s", step, ie.Type, ie.Message)
					}
					f.aws.Clock().Advance(time.Minute)
				}
			}
			again, busyCreate := retry("create", events.TargetState{Item: item})
			again = f.wait(again)
			busyCopy := 0
			if again.HasCopy {
				again, busyCopy = retry("copy", again)
				again = f.wait(again)
				again.HasCopy = false // copied: finish goes on with the export
			}
			again = f.finish(again)
			if busy := map[string]int{"create": busyCreate, "copy": busyCopy}[tc.fail]; busy == 0 {
				t.Errorf("the re-driven %s met no TargetBusy: the failed one was not deleted first", tc.fail)
			}
			deletes := 0
			for _, c := range f.mutating(mark) {
				if strings.Contains(c, "Delete") {
					deletes++
				}
			}
			if deletes != 1 {
				t.Errorf("the re-drive deleted %d snapshots, want 1 (the failed one): %v", deletes, f.mutating(mark))
			}
			f.wantOnly(lc, item)
			list, err := f.adapter(lc.service).List(context.Background(), lc.id, lc.kind)
			if err != nil {
				t.Fatal(err)
			}
			for _, sn := range list {
				if sn.Status != snapshot.Available {
					t.Errorf("%s is %s", sn.Name, sn.RawStatus)
				}
			}
		})
	}
}

// wantOnly checks the source has only the item's snapshot (and copy).
func (f *fixture) wantOnly(lc lifecycle, item events.WorkItem) {
	f.t.Helper()
	want := []string{item.SnapshotName}
	if lc.copy {
		want = append(want, item.CopyName)
	}
	got := f.names(lc.service, lc.id, lc.kind)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		f.t.Errorf("snapshots %v, want %v", got, want)
	}
}

// TestDryRun makes nothing and deletes nothing, and says what retention
// would delete.
func TestDryRun(t *testing.T) {
	f := newFixture(t)
	doc := policy("nightly", `[{"service": "memorydb", "id": "ledger"}]`, `"retention": {"keepLast": 5}, "copy": {}`)
	old := f.workItems(f.mustPlan(doc, start))[0]
	f.run(old)
	f.aws.Clock().Advance(24 * time.Hour)
	newer := f.workItems(f.mustPlan(doc, start.Add(24*time.Hour)))[0]
	f.run(newer)
	f.aws.Clock().Advance(24 * time.Hour)

	doc = strings.Replace(doc, `"keepLast": 5`, `"keepLast": 1`, 1)
	dry := f.mustPlan(strings.Replace(doc, `"retention"`, `"dryRun": true, "retention"`, 1), start.Add(48*time.Hour))
	if !dry.DryRun {
		t.Fatal("not a dry run")
	}
	before := f.names("memorydb", "ledger", "")
	mark := f.mark()
	st := f.must("create", events.TargetState{Item: f.workItems(dry)[0]})
	if !st.Done || st.HasCopy || st.HasExport || st.Snapshot != nil || len(st.Skipped) == 0 {
		t.Fatalf("dry-run create %+v", st)
	}
	st = f.must("poll", st)
	st = f.must("prune", st)
	if m := f.mutating(mark); len(m) > 0 {
		t.Errorf("dry run made mutating calls: %v", m)
	}
	var would []string
	for _, p := range st.Pruned {
		if !p.DryRun {
			t.Errorf("pruned %+v without dryRun", p)
		}
		would = append(would, p.Name)
	}
	slices.Sort(would)
	want := []string{old.CopyName, old.SnapshotName}
	slices.Sort(want)
	if !slices.Equal(would, want) {
		t.Errorf("would prune %v, want %v", would, want)
	}
	if after := f.names("memorydb", "ledger", ""); !slices.Equal(before, after) {
		t.Errorf("snapshots changed: %v, then %v", before, after)
	}
}

// TestRetentionExactSet prunes exactly the managed snapshots the rules do
// not keep, and never one of another policy, another target or one
// without snapflow's tags; copies are kept by their own count.
func TestRetentionExactSet(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := f.adapter("elasticache")
	make := func(name string, tags map[string]string) {
		t.Helper()
		if _, err := a.Create(ctx, snapshot.CreateInput{SourceID: "sessions", SourceKind: "cache-cluster", Name: name, Tags: tags}); err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		f.aws.Clock().Advance(10 * time.Minute)
	}
	copyOf := func(src, name string, tags map[string]string) {
		t.Helper()
		tags[steps.TagCopyOf] = src
		if _, err := a.Copy(ctx, snapshot.CopyInput{SourceName: src, TargetName: name, Tags: tags}); err != nil {
			t.Fatalf("copy %s: %v", name, err)
		}
		f.aws.Clock().Advance(10 * time.Minute)
	}
	var mine, copies []string
	for day := range 5 {
		slot := start.Add(time.Duration(day) * 24 * time.Hour)
		f.aws.Clock().AdvanceTo(slot)
		name := naming.SnapshotName("elasticache", "nightly", "sessions", slot)
		make(name, naming.ManagedTags("nightly", "sessions", slot))
		mine = append(mine, name)
		cp := naming.CopyName("elasticache", "", "nightly", "sessions", slot)
		copyOf(name, cp, naming.ManagedTags("nightly", "sessions", slot))
		copies = append(copies, cp)
	}
	make("unmanaged-old", nil)
	make("other-policy", naming.ManagedTags("hourly", "sessions", start))
	make("other-target", naming.ManagedTags("nightly", "orders", start))
	make("not-managed", map[string]string{naming.TagPolicy: "nightly", naming.TagTarget: "sessions"})

	now := start.Add(5 * 24 * time.Hour)
	f.aws.Clock().AdvanceTo(now)
	doc := policy("nightly", `[{"service": "elasticache", "id": "sessions", "kind": "cache-cluster"}]`, `"retention": {"keepLast": 2}`)
	item := f.workItems(f.mustPlan(doc, now))[0]
	st := f.must("prune", events.TargetState{Item: item, Snapshot: &events.SnapshotRef{Name: item.SnapshotName}})

	var got []string
	for _, p := range st.Pruned {
		got = append(got, p.Name)
	}
	want := append(slices.Clone(mine[:3]), copies[:3]...)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("pruned %v, want %v", got, want)
	}
	left := f.names("elasticache", "sessions", "cache-cluster")
	wantLeft := []string{mine[3], mine[4], copies[3], copies[4], "unmanaged-old", "other-policy", "other-target", "not-managed"}
	slices.Sort(left)
	slices.Sort(wantLeft)
	if !slices.Equal(left, wantLeft) {
		t.Errorf("left %v, want %v", left, wantLeft)
	}

	// No retention: nothing listed, nothing deleted.
	item.Retention = nil
	mark := f.mark()
	st = f.must("prune", events.TargetState{Item: item})
	if len(st.Pruned) != 0 || len(f.aws.Calls()) != mark {
		t.Errorf("prune without retention: %+v, %d calls", st.Pruned, len(f.aws.Calls())-mark)
	}
}

// TestLogLines checks every line carries the request ID, the target and the
// snapshot name.
func TestLogLines(t *testing.T) {
	f := newFixture(t)
	item := f.workItems(f.mustPlan(policy("nightly", `[{"service": "memorydb", "id": "ledger"}]`, ""), start))[0]
	f.run(item)
	n := 0
	for _, line := range f.out.lines() {
		if line["msg"] == "planned" {
			continue
		}
		n++
		if line["requestId"] != "req-42" || line["target"] != "memorydb/ledger" || line["snapshot"] != item.SnapshotName ||
			line["function"] != "test" || line["policy"] != "nightly" {
			t.Errorf("log line %v", line)
		}
	}
	if n < 3 {
		t.Errorf("only %d log lines", n)
	}
}

// TestDurationTagBestEffort: a snapshot that cannot be tagged with its
// duration is still a good snapshot.
func TestDurationTagBestEffort(t *testing.T) {
	f := newFixture(t)
	f.fault("elasticache", "AddTagsToResource", emu.FaultAccessDenied, 0)
	st := f.snapshotted(ordersPolicy)
	if !st.Done || st.Snapshot.Status != "available" {
		t.Fatalf("state %+v", st)
	}
	warned := false
	for _, line := range f.out.lines() {
		warned = warned || line["msg"] == "cannot tag the snapshot's duration" && line["level"] == "WARN"
	}
	if !warned {
		t.Error("no warning logged")
	}
}

// TestStart: the create function builds the work item from the child's
// input (one plan item, the plan's spec and slot) as plan's WorkItem does,
// and still takes a built item.
func TestStart(t *testing.T) {
	f := newFixture(t)
	plan := f.mustPlan(policy("nightly", `[{"service": "memorydb", "id": "ledger"}]`, `"dryRun": true, "tags": {"team": "data"}`), start)
	in, err := json.Marshal(events.TargetInput{Target: plan.Items[0], Policy: plan.Spec, Slot: plan.Slot})
	if err != nil {
		t.Fatal(err)
	}
	st, ie := invoke(f, steps.Handler(f.steps, f.steps.Start), in)
	if ie != nil {
		t.Fatalf("%s: %s", ie.Type, ie.Message)
	}
	if want := f.workItems(plan)[0]; !reflect.DeepEqual(st.Item, want) || st.Item.SnapshotName == "" || st.Item.Tags["team"] != "data" || !st.Done {
		t.Errorf("item %+v, want %+v", st.Item, want)
	}
	byItem, ie := invoke(f, steps.Handler(f.steps, f.steps.Start), map[string]any{"item": f.workItems(plan)[0]})
	if ie != nil || !reflect.DeepEqual(byItem.Item, st.Item) {
		t.Errorf("by item: %+v %v", byItem.Item, ie)
	}
	_, ie = invoke(f, steps.Handler(f.steps, f.steps.Start), map[string]any{"target": plan.Items[0]})
	wantError(t, ie, "Snapflow.InvalidInput", "policy")
}
