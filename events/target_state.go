package events

import "time"

// The phases of one target's sub-workflow, in order. TargetState.Phase names
// the one the poll step is watching.
const (
	PhaseSnapshot = "snapshot"
	PhaseCopy     = "copy"
	PhaseExport   = "export"
)

// TargetState is what flows between the steps of one target's sub-workflow:
// create returns it, and poll, copy, export, verify and prune each take it
// and return it updated. The state machine reads only Done, WaitSeconds,
// HasCopy and HasExport; everything else is for the handlers and the run
// summary.
type TargetState struct {
	// Item is the work item the plan step made for this target.
	Item WorkItem `json:"item"`
	// Phase is what poll watches: snapshot, copy or export.
	Phase string `json:"phase"`
	// Done is set by poll when the watched phase reached a final state.
	Done bool `json:"done"`
	// WaitSeconds is how long the state machine waits before the next poll.
	WaitSeconds int `json:"waitSeconds"`
	// Polls counts the polls of the current phase.
	Polls int `json:"polls"`
	// ExpectedSeconds is how long the current phase is expected to take
	// (the target's last snapshot, measured), 0 when unknown; it bounds
	// the waits between polls.
	ExpectedSeconds int `json:"expectedSeconds,omitempty"`
	// HasCopy and HasExport tell the state machine whether those steps run
	// for this target (asked by the policy and possible for the service).
	HasCopy   bool `json:"hasCopy"`
	HasExport bool `json:"hasExport"`
	// Snapshot is the slot's snapshot, Copy its copy.
	Snapshot *SnapshotRef `json:"snapshot,omitempty"`
	Copy     *SnapshotRef `json:"copy,omitempty"`
	// Export is the export to S3, once started.
	Export *ExportRef `json:"export,omitempty"`
	// Pruned lists what retention deleted (or would delete, on a dry run).
	Pruned []PrunedSnapshot `json:"pruned,omitempty"`
	// Skipped explains steps that did not run (e.g. export of a data-tiering
	// cluster), one line each.
	Skipped []string `json:"skipped,omitempty"`
	// Resumed is set when the slot's snapshot already existed and the run
	// carried on with it instead of making a second one.
	Resumed bool `json:"resumed,omitempty"`
}

// SnapshotRef is a snapshot as the sub-workflow tracks it.
type SnapshotRef struct {
	Name      string    `json:"name"`
	ARN       string    `json:"arn,omitempty"`
	Status    string    `json:"status"`    // normalised: creating, available, failed, …
	RawStatus string    `json:"rawStatus"` // the service's own word
	StartedAt time.Time `json:"startedAt"` // when snapflow started it (or found it)
	// DoneAt is when poll saw it reach a final status.
	DoneAt *time.Time `json:"doneAt,omitempty"`
	Shards int        `json:"shards,omitempty"`
}

// ExportRef is an export to S3 as the sub-workflow tracks it.
type ExportRef struct {
	Bucket string   `json:"bucket"`
	Keys   []string `json:"keys"`
	// KeyPrefix starts every object's key, "<prefix><name>-"; verify lists
	// the objects under it when Keys is empty (ElastiCache Serverless does
	// not tell how many shards, hence objects, an export has).
	KeyPrefix string    `json:"keyPrefix,omitempty"`
	Status    string    `json:"status"`
	StartedAt time.Time `json:"startedAt"`
	// Objects is filled by verify: each exported object with its size.
	Objects []ExportedObject `json:"objects,omitempty"`
}

// ExportedObject is one verified object of an export.
type ExportedObject struct {
	Key        string `json:"key"`
	Size       int64  `json:"size"`
	RDBVersion int    `json:"rdbVersion"`
}

// PrunedSnapshot is one snapshot retention deleted, and why.
type PrunedSnapshot struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
	DryRun bool   `json:"dryRun,omitempty"`
}

// TargetResult is one target's outcome. The fan-out returns it compact, to
// keep a run of thousands of targets within Step Functions' 256 KiB state:
// {"status":"succeeded"} or {"status":"failed","error":<the Run target
// state's error>} (States.TaskFailed when the child execution failed; its
// own error and cause stay in the child execution's history and logs). The
// summary adds Target from the plan's item at the same index. State and
// Cause are filled only when a caller has them (older runs, tests).
type TargetResult struct {
	Status string       `json:"status"` // succeeded or failed
	State  *TargetState `json:"state,omitempty"`
	Target *Target      `json:"target,omitempty"`
	Error  string       `json:"error,omitempty"` // the error name, e.g. States.TaskFailed, Snapflow.SnapshotFailed
	Cause  string       `json:"cause,omitempty"`
}

// RunSummary is what the summary step returns, puts on EventBridge and,
// when anything failed, publishes to SNS.
type RunSummary struct {
	Policy      string    `json:"policy"`
	Slot        time.Time `json:"slot"`
	ExecutionID string    `json:"executionId"`
	DryRun      bool      `json:"dryRun"`
	Targets     int       `json:"targets"`
	Succeeded   int       `json:"succeeded"`
	Failed      int       `json:"failed"`
	// Results lists the failed targets (target and error), in plan
	// order, at most the first 100; Unlisted counts the failed targets
	// left out. Succeeded targets are counted, not listed: the summary is
	// the run's last state and the run event's detail, both limited to
	// 256 KiB.
	Results  []TargetResult `json:"results"`
	Unlisted int            `json:"unlisted,omitempty"`
	// Subject and Message are the alert's text when Failed > 0.
	Subject string `json:"subject,omitempty"`
	Message string `json:"message,omitempty"`
}
