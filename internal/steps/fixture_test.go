package steps_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/snapflow/snapflow/events"
	"github.com/snapflow/snapflow/internal/awsclient"
	"github.com/snapflow/snapflow/internal/localaws"
	"github.com/snapflow/snapflow/internal/localaws/emu"
	"github.com/snapflow/snapflow/internal/snapshot"
	"github.com/snapflow/snapflow/internal/snapshot/adapters"
	"github.com/snapflow/snapflow/internal/steps"
)

// start is the simulated time every test starts at, and the first slot.
var start = time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)

// ecCanonical is the S3 canonical user ElastiCache exports with.
const ecCanonical = "540804c33a284a299d2547575ce1010f2312ef3da9b3a053c8bc45bf233e4353"

// seed is the fleet every test starts with: every kind of source, a
// bucket each service can export to and one none can.
var seed = `{
  "region": "us-east-1",
  "s3": {"buckets": [
    {"name": "ec-exports", "objectOwnership": "BucketOwnerPreferred", "grants": [
      {"id": "` + ecCanonical + `", "permission": "READ"},
      {"id": "` + ecCanonical + `", "permission": "WRITE"},
      {"id": "` + ecCanonical + `", "permission": "READ_ACP"}]},
    {"name": "mdb-exports", "objectOwnership": "BucketOwnerPreferred", "policy": {
      "Version": "2012-10-17",
      "Statement": [{"Effect": "Allow", "Principal": {"Service": "us-east-1.memorydb-snapshot.amazonaws.com"},
        "Action": ["s3:PutObject", "s3:GetObject", "s3:ListBucket", "s3:GetBucketAcl",
                   "s3:ListMultipartUploadParts", "s3:ListBucketMultipartUploads"],
        "Resource": ["arn:aws:s3:::mdb-exports", "arn:aws:s3:::mdb-exports/*"]}]}},
    {"name": "plain-bucket"},
    {"name": "mdb-exports-eu", "region": "eu-west-1", "objectOwnership": "BucketOwnerPreferred", "policy": {
      "Version": "2012-10-17",
      "Statement": [{"Effect": "Allow", "Principal": {"Service": "eu-west-1.memorydb-snapshot.amazonaws.com"},
        "Action": ["s3:PutObject", "s3:GetObject", "s3:ListBucket", "s3:GetBucketAcl",
                   "s3:ListMultipartUploadParts", "s3:ListBucketMultipartUploads"],
        "Resource": ["arn:aws:s3:::mdb-exports-eu", "arn:aws:s3:::mdb-exports-eu/*"]}]}}
  ]},
  "elasticache": {
    "replicationGroups": [
      {"id": "orders", "engine": "valkey", "replicasPerShard": 1, "snapshotSeconds": 120, "tags": {"backup": "nightly", "team": "orders"}},
      {"id": "catalog", "engine": "valkey", "clusterMode": true, "shards": 3, "snapshotSeconds": 200, "tags": {"backup": "nightly"}},
      {"id": "tiered", "engine": "redis", "dataTiering": true, "snapshotSeconds": 100}
    ],
    "cacheClusters": [
      {"id": "sessions", "engine": "redis", "snapshotSeconds": 60},
      {"id": "pages", "engine": "memcached", "numCacheNodes": 1, "tags": {"backup": "nightly"}}
    ],
    "serverlessCaches": [
      {"name": "carts", "engine": "valkey", "shards": 2, "snapshotSeconds": 90, "tags": {"backup": "nightly"}}
    ]
  },
  "memorydb": {"clusters": [
    {"name": "ledger", "nodeType": "db.r7g.large", "numShards": 2, "snapshotSeconds": 150, "tags": {"backup": "nightly"}},
    {"name": "ledger", "region": "eu-west-1", "nodeType": "db.r7g.large", "snapshotSeconds": 100, "tags": {"backup": "nightly"}}
  ]},
  "redshiftServerless": {"namespaces": [
    {"name": "analytics", "dataSizeMB": 1024, "snapshotSeconds": 300, "tags": {"backup": "nightly"}},
    {"name": "archive", "dataSizeMB": 512, "tags": {"backup": "weekly"}}
  ]}
}`

// fixture is one test's local AWS and the steps over it.
type fixture struct {
	t     *testing.T
	aws   *localaws.AWS
	cfg   aws.Config
	steps *steps.Steps
	out   *syncBuffer // logs and EMF lines
	ctx   context.Context
	sets  adapters.Set
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	local := localaws.New(localaws.Options{Speed: 0, Start: start})
	if err := local.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = local.Close() })
	if err := local.Seed([]byte(seed)); err != nil {
		t.Fatalf("seed: %v", err)
	}
	cfg := aws.Config{
		Region:       emu.DefaultRegion,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDSTEPSTEST", "secret", ""),
		BaseEndpoint: aws.String(local.URL()),
		HTTPClient:   awsclient.HTTPClient(),
		// snapflow's retryer, with the backoff cut so that throttling tests
		// stay fast.
		Retryer: func() aws.Retryer {
			return retry.AddWithMaxBackoffDelay(awsclient.NewRetryer(), time.Millisecond)
		},
	}
	out := &syncBuffer{}
	s := steps.New(cfg, steps.Env{S3PathStyle: true, MetricsNamespace: "Snapflow"}, "test", out)
	s.Now = local.Clock().Now
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-42"})
	return &fixture{t: t, aws: local, cfg: cfg, steps: s, out: out, ctx: ctx, sets: adapters.New(cfg)}
}

// adapter is a snapshot adapter over the same local AWS, for setting up
// and checking what the steps did.
func (f *fixture) adapter(service string) snapshot.Adapter {
	f.t.Helper()
	return f.adapterIn(service, "")
}

// adapterIn is adapter in a region ("" for the default one).
func (f *fixture) adapterIn(service, region string) snapshot.Adapter {
	f.t.Helper()
	set := f.sets
	if region != "" {
		cfg := f.cfg.Copy()
		cfg.Region = region
		set = adapters.New(cfg)
	}
	a, err := set.For(service)
	if err != nil {
		f.t.Fatal(err)
	}
	return a
}

// invoke calls a handler as the Lambda runtime does: the payload as JSON,
// the result decoded from JSON. A failure must be the
// messages.InvokeResponse_Error whose Type Step Functions sees.
func invoke[Out any](f *fixture, h func(context.Context, json.RawMessage) (Out, error), in any) (Out, *messages.InvokeResponse_Error) {
	f.t.Helper()
	var out Out
	payload, ok := in.([]byte)
	if !ok {
		var err error
		if payload, err = json.Marshal(in); err != nil {
			f.t.Fatal(err)
		}
	}
	res, err := lambda.NewHandler(h).Invoke(f.ctx, payload)
	if err != nil {
		var ie messages.InvokeResponse_Error
		if !errors.As(err, &ie) {
			f.t.Fatalf("handler returned %T (Step Functions would see its Go type name): %v", err, err)
		}
		return out, &ie
	}
	if err := json.Unmarshal(res, &out); err != nil {
		f.t.Fatalf("decoding the handler's result %s: %v", res, err)
	}
	return out, nil
}

// handler returns the Lambda handler of a target step by name.
func (f *fixture) handler(name string) func(context.Context, json.RawMessage) (events.TargetState, error) {
	s := f.steps
	m := map[string]func(context.Context, events.TargetState) (events.TargetState, error){
		"create": s.Create, "poll": s.Poll, "copy": s.Copy, "export": s.Export, "verify": s.Verify, "prune": s.Prune,
	}
	step, ok := m[name]
	if !ok {
		f.t.Fatalf("no step %q", name)
	}
	return steps.Handler(s, step)
}

// step invokes a target step.
func (f *fixture) step(name string, st any) (events.TargetState, *messages.InvokeResponse_Error) {
	f.t.Helper()
	return invoke(f, f.handler(name), st)
}

// must invokes a target step that must succeed.
func (f *fixture) must(name string, st any) events.TargetState {
	f.t.Helper()
	out, ie := f.step(name, st)
	if ie != nil {
		f.t.Fatalf("%s: %s: %s", name, ie.Type, ie.Message)
	}
	return out
}

// plan invokes the plan handler with a policy run at executionStart.
func (f *fixture) plan(policy string, executionStart time.Time) (events.PlanOutput, *messages.InvokeResponse_Error) {
	f.t.Helper()
	in := fmt.Sprintf(`{"policy": %s, "executionId": "arn:aws:states:us-east-1:123456789012:execution:snapflow-run:%d", "executionStartTime": %q}`,
		policy, executionStart.Unix(), executionStart.Format(time.RFC3339Nano))
	return invoke(f, steps.Handler(f.steps, f.steps.Plan), []byte(in))
}

// workItems builds the work items of a plan's targets, as create does from
// each child's input.
func (f *fixture) workItems(out events.PlanOutput) []events.WorkItem {
	var items []events.WorkItem
	for _, t := range out.Items {
		items = append(items, steps.WorkItem(out.Spec, t, out.Slot, f.steps.ExportBucket))
	}
	return items
}

// mustPlan plans a policy that must be valid.
func (f *fixture) mustPlan(policy string, executionStart time.Time) events.PlanOutput {
	f.t.Helper()
	out, ie := f.plan(policy, executionStart)
	if ie != nil {
		f.t.Fatalf("plan: %s: %s", ie.Type, ie.Message)
	}
	return out
}

// wait moves the clock as the state machine's Wait state does and polls
// until the phase is done.
func (f *fixture) wait(st events.TargetState) events.TargetState {
	f.t.Helper()
	for i := 0; ; i++ {
		if i == 200 {
			f.t.Fatalf("phase %s not done after 200 polls", st.Phase)
		}
		if st.WaitSeconds < 0 || (!st.Done && st.WaitSeconds == 0) {
			f.t.Fatalf("bad waitSeconds %d (done %v)", st.WaitSeconds, st.Done)
		}
		f.aws.Clock().Advance(time.Duration(st.WaitSeconds) * time.Second)
		st = f.must("poll", st)
		if st.Done {
			return st
		}
	}
}

// run runs one target's sub-workflow as the state machine does.
func (f *fixture) run(item events.WorkItem) events.TargetState {
	f.t.Helper()
	st := f.must("create", map[string]any{"item": item, "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID": "arn:parent"})
	return f.finish(f.wait(st))
}

// finish runs the rest of a target's sub-workflow once its snapshot is
// available: copy, export, verify and prune.
func (f *fixture) finish(st events.TargetState) events.TargetState {
	f.t.Helper()
	if st.HasCopy {
		st = f.wait(f.must("copy", st))
	}
	if st.HasExport {
		st = f.wait(f.must("export", st))
		st = f.must("verify", st)
	}
	return f.must("prune", st)
}

// fault injects a fault into the local AWS.
func (f *fixture) fault(service, action string, kind emu.FaultKind, count int) {
	f.aws.Faults().Add(emu.Fault{Service: service, Action: action, Kind: kind, Count: count})
}

// mark returns the number of calls made so far, for mutating.
func (f *fixture) mark() int { return len(f.aws.Calls()) }

// mutating returns the state-changing calls made since mark that AWS
// accepted (a refused one changed nothing).
func (f *fixture) mutating(mark int) []string {
	var out []string
	for _, c := range f.aws.Calls()[mark:] {
		if emu.IsMutating(c.Action) && c.ErrorCode == "" && c.Status < 300 {
			out = append(out, c.Service+":"+c.Action)
		}
	}
	return out
}

// names returns the names of a source's snapshots.
func (f *fixture) names(service, id, kind string) []string {
	f.t.Helper()
	return f.namesIn(service, "", id, kind)
}

// namesIn is names in a region.
func (f *fixture) namesIn(service, region, id, kind string) []string {
	f.t.Helper()
	list, err := f.adapterIn(service, region).List(context.Background(), id, kind)
	if err != nil {
		f.t.Fatalf("List %s: %v", id, err)
	}
	var out []string
	for _, sn := range list {
		if sn.Status != snapshot.Deleting && sn.Status != snapshot.Deleted {
			out = append(out, sn.Name)
		}
	}
	return out
}

// wantError checks the error name Step Functions sees and that the message
// mentions each of the given strings.
func wantError(t *testing.T, ie *messages.InvokeResponse_Error, class string, mentions ...string) {
	t.Helper()
	if ie == nil {
		t.Fatalf("want %s, got success", class)
	}
	if ie.Type != class {
		t.Fatalf("error name %q, want %q (message: %s)", ie.Type, class, ie.Message)
	}
	for _, m := range mentions {
		if !strings.Contains(ie.Message, m) {
			t.Errorf("%s message %q does not mention %q", class, ie.Message, m)
		}
	}
}

// policy returns a policy document for targets with extra members.
func policy(name, targets, extra string) string {
	p := fmt.Sprintf(`{"name": %q, "targets": %s`, name, targets)
	if extra != "" {
		p += ", " + extra
	}
	return p + "}"
}

// syncBuffer is a bytes.Buffer safe for the handlers' concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) lines() []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, line := range bytes.Split(b.b.Bytes(), []byte("\n")) {
		var m map[string]any
		if json.Unmarshal(line, &m) == nil {
			out = append(out, m)
		}
	}
	return out
}
