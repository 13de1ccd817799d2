package iamcheck_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/snapflow/snapflow/events"
	"github.com/snapflow/snapflow/internal/awsclient"
	"github.com/snapflow/snapflow/internal/errclass"
	"github.com/snapflow/snapflow/internal/iamcheck"
	"github.com/snapflow/snapflow/internal/localaws"
	"github.com/snapflow/snapflow/internal/localaws/emu"
	"github.com/snapflow/snapflow/internal/snapshot"
	"github.com/snapflow/snapflow/internal/snapshot/adapters"
	"github.com/snapflow/snapflow/internal/steps"
)

// The flow test runs internal/steps' handlers, each with its own access
// key as the local runner gives them (runner.SandboxAccessKey: "<the
// function's logical ID>-<sandbox>"), through a day's run and the next
// day's (whose prune deletes the first day's snapshot and copy) against the
// local AWS, then checks every recorded call against the committed
// template's policies.

var start = time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)

// ecCanonical is the S3 canonical user ElastiCache exports with.
const ecCanonical = "540804c33a284a299d2547575ce1010f2312ef3da9b3a053c8bc45bf233e4353"

// flowSeed is one source of each kind in the stack's region and the
// stack's export bucket (snapflow.yaml: snapflow-exports-example), open to
// ElastiCache's canonical user and to MemoryDB's service principal as the
// stack's custom resources and bucket policy make it.
const flowSeed = `{
  "region": "us-east-1",
  "s3": {"buckets": [
    {"name": "snapflow-exports-example", "objectOwnership": "BucketOwnerPreferred",
     "grants": [
      {"id": "` + ecCanonical + `", "permission": "READ"},
      {"id": "` + ecCanonical + `", "permission": "WRITE"},
      {"id": "` + ecCanonical + `", "permission": "READ_ACP"}],
     "policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
       "Principal": {"Service": "us-east-1.memorydb-snapshot.amazonaws.com"},
       "Action": ["s3:PutObject", "s3:GetObject", "s3:ListBucket", "s3:GetBucketAcl", "s3:ListMultipartUploadParts", "s3:ListBucketMultipartUploads"],
       "Resource": ["arn:aws:s3:::snapflow-exports-example", "arn:aws:s3:::snapflow-exports-example/*"]}]}}
  ]},
  "elasticache": {
    "replicationGroups": [{"id": "orders", "engine": "valkey", "replicasPerShard": 1, "snapshotSeconds": 120, "tags": {"backup": "nightly"}}],
    "cacheClusters": [{"id": "sessions", "engine": "redis", "snapshotSeconds": 60}],
    "serverlessCaches": [{"name": "carts", "engine": "valkey", "shards": 2, "snapshotSeconds": 90, "tags": {"backup": "nightly"}}]
  },
  "memorydb": {"clusters": [{"name": "ledger", "nodeType": "db.r7g.large", "numShards": 2, "snapshotSeconds": 150, "tags": {"backup": "nightly"}}]},
  "redshiftServerless": {"namespaces": [{"name": "analytics", "dataSizeMB": 1024, "snapshotSeconds": 300, "tags": {"backup": "nightly"}}]}
}`

// flowPolicies are the runs: the caches, selected by tag
// (tag:GetResources) plus the untagged cache cluster by name, with copies,
// exports and keep-last 1; the warehouse, selected by tag (and
// ListNamespaces, which maps the namespace's ARN to its name).
var flowPolicies = []string{`{
  "name": "nightly",
  "targets": [{"service": "elasticache", "id": "sessions", "kind": "cache-cluster"}],
  "selector": {"services": ["elasticache", "elasticache-serverless", "memorydb"], "tags": {"backup": ["nightly"]}},
  "retention": {"keepLast": 1},
  "tags": {"team": "data"},
  "copy": {},
  "export": {"bucket": "snapflow-exports-example", "prefix": "exports"}
}`, `{
  "name": "warehouse",
  "selector": {"services": ["redshift-serverless"], "tags": {"backup": ["nightly"]}},
  "retention": {"keepLast": 1},
  "redshiftRetentionDays": 7
}`}

// adminKey makes the test's own calls (set-up, reading tags): not a
// function's, so not checked.
const adminKey = "iamcheck-test"

type flow struct {
	t      *testing.T
	ctx    context.Context
	aws    *localaws.AWS
	ps     *iamcheck.Policies
	steps  map[string]*steps.Steps
	admin  adapters.Set
	detail map[int]iamcheck.Detail // by call Seq
	tags   map[string]map[string]string
}

func loadFixture(t *testing.T) *iamcheck.Policies {
	t.Helper()
	data, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := iamcheck.Load(data, iamcheck.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func config(url, key string) aws.Config {
	return aws.Config{
		Region:       emu.DefaultRegion,
		Credentials:  credentials.NewStaticCredentialsProvider(key, "secret", ""),
		BaseEndpoint: aws.String(url),
		HTTPClient:   awsclient.HTTPClient(),
		Retryer: func() aws.Retryer {
			return retry.AddWithMaxBackoffDelay(awsclient.NewRetryer(), time.Millisecond)
		},
	}
}

func newFlow(t *testing.T) *flow {
	t.Helper()
	local := localaws.New(localaws.Options{Speed: 0, Start: start.Add(-48 * time.Hour)})
	if err := local.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = local.Close() })
	if err := local.Seed([]byte(flowSeed)); err != nil {
		t.Fatalf("seed: %v", err)
	}
	f := &flow{t: t, ctx: context.Background(), aws: local, ps: loadFixture(t), steps: map[string]*steps.Steps{},
		admin: adapters.New(config(local.URL(), adminKey)), detail: map[int]iamcheck.Detail{}, tags: map[string]map[string]string{}}
	for _, p := range f.ps.Functions() {
		s := steps.New(config(local.URL(), p.LogicalID+"-1"), steps.Env{S3PathStyle: true, MetricsNamespace: "Snapflow"}, p.Function, io.Discard)
		s.Now = local.Clock().Now
		f.steps[p.Function] = s
	}
	return f
}

// call runs one handler and records, for the calls it made, what their
// records lack: the harness knows it from the work item, as the local AWS
// would if emu.Call held it.
func (f *flow) call(handler string, st events.TargetState) events.TargetState {
	f.t.Helper()
	s := f.steps[handler]
	m := map[string]func(context.Context, events.TargetState) (events.TargetState, error){
		"create": s.Create, "poll": s.Poll, "copy": s.Copy, "export": s.Export, "verify": s.Verify, "prune": s.Prune,
	}
	for i := 0; ; i++ {
		mark := len(f.aws.Calls())
		out, err := m[handler](f.ctx, st)
		f.describe(handler, st.Item, f.aws.Calls()[mark:])
		if errclass.Is(err, errclass.TargetBusy) && i < 5 {
			// As the state machine retries TargetBusy: 60 s later.
			f.aws.Clock().Advance(time.Minute)
			continue
		}
		if err != nil {
			f.t.Fatalf("%s %s: %v", handler, st.Item.Target.ID, err)
		}
		return out
	}
}

func (f *flow) describe(handler string, it events.WorkItem, calls []emu.Call) {
	copyTags := maps.Clone(it.Tags)
	if copyTags != nil {
		copyTags[steps.TagCopyOf] = it.SnapshotName
	}
	for _, c := range calls {
		var d iamcheck.Detail
		switch c.Service + " " + c.Action {
		case "elasticache CreateSnapshot", "memorydb CreateSnapshot", "redshift-serverless CreateSnapshot":
			d = iamcheck.Detail{Params: map[string]string{"SnapshotName": it.SnapshotName}, RequestTags: it.Tags}
		case "elasticache CreateServerlessCacheSnapshot":
			d = iamcheck.Detail{Params: map[string]string{"ServerlessCacheSnapshotName": it.SnapshotName}, RequestTags: it.Tags}
		case "elasticache CopyServerlessCacheSnapshot":
			d = iamcheck.Detail{Params: map[string]string{"TargetServerlessCacheSnapshotName": it.CopyName}, RequestTags: copyTags}
		case "elasticache CopySnapshot", "memorydb CopySnapshot":
			if handler == "export" {
				d = iamcheck.Detail{RequestTags: map[string]string{}, Params: map[string]string{
					"TargetSnapshotName": snapshot.ExportTarget(it.ExportPrefix, it.SnapshotName), "TargetBucket": it.Export.Bucket}}
			} else {
				d = iamcheck.Detail{Params: map[string]string{"TargetSnapshotName": it.CopyName}, RequestTags: copyTags}
			}
		case "elasticache DeleteSnapshot", "elasticache DeleteServerlessCacheSnapshot", "memorydb DeleteSnapshot", "redshift-serverless DeleteSnapshot":
			tags, ok := f.tags[c.Resource]
			if !ok {
				f.t.Fatalf("no tags captured for %s", c.Resource)
			}
			d = iamcheck.Detail{ResourceTags: tags}
		}
		f.detail[c.Seq] = d
	}
}

// captureTags reads the tags of every snapshot of a target before prune, as
// emu.Call would record the deleted snapshot's tags.
func (f *flow) captureTags(it events.WorkItem) {
	f.t.Helper()
	a, err := f.admin.For(it.Target.Service)
	if err != nil {
		f.t.Fatal(err)
	}
	list, err := a.List(f.ctx, it.Target.ID, it.Target.Kind)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, sn := range list {
		f.tags[sn.ARN] = sn.Tags
	}
}

// failed leaves what a failed earlier run of the item's slot leaves: its
// snapshot failed and, when the item copies, its copy failed too, with the
// names and tags snapflow gives them (the snapshot is made available first
// for the copy, then deleted and made again, failing).
func (f *flow) failed(it events.WorkItem) {
	f.t.Helper()
	a, err := f.admin.For(it.Target.Service)
	if err != nil {
		f.t.Fatal(err)
	}
	svc, create, copyOp := "elasticache", "CreateSnapshot", "CopySnapshot"
	switch it.Target.Service {
	case events.ServiceElastiCacheServerless:
		create, copyOp = "CreateServerlessCacheSnapshot", "CopyServerlessCacheSnapshot"
	case events.ServiceMemoryDB, events.ServiceRedshiftServerless:
		svc = it.Target.Service
	}
	failing := func(action string, do func() error) {
		f.t.Helper()
		id := f.aws.Faults().Add(emu.Fault{Service: svc, Action: action, Kind: emu.FaultSnapshotFailed, Count: 1})
		defer f.aws.Faults().Remove(id)
		if err := do(); err != nil {
			f.t.Fatalf("%s %s: %v", action, it.SnapshotName, err)
		}
	}
	until := func(name string, done func(snapshot.Snapshot, error) bool) {
		f.t.Helper()
		for i := 0; ; i++ {
			sn, err := a.Describe(f.ctx, name)
			if done(sn, err) {
				return
			}
			if i == 500 {
				f.t.Fatalf("%s: %s %v", name, sn.RawStatus, err)
			}
			f.aws.Clock().Advance(time.Minute)
		}
	}
	is := func(want snapshot.Status) func(snapshot.Snapshot, error) bool {
		return func(sn snapshot.Snapshot, err error) bool { return err == nil && sn.Status == want }
	}
	makeIt := func() error {
		_, err := a.Create(f.ctx, snapshot.CreateInput{SourceID: it.Target.ID, SourceKind: it.Target.Kind, Name: it.SnapshotName, Tags: it.Tags})
		return err
	}
	if it.Copy != nil {
		if err := makeIt(); err != nil {
			f.t.Fatal(err)
		}
		until(it.SnapshotName, is(snapshot.Available))
		tags := maps.Clone(it.Tags)
		tags[steps.TagCopyOf] = it.SnapshotName
		failing(copyOp, func() error {
			_, err := a.Copy(f.ctx, snapshot.CopyInput{SourceName: it.SnapshotName, TargetName: it.CopyName, Tags: tags})
			return err
		})
		until(it.CopyName, is(snapshot.Failed))
		if err := a.Delete(f.ctx, it.SnapshotName); err != nil {
			f.t.Fatal(err)
		}
		until(it.SnapshotName, func(_ snapshot.Snapshot, err error) bool { return errclass.Is(err, errclass.NotFound) })
	}
	failing(create, makeIt)
	until(it.SnapshotName, is(snapshot.Failed))
}

func (f *flow) wait(st events.TargetState) events.TargetState {
	f.t.Helper()
	for i := 0; !st.Done; i++ {
		if i == 200 {
			f.t.Fatalf("%s: phase %s not done after 200 polls", st.Item.Target.ID, st.Phase)
		}
		f.aws.Clock().Advance(time.Duration(st.WaitSeconds) * time.Second)
		st = f.call("poll", st)
	}
	return st
}

// run is a day's run: plan, then each target's sub-workflow as the target
// state machine runs it.
func (f *flow) run(at time.Time) []events.TargetState { return f.runWith(at, nil) }

// runWith is run with before called for each item first.
func (f *flow) runWith(at time.Time, before func(events.WorkItem)) []events.TargetState {
	f.t.Helper()
	f.aws.Clock().AdvanceTo(at)
	var items []events.WorkItem
	for i, doc := range flowPolicies {
		in := fmt.Sprintf(`{"policy": %s, "executionId": "arn:aws:states:us-east-1:123456789012:execution:Snapflow-run:%d-%d", "executionStartTime": %q}`,
			doc, at.Unix(), i, at.Format(time.RFC3339Nano))
		plan, err := f.steps["plan"].Plan(f.ctx, json.RawMessage(in))
		if err != nil {
			f.t.Fatalf("plan: %v", err)
		}
		for _, t := range plan.Items { // as each child's create builds them
			items = append(items, steps.WorkItem(plan.Spec, t, plan.Slot, f.steps["create"].ExportBucket))
		}
	}
	if len(items) != 5 {
		f.t.Fatalf("plan: %d items %+v, want 5", len(items), items)
	}
	var out []events.TargetState
	for _, it := range items {
		if before != nil {
			before(it)
		}
		// create and copy delete a failed snapshot or copy of the slot
		// they find: the tags it had.
		f.captureTags(it)
		st := f.wait(f.call("create", events.TargetState{Item: it}))
		if st.HasCopy {
			st = f.wait(f.call("copy", st))
		}
		if st.HasExport {
			st = f.call("verify", f.wait(f.call("export", st)))
		}
		f.captureTags(it)
		out = append(out, f.call("prune", st))
	}
	return out
}

func fnForKey(key string) string { return iamcheck.LogicalIDOfKey(key) }

// wantUnused are the grants of the committed template that no call of the
// flow uses and for which the report has no reason (not unobservable, not
// inapplicable): for each, either no code path of the handlers calls it (a
// grant the stack could drop) or the flow does not reach the path that
// does. A new entry means the stack grants something the handlers no longer
// call, or a handler stopped calling it: check which.
var wantUnused = map[string]string{}

func TestStepsFlowIsAllowed(t *testing.T) {
	f := newFlow(t)
	// The day before, re-driven: each target's snapshot (and copy) of the
	// slot had failed; create (and copy) delete it and make it again.
	for _, st := range f.runWith(start.Add(-24*time.Hour), f.failed) {
		if st.Resumed {
			t.Errorf("%s: resumed a failed snapshot or copy", st.Item.Target.ID)
		}
	}
	first := f.run(start)
	// The same slot re-driven: create, copy and export find what the first
	// run made and resume with it (the resume paths' calls).
	for _, st := range f.run(start) {
		if !st.Resumed {
			t.Errorf("%s: the re-driven slot did not resume", st.Item.Target.ID)
		}
	}
	second := f.run(start.Add(24 * time.Hour))
	pruned := 0
	for _, st := range second {
		pruned += len(st.Pruned)
	}
	if pruned != 9 { // the first day's snapshot of each of the 5 targets and the copies of the 4 that copy
		t.Fatalf("the second run pruned %d snapshots, want 9 (first run %d targets)", pruned, len(first))
	}

	r := iamcheck.CheckWith(f.aws.Calls(), fnForKey, f.ps, iamcheck.CheckOptions{
		Detail: func(c emu.Call) iamcheck.Detail { return f.detail[c.Seq] },
	})
	t.Log(r)
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if len(r.Unverified) > 0 {
		t.Errorf("unverified with every detail given:\n%s", r)
	}
	if r.Unattributed[adminKey] == 0 || len(r.Unattributed) != 1 {
		t.Errorf("unattributed %v, want only the test's own calls", r.Unattributed)
	}
	called := map[string]bool{}
	for _, c := range f.aws.Calls() {
		if c.AccessKeyID != adminKey {
			called[f.ps.For(fnForKey(c.AccessKeyID)).Function] = true
		}
	}
	for _, h := range []string{"plan", "create", "poll", "copy", "export", "verify", "prune"} {
		if !called[h] {
			t.Errorf("no call by %s", h)
		}
	}
	listed := map[string]bool{}
	for _, p := range r.Unused {
		if p.Reason != "" {
			continue // unobservable or inapplicable: the report says why
		}
		listed[p.String()] = true
		if _, ok := wantUnused[p.String()]; !ok {
			t.Errorf("unused grant not in wantUnused: %s", p)
		}
	}
	var stale []string
	for k := range wantUnused {
		if !listed[k] {
			stale = append(stale, k)
		}
	}
	sort.Strings(stale)
	if len(stale) > 0 {
		t.Logf("now used (drop from wantUnused):\n  %s", strings.Join(stale, "\n  "))
	}
}

// TestStepsFlowRecordOnly checks the same flow from the record alone, as
// the end-to-end runs see it: the local AWS records every resource a call
// acts on, the parameters that decide its authorization, the tags it
// carries and the tags of the resource before it (emu.Call), so nothing is
// denied and nothing is left unverified, also after the record's JSON
// round trip (the admin API's /_localaws/calls); and what the record holds
// agrees with what the harness knows from the work items.
func TestStepsFlowRecordOnly(t *testing.T) {
	f := newFlow(t)
	f.runWith(start.Add(-24*time.Hour), f.failed)
	f.run(start)
	f.run(start)
	f.run(start.Add(24 * time.Hour))
	calls := f.aws.Calls()
	r := iamcheck.Check(calls, fnForKey, f.ps)
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	t.Log(r)
	for _, u := range r.Unverified {
		t.Errorf("unverified from the record: %s", u)
	}
	if r.Calls == 0 || r.Requests == 0 {
		t.Fatalf("nothing checked: %s", r)
	}

	data, err := json.Marshal(calls)
	if err != nil {
		t.Fatal(err)
	}
	var decoded []emu.Call
	if err := json.Unmarshal(data, &decoded); err != nil {
		t.Fatal(err)
	}
	rj := iamcheck.Check(decoded, fnForKey, f.ps)
	if err := rj.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rj.Unverified) != 0 || rj.Requests != r.Requests {
		t.Errorf("after the JSON round trip: %d unverified, %d authorizations, want 0 and %d:\n%s", len(rj.Unverified), rj.Requests, r.Requests, rj)
	}

	// The record says what the harness's Detail says.
	checked := 0
	for _, c := range calls {
		d, ok := f.detail[c.Seq]
		if !ok {
			continue
		}
		for k, v := range d.Params {
			got := ""
			for rk, rv := range c.Params {
				if strings.EqualFold(rk, k) {
					got = rv
				}
			}
			if got != v {
				t.Errorf("call #%d %s %s: recorded %s %q, the work item says %q (params %v)", c.Seq, c.Service, c.Action, k, got, v, c.Params)
			}
		}
		if d.RequestTags != nil && !maps.Equal(d.RequestTags, c.RequestTags) {
			t.Errorf("call #%d %s %s: recorded request tags %v, the work item says %v", c.Seq, c.Service, c.Action, c.RequestTags, d.RequestTags)
		}
		if d.ResourceTags != nil && !maps.Equal(d.ResourceTags, c.ResourceTags) {
			t.Errorf("call #%d %s %s: recorded resource tags %v, read before the call %v", c.Seq, c.Service, c.Action, c.ResourceTags, d.ResourceTags)
		}
		if d.Params != nil || d.RequestTags != nil || d.ResourceTags != nil {
			checked++
		}
		if len(c.Resources) == 0 || c.Resources[0] != c.Resource {
			t.Errorf("call #%d %s %s: resources %v do not start with the resource %q", c.Seq, c.Service, c.Action, c.Resources, c.Resource)
		}
	}
	if checked == 0 {
		t.Error("no call with a harness detail to compare")
	}
}
