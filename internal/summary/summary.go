// Package summary sums up a run for the summary handler: counts, the
// failed targets by error name, the SNS subject and message, and the EMF
// metrics lines. It calls no AWS API and links no AWS SDK, so the summary
// Lambda starts fast.
package summary

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/snapflow/snapflow/events"
	"github.com/snapflow/snapflow/internal/errclass"
	"github.com/snapflow/snapflow/internal/lambdafn"
	"github.com/snapflow/snapflow/internal/metrics"
)

// Summarizer writes the run's metrics to Metrics and logs with Log; Now
// (nil: the wall clock) stamps the metrics.
type Summarizer struct {
	Log     *slog.Logger
	Metrics metrics.Writer
	Now     func() time.Time
}

// Statuses of a TargetResult.
const (
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
)

// ErrNoResult names a target the fan-out returned no result for.
const ErrNoResult = "Snapflow.NoResult"

// SNS limits: a subject of at most 100 printable ASCII characters; the
// message is kept far below SNS's 256 KB (and an e-mail's readability).
const (
	maxSubject      = 100
	maxMessage      = 64 << 10
	maxCause        = 600
	maxListedFailed = 50
	// maxResults bounds RunSummary.Results (the failed targets): the
	// summary is a state and the run event's detail, both at most 256 KiB.
	maxResults = 100
)

// Summary sums up a run: counts, the failed targets (the first maxResults,
// in plan order, with the error name: the fan-out's compact results carry
// the failed child execution's own error name (read from its cause by the
// workflow), whose cause stays in its history; a cause, when a
// result has one, is unwrapped from DescribeExecution output and Lambda
// error payloads), the SNS subject and message when any target failed, and
// one CloudWatch EMF line per target (the RPO alarms' SnapshotsSucceeded by
// Policy and Target) and one per run.
// It calls no AWS API.
//
// Errors: none but Transient when the metrics cannot be written.
func (s *Summarizer) Summary(ctx context.Context, in events.SummaryInput) (events.RunSummary, error) {
	p := in.Plan
	ctx = lambdafn.WithLog(ctx, "policy", p.Policy, "slot", p.Slot.Format(time.RFC3339))
	sum := events.RunSummary{
		Policy:      p.Policy,
		Slot:        p.Slot,
		ExecutionID: in.ExecutionID,
		DryRun:      p.DryRun,
		Results:     []events.TargetResult{},
	}
	// The fan-out's results are compact and in the order of the items: the
	// item at the same index names the target.
	n := max(len(p.Items), len(p.Results))
	results := make([]events.TargetResult, 0, n)
	for i := range n {
		var r events.TargetResult
		if i < len(p.Results) {
			r = p.Results[i]
		} else {
			r = events.TargetResult{Status: StatusFailed, Error: ErrNoResult, Cause: "the run returned no result for this target"}
		}
		if r.Target == nil {
			switch {
			case i < len(p.Items) && p.Items[i].Service != "":
				t := p.Items[i]
				r.Target = &t
			case r.State != nil && r.State.Item.Target.Service != "": // a run started before the compact plan
				t := r.State.Item.Target
				r.Target = &t
			}
		}
		r.State = nil // the detail stays in the child execution
		if strings.EqualFold(r.Status, StatusSucceeded) && r.Error == "" {
			r.Status = StatusSucceeded
			sum.Succeeded++
		} else {
			r.Status = StatusFailed
			r.Error, r.Cause = unwrapError(r.Error, r.Cause)
			if r.Error == "" {
				r.Error = string(errclass.Transient)
			}
			sum.Failed++
		}
		results = append(results, r)
	}
	sum.Targets = len(results)
	for _, r := range results {
		if r.Status != StatusFailed {
			continue
		}
		if len(sum.Results) == maxResults {
			sum.Unlisted++
			continue
		}
		sum.Results = append(sum.Results, r)
	}
	if sum.Failed > 0 {
		sum.Subject = subject(sum)
		sum.Message = message(sum)
	}

	// One EMF line per target (the RPO alarms' metric) and one per run.
	at := time.Now().UTC()
	if s.Now != nil {
		at = s.Now().UTC()
	}
	for _, r := range results {
		if r.Target == nil {
			continue
		}
		c := metrics.Counts{}
		if r.Status == StatusFailed {
			c.Failed = 1
		} else if !sum.DryRun {
			c.Succeeded = 1
		}
		if err := s.Metrics.Target(at, sum.Policy, *r.Target, c); err != nil {
			return sum, errclass.Wrap(errclass.Transient, err, "writing metrics")
		}
	}
	run := metrics.Counts{Failed: sum.Failed}
	if !sum.DryRun {
		run.Succeeded = sum.Succeeded
	}
	if err := s.Metrics.Run(at, sum.Policy, run); err != nil {
		return sum, errclass.Wrap(errclass.Transient, err, "writing metrics")
	}
	log := s.Log
	if log == nil {
		log = slog.Default()
	}
	log.InfoContext(ctx, "run summary", "targets", sum.Targets, "succeeded", sum.Succeeded,
		"failed", sum.Failed, "dryRun", sum.DryRun, "executionId", sum.ExecutionID)
	return sum, nil
}

// unwrapError returns the error name and cause of a target's own failure.
// Step Functions reports a failed child execution as States.TaskFailed with
// the JSON of its DescribeExecution output as the cause, whose Error and
// Cause are the child's; a failed Lambda task's cause is the JSON error
// payload ({"errorType", "errorMessage", ...}). Both are unwrapped, nested
// ones too; anything else is kept as it is.
func unwrapError(name, cause string) (string, string) {
	for range 5 {
		var doc map[string]json.RawMessage
		if json.Unmarshal([]byte(cause), &doc) != nil {
			break
		}
		if e, ok := stringField(doc, "error"); ok && e != "" {
			c, _ := stringField(doc, "cause")
			name, cause = e, c
			continue
		}
		if t, ok := stringField(doc, "errorType"); ok && t != "" {
			m, _ := stringField(doc, "errorMessage")
			name, cause = t, m
			continue
		}
		break
	}
	return name, cause
}

// stringField returns the string member of doc named key, in any case.
func stringField(doc map[string]json.RawMessage, key string) (string, bool) {
	for k, raw := range doc {
		if strings.EqualFold(k, key) {
			var v string
			if json.Unmarshal(raw, &v) == nil {
				return v, true
			}
		}
	}
	return "", false
}

// subject is the SNS subject: printable ASCII, at most maxSubject characters.
func subject(sum events.RunSummary) string {
	s := fmt.Sprintf("snapflow %s: %d of %d targets failed (slot %s)", sum.Policy, sum.Failed, sum.Targets,
		sum.Slot.UTC().Format("2006-01-02T15:04Z"))
	if sum.DryRun {
		s = "[dry run] " + s
	}
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '?'
		}
		return r
	}, s)
	if len(s) > maxSubject {
		s = s[:maxSubject-3] + "..."
	}
	return s
}

// hints says what to do about each error class.
var hints = map[string]string{
	string(errclass.Throttled):      "AWS throttled the calls even after retries: spread the policies' schedules or lower the run's concurrency.",
	string(errclass.TargetBusy):     "The source stayed busy (another snapshot, a modification or maintenance): schedule away from its backup and maintenance windows.",
	string(errclass.NotFound):       "The source, snapshot or bucket does not exist: fix or remove the target, or check the region.",
	string(errclass.AlreadyExists):  "A snapshot or object with snapflow's name exists but was not made by snapflow for this slot: rename or delete it.",
	string(errclass.QuotaExceeded):  "A service quota was reached (e.g. 20 manual snapshots per node per 24 hours): snapshot less often or raise the quota.",
	string(errclass.InvalidInput):   "The request was rejected as invalid: check the policy's settings for this target.",
	string(errclass.Unsupported):    "The target cannot do this step (e.g. Memcached, or export of a data-tiering cluster): remove the target or the step.",
	string(errclass.AccessDenied):   "Permission denied: check the handler's IAM role and, for exports, the bucket's ACL grant or policy for the service.",
	string(errclass.SnapshotFailed): "The service reported the snapshot failed: check the source's events in the console, then run the policy again.",
	string(errclass.ExportFailed):   "The export failed or wrote bad objects: check the bucket's grants and the objects named above.",
	string(errclass.Transient):      "An AWS or network error lasted through the retries: the next run usually succeeds.",
	ErrNoResult:                     "The run lost this target's result: see the execution's history.",
	"States.TaskFailed":             "The target's execution (<stack>-target) failed: its error and cause are in that execution's history and in the target log group (/aws/vendedlogs/states/<stack>-target); the run's history links to it.",
	"States.Timeout":                "The target did not finish within its timeout: raise targetTimeoutMinutes or check why it was slow.",
}

// message is the SNS message: what failed, why, and what to do.
func message(sum events.RunSummary) string {
	var b strings.Builder
	mode := ""
	if sum.DryRun {
		mode = " (dry run)"
	}
	fmt.Fprintf(&b, "snapflow policy %q, slot %s%s: %d of %d targets failed, %d succeeded.\n\n",
		sum.Policy, sum.Slot.UTC().Format(time.RFC3339), mode, sum.Failed, sum.Targets, sum.Succeeded)
	b.WriteString("Failed targets:\n")
	listed := 0
	for _, r := range sum.Results {
		if r.Status != StatusFailed {
			continue
		}
		if listed == maxListedFailed {
			fmt.Fprintf(&b, "- ... and %d more; see the run event or the execution.\n", sum.Failed-listed)
			break
		}
		listed++
		target := "(unknown target)"
		if r.Target != nil {
			target = metrics.TargetDimension(*r.Target)
		}
		fmt.Fprintf(&b, "- %s: %s", target, r.Error)
		if c := strings.TrimPrefix(oneLine(r.Cause), r.Error+": "); c != "" {
			fmt.Fprintf(&b, ": %s", truncate(c, maxCause))
		}
		b.WriteString("\n")
		if h, ok := hints[r.Error]; ok {
			fmt.Fprintf(&b, "  What to do: %s\n", h)
		}
	}
	if sum.ExecutionID != "" {
		fmt.Fprintf(&b, "\nExecution: %s\n", sum.ExecutionID)
	}
	return truncate(b.String(), maxMessage)
}

// oneLine joins the lines of s with spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// truncate cuts s to at most n bytes, on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("...")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
