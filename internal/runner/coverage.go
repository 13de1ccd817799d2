package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/snapflow/snapflow/events"
	"github.com/snapflow/snapflow/internal/localaws/emu"
	"github.com/snapflow/snapflow/internal/snapshot"
	"github.com/snapflow/snapflow/internal/snapshot/adapters"
	"github.com/snapflow/snapflow/internal/steps"
)

// The coverage run's policies: the caches by name (ElastiCache replication
// groups with cluster mode disabled and enabled, a standalone cache
// cluster, ElastiCache Serverless, MemoryDB) with copy, export, keep-last 1
// and a policy tag; Redshift Serverless by a tag selector (ListNamespaces)
// with keep-last 1 (a selector of Redshift Serverless cannot ask for copy
// or export).
const (
	coverageCaches    = "coverage"
	coverageWarehouse = "coverage-warehouse"
)

// coverageCluster is the standalone cache cluster the coverage run adds to
// the seed (as internal/localaws/testdata/fleet.json's leaderboard): the
// runner's seed has none, and a cache cluster is a target kind of its own
// (DescribeCacheClusters, CreateSnapshot on cluster:*).
var coverageCluster = map[string]any{
	"id": "leaderboard", "engine": "valkey", "cacheNodeType": "cache.t4g.medium",
	"dataSizeMB": 256, "snapshotSeconds": 30, "tags": map[string]string{"team": "games"},
}

var (
	covOrders      = events.Target{Service: events.ServiceElastiCache, ID: "orders"}
	covSessions    = events.Target{Service: events.ServiceElastiCache, ID: "sessions"}
	covLeaderboard = events.Target{Service: events.ServiceElastiCache, ID: "leaderboard", Kind: events.KindCacheCluster}
	covCarts       = events.Target{Service: events.ServiceElastiCacheServerless, ID: "carts"}
	covLedger      = events.Target{Service: events.ServiceMemoryDB, ID: "ledger"}
	covAnalytics   = events.Target{Service: events.ServiceRedshiftServerless, ID: "analytics"}
)

// CoverageRun runs every service and every step without faults, so the IAM
// proof also sees the calls the matrix's two targets do not make. Two
// policies (coverageCaches, coverageWarehouse) run at once for three
// consecutive daily slots, and the last one again:
//
//   - day 1: each of orders, carts, ledger and analytics already has a
//     failed snapshot of the slot, as an earlier run of the slot leaves it:
//     create finds it (Describe, ListTags), deletes it (its managed-tag
//     conditioned delete on sf-) and makes it again after TargetBusy;
//   - day 2: orders, carts and ledger already have the slot's snapshot,
//     available, and a failed copy of it: create resumes the snapshot,
//     copy finds the copy, deletes it (on the copy prefix) and copies
//     again; prune deletes day 1's snapshots and copies;
//   - day 3: a clean run; prune deletes day 2's snapshots and copies;
//   - day 3 again: create, copy and export find what is there and resume
//     (Redshift Serverless: GetSnapshot, then ListSnapshots for the last
//     duration), prune finds nothing to delete.
//
// Every run must succeed, and the calls those paths make must be in the
// record (coverageCheck).
func CoverageRun(ctx context.Context, base Options) (IAMCalls, []*Report, error) {
	opts := base
	opts.Start = MatrixSlot.Add(-72 * time.Hour)
	seed, err := withCacheCluster(base.Seed, coverageCluster)
	if err != nil {
		return IAMCalls{}, nil, err
	}
	opts.Seed = seed
	r, err := New(ctx, opts)
	if err != nil {
		return IAMCalls{}, nil, err
	}
	defer r.Close()

	caches := []events.Target{covOrders, covSessions, covLeaderboard, covCarts, covLedger}
	policyTags := map[string]string{"cost-center": "coverage"}
	policies := []map[string]any{
		{"name": coverageCaches, "targets": caches, "copy": map[string]any{},
			"export": map[string]any{"bucket": r.ExportBucket(), "prefix": "cov/"}, "retention": map[string]any{"keepLast": 1}, "tags": policyTags},
		{"name": coverageWarehouse, "selector": map[string]any{"services": []string{events.ServiceRedshiftServerless}, "tags": map[string][]string{"team": {"analytics"}}},
			"retention": map[string]any{"keepLast": 1}, "tags": policyTags, "redshiftRetentionDays": 35},
	}
	wantTargets := []int{len(caches), 1}
	specs := map[string]events.Policy{
		events.ServiceRedshiftServerless: {Name: coverageWarehouse, Tags: policyTags},
		"":                               {Name: coverageCaches, Copy: &events.CopySpec{}, Tags: policyTags},
	}
	spec := func(t events.Target) events.Policy {
		if p, ok := specs[t.Service]; ok {
			return p
		}
		return specs[""]
	}
	day1, day2, day3 := MatrixSlot.Add(-48*time.Hour), MatrixSlot.Add(-24*time.Hour), MatrixSlot

	var reps []*Report
	// run runs both policies at the slot, at once, to their end.
	run := func(slot time.Time, what string) error {
		if r.Clock().Now().Before(slot) {
			r.Clock().AdvanceTo(slot)
		}
		var xs []*Execution
		for _, p := range policies {
			in := maps.Clone(p)
			in["scheduledTime"], in["timeZone"] = slot.Format(time.RFC3339), "UTC"
			data, err := json.Marshal(in)
			if err != nil {
				return err
			}
			x, err := r.Start(data, "")
			if err != nil {
				return err
			}
			xs = append(xs, x)
		}
		for i, x := range xs {
			if err := x.Wait(ctx); err != nil {
				return err
			}
			rep := r.Report(x)
			reps = append(reps, rep)
			if rep.Status != "SUCCEEDED" {
				return fmt.Errorf("coverage run %s %s (%s): %s %s %s", policies[i]["name"], slot.Format(time.RFC3339), what, rep.Status, rep.Error, detail(rep))
			}
			if n := len(rep.Targets); n != wantTargets[i] {
				return fmt.Errorf("coverage run %s %s (%s): %d targets, want %d", policies[i]["name"], slot.Format(time.RFC3339), what, n, wantTargets[i])
			}
		}
		return nil
	}
	fail := func(err error) (IAMCalls, []*Report, error) { return IAMCalls{}, reps, err }

	r.Clock().AdvanceTo(day1)
	var failed []string
	for _, t := range []events.Target{covOrders, covCarts, covLedger, covAnalytics} {
		it := steps.WorkItem(spec(t), t, day1, "")
		if err := coverageFailed(ctx, r, t, it, false); err != nil {
			return fail(err)
		}
		failed = append(failed, "create "+it.SnapshotName)
	}
	if err := run(day1, "failed snapshots of the slot"); err != nil {
		return fail(err)
	}

	r.Clock().AdvanceTo(day2)
	for _, t := range []events.Target{covOrders, covCarts, covLedger} {
		it := steps.WorkItem(spec(t), t, day2, "")
		if err := coverageFailed(ctx, r, t, it, true); err != nil {
			return fail(err)
		}
		failed = append(failed, "copy "+it.CopyName)
	}
	if err := run(day2, "the slot's snapshot and a failed copy"); err != nil {
		return fail(err)
	}
	if err := run(day3, "clean"); err != nil {
		return fail(err)
	}
	if err := run(day3, "the same slot again"); err != nil {
		return fail(err)
	}
	if err := coverageCheck(r, reps, failed); err != nil {
		return fail(err)
	}
	return IAMCalls{Calls: r.AWS().Calls(), FunctionOf: r.FunctionOfAccessKey, StatesPrincipal: r.RunMachine()}, reps, nil
}

// withCacheCluster adds a cache cluster to a seed's elasticache section.
func withCacheCluster(seed []byte, cluster map[string]any) ([]byte, error) {
	doc := map[string]any{}
	if len(seed) > 0 {
		if err := json.Unmarshal(seed, &doc); err != nil {
			return nil, fmt.Errorf("coverage: seed: %w", err)
		}
	}
	ec, _ := doc["elasticache"].(map[string]any)
	if ec == nil {
		ec = map[string]any{}
	}
	list, _ := ec["cacheClusters"].([]any)
	ec["cacheClusters"] = append(list, cluster)
	doc["elasticache"] = ec
	return json.Marshal(doc)
}

// coverageFailed leaves what a failed earlier run of the item's slot
// leaves: its snapshot failed, or (withCopy) its snapshot available and its
// copy failed, with the names and tags snapflow gives them. It moves the
// clock on until they are done.
func coverageFailed(ctx context.Context, r *Runner, t events.Target, it events.WorkItem, withCopy bool) error {
	a, err := adapters.New(r.AWSConfig(HistoryAccessKey)).For(t.Service)
	if err != nil {
		return err
	}
	createAction := map[string]string{
		events.ServiceElastiCache: "CreateSnapshot", events.ServiceElastiCacheServerless: "CreateServerlessCacheSnapshot",
		events.ServiceMemoryDB: "CreateSnapshot", events.ServiceRedshiftServerless: "CreateSnapshot",
	}[t.Service]
	copyAction := map[string]string{
		events.ServiceElastiCache: "CopySnapshot", events.ServiceElastiCacheServerless: "CopyServerlessCacheSnapshot",
		events.ServiceMemoryDB: "CopySnapshot",
	}[t.Service]
	// failing makes the one call f makes start a snapshot that ends failed.
	failing := func(action string, f func() error) error {
		id := r.AWS().Faults().Add(emu.Fault{Service: signingName(t.Service), Action: action, Kind: emu.FaultSnapshotFailed, Count: 1})
		defer r.AWS().Faults().Remove(id)
		return f()
	}
	create := func() error {
		_, err := a.Create(ctx, snapshot.CreateInput{SourceID: t.ID, SourceKind: t.Kind, Name: it.SnapshotName, Tags: it.Tags})
		return err
	}
	if !withCopy {
		if err := failing(createAction, create); err != nil {
			return fmt.Errorf("coverage: failed snapshot %s: %w", it.SnapshotName, err)
		}
		return coverageWait(ctx, r, a, it.SnapshotName, snapshot.Failed)
	}
	if err := create(); err != nil {
		return fmt.Errorf("coverage: snapshot %s: %w", it.SnapshotName, err)
	}
	if err := coverageWait(ctx, r, a, it.SnapshotName, snapshot.Available); err != nil {
		return err
	}
	tags := maps.Clone(it.Tags)
	tags[steps.TagCopyOf] = it.SnapshotName
	if err := failing(copyAction, func() error {
		_, err := a.Copy(ctx, snapshot.CopyInput{SourceName: it.SnapshotName, TargetName: it.CopyName, Tags: tags})
		return err
	}); err != nil {
		return fmt.Errorf("coverage: failed copy %s: %w", it.CopyName, err)
	}
	return coverageWait(ctx, r, a, it.CopyName, snapshot.Failed)
}

// signingName is the local AWS's service name of a policy's service.
func signingName(service string) string {
	if service == events.ServiceElastiCacheServerless {
		return events.ServiceElastiCache
	}
	return service
}

// coverageWait moves the clock a minute at a time until the snapshot has
// the status.
func coverageWait(ctx context.Context, r *Runner, a snapshot.Adapter, name string, want snapshot.Status) error {
	for i := 0; ; i++ {
		sn, err := a.Describe(ctx, name)
		if err != nil {
			return fmt.Errorf("coverage: %s: %w", name, err)
		}
		if sn.Status == want {
			return nil
		}
		if i > 1000 || (sn.Status == snapshot.Failed || sn.Status == snapshot.Available) {
			return fmt.Errorf("coverage: %s is %s, want %s", name, sn.RawStatus, want)
		}
		r.Clock().Advance(time.Minute)
	}
}

// coverageCheck checks that the runs took the paths they are for: the
// failed snapshots and copies were deleted by create and copy, a later run
// pruned an earlier run's snapshots and copies of every service that
// copies, and the re-run resumed every target.
func coverageCheck(r *Runner, reps []*Report, failed []string) error {
	var problems []string
	// deleted holds "<function> <name>" of every snapshot a function
	// deleted, by the name the request gave.
	deleted := map[string]bool{}
	for _, c := range r.AWS().Calls() {
		if !strings.HasPrefix(c.Action, "Delete") || !strings.HasSuffix(c.Action, "Snapshot") || c.Status >= 300 {
			continue
		}
		fn := r.FunctionOfAccessKey(c.AccessKeyID)
		for _, v := range c.Params {
			deleted[fn+" "+strings.ToLower(v)] = true
		}
	}
	for _, f := range failed {
		if !deleted[strings.ToLower(f)] {
			problems = append(problems, "no delete of the failed "+f)
		}
	}
	prunedCopies := map[string]bool{}
	for _, rep := range reps {
		for _, tr := range rep.Targets {
			for _, p := range tr.Pruned {
				if strings.HasPrefix(p, "sfc-") {
					prunedCopies[tr.Target.Service] = true
				}
			}
		}
	}
	for _, s := range []string{events.ServiceElastiCache, events.ServiceElastiCacheServerless, events.ServiceMemoryDB} {
		if !prunedCopies[s] {
			problems = append(problems, "no "+s+" copy was pruned")
		}
	}
	for _, tr := range reps[len(reps)-1].Targets {
		if !tr.Resumed {
			problems = append(problems, "the re-run did not resume "+tr.Target.ID)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("coverage: %s", strings.Join(problems, "; "))
	}
	return nil
}
