package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	ectypes "github.com/aws/aws-sdk-go-v2/service/elasticache/types"
	"github.com/aws/aws-sdk-go-v2/service/memorydb"
	mdbtypes "github.com/aws/aws-sdk-go-v2/service/memorydb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/snapflow/snapflow/events"
	"github.com/snapflow/snapflow/internal/iamcheck"
	"github.com/snapflow/snapflow/internal/localaws/emu"
	"github.com/snapflow/snapflow/internal/naming"
	"github.com/snapflow/snapflow/internal/snapshot"
	"github.com/snapflow/snapflow/internal/snapshot/adapters"
)

// The fault matrix (docs/reliability.md): every step of a run × every fault,
// end to end on the local runner, with the outcome each case must have and
// the invariants every case must keep. The tests (reliability_matrix_test.go)
// and cmd/reliability run the same cases.
//
// Each case runs the policy "matrix" over two targets: orders (ElastiCache,
// node-based), the one the faults hit, and ledger (MemoryDB), the bystander
// that must succeed whatever happens to orders; both copy, export to the
// stack's bucket and keep the last 2 snapshots over two older managed
// slots (each a snapshot and its copy), so every step runs and prune
// deletes the oldest slot's snapshot and its copy. An unmanaged snapshot ("manual-<id>",
// no managed tags, a canary tag) is seeded next to them. A fault is
// installed when orders' execution enters the step's state (so only that
// step meets it), restricted to orders' resources.

// MatrixSteps and MatrixFaults are the axes, in the report's order.
var (
	MatrixSteps  = []string{"plan", "create", "poll", "copy", "export", "verify", "prune", "notify"}
	MatrixFaults = []string{"throttle", "5xx", "slow", "busy", "snapshot-failed", "quota", "source-deleted", "access-denied", "export-exists", "crash"}
)

// Outcomes of a case.
const (
	Recovered = "recovered"
	// "failed <Error>": orders failed with that error, the rest of the run
	// completed and the run failed with Snapflow.TargetsFailed and an alert.
	// "run failed <Error>": the run failed before any target (plan).
	// "alert lost", "event lost": the integration failed past its retries;
	// the run's own status is unchanged.
)

// MatrixCase is one cell: a step, a fault, and what must happen.
type MatrixCase struct {
	Step, Fault string
	// Expect is the outcome; NA, when set, says why the cell does not
	// apply (and the case does not run).
	Expect string
	// Also is another outcome that is right too (a race the case cannot
	// avoid, explained in How).
	Also string
	// Rerun is the outcome the re-driven run must have (default recovered).
	Rerun string
	NA    string
	// How is what the case does, for the report.
	How string

	state  string      // orders' state at whose entry the faults go in ("": at the start)
	faults []emu.Fault // Resource "" means orders' (set by the case)
	crash  string      // the handler whose first invocation for orders (in state) crashes
	speed  float64
	// selector runs the plan with a tag selector (plan's only AWS call).
	selector bool
	// failOrders makes orders' snapshot end failed (the notify cases need
	// a failed run to publish an alert).
	failOrders bool
	// deletesNothing: the fault answers orders' deletes "not found"
	// without deleting (retention's result is not checked for orders).
	deletesNothing bool
	setup          func(ctx context.Context, r *Runner) error
}

// Name is "<step>/<fault>".
func (c MatrixCase) Name() string { return c.Step + "/" + c.Fault }

// MatrixResult is what one case did.
type MatrixResult struct {
	Case   MatrixCase
	Actual string
	// Fired counts the injected faults (and crashes) that fired: a case
	// whose fault never fired tested nothing and fails.
	Fired int
	// Rerun is the outcome of running the slot again without faults after
	// a failed first run ("" when the first run recovered).
	Rerun string
	// Problems are the broken expectations and invariants; none: pass.
	Problems []string
	// Details: the target's error and cause, and the invariant checks.
	Detail string
	Real   time.Duration
	// Calls are every AWS call of the case (for the IAM proof); Logs the
	// handlers' output.
	Calls []emu.Call
	Logs  string
	// Runner resolves access keys to functions (valid after the case).
	FunctionOf func(accessKey string) string
	// StatesPrincipal names the run state machine (the caller "states").
	StatesPrincipal string
}

// Pass reports whether the case behaved as expected.
func (m *MatrixResult) Pass() bool { return len(m.Problems) == 0 }

var (
	mOrders = events.Target{Service: events.ServiceElastiCache, ID: "orders"}
	mLedger = events.Target{Service: events.ServiceMemoryDB, ID: "ledger"}
	// MatrixSlot is the slot every case runs.
	MatrixSlot = time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
	// MatrixCanary is a tag value on the sources and the unmanaged
	// snapshots that no policy configures: it must never reach a log.
	MatrixCanary = "canary-7f3a9e-not-configured"
	// MatrixPolicyTag is a tag the policy configures (it may be logged).
	MatrixPolicyTag = map[string]string{"cost-center": "cc-4242"}
)

const matrixPolicy = "matrix"

func fault(service, action string, kind emu.FaultKind, count int) emu.Fault {
	return emu.Fault{Service: service, Action: action, Kind: kind, Count: count}
}

func errFault(service, action, code string, status int, msg string) emu.Fault {
	return emu.Fault{Service: service, Action: action, Kind: emu.FaultError, Code: code, Status: status, Message: msg}
}

// slowHow explains the race of every slow case.
const slowHow = "; the handler's own context deadline (Lambda-Runtime-Deadline-Ms) and the platform's kill fall at the same instant: whichever wins (Sandbox.Timedout, or Snapflow.Transient from the handler), the task is retried and finds what the slow call did"

// crashHow is what every crash case's retry does.
const crashHow = "; Runtime.ExitError is retried, and the retry finds what the crashed attempt did"

func slowFault(service, action string, d time.Duration) emu.Fault {
	return emu.Fault{Service: service, Action: action, Kind: emu.FaultSlow, Delay: d, Count: 1}
}

// MatrixCases returns every cell of the matrix, the inapplicable ones with
// their reason.
func MatrixCases() []MatrixCase {
	const ec, s3s = "elasticache", "s3"
	snapName := naming.SnapshotName(mOrders.Service, matrixPolicy, mOrders.ID, MatrixSlot)
	na := func(step, f, why string) MatrixCase { return MatrixCase{Step: step, Fault: f, NA: why} }
	failed := func(e string) string { return "failed " + e }
	var cs []MatrixCase
	add := func(c ...MatrixCase) { cs = append(cs, c...) }

	// plan: its only AWS call is tag:GetResources, for a selector.
	add(
		MatrixCase{Step: "plan", Fault: "throttle", Expect: Recovered, selector: true, How: "tag:GetResources throttled 5× (past the SDK's 3 attempts)",
			faults: []emu.Fault{fault("tagging", "GetResources", emu.FaultThrottle, 5)}},
		MatrixCase{Step: "plan", Fault: "5xx", Expect: Recovered, selector: true, How: "tag:GetResources answers 500 5×",
			faults: []emu.Fault{fault("tagging", "GetResources", emu.FaultInternal, 5)}},
		MatrixCase{Step: "plan", Fault: "slow", Expect: Recovered, selector: true, speed: 20,
			How:    "tag:GetResources answers after 150 s (plan's timeout: 120 s)" + slowHow,
			faults: []emu.Fault{slowFault("tagging", "GetResources", 150*time.Second)}},
		na("plan", "busy", "plan reads tags only; no resource state can reject it"),
		na("plan", "snapshot-failed", "plan starts no snapshot"),
		na("plan", "quota", "plan creates nothing"),
		na("plan", "source-deleted", "a deleted source is simply not selected (plan lists what exists); deletion mid-run is the create and poll cases"),
		MatrixCase{Step: "plan", Fault: "access-denied", Expect: "run failed Snapflow.AccessDenied", selector: true, How: "tag:GetResources AccessDenied",
			faults: []emu.Fault{fault("tagging", "GetResources", emu.FaultAccessDenied, 0)}},
		na("plan", "export-exists", "plan writes nothing"),
		MatrixCase{Step: "plan", Fault: "crash", Expect: Recovered, selector: true, crash: "plan", How: "the plan process exits after tag:GetResources, before answering" + crashHow},
	)
	// create: DescribeReplicationGroups, CreateSnapshot, DescribeSnapshots, ListTagsForResource.
	add(
		MatrixCase{Step: "create", Fault: "throttle", Expect: Recovered, state: "Create snapshot", How: "CreateSnapshot throttled 5×",
			faults: []emu.Fault{fault(ec, "CreateSnapshot", emu.FaultThrottle, 5)}},
		MatrixCase{Step: "create", Fault: "5xx", Expect: Recovered, state: "Create snapshot", How: "CreateSnapshot answers 500 5×",
			faults: []emu.Fault{fault(ec, "CreateSnapshot", emu.FaultInternal, 5)}},
		MatrixCase{Step: "create", Fault: "slow", Expect: Recovered, state: "Create snapshot", speed: 20,
			How:    "CreateSnapshot is done but answers after 90 s (create's timeout: 60 s)" + slowHow,
			faults: []emu.Fault{slowFault(ec, "CreateSnapshot", 90*time.Second)}},
		MatrixCase{Step: "create", Fault: "busy", Expect: Recovered, state: "Create snapshot", How: "CreateSnapshot InvalidReplicationGroupState 2×",
			faults: []emu.Fault{fault(ec, "CreateSnapshot", emu.FaultBusy, 2)}},
		MatrixCase{Step: "create", Fault: "snapshot-failed", Expect: failed("Snapflow.SnapshotFailed"), state: "Create snapshot",
			How:    "the snapshot ends failed; the re-run of the slot deletes that failed snapshot (snapflow's own, of this slot), waits while it is deleted (TargetBusy) and makes it again",
			faults: []emu.Fault{fault(ec, "CreateSnapshot", emu.FaultSnapshotFailed, 1)}},
		MatrixCase{Step: "create", Fault: "quota", Expect: failed("Snapflow.QuotaExceeded"), state: "Create snapshot", How: "CreateSnapshot SnapshotQuotaExceededFault",
			faults: []emu.Fault{fault(ec, "CreateSnapshot", emu.FaultQuota, 0)}},
		MatrixCase{Step: "create", Fault: "source-deleted", Expect: failed("Snapflow.NotFound"), state: "Create snapshot", How: "the replication group is gone after plan (ReplicationGroupNotFoundFault)",
			faults: []emu.Fault{
				errFault(ec, "DescribeReplicationGroups", "ReplicationGroupNotFoundFault", 404, "Replication group orders not found."),
				errFault(ec, "CreateSnapshot", "ReplicationGroupNotFoundFault", 404, "Replication group orders not found."),
			}},
		MatrixCase{Step: "create", Fault: "access-denied", Expect: failed("Snapflow.AccessDenied"), state: "Create snapshot", How: "CreateSnapshot AccessDenied",
			faults: []emu.Fault{fault(ec, "CreateSnapshot", emu.FaultAccessDenied, 0)}},
		na("create", "export-exists", "create writes no object"),
		MatrixCase{Step: "create", Fault: "crash", Expect: Recovered, state: "Create snapshot", crash: "create", How: "the create process exits after CreateSnapshot, before answering" + crashHow},
	)
	// poll (the snapshot phase): DescribeSnapshots, ListTagsForResource, AddTagsToResource.
	add(
		MatrixCase{Step: "poll", Fault: "throttle", Expect: Recovered, state: "Poll snapshot", How: "DescribeSnapshots throttled 5×",
			faults: []emu.Fault{fault(ec, "DescribeSnapshots", emu.FaultThrottle, 5)}},
		MatrixCase{Step: "poll", Fault: "5xx", Expect: Recovered, state: "Poll snapshot", How: "DescribeSnapshots answers 500 5×",
			faults: []emu.Fault{fault(ec, "DescribeSnapshots", emu.FaultInternal, 5)}},
		MatrixCase{Step: "poll", Fault: "slow", Expect: Recovered, state: "Poll snapshot", speed: 20,
			How:    "DescribeSnapshots answers after 45 s (poll's timeout: 30 s)" + slowHow,
			faults: []emu.Fault{slowFault(ec, "DescribeSnapshots", 45*time.Second)}},
		na("poll", "busy", "poll only describes; no resource state rejects a describe"),
		na("poll", "snapshot-failed", "a snapshot that ends failed is seen by poll: that is create/snapshot-failed (and copy/, export/)"),
		na("poll", "quota", "poll creates nothing"),
		MatrixCase{Step: "poll", Fault: "source-deleted", Expect: failed("Snapflow.NotFound"), state: "Poll snapshot", How: "the snapshot is gone while polled (SnapshotNotFoundFault)",
			faults: []emu.Fault{errFault(ec, "DescribeSnapshots", "SnapshotNotFoundFault", 404, "Snapshot "+snapName+" not found.")}},
		MatrixCase{Step: "poll", Fault: "access-denied", Expect: failed("Snapflow.AccessDenied"), state: "Poll snapshot", How: "DescribeSnapshots AccessDenied",
			faults: []emu.Fault{fault(ec, "DescribeSnapshots", emu.FaultAccessDenied, 0)}},
		na("poll", "export-exists", "poll writes no object"),
		MatrixCase{Step: "poll", Fault: "crash", Expect: Recovered, state: "Poll snapshot", crash: "poll", How: "the poll process exits after DescribeSnapshots, before answering" + crashHow},
	)
	// copy: CopySnapshot (no TargetBucket).
	add(
		MatrixCase{Step: "copy", Fault: "throttle", Expect: Recovered, state: "Copy snapshot", How: "CopySnapshot throttled 5×",
			faults: []emu.Fault{fault(ec, "CopySnapshot", emu.FaultThrottle, 5)}},
		MatrixCase{Step: "copy", Fault: "5xx", Expect: Recovered, state: "Copy snapshot", How: "CopySnapshot answers 500 5×",
			faults: []emu.Fault{fault(ec, "CopySnapshot", emu.FaultInternal, 5)}},
		MatrixCase{Step: "copy", Fault: "slow", Expect: Recovered, state: "Copy snapshot", speed: 20,
			How:    "CopySnapshot is done but answers after 90 s (copy's timeout: 60 s)" + slowHow,
			faults: []emu.Fault{slowFault(ec, "CopySnapshot", 90*time.Second)}},
		MatrixCase{Step: "copy", Fault: "busy", Expect: Recovered, state: "Copy snapshot", How: "CopySnapshot InvalidSnapshotState 2×",
			faults: []emu.Fault{fault(ec, "CopySnapshot", emu.FaultBusy, 2)}},
		MatrixCase{Step: "copy", Fault: "snapshot-failed", Expect: failed("Snapflow.SnapshotFailed"), state: "Copy snapshot",
			How:    "the copy ends failed; the re-run of the slot resumes the snapshot, deletes the failed copy (TargetBusy while it goes) and copies again",
			faults: []emu.Fault{fault(ec, "CopySnapshot", emu.FaultSnapshotFailed, 1)}},
		MatrixCase{Step: "copy", Fault: "quota", Expect: failed("Snapflow.QuotaExceeded"), state: "Copy snapshot", How: "CopySnapshot SnapshotQuotaExceededFault",
			faults: []emu.Fault{fault(ec, "CopySnapshot", emu.FaultQuota, 0)}},
		MatrixCase{Step: "copy", Fault: "source-deleted", Expect: failed("Snapflow.NotFound"), state: "Copy snapshot", How: "the snapshot to copy is gone (SnapshotNotFoundFault)",
			faults: []emu.Fault{errFault(ec, "CopySnapshot", "SnapshotNotFoundFault", 404, "Snapshot "+snapName+" not found.")}},
		MatrixCase{Step: "copy", Fault: "access-denied", Expect: failed("Snapflow.AccessDenied"), state: "Copy snapshot", How: "CopySnapshot AccessDenied",
			faults: []emu.Fault{fault(ec, "CopySnapshot", emu.FaultAccessDenied, 0)}},
		na("copy", "export-exists", "the copy writes no object (export/export-exists)"),
		MatrixCase{Step: "copy", Fault: "crash", Expect: Recovered, state: "Copy snapshot", crash: "copy", How: "the copy process exits after CopySnapshot, before answering" + crashHow},
	)
	// export: CopySnapshot with TargetBucket.
	add(
		MatrixCase{Step: "export", Fault: "throttle", Expect: Recovered, state: "Export snapshot", How: "CopySnapshot (export) throttled 5×",
			faults: []emu.Fault{fault(ec, "CopySnapshot", emu.FaultThrottle, 5)}},
		MatrixCase{Step: "export", Fault: "5xx", Expect: Recovered, state: "Export snapshot", How: "CopySnapshot (export) answers 500 5×",
			faults: []emu.Fault{fault(ec, "CopySnapshot", emu.FaultInternal, 5)}},
		MatrixCase{Step: "export", Fault: "slow", Expect: Recovered, state: "Export snapshot", speed: 20,
			How:    "the export is started but CopySnapshot answers after 90 s (export's timeout: 60 s)" + slowHow,
			faults: []emu.Fault{slowFault(ec, "CopySnapshot", 90*time.Second)}},
		MatrixCase{Step: "export", Fault: "busy", Expect: Recovered, state: "Export snapshot", How: "CopySnapshot (export) InvalidSnapshotState 2×",
			faults: []emu.Fault{fault(ec, "CopySnapshot", emu.FaultBusy, 2)}},
		MatrixCase{Step: "export", Fault: "snapshot-failed", Expect: failed("Snapflow.ExportFailed"), state: "Export snapshot", How: "the export ends failed",
			faults: []emu.Fault{fault(ec, "CopySnapshot", emu.FaultSnapshotFailed, 1)}},
		na("export", "quota", "an export to S3 counts against no snapshot quota"),
		MatrixCase{Step: "export", Fault: "source-deleted", Expect: failed("Snapflow.NotFound"), state: "Export snapshot", How: "the snapshot to export is gone (SnapshotNotFoundFault)",
			faults: []emu.Fault{errFault(ec, "CopySnapshot", "SnapshotNotFoundFault", 404, "Snapshot "+snapName+" not found.")}},
		MatrixCase{Step: "export", Fault: "access-denied", Expect: failed("Snapflow.AccessDenied"), state: "Export snapshot", How: "CopySnapshot (export) AccessDenied",
			faults: []emu.Fault{fault(ec, "CopySnapshot", emu.FaultAccessDenied, 0)}},
		MatrixCase{Step: "export", Fault: "export-exists", Expect: Recovered,
			How: "the slot's export object is already in the bucket (an earlier attempt's): export takes it as its own, verify checks it, no second export",
			setup: func(ctx context.Context, r *Runner) error {
				return putObject(ctx, r, "e2e/"+snapName+"-0001.rdb", []byte("REDIS0011 an earlier export of this slot"))
			}},
		MatrixCase{Step: "export", Fault: "crash", Expect: Recovered, state: "Export snapshot", crash: "export", How: "the export process exits after CopySnapshot, before answering" + crashHow},
	)
	// verify: HeadObject, GetObject (range) of each exported object.
	add(
		MatrixCase{Step: "verify", Fault: "throttle", Expect: Recovered, state: "Verify export", How: "HeadObject SlowDown 5×",
			faults: []emu.Fault{fault(s3s, "HeadObject", emu.FaultThrottle, 5)}},
		MatrixCase{Step: "verify", Fault: "5xx", Expect: Recovered, state: "Verify export", How: "HeadObject answers 500 5×",
			faults: []emu.Fault{fault(s3s, "HeadObject", emu.FaultInternal, 5)}},
		MatrixCase{Step: "verify", Fault: "slow", Expect: Recovered, state: "Verify export", speed: 20,
			How:    "HeadObject answers after 120 s (verify's timeout is 900 s: within it, nothing to recover)",
			faults: []emu.Fault{slowFault(s3s, "HeadObject", 120*time.Second)}},
		na("verify", "busy", "S3 objects have no busy state"),
		na("verify", "snapshot-failed", "verify starts nothing; an export that ends failed is export/snapshot-failed"),
		na("verify", "quota", "verify creates nothing"),
		MatrixCase{Step: "verify", Fault: "source-deleted", Expect: failed("Snapflow.ExportFailed"), state: "Verify export", How: "the exported object is gone (HeadObject 404)",
			faults: []emu.Fault{errFault(s3s, "HeadObject", "NotFound", 404, "Not Found")}},
		MatrixCase{Step: "verify", Fault: "access-denied", Expect: failed("Snapflow.AccessDenied"), state: "Verify export", How: "HeadObject AccessDenied",
			faults: []emu.Fault{fault(s3s, "HeadObject", emu.FaultAccessDenied, 0)}},
		na("verify", "export-exists", "that is export/export-exists, which verify checks"),
		MatrixCase{Step: "verify", Fault: "crash", Expect: Recovered, state: "Verify export", crash: "verify", How: "the verify process exits after its reads, before answering" + crashHow},
	)
	// prune: DescribeSnapshots, ListTagsForResource, DeleteSnapshot.
	add(
		MatrixCase{Step: "prune", Fault: "throttle", Expect: Recovered, state: "Prune snapshots", How: "DeleteSnapshot throttled 5×",
			faults: []emu.Fault{fault(ec, "DeleteSnapshot", emu.FaultThrottle, 5)}},
		MatrixCase{Step: "prune", Fault: "5xx", Expect: Recovered, state: "Prune snapshots", How: "DeleteSnapshot answers 500 5×",
			faults: []emu.Fault{fault(ec, "DeleteSnapshot", emu.FaultInternal, 5)}},
		MatrixCase{Step: "prune", Fault: "slow", Expect: Recovered, state: "Prune snapshots", speed: 40,
			How:    "DeleteSnapshot is done but answers after 240 s (prune's timeout: 180 s)" + slowHow,
			faults: []emu.Fault{slowFault(ec, "DeleteSnapshot", 240*time.Second)}},
		MatrixCase{Step: "prune", Fault: "busy", Expect: Recovered, state: "Prune snapshots", How: "DeleteSnapshot InvalidSnapshotState 2×",
			faults: []emu.Fault{fault(ec, "DeleteSnapshot", emu.FaultBusy, 2)}},
		na("prune", "snapshot-failed", "prune starts no snapshot"),
		na("prune", "quota", "prune creates nothing"),
		MatrixCase{Step: "prune", Fault: "source-deleted", Expect: Recovered, state: "Prune snapshots", deletesNothing: true, How: "the snapshot to delete is already gone (SnapshotNotFoundFault): the goal is met",
			faults: []emu.Fault{errFault(ec, "DeleteSnapshot", "SnapshotNotFoundFault", 404, "Snapshot not found.")}},
		MatrixCase{Step: "prune", Fault: "access-denied", Expect: failed("Snapflow.AccessDenied"), state: "Prune snapshots", How: "DeleteSnapshot AccessDenied",
			faults: []emu.Fault{fault(ec, "DeleteSnapshot", emu.FaultAccessDenied, 0)}},
		na("prune", "export-exists", "prune writes no object"),
		MatrixCase{Step: "prune", Fault: "crash", Expect: Recovered, state: "Prune snapshots", crash: "prune", How: "the prune process exits after DeleteSnapshot, before answering" + crashHow},
	)
	// notify: the run's SNS publish (orders' snapshot ends failed, so there
	// is an alert) and EventBridge PutEvents (a successful run).
	add(
		MatrixCase{Step: "notify", Fault: "throttle", Expect: "alert sent", failOrders: true, How: "SNS Publish Throttled once (orders fails, so the run alerts)",
			faults: []emu.Fault{fault("sns", "Publish", emu.FaultThrottle, 1)}},
		MatrixCase{Step: "notify", Fault: "5xx", Expect: "alert sent", failOrders: true, How: "SNS Publish answers 500 once",
			faults: []emu.Fault{fault("sns", "Publish", emu.FaultInternal, 1)}},
		na("notify", "slow", "the integrations have no Lambda timeout; a slow SNS/EventBridge answer only delays the end of the run"),
		na("notify", "busy", "SNS and EventBridge have no busy state"),
		na("notify", "snapshot-failed", "notify starts no snapshot"),
		na("notify", "quota", "no quota applies to one Publish/PutEvents per run"),
		na("notify", "source-deleted", "the topic and the bus are the stack's own"),
		MatrixCase{Step: "notify", Fault: "access-denied", Expect: "alert lost", failOrders: true,
			How:    "SNS Publish AuthorizationError: the run still fails with Snapflow.TargetsFailed (the ExecutionsFailed alarm)",
			faults: []emu.Fault{fault("sns", "Publish", emu.FaultAccessDenied, 0)}},
		na("notify", "export-exists", "notify writes no object"),
		na("notify", "crash", "SNS Publish and PutEvents are Step Functions integrations, not handler processes"),
		// The run event (PutEvents), best effort.
		MatrixCase{Step: "notify", Fault: "throttle (run event)", Expect: "event sent", How: "EventBridge PutEvents ThrottlingException once",
			faults: []emu.Fault{fault("events", "PutEvents", emu.FaultThrottle, 1)}},
		MatrixCase{Step: "notify", Fault: "access-denied (run event)", Expect: "event lost", How: "EventBridge PutEvents AccessDenied: caught, the run succeeds",
			faults: []emu.Fault{fault("events", "PutEvents", emu.FaultAccessDenied, 0)}},
	)
	return cs
}

func putObject(ctx context.Context, r *Runner, key string, body []byte) error {
	_, err := s3Client(r.AWSConfig(HistoryAccessKey)).PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(r.ExportBucket()), Key: aws.String(key), Body: strings.NewReader(string(body)),
	})
	return err
}

// matrixInput is the case's policy.
func matrixInput(r *Runner, c MatrixCase) json.RawMessage {
	p := map[string]any{
		"name":          matrixPolicy,
		"scheduledTime": MatrixSlot.Format(time.RFC3339),
		"timeZone":      "UTC",
		"copy":          map[string]any{},
		"export":        map[string]any{"bucket": r.ExportBucket(), "prefix": "e2e/"},
		"retention":     map[string]any{"keepLast": 2},
		"tags":          MatrixPolicyTag,
	}
	if c.selector {
		p["selector"] = map[string]any{"services": []string{"elasticache", "memorydb"}, "tags": map[string][]string{"matrix": {"yes"}}}
	} else {
		p["targets"] = []events.Target{mOrders, mLedger}
	}
	data, _ := json.Marshal(p)
	return data
}

// matrixEnv is one case's world before the run.
type matrixEnv struct {
	before map[events.Target]map[string]snapshot.Snapshot
	keys   map[string]bool // objects in the bucket before
}

// prepare seeds history, the unmanaged snapshots and the canary tags.
func prepare(ctx context.Context, r *Runner) (*matrixEnv, error) {
	targets := []events.Target{mOrders, mLedger}
	// The sources carry the canary and the selector's tag.
	ecARN := fmt.Sprintf("arn:%s:elasticache:%s:%s:replicationgroup:%s", Partition, Region, AccountID, mOrders.ID)
	if _, err := elasticache.NewFromConfig(r.AWSConfig(HistoryAccessKey)).AddTagsToResource(ctx, &elasticache.AddTagsToResourceInput{
		ResourceName: aws.String(ecARN), Tags: []ectypes.Tag{{Key: aws.String("secret-owner"), Value: aws.String(MatrixCanary)}, {Key: aws.String("matrix"), Value: aws.String("yes")}},
	}); err != nil {
		return nil, err
	}
	if err := tagMemoryDB(ctx, r, mLedger.ID, map[string]string{"secret-owner": MatrixCanary, "matrix": "yes"}); err != nil {
		return nil, err
	}
	history := []time.Time{MatrixSlot.Add(-48 * time.Hour), MatrixSlot.Add(-24 * time.Hour)}
	if _, err := r.CreateHistory(ctx, matrixPolicy, targets, history, MatrixPolicyTag); err != nil {
		return nil, err
	}
	// The older slots' copies too: retention prunes a slot's copy with its
	// snapshot, so every prune case meets the copies as well.
	if _, err := r.CopyHistory(ctx, matrixPolicy, targets, history, MatrixPolicyTag); err != nil {
		return nil, err
	}
	set := adapters.New(r.AWSConfig(HistoryAccessKey))
	for _, tg := range targets {
		a, err := set.For(tg.Service)
		if err != nil {
			return nil, err
		}
		if _, err := a.Create(ctx, snapshot.CreateInput{SourceID: tg.ID, Name: "manual-" + tg.ID, Tags: map[string]string{"owner": MatrixCanary}}); err != nil {
			return nil, err
		}
	}
	r.Clock().AdvanceTo(MatrixSlot)
	env := &matrixEnv{before: map[events.Target]map[string]snapshot.Snapshot{}, keys: map[string]bool{}}
	for _, tg := range targets {
		list, err := listSnapshots(ctx, r, tg)
		if err != nil {
			return nil, err
		}
		env.before[tg] = list
	}
	return env, nil
}

func listSnapshots(ctx context.Context, r *Runner, tg events.Target) (map[string]snapshot.Snapshot, error) {
	a, err := adapters.New(r.AWSConfig(RunnerAccessKey)).For(tg.Service)
	if err != nil {
		return nil, err
	}
	list, err := a.List(ctx, tg.ID, tg.Kind)
	if err != nil {
		return nil, err
	}
	out := map[string]snapshot.Snapshot{}
	for _, sn := range list {
		out[sn.Name] = sn
	}
	return out, nil
}

func listKeys(ctx context.Context, r *Runner) ([]string, error) {
	out, err := s3Client(r.AWSConfig(RunnerAccessKey)).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(r.ExportBucket())})
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	sort.Strings(keys)
	return keys, nil
}

// crashSwitch arms the case's crash when orders enters its state; the next
// invocation of the handler for orders then crashes, once.
type crashSwitch struct {
	mu      sync.Mutex
	handler string
	armed   bool
	fired   int
}

func (s *crashSwitch) crash(handler string, _ int, payload json.RawMessage) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if handler != s.handler || s.fired > 0 || (!s.armed && handler != "plan") {
		return false
	}
	if handler != "plan" && !strings.Contains(string(payload), `"id":"orders"`) {
		return false
	}
	s.fired++
	return true
}

// RunMatrixCase runs one case on a new local stack made with base (Root,
// Template, Seed, BuildDir, Log, …).
func RunMatrixCase(ctx context.Context, base Options, c MatrixCase) (*MatrixResult, error) {
	res := &MatrixResult{Case: c}
	if c.NA != "" {
		res.Actual = "n/a"
		return res, nil
	}
	started := time.Now()
	opts := base
	opts.Start = MatrixSlot.Add(-72 * time.Hour)
	if c.speed > 0 {
		opts.Speed = c.speed
	}
	logs := &lockedBuffer{}
	if opts.Log != nil {
		opts.Log = multiWriter{opts.Log, logs}
	} else {
		opts.Log = logs
	}
	cs := &crashSwitch{handler: c.crash}
	if c.crash != "" {
		opts.Crash = cs.crash
	}
	var r *Runner
	var installed sync.Once
	install := func() {
		for _, f := range c.faults {
			if f.Resource == "" && !strings.HasPrefix(c.Step, "notify") && c.Step != "plan" {
				f.Resource = "orders"
			}
			r.AWS().Faults().Add(f)
		}
	}
	opts.Progress = func(p Progress) {
		if p.Target.ID != mOrders.ID || p.State == "" || p.State != c.state {
			return
		}
		installed.Do(install)
		cs.mu.Lock()
		cs.armed = true
		cs.mu.Unlock()
	}
	var err error
	if r, err = New(ctx, opts); err != nil {
		return nil, err
	}
	defer r.Close()
	res.FunctionOf = r.FunctionOfAccessKey
	res.StatesPrincipal = r.RunMachine()
	env, err := prepare(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("%s: preparing: %w", c.Name(), err)
	}
	if c.setup != nil {
		if err := c.setup(ctx, r); err != nil {
			return nil, fmt.Errorf("%s: setup: %w", c.Name(), err)
		}
	}
	keys, err := listKeys(ctx, r)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		env.keys[k] = true
	}
	if c.failOrders {
		r.AWS().Faults().Add(emu.Fault{Service: "elasticache", Action: "CreateSnapshot", Resource: "orders", Kind: emu.FaultSnapshotFailed, Count: 1})
	}
	if c.state == "" {
		installed.Do(install)
	}
	input := matrixInput(r, c)
	rep, err := r.Run(ctx, input)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Name(), err)
	}
	for _, f := range r.AWS().Faults().List() {
		if !(c.failOrders && f.Kind == emu.FaultSnapshotFailed && f.Action == "CreateSnapshot") {
			res.Fired += f.Fired
		}
	}
	res.Fired += cs.fired
	if c.setup != nil {
		res.Fired++ // the pre-existing object is the fault
	}
	r.AWS().Faults().Reset() // the checks below must not meet the faults
	var p problems
	res.Actual = outcome(c, rep)
	res.Detail = detail(rep)
	if res.Fired == 0 {
		p.add("the fault never fired: the case tested nothing")
	}
	if res.Actual != c.Expect && (c.Also == "" || res.Actual != c.Also) {
		p.add("expected %q, got %q", c.Expect, res.Actual)
	}
	checkRun(&p, c, rep)
	checkInvariants(ctx, &p, r, env, rep, false)

	// Re-drive a failed run: same slot, no faults.
	if rep.Status != "SUCCEEDED" && !c.failOrders {
		r.AWS().Faults().Reset()
		cs.mu.Lock()
		cs.fired, cs.handler = 1, "" // no more crashes
		cs.mu.Unlock()
		again, err := r.Run(ctx, input)
		if err != nil {
			return nil, fmt.Errorf("%s: re-run: %w", c.Name(), err)
		}
		res.Rerun = outcome(MatrixCase{Step: c.Step}, again)
		want := c.Rerun
		if want == "" {
			want = Recovered
		}
		if res.Rerun != want {
			p.add("the re-run did not recover: %s (%s)", res.Rerun, detail(again))
		}
		checkInvariants(ctx, &p, r, env, again, true)
		if again.Status == "SUCCEEDED" {
			checkExactlyOne(ctx, &p, r, true)
		}
	} else if rep.Status == "SUCCEEDED" {
		checkExactlyOne(ctx, &p, r, !c.deletesNothing)
	}
	res.Problems = p.list
	res.Calls = r.AWS().Calls()
	res.Logs = logs.String()
	if strings.Contains(res.Logs, MatrixCanary) {
		p.add("a tag value no policy configures (%q) is in the handlers' logs", MatrixCanary)
		res.Problems = p.list
	}
	res.Real = time.Since(started)
	return res, nil
}

type problems struct{ list []string }

func (p *problems) add(format string, args ...any) {
	p.list = append(p.list, fmt.Sprintf(format, args...))
}

// outcome names what happened to the run as the matrix does.
func outcome(c MatrixCase, rep *Report) string {
	switch {
	case c.Step == "notify" && c.failOrders:
		if len(rep.Alerts) == 1 {
			return "alert sent"
		}
		return "alert lost"
	case c.Step == "notify":
		if len(rep.RunEvents) == 1 {
			return "event sent"
		}
		return "event lost"
	}
	if rep.Status == "SUCCEEDED" {
		return Recovered
	}
	if len(rep.Targets) == 0 {
		return "run failed " + rep.Error
	}
	for _, tr := range rep.Targets {
		if tr.Target.ID == mOrders.ID && tr.Status != "SUCCEEDED" {
			return "failed " + tr.Error
		}
	}
	return fmt.Sprintf("run %s %s", rep.Status, rep.Error)
}

func detail(rep *Report) string {
	var parts []string
	for _, tr := range rep.Targets {
		if tr.Status != "SUCCEEDED" {
			cause := tr.Cause
			if len(cause) > 300 {
				cause = cause[:300] + "…"
			}
			parts = append(parts, fmt.Sprintf("%s: %s %s", tr.Target.ID, tr.Error, cause))
		}
	}
	if len(rep.Targets) == 0 && rep.Status != "SUCCEEDED" {
		cause := rep.Cause
		if len(cause) > 300 {
			cause = cause[:300] + "…"
		}
		parts = append(parts, fmt.Sprintf("run: %s %s", rep.Error, cause))
	}
	return strings.Join(parts, "; ")
}

// checkRun: the rest of the run completes, and a failed target is reported
// precisely (summary, alert).
func checkRun(p *problems, c MatrixCase, rep *Report) {
	// A run that failed in plan (or, for "run failed … (or recovered)", one
	// that did): no target ran and the run says why. Whether the outcome
	// was the expected one is checked against c.Expect elsewhere.
	if rep.Status != "SUCCEEDED" && (strings.HasPrefix(c.Expect, "run failed") || c.Step == "plan") {
		if len(rep.Targets) != 0 {
			p.add("the run failed in plan but ran %d targets", len(rep.Targets))
		}
		if rep.Cause == "" {
			p.add("the run failed without a cause")
		}
		return
	}
	ordersFailed := false
	for _, tr := range rep.Targets {
		if tr.Target.ID == mLedger.ID && tr.Status != "SUCCEEDED" {
			p.add("the bystander ledger did not complete: %s %s", tr.Error, tr.Cause)
		}
		if tr.Target.ID == mOrders.ID && tr.Status != "SUCCEEDED" {
			ordersFailed = true
			if tr.Error == "" || tr.Cause == "" {
				p.add("orders failed without an error name and cause: %q %q", tr.Error, tr.Cause)
			}
		}
	}
	if len(rep.Targets) != 2 {
		p.add("%d targets ran, want 2", len(rep.Targets))
	}
	if rep.Summary == nil {
		p.add("no run summary")
		return
	}
	if ordersFailed {
		if rep.Status != "FAILED" || rep.Error != "Snapflow.TargetsFailed" {
			p.add("a target failed but the run is %s %s", rep.Status, rep.Error)
		}
		if rep.Summary.Failed != 1 || rep.Summary.Succeeded != 1 {
			p.add("summary: %d failed, %d succeeded", rep.Summary.Failed, rep.Summary.Succeeded)
		}
		for _, res := range rep.Summary.Results {
			if res.Target != nil && res.Target.ID == mOrders.ID {
				if want := strings.TrimPrefix(c.Expect, "failed "); !c.failOrders && strings.HasPrefix(c.Expect, "failed ") && res.Error != want {
					p.add("the summary names %q for orders, want %q", res.Error, want)
				}
				// The cause stays in the child execution (the run's state is
				// kept small); the runner's report of the target carries it.
				for _, tr := range rep.Targets {
					if tr.Target.ID == mOrders.ID && tr.Cause == "" {
						p.add("no cause recorded for orders")
					}
				}
			}
		}
		if c.Expect != "alert lost" && (len(rep.Alerts) != 1 || !strings.Contains(rep.Alerts[0].Message, mOrders.ID)) {
			p.add("alerts: %d, want one naming orders", len(rep.Alerts))
		}
	} else if rep.Status == "SUCCEEDED" && (rep.Summary.Failed != 0 || len(rep.Alerts) != 0) {
		p.add("a succeeded run with %d failed and %d alerts", rep.Summary.Failed, len(rep.Alerts))
	}
}

var shardKey = regexp.MustCompile(`-[0-9]{4,}\.rdb$`)

// checkInvariants: no orphan, no duplicate, nothing unmanaged (or not due)
// deleted.
func checkInvariants(ctx context.Context, p *problems, r *Runner, env *matrixEnv, rep *Report, rerun bool) {
	when := ""
	if rerun {
		when = " (after the re-run)"
	}
	reported := map[string]*TargetReport{}
	for i := range rep.Targets {
		reported[rep.Targets[i].Target.ID] = &rep.Targets[i]
	}
	// Every target the run planned is accounted for by the summary's counts
	// (it lists failures by name; successes only count).
	inSummary := map[string]bool{}
	if rep.Summary != nil && rep.Plan != nil {
		for _, t := range rep.Plan.Items {
			inSummary[t.ID] = true
		}
	}
	for _, tg := range []events.Target{mOrders, mLedger} {
		now, err := listSnapshots(ctx, r, tg)
		if err != nil {
			p.add("listing %s: %v", tg.ID, err)
			continue
		}
		// Nothing unmanaged deleted.
		if sn, ok := now["manual-"+tg.ID]; !ok || sn.Status == snapshot.Deleting || sn.Status == snapshot.Deleted {
			p.add("%s: the unmanaged snapshot manual-%s was deleted%s", tg.ID, tg.ID, when)
		}
		// What went was due: pruned by this run, managed, of this policy.
		tr := reported[tg.ID]
		for name, old := range env.before[tg] {
			if sn, ok := now[name]; ok && sn.Status != snapshot.Deleting && sn.Status != snapshot.Deleted {
				continue
			}
			if old.Tags[naming.TagManaged] == "" || old.Tags[naming.TagPolicy] != matrixPolicy {
				p.add("%s: %s (not this policy's) was deleted%s", tg.ID, name, when)
			}
		}
		// No orphan, no duplicate.
		var originals, copies []string
		for name, sn := range now {
			if _, pre := env.before[tg][name]; pre {
				continue
			}
			if sn.Tags[naming.TagManaged] == "" || sn.Tags[naming.TagPolicy] != matrixPolicy || sn.Tags[naming.TagTarget] != tg.ID || sn.Tags[naming.TagSlot] != MatrixSlot.Format(time.RFC3339) {
				p.add("%s: orphan %s: made during the run without the managed tags of this policy, target and slot (%v)%s", tg.ID, name, sn.Tags, when)
				continue
			}
			for k, v := range MatrixPolicyTag {
				if sn.Tags[k] != v {
					p.add("%s: %s lacks the policy's tag %s=%s%s", tg.ID, name, k, v, when)
				}
			}
			if sn.Tags[tagCopyOf] != "" {
				copies = append(copies, name)
			} else {
				originals = append(originals, name)
			}
			if !inSummary[tg.ID] {
				p.add("%s: orphan %s: the target is not in the run summary%s", tg.ID, name, when)
			}
			if tr != nil && tr.Status == "SUCCEEDED" && name != tr.Snapshot && name != tr.Copy {
				p.add("%s: orphan %s: not the snapshot (%s) or the copy (%s) the run reported%s", tg.ID, name, tr.Snapshot, tr.Copy, when)
			}
		}
		if len(originals) > 1 || len(copies) > 1 {
			p.add("%s: duplicates for the slot: snapshots %v, copies %v%s", tg.ID, originals, copies, when)
		}
	}
	keys, err := listKeys(ctx, r)
	if err != nil {
		p.add("listing the bucket: %v", err)
		return
	}
	exports := map[string][]string{}
	for _, k := range keys {
		if env.keys[k] {
			continue
		}
		exports[shardKey.ReplaceAllString(k, "")] = append(exports[shardKey.ReplaceAllString(k, "")], k)
	}
	for prefix, ks := range exports {
		owner := ""
		for _, tg := range []events.Target{mOrders, mLedger} {
			if prefix == "e2e/"+naming.SnapshotName(tg.Service, matrixPolicy, tg.ID, MatrixSlot) {
				owner = tg.ID
			}
		}
		if owner == "" {
			p.add("orphan export objects %v: not this slot's export of a target%s", ks, when)
			continue
		}
		if tr := reported[owner]; tr != nil && tr.Status == "SUCCEEDED" {
			want := slices.Clone(tr.ExportedObjects)
			sort.Strings(want)
			got := slices.Clone(ks)
			for _, k := range keys {
				if env.keys[k] && strings.HasPrefix(k, prefix) && !slices.Contains(got, k) {
					got = append(got, k)
				}
			}
			sort.Strings(got)
			if !slices.Equal(got, want) {
				p.add("%s: export objects %v, the run reported %v%s", owner, got, want, when)
			}
		}
	}
}

// checkExactlyOne: after a successful run, each target has exactly one
// snapshot, one copy and one export of the slot, and retention removed the
// oldest slot's snapshot and copy and kept the newer one's.
// pruned is false when the case's fault made every delete of orders answer
// "not found" (so orders' oldest slot is still there).
func checkExactlyOne(ctx context.Context, p *problems, r *Runner, pruned bool) {
	keys, _ := listKeys(ctx, r)
	for _, tg := range []events.Target{mOrders, mLedger} {
		now, err := listSnapshots(ctx, r, tg)
		if err != nil {
			p.add("listing %s: %v", tg.ID, err)
			continue
		}
		var originals, copies int
		for _, sn := range now {
			if sn.Tags[naming.TagSlot] != MatrixSlot.Format(time.RFC3339) || sn.Tags[naming.TagPolicy] != matrixPolicy {
				continue
			}
			if sn.Status != snapshot.Available {
				p.add("%s: %s is %s", tg.ID, sn.Name, sn.Status)
			}
			if sn.Tags[tagCopyOf] != "" {
				copies++
			} else {
				originals++
			}
		}
		// Retention (keep the last 2): the oldest slot's snapshot and copy
		// went, the newer slot's stay.
		for _, h := range []struct {
			slot time.Time
			kept bool
		}{{MatrixSlot.Add(-48 * time.Hour), false}, {MatrixSlot.Add(-24 * time.Hour), true}} {
			for _, name := range []string{naming.SnapshotName(tg.Service, matrixPolicy, tg.ID, h.slot), naming.CopyName(tg.Service, "", matrixPolicy, tg.ID, h.slot)} {
				sn, ok := now[name]
				there := ok && sn.Status != snapshot.Deleting && sn.Status != snapshot.Deleted
				if there != h.kept && (pruned || tg.ID != mOrders.ID) {
					p.add("%s: %s is there: %v, want %v (keep the last 2)", tg.ID, name, there, h.kept)
				}
			}
		}
		prefix := "e2e/" + naming.SnapshotName(tg.Service, matrixPolicy, tg.ID, MatrixSlot)
		objs := 0
		for _, k := range keys {
			if strings.HasPrefix(k, prefix+"-") {
				objs++
			}
		}
		if originals != 1 || copies != 1 || objs == 0 {
			p.add("%s: %d snapshots, %d copies, %d export objects of the slot; want exactly 1, 1 and an export", tg.ID, originals, copies, objs)
		}
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type multiWriter []interface{ Write([]byte) (int, error) }

func (m multiWriter) Write(p []byte) (int, error) {
	for _, w := range m {
		_, _ = w.Write(p)
	}
	return len(p), nil
}

func tagMemoryDB(ctx context.Context, r *Runner, cluster string, tags map[string]string) error {
	in := &memorydb.TagResourceInput{ResourceArn: aws.String(fmt.Sprintf("arn:%s:memorydb:%s:%s:cluster/%s", Partition, Region, AccountID, cluster))}
	for k, v := range tags {
		in.Tags = append(in.Tags, mdbtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	_, err := memorydb.NewFromConfig(r.AWSConfig(HistoryAccessKey)).TagResource(ctx, in)
	return err
}

// tagCopyOf marks a copy (steps.TagCopyOf).
const tagCopyOf = naming.TagPrefix + "copy-of"

// IAMCalls are AWS calls to check against the template's policies, with
// how to name their callers.
type IAMCalls struct {
	Calls           []emu.Call
	FunctionOf      func(accessKey string) string
	StatesPrincipal string
}

// IAMProof checks every call against the IAM policy of the function (or
// state machine) that made it, in the synthesized template at path
// (internal/iamcheck): Denied must be empty.
func IAMProof(templatePath string, sets []IAMCalls) (*iamcheck.Report, error) {
	data, err := os.ReadFile(templatePath)
	if err != nil {
		return nil, err
	}
	ps, err := iamcheck.Load(data, iamcheck.Options{Partition: Partition, Region: Region, Account: AccountID})
	if err != nil {
		return nil, err
	}
	var all []emu.Call
	principal := map[string]string{}
	for _, s := range sets {
		for _, c := range s.Calls {
			switch {
			case c.AccessKeyID == StatesAccessKey:
				principal[c.AccessKeyID] = s.StatesPrincipal
			case s.FunctionOf != nil && s.FunctionOf(c.AccessKeyID) != "":
				principal[c.AccessKeyID] = s.FunctionOf(c.AccessKeyID)
			}
			all = append(all, c)
		}
	}
	return iamcheck.Check(all, func(key string) string { return principal[key] }, ps), nil
}
