package runner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/snapflow/snapflow/internal/localaws/localmisc"
	"github.com/snapflow/snapflow/internal/schedexpr"
)

// The Run Requested event the stack's rules match (infra/stack:
// EventSource, RunRequested; docs/deploy.md).
const (
	RunRequestedSource     = "snapflow"
	RunRequestedDetailType = "Snapflow Run Requested"
)

// Schedule is an AWS::Scheduler::Schedule of the template on the runner's
// scheduler (FireSchedules). EventBridge Scheduler has no local service:
// the runner reads the schedules from the template and starts their
// targets itself, on the one clock.
type Schedule struct {
	LogicalID, Name, ARN string
	// Expression is the ScheduleExpression (cron, rate or at), read in
	// TimeZone (ScheduleExpressionTimezone, default UTC).
	Expression, TimeZone string
	// State is ENABLED or DISABLED (a disabled schedule never fires).
	State string
	// FlexibleWindow is FlexibleTimeWindow's MaximumWindowInMinutes (0:
	// OFF). Scheduler invokes the target within it; locally at its start.
	FlexibleWindow time.Duration
	// Target is the target's ARN (the run state machine), Input its input
	// with Scheduler's context attributes still in it, Policy the name of
	// the policy the input runs.
	Target, Input, Policy string
	// Start is StartDate, else when the schedule was created (a rate's
	// first invocation); End is EndDate (zero: none).
	Start, End time.Time

	expr    *schedexpr.Expression
	loc     *time.Location
	machine string
	created time.Time
	// armed: invocations up to here have host timers; fired: up to here
	// they have started (loop goroutine).
	armed, fired time.Time
}

// Enabled reports whether the schedule invokes its target.
func (s *Schedule) Enabled() bool { return s.State != "DISABLED" }

// Trigger is what started a run that Run did not: a schedule or a rule.
type Trigger struct {
	// Kind is "schedule" or "rule"; Name the schedule's or rule's name.
	Kind string `json:"kind"`
	Name string `json:"name"`
	// ScheduledTime is the invocation's <aws.scheduler.scheduled-time>.
	ScheduledTime time.Time `json:"scheduledTime,omitzero"`
	// EventID is the event a rule matched.
	EventID string `json:"eventId,omitempty"`
}

// Scheduler's context attributes ("Adding context attributes", EventBridge
// Scheduler User Guide): replaced in the target's input at each invocation.
const (
	attrScheduledTime = "<aws.scheduler.scheduled-time>"
	attrScheduleArn   = "<aws.scheduler.schedule-arn>"
	attrExecutionID   = "<aws.scheduler.execution-id>"
	attrAttemptNumber = "<aws.scheduler.attempt-number>"
)

// loadSchedules reads the template's schedules; an expression or time
// zone Scheduler would refuse fails the stack, as CreateSchedule would.
func (r *Runner) loadSchedules() error {
	// Scheduler's times are to the second (<aws.scheduler.scheduled-time>).
	created := r.aws.Clock().Now().Truncate(time.Second)
	for _, id := range r.Template.OfType("AWS::Scheduler::Schedule") {
		props, err := r.res.resolve(r.Template.Resources[id].Properties)
		if err != nil {
			return fmt.Errorf("schedule %s: %w", id, err)
		}
		p, _ := props.(map[string]any)
		s := &Schedule{LogicalID: id, Name: r.res.names[id], ARN: fmt.Sprint(r.res.phys[id].attrs["Arn"]),
			Expression: str(p, "ScheduleExpression"), TimeZone: str(p, "ScheduleExpressionTimezone"), State: str(p, "State"), created: created}
		if s.TimeZone == "" {
			s.TimeZone = "UTC"
		}
		if s.State == "" {
			s.State = "ENABLED"
		}
		if s.expr, err = schedexpr.Parse(s.Expression); err != nil {
			return fmt.Errorf("schedule %s: ScheduleExpression %w", id, err)
		}
		if s.loc, err = time.LoadLocation(s.TimeZone); err != nil || s.TimeZone == "Local" {
			return fmt.Errorf("schedule %s: ScheduleExpressionTimezone %q is not an IANA time zone", id, s.TimeZone)
		}
		if w, ok := p["FlexibleTimeWindow"].(map[string]any); ok && str(w, "Mode") == "FLEXIBLE" {
			if n, ok := number(w["MaximumWindowInMinutes"]); ok {
				s.FlexibleWindow = time.Duration(n) * time.Minute
			}
		}
		s.Start = created
		for key, dst := range map[string]*time.Time{"StartDate": &s.Start, "EndDate": &s.End} {
			if v := str(p, key); v != "" {
				if *dst, err = time.Parse(time.RFC3339, v); err != nil {
					return fmt.Errorf("schedule %s: %s %q is not an ISO 8601 time", id, key, v)
				}
			}
		}
		target, _ := p["Target"].(map[string]any)
		s.Target, s.Input = str(target, "Arn"), str(target, "Input")
		var in struct{ Name string }
		if json.Unmarshal([]byte(s.Input), &in) == nil {
			s.Policy = in.Name
		}
		s.machine = r.machineByARN[s.Target]
		// Nothing fires before the schedule exists: no catch-up.
		s.armed = created.Add(-time.Nanosecond)
		s.fired = s.armed
		what := fmt.Sprintf("%s %s, %s", s.Expression, s.TimeZone, s.State)
		if s.machine == "" {
			r.Provisioned.Skipped = append(r.Provisioned.Skipped, fmt.Sprintf("%s: target %s is not a state machine of the stack: the local scheduler does not invoke it", id, s.Target))
		} else {
			r.Provisioned.Created = append(r.Provisioned.Created, fmt.Sprintf("AWS::Scheduler::Schedule %s (%s: %s) on the local scheduler", id, s.Name, what))
		}
		r.schedules = append(r.schedules, s)
	}
	sort.Slice(r.schedules, func(i, j int) bool { return r.schedules[i].Name < r.schedules[j].Name })
	return nil
}

// Schedules lists the template's schedules, by name.
func (r *Runner) Schedules() []*Schedule { return r.schedules }

// nextTimes arms the invocations in (s.armed, until] (loop goroutine).
func (s *Schedule) nextTimes(until time.Time) []time.Time {
	if !s.Enabled() || s.machine == "" || !until.After(s.armed) {
		return nil
	}
	if !s.End.IsZero() && until.After(s.End) {
		until = s.End
	}
	if !until.After(s.armed) {
		return nil
	}
	times := s.expr.Times(s.loc, s.Start, s.armed, until)
	s.armed = until
	return times
}

// FireSchedules lets EventBridge Scheduler run until `until` on the one
// clock: every enabled schedule invokes its target at each of its times in
// (the last time FireSchedules covered, until] — the first call starts
// from when the schedule was created — with the target's Input in which
// <aws.scheduler.scheduled-time> is the invocation's time (UTC, to the
// second) and the other context attributes are filled in. The clock jumps
// from one invocation to the next when nothing runs, and runs started by
// one invocation keep running while the clock passes the next ones, as
// they would in AWS. FireSchedules then waits for every run it started and
// returns their reports, in start order; the clock is at `until` or later.
// A time the clock had already passed when FireSchedules was called (a run
// of the previous call went on past its `until`) is invoked at once, with
// its own scheduled time.
//
// Not modelled: the flexible time window (invoked at its start), retries
// and the dead-letter queue (a start that fails locally is reported as an
// error of the run). Calls are serialized.
func (r *Runner) FireSchedules(ctx context.Context, until time.Time) ([]*Report, error) {
	r.fireMu.Lock()
	defer r.fireMu.Unlock()
	var started []*Execution
	var timers []*hostTimer
	reached := make(chan struct{})
	err := r.eng.call(func() {
		for _, s := range r.schedules {
			for _, at := range s.nextTimes(until) {
				timers = append(timers, r.eng.addHostTimer(at, func() {
					s.fired = at
					if x := r.startScheduled(s, at); x != nil {
						started = append(started, x)
					}
				}))
			}
		}
		timers = append(timers, r.eng.addHostTimer(until, func() { close(reached) }))
	})
	if err != nil {
		return nil, err
	}
	select {
	case <-reached:
	case <-ctx.Done():
		_ = r.eng.call(func() {
			r.eng.removeHostTimers(timers)
			for _, s := range r.schedules {
				s.armed = s.fired
			}
		})
		return nil, ctx.Err()
	case <-r.eng.done:
		return nil, r.eng.stopErr()
	}
	return r.reports(ctx, started)
}

// startScheduled starts one invocation of s at `at` (loop goroutine).
func (r *Runner) startScheduled(s *Schedule, at time.Time) *Execution {
	var id [8]byte
	_, _ = rand.Read(id[:])
	input := strings.NewReplacer(
		attrScheduledTime, schedexpr.ScheduledTime(at),
		attrScheduleArn, s.ARN,
		attrExecutionID, hex.EncodeToString(id[:]),
		attrAttemptNumber, "1",
	).Replace(s.Input)
	if input == "" {
		input = "{}"
	}
	if !json.Valid([]byte(input)) {
		// Step Functions refuses it (InvalidExecutionInput); Scheduler
		// would retry, then send it to the dead-letter queue.
		fmt.Fprintf(r.opts.Log, "[scheduler] %s at %s: the input is not JSON; not started\n", s.Name, schedexpr.ScheduledTime(at))
		return nil
	}
	x := r.eng.startExecution(s.machine, "", json.RawMessage(input), nil)
	r.mu.Lock()
	r.triggers[x] = &Trigger{Kind: "schedule", Name: s.Name, ScheduledTime: at.UTC()}
	r.mu.Unlock()
	return x
}

// reports waits for the executions and reports them.
func (r *Runner) reports(ctx context.Context, xs []*Execution) ([]*Report, error) {
	out := make([]*Report, 0, len(xs))
	for _, x := range xs {
		if err := x.Wait(ctx); err != nil {
			return out, err
		}
		out = append(out, r.Report(x))
	}
	return out, nil
}

// deliver is the local EventBridge's delivery to a rule's target: a target
// that is a state machine of the stack gets an execution with the input
// EventBridge computed for it (the stack's Run Requested rules: the
// configured policy, their Input). Other targets are not modelled.
func (r *Runner) deliver(d localmisc.Delivery) {
	machine, ok := r.machineByARN[d.Target.Arn]
	if !ok || !json.Valid([]byte(d.Input)) {
		return
	}
	_ = r.eng.call(func() {
		x := r.eng.startExecution(machine, "", json.RawMessage(d.Input), nil)
		r.mu.Lock()
		r.triggers[x] = &Trigger{Kind: "rule", Name: d.Rule, EventID: d.Event.ID}
		r.byEvent[d.Event.ID] = append(r.byEvent[d.Event.ID], x)
		r.mu.Unlock()
	})
}

// PutEvent puts one event on the local EventBridge through the SDK, as
// another system would, waits for the runs the stack's rules started for
// it and returns their reports (none when no rule matched).
func (r *Runner) PutEvent(ctx context.Context, entry ebtypes.PutEventsRequestEntry) ([]*Report, error) {
	out, err := eventbridge.NewFromConfig(r.AWSConfig(RunnerAccessKey)).PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{entry}})
	if err != nil {
		return nil, err
	}
	if out.FailedEntryCount > 0 || len(out.Entries) != 1 {
		e := ebtypes.PutEventsResultEntry{}
		if len(out.Entries) > 0 {
			e = out.Entries[0]
		}
		return nil, fmt.Errorf("PutEvents: %s: %s", aws.ToString(e.ErrorCode), aws.ToString(e.ErrorMessage))
	}
	id := aws.ToString(out.Entries[0].EventId)
	if id == "" {
		return nil, errors.New("PutEvents: no event ID")
	}
	r.mu.Lock()
	xs := r.byEvent[id]
	delete(r.byEvent, id)
	r.mu.Unlock()
	return r.reports(ctx, xs)
}

// RunRequested asks for a run of a configured policy with a Snapflow Run
// Requested event on the default bus (docs/deploy.md): the stack's rule for
// that policy starts it with the configured policy. It returns the runs
// started (one for a configured policy, none for another).
func (r *Runner) RunRequested(ctx context.Context, policy, reason string) ([]*Report, error) {
	detail, _ := json.Marshal(map[string]string{"policy": policy, "reason": reason})
	return r.PutEvent(ctx, ebtypes.PutEventsRequestEntry{
		Source: aws.String(RunRequestedSource), DetailType: aws.String(RunRequestedDetailType), Detail: aws.String(string(detail)),
	})
}

// Next is the schedule's first invocation after `after` (false: none; a
// disabled schedule has none).
func (s *Schedule) Next(after time.Time) (time.Time, bool) {
	if !s.Enabled() {
		return time.Time{}, false
	}
	t, ok := s.expr.Next(s.loc, s.Start, after)
	if ok && !s.End.IsZero() && t.After(s.End) {
		return time.Time{}, false
	}
	return t, ok
}

// Location is the schedule's time zone.
func (s *Schedule) Location() *time.Location { return s.loc }
