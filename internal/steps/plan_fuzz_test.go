package steps_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
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
	"github.com/snapflow/snapflow/internal/errclass"
	"github.com/snapflow/snapflow/internal/localaws"
	"github.com/snapflow/snapflow/internal/localaws/emu"
	policypkg "github.com/snapflow/snapflow/internal/policy"
	"github.com/snapflow/snapflow/internal/steps"
)

// fuzzStart is the local AWS's (stopped) clock in FuzzPlan.
var fuzzStart = time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)

// fuzzFleet is FuzzPlan's local AWS: a few tagged sources of every kind a
// selector resolves (a replication group with member clusters, a
// serverless cache, a MemoryDB cluster, Redshift Serverless namespaces
// found through ListNamespaces), and an untagged one.
const fuzzFleet = `{
  "region": "us-east-1",
  "elasticache": {
    "replicationGroups": [
      {"id": "orders", "engine": "valkey", "replicasPerShard": 1, "tags": {"backup": "nightly", "team": "orders"}}
    ],
    "cacheClusters": [
      {"id": "pages", "engine": "memcached", "numCacheNodes": 1}
    ],
    "serverlessCaches": [
      {"name": "carts", "engine": "valkey", "tags": {"backup": "weekly"}}
    ]
  },
  "memorydb": {"clusters": [
    {"name": "ledger", "nodeType": "db.r7g.large", "tags": {"backup": "nightly", "team": "payments"}}
  ]},
  "redshiftServerless": {"namespaces": [
    {"name": "analytics", "tags": {"backup": "nightly"}},
    {"name": "archive", "tags": {"backup": "weekly"}}
  ]}
}`

// FuzzPlan invokes the plan Lambda's handler (steps.Handler over
// Steps.Plan, through lambda.NewHandler as the runtime calls it) with
// arbitrary payloads, against one local AWS started for the whole target.
// For every payload:
//   - the handler does not panic or hang;
//   - it returns a PlanOutput consistent with the policy, or an error
//     Step Functions sees as a Snapflow.* class; a Snapflow.InvalidInput
//     message names the field and the rule ("<field>: <rule>");
//   - the local AWS records no mutating call, and no call but
//     tag:GetResources and ListNamespaces (none without a selector).
//
// A payload that is not JSON never reaches the handler (Step Functions
// only sends JSON; the runtime rejects it first): it must just fail.
//
// The seeds are every sample execution input in events/samples as a plan
// input, events/testdata/plan-input.json and near-misses; see also
// testdata/fuzz/FuzzPlan.
func FuzzPlan(f *testing.F) {
	local := localaws.New(localaws.Options{Speed: 0, Start: fuzzStart})
	if err := local.Start("127.0.0.1:0"); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = local.Close() })
	if err := local.Seed([]byte(fuzzFleet)); err != nil {
		f.Fatalf("seed: %v", err)
	}
	cfg := aws.Config{
		Region:       emu.DefaultRegion,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDPLANFUZZ", "secret", ""),
		BaseEndpoint: aws.String(local.URL()),
		HTTPClient:   awsclient.HTTPClient(),
		Retryer: func() aws.Retryer {
			return retry.AddWithMaxBackoffDelay(awsclient.NewRetryer(), time.Millisecond)
		},
	}
	s := steps.New(cfg, steps.Env{S3PathStyle: true, MetricsNamespace: "Snapflow", ExportBucket: "exports"}, "plan", io.Discard)
	s.Now = local.Clock().Now
	handler := lambda.NewHandler(steps.Handler(s, s.Plan))
	base := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-fuzz"})

	for _, p := range planFuzzPolicies(f) {
		f.Add([]byte(planPayload(p)))
	}
	if data, err := os.ReadFile(filepath.Join("..", "..", "events", "testdata", "plan-input.json")); err == nil {
		f.Add(data)
	}
	for _, s := range planNearMisses {
		f.Add([]byte(s))
	}

	f.Fuzz(func(t *testing.T, payload []byte) {
		local.ResetCalls()
		ctx, cancel := context.WithTimeout(base, 20*time.Second)
		defer cancel()
		res, err := handler.Invoke(ctx, payload)
		if ctx.Err() != nil {
			t.Fatalf("plan took longer than 20s")
		}
		calls := local.Calls()
		for _, c := range calls {
			if emu.IsMutating(c.Action) {
				t.Errorf("plan made the mutating call %s:%s (status %d)", c.Service, c.Action, c.Status)
			} else if c.Action != "GetResources" && c.Action != "ListNamespaces" {
				t.Errorf("plan made the call %s:%s", c.Service, c.Action)
			}
		}

		var raw json.RawMessage
		if json.NewDecoder(bytes.NewReader(payload)).Decode(&raw) != nil {
			if err == nil {
				t.Fatalf("a payload that is not JSON was accepted")
			}
			return // the runtime's error; the handler never ran
		}
		if err != nil {
			t.Logf("%d calls, error: %v", len(calls), err)
			checkPlanError(t, err)
			return
		}
		t.Logf("%d calls, plan: %s", len(calls), res)
		var out events.PlanOutput
		if err := json.Unmarshal(res, &out); err != nil {
			t.Fatalf("decoding the plan output %s: %v", res, err)
		}
		checkPlanOutput(t, raw, out, len(calls))
	})
}

// invalidMessage is the message of an InvalidInput error: the field (the
// input, the policy, one of its fields) and the rule.
var invalidMessage = regexp.MustCompile(`^Snapflow\.InvalidInput: (input|policy|policy\.[a-zA-Z]+|executionId|executionStartTime|"[^"]*"): \S`)

func checkPlanError(t *testing.T, err error) {
	t.Helper()
	var ie messages.InvokeResponse_Error
	if !errors.As(err, &ie) {
		t.Fatalf("handler returned %T, not the error Step Functions sees: %v", err, err)
	}
	if !slices.Contains(errclass.All, errclass.Class(ie.Type)) {
		t.Fatalf("error name %q is not a Snapflow class (message: %s)", ie.Type, ie.Message)
	}
	if ie.Type == string(errclass.InvalidInput) && !invalidMessage.MatchString(ie.Message) {
		t.Errorf("InvalidInput message %q does not name the field and the rule", ie.Message)
	}
}

// checkPlanOutput checks a plan against its input's policy.
func checkPlanOutput(t *testing.T, raw json.RawMessage, out events.PlanOutput, calls int) {
	t.Helper()
	var in struct{ Policy json.RawMessage }
	if err := json.Unmarshal(raw, &in); err != nil {
		t.Fatalf("accepted input %s does not decode: %v", raw, err)
	}
	p, err := policypkg.Decode(in.Policy)
	if err != nil {
		t.Fatalf("plan accepted a policy policy.Decode rejects: %v", err)
	}
	if out.Policy != p.Name || out.DryRun != p.DryRun || out.Count != len(out.Items) || out.Items == nil {
		t.Errorf("plan output %+v for policy %q (dryRun %v)", out, p.Name, p.DryRun)
	}
	if p.Selector == nil && (calls > 0 || len(out.Items) > len(p.Targets)) {
		t.Errorf("no selector, yet %d calls and %d items for %d targets", calls, len(out.Items), len(p.Targets))
	}
	if out.Slot.IsZero() || out.Slot.Second() != 0 || out.Slot.Location() != time.UTC {
		t.Errorf("slot %v", out.Slot)
	}
	names := map[string]bool{}
	if out.Spec.Name != p.Name || out.Spec.Targets != nil || out.Spec.Selector != nil {
		t.Errorf("plan spec %+v", out.Spec)
	}
	for _, target := range out.Items {
		it := steps.WorkItem(out.Spec, target, out.Slot, "")
		if it.Policy != p.Name || !it.Slot.Equal(out.Slot) || it.SnapshotName == "" || it.Target.ID == "" {
			t.Errorf("work item %+v", it)
		}
		if names[it.SnapshotName] {
			t.Errorf("two work items make the snapshot %s", it.SnapshotName)
		}
		names[it.SnapshotName] = true
	}
}

// planPayload is the plan Lambda's input for a policy document.
func planPayload(doc string) string {
	return fmt.Sprintf(`{"policy": %s, "executionId": "arn:aws:states:us-east-1:123456789012:execution:Snapflow-run:fuzz", "executionStartTime": %q}`,
		doc, fuzzStart.Add(90*time.Second).Format(time.RFC3339Nano))
}

// planFuzzPolicies are the sample execution inputs and policies with
// selectors over the fuzz fleet.
func planFuzzPolicies(f *testing.F) []string {
	files, err := filepath.Glob(filepath.Join("..", "..", "events", "samples", "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no samples in events/samples: %v", err)
	}
	var out []string
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, string(data))
	}
	return append(out,
		`{"name": "nightly", "selector": {"tags": {"backup": ["nightly"]}}}`,
		`{"name": "weekly", "selector": {"services": ["redshift-serverless", "elasticache-serverless"], "tags": {"backup": ["weekly", "monthly"]}}, "dryRun": true}`,
		`{"name": "all", "targets": [{"service": "memorydb", "id": "Ledger"}], "selector": {"tags": {"backup": []}}, "retention": {"keepLast": 1}}`,
		`{"name": "none", "selector": {"tags": {"backup": ["hourly"], "team": []}}}`,
		`{"name": "copies", "selector": {"services": ["memorydb"], "tags": {"team": ["payments"]}}, "copy": {"prefix": "bk"}, "export": {"bucket": "mdb-exports", "prefix": "x"}}`,
		`{"name": "big", "selector": {"tags": {`+manyKeys(51)+`}}}`,
		`{"name": "p", "targets": [{"service": "memorydb", "id": "c"}], "copy": {}, "tags": {`+manyTagPairs(44)+`}}`,
	)
}

func manyKeys(n int) string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf(`"k%d": []`, i)
	}
	return strings.Join(keys, ", ")
}

func manyTagPairs(n int) string {
	tags := make([]string, n)
	for i := range tags {
		tags[i] = fmt.Sprintf(`"t%d": "v"`, i)
	}
	return strings.Join(tags, ", ")
}

// planNearMisses are plan inputs one mistake away from valid ones.
var planNearMisses = []string{
	`{"policy": {"name": "p", "targets": [{"service": "memorydb", "id": "c"}]}, "executionStartTime": "2026-11-20T02:00:00Z"}`,
	`{"policy": {"name": "p", "targets": [{"service": "memorydb", "id": "c"}]}, "executionStartTime": "yesterday"}`,
	`{"policy": {"name": "p", "targets": [{"service": "memorydb", "id": "c"}]}}`,
	`{"policy": {"name": "p", "targets": [{"service": "memorydb", "id": "c"}], "scheduledTime": "2026-11-20T02:00:59.999+01:00"}}`,
	`{"policy": {"name": "p", "targets": [{"service": "memorydb", "id": "c"}]}, "executionStartTime": 1}`,
	`{"policy": {"name": "p", "targets": [{"service": "memorydb", "id": "c"}]}, "executionStartTime": "2026-11-20T02:00:00Z", "extra": 1}`,
	`{"Policy": {"name": "p", "targets": [{"service": "memorydb", "id": "c"}]}, "ExecutionStartTime": "2026-11-20T02:00:00Z"}`,
	`{"policy": {"name": "p", "targets": [{"service": "memorydb", "id": "c"}]}, "policy": null, "executionStartTime": "2026-11-20T02:00:00Z"}`,
	`{"policy": null, "executionStartTime": "2026-11-20T02:00:00Z"}`,
	`{"policy": "{\"name\": \"p\"}", "executionStartTime": "2026-11-20T02:00:00Z"}`,
	`{"policy": [], "executionStartTime": "2026-11-20T02:00:00Z"}`,
	`{"policy": {}, "executionStartTime": "2026-11-20T02:00:00Z"}`,
	`{"policy": {"name": "p", "selector": {"tags": {"backup": ["nightly"]}}, "retain": 1}, "executionStartTime": "2026-11-20T02:00:00Z"}`,
	`{"policy": {"name": "p", "selector": {"tags": {"": ["x"]}}}, "executionStartTime": "2026-11-20T02:00:00Z"}`,
	`{"policy": {"name": "p", "selector": {"tags": {"backup": ["", "nightly"]}}}, "executionStartTime": "2026-11-20T02:00:00Z"}`,
	`{"policy": {"name": "p", "selector": {"tags": {"backup": ["a","b","c","d","e","f","g","h","i","j","k","l","m","n","o","p","q","r","s","t","nightly"]}}}, "executionStartTime": "2026-11-20T02:00:00Z"}`,
	`{"policy": {"name": "p", "selector": {"services": ["rds"], "tags": {"backup": []}}}, "executionStartTime": "2026-11-20T02:00:00Z"}`,
	`{"policy": {"name": "p", "selector": {"tags": {"bäckup": ["nïghtly"]}}}, "executionStartTime": "2026-11-20T02:00:00Z"}`,
	`{"policy": {"name": "p", "targets": [{"service": "elasticache", "id": "orders"}, {"service": "elasticache", "id": "ORDERS", "kind": "replication-group"}]}, "executionStartTime": "2026-11-20T02:00:00Z"}`,
	`{"policy": {"name": "p", "targets": [{"service": "memorydb", "id": "c"}], "rpoMinutes": 1e400}, "executionStartTime": "2026-11-20T02:00:00Z"}`,
	`{"policy": {"name": "p", "targets": [{"service": "memorydb", "id": "c"}]}, "executionStartTime": "2026-11-20T02:00:00Z"} trailing`,
	`[]`,
	`null`,
	`"policy"`,
	`{}`,
	`{`,
	``,
}
