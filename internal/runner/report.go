package runner

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/redshiftserverless"

	"github.com/snapflow/snapflow/events"
	"github.com/snapflow/snapflow/internal/localaws/emu"
	"github.com/snapflow/snapflow/internal/localaws/localmisc"
)

// Report is what one run did.
type Report struct {
	Execution        string          `json:"execution"`
	Trigger          *Trigger        `json:"trigger,omitempty"` // the schedule or rule that started the run (nil: Run)
	Status           string          `json:"status"`
	Error            string          `json:"error,omitempty"`
	Cause            string          `json:"cause,omitempty"`
	Output           json.RawMessage `json:"output,omitempty"`
	Start            time.Time       `json:"start"`
	Stop             time.Time       `json:"stop"`
	SimDuration      time.Duration   `json:"simDuration"`
	Transitions      int             `json:"transitions"` // the run's and its targets'
	Invocations      int             `json:"invocations"`
	ColdStarts       int             `json:"coldStarts"`
	APICalls         int             `json:"apiCalls"` // by the run's functions and integrations
	MutatingAPICalls int             `json:"mutatingApiCalls"`
	// HistoryEvents is the run execution's history (modelled, see
	// historyWeight); MaxHistoryEvents the largest of the run's and its
	// targets' (Step Functions' limit: HistoryLimit per execution).
	HistoryEvents    int `json:"historyEvents"`
	MaxHistoryEvents int `json:"maxHistoryEvents"`
	// MaxPayloadBytes is the largest state input or output of the run or a
	// target (limit: PayloadLimit), in state MaxPayloadState.
	MaxPayloadBytes int    `json:"maxPayloadBytes"`
	MaxPayloadState string `json:"maxPayloadState,omitempty"`
	// Plan is the plan step's output; Summary the summary step's.
	Plan    *events.PlanOutput `json:"plan,omitempty"`
	Summary *events.RunSummary `json:"summary,omitempty"`
	Targets []TargetReport     `json:"targets"`
	// Alerts and RunEvents are what the run published to SNS and put on
	// EventBridge.
	Alerts    []localmisc.Message `json:"alerts,omitempty"`
	RunEvents []localmisc.Event   `json:"runEvents,omitempty"`
	// Calls are the API calls the run made, in order.
	Calls []emu.Call `json:"-"`
	// InvocationList is every Lambda invocation of the run.
	InvocationList []*Invocation `json:"-"`
}

// TargetReport is one target of a run.
type TargetReport struct {
	Target    events.Target `json:"target"`
	Execution string        `json:"execution"`
	// Status is the child execution's: SUCCEEDED, FAILED, ...
	Status string `json:"status"`
	// Error and Cause are the target's own failure (the child's error).
	Error string `json:"error,omitempty"`
	Cause string `json:"cause,omitempty"`
	// Snapshot and Copy are names; Resumed says the slot's snapshot existed.
	Snapshot string `json:"snapshot,omitempty"`
	Copy     string `json:"copy,omitempty"`
	Resumed  bool   `json:"resumed,omitempty"`
	// ExportBucket and ExportedObjects describe the verified export.
	ExportBucket    string   `json:"exportBucket,omitempty"`
	ExportedObjects []string `json:"exportedObjects,omitempty"`
	Pruned          []string `json:"pruned,omitempty"`
	Skipped         []string `json:"skipped,omitempty"`
	// Transitions are the target's state transitions: its execution's and
	// its iteration's in the run.
	Transitions int `json:"transitions"`
	Invocations int `json:"invocations"`
	// APICalls counts the AWS calls its invocations made (Throttled of them
	// answered with a throttling error); CallsByAction by action.
	APICalls      int            `json:"apiCalls"`
	Throttled     int            `json:"throttled"`
	CallsByAction map[string]int `json:"callsByAction"`
	Start         time.Time      `json:"start"`
	Stop          time.Time      `json:"stop"`
	SimDuration   time.Duration  `json:"simDuration"`
	// AvailableAt is when the snapshot became available (the local AWS's
	// model); NoticedAt when the poll that returned done ran; NoticeDelay
	// the difference (-1 when unknown).
	AvailableAt time.Time     `json:"availableAt,omitzero"`
	NoticedAt   time.Time     `json:"noticedAt,omitzero"`
	NoticeDelay time.Duration `json:"noticeDelay"`
	Polls       int           `json:"polls"`
	// HistoryEvents and MaxPayloadBytes are the target execution's.
	HistoryEvents   int `json:"historyEvents"`
	MaxPayloadBytes int `json:"maxPayloadBytes"`
	// State is the final TargetState (the last one returned on failure).
	State *events.TargetState `json:"state,omitempty"`
}

// Report describes a finished execution of the run state machine.
func (r *Runner) Report(x *Execution) *Report {
	var root Execution
	var children []Execution
	_ = r.eng.call(func() {
		root = copyExecution(x)
		for _, c := range r.eng.execs {
			if c.Parent == x {
				children = append(children, copyExecution(c))
			}
		}
	})
	sort.Slice(children, func(i, j int) bool {
		return children[i].Start.Before(children[j].Start) || (children[i].Start.Equal(children[j].Start) && children[i].ARN < children[j].ARN)
	})

	rep := &Report{
		Execution: root.ARN, Status: root.Status, Error: root.Error, Cause: root.Cause, Output: root.Output,
		Start: root.Start, Stop: root.Stop, SimDuration: root.Stop.Sub(root.Start), Transitions: root.Transitions,
		HistoryEvents: root.HistoryEvents, MaxHistoryEvents: root.HistoryEvents,
		MaxPayloadBytes: root.MaxPayloadBytes, MaxPayloadState: root.MaxPayloadState,
	}
	r.mu.Lock()
	rep.Trigger = r.triggers[x]
	r.mu.Unlock()
	mine := map[string]bool{root.ARN: true}
	for _, c := range children {
		mine[c.ARN] = true
		rep.Transitions += c.Transitions
		rep.MaxHistoryEvents = max(rep.MaxHistoryEvents, c.HistoryEvents)
		if c.MaxPayloadBytes > rep.MaxPayloadBytes {
			rep.MaxPayloadBytes, rep.MaxPayloadState = c.MaxPayloadBytes, c.MaxPayloadState
		}
	}

	// Invocations and the calls they made.
	calls := r.aws.Calls()
	r.mu.Lock()
	all := append([]*Invocation(nil), r.invocations...)
	children2 := map[string]*events.WorkItem{}
	for c, it := range r.children {
		children2[c.ARN] = it
	}
	rec := r.integrations[x]
	var messageIDs, eventIDs []string
	if rec != nil {
		messageIDs, eventIDs = append(messageIDs, rec.messageIDs...), append(eventIDs, rec.eventIDs...)
	}
	r.mu.Unlock()
	attribute(all, calls)
	byExec := map[string][]*Invocation{}
	for _, inv := range all {
		if mine[inv.Exec.ARN] {
			byExec[inv.Exec.ARN] = append(byExec[inv.Exec.ARN], inv)
			rep.InvocationList = append(rep.InvocationList, inv)
			rep.Invocations++
			if inv.Cold {
				rep.ColdStarts++
			}
			rep.Calls = append(rep.Calls, inv.Calls...)
		}
	}
	for _, c := range calls {
		if c.AccessKeyID == StatesAccessKey && c.Time.After(root.Start.Add(-time.Second)) && !c.Time.After(root.Stop) {
			rep.Calls = append(rep.Calls, c)
		}
	}
	sort.Slice(rep.Calls, func(i, j int) bool { return rep.Calls[i].Seq < rep.Calls[j].Seq })
	rep.APICalls = len(rep.Calls)
	for _, c := range rep.Calls {
		if c.Mutating() {
			rep.MutatingAPICalls++
		}
	}
	for _, inv := range byExec[root.ARN] {
		switch inv.Function {
		case "plan":
			var p events.PlanOutput
			if inv.ErrorType == "" && json.Unmarshal(inv.Output, &p) == nil {
				rep.Plan = &p
			}
		case "summary":
			var s events.RunSummary
			if inv.ErrorType == "" && json.Unmarshal(inv.Output, &s) == nil {
				rep.Summary = &s
			}
		}
	}
	for _, m := range r.aws.SNS().Messages() {
		if slices.Contains(messageIDs, m.MessageID) {
			rep.Alerts = append(rep.Alerts, m)
		}
	}
	for _, e := range r.aws.EventBridge().Events() {
		if slices.Contains(eventIDs, e.ID) {
			rep.RunEvents = append(rep.RunEvents, e)
		}
	}

	for _, c := range children {
		it := children2[c.ARN]
		tr := TargetReport{Execution: c.ARN, Status: c.Status, Error: c.Error, Cause: c.Cause,
			Start: c.Start, Stop: c.Stop, SimDuration: c.Stop.Sub(c.Start), Transitions: c.Transitions,
			CallsByAction: map[string]int{}, NoticeDelay: -1,
			HistoryEvents: c.HistoryEvents, MaxPayloadBytes: c.MaxPayloadBytes}
		if it != nil {
			tr.Target = it.Target
			tr.Snapshot = it.SnapshotName
			if rep.Plan != nil {
				for i, p := range rep.Plan.Items {
					if p == it.Target {
						tr.Transitions += root.IndexTransitions[i]
					}
				}
			}
		}
		invs := byExec[c.ARN]
		tr.Invocations = len(invs)
		for _, inv := range invs {
			for _, call := range inv.Calls {
				tr.APICalls++
				tr.CallsByAction[call.Action]++
				if throttle(call.ErrorCode) {
					tr.Throttled++
				}
			}
		}
		// The final state: the execution's output, else the last state a
		// step returned.
		var st events.TargetState
		if c.Status == "SUCCEEDED" && json.Unmarshal(c.Output, &st) == nil {
			tr.State = &st
		} else {
			for i := len(invs) - 1; i >= 0; i-- {
				if invs[i].ErrorType == "" && json.Unmarshal(invs[i].Output, &st) == nil && st.Item.Policy != "" {
					tr.State = &st
					break
				}
			}
		}
		if s := tr.State; s != nil {
			if s.Snapshot != nil {
				tr.Snapshot = s.Snapshot.Name
			}
			if s.Copy != nil {
				tr.Copy = s.Copy.Name
			}
			tr.Resumed = s.Resumed
			if s.Export != nil {
				tr.ExportBucket = s.Export.Bucket
				for _, o := range s.Export.Objects {
					tr.ExportedObjects = append(tr.ExportedObjects, o.Key)
				}
			}
			for _, p := range s.Pruned {
				tr.Pruned = append(tr.Pruned, p.Name)
			}
			tr.Skipped = s.Skipped
		}
		r.noticeDelay(&tr, invs)
		rep.Targets = append(rep.Targets, tr)
	}
	return rep
}

func throttle(code string) bool {
	return code != "" && (strings.Contains(code, "Throttl") || strings.Contains(code, "RateExceeded") ||
		strings.HasPrefix(code, "APICallRateForCustomerExceeded") || code == "SlowDown")
}

func copyExecution(x *Execution) Execution {
	c := *x
	c.Events = append([]Event(nil), x.Events...)
	c.IndexTransitions = map[int]int{}
	for k, v := range x.IndexTransitions {
		c.IndexTransitions[k] = v
	}
	c.onDone = nil
	return c
}

// attribute gives each invocation the calls its sandbox's access key made
// since the sandbox's previous invocation ended (a sandbox runs one
// invocation at a time).
func attribute(invs []*Invocation, calls []emu.Call) {
	byKey := map[string][]*Invocation{}
	for _, inv := range invs {
		inv.Calls = nil
		byKey[inv.AccessKey] = append(byKey[inv.AccessKey], inv)
	}
	for _, l := range byKey {
		sort.Slice(l, func(i, j int) bool { return l[i].toSeq < l[j].toSeq })
	}
	for _, c := range calls {
		l := byKey[c.AccessKeyID]
		i := sort.Search(len(l), func(i int) bool { return l[i].toSeq >= c.Seq })
		if i < len(l) {
			l[i].Calls = append(l[i].Calls, c)
		}
	}
}

// noticeDelay fills when the target's snapshot became available and when
// the workflow noticed (the poll of the snapshot phase that returned done).
//
// When it became available is the local AWS's to know: Redshift Serverless
// reports it (snapshotCreateTime + elapsedTimeInSeconds once available);
// for the others it is the create call's time plus the snapshot duration
// the local AWS models for the source (emu.DurationModel over the seed's
// dataSizeMB, or its snapshotSeconds).
func (r *Runner) noticeDelay(tr *TargetReport, invs []*Invocation) {
	var createCall *emu.Call
	for _, inv := range invs {
		switch inv.State {
		case "Create snapshot":
			for i := range inv.Calls {
				c := inv.Calls[i]
				if c.Status == 200 && (c.Action == "CreateSnapshot" || c.Action == "CreateServerlessCacheSnapshot") {
					createCall = &c
				}
			}
		case "Poll snapshot":
			tr.Polls++
			var st events.TargetState
			if inv.ErrorType == "" && json.Unmarshal(inv.Output, &st) == nil && st.Done && st.Phase == events.PhaseSnapshot && tr.NoticedAt.IsZero() {
				tr.NoticedAt = inv.Start
			}
		}
	}
	if tr.NoticedAt.IsZero() || tr.Snapshot == "" {
		return
	}
	switch tr.Target.Service {
	case events.ServiceRedshiftServerless:
		out, err := redshiftserverless.NewFromConfig(r.AWSConfig(RunnerAccessKey)).GetSnapshot(r.ctx, &redshiftserverless.GetSnapshotInput{SnapshotName: aws.String(tr.Snapshot)})
		if err == nil && out.Snapshot != nil && out.Snapshot.SnapshotCreateTime != nil && out.Snapshot.ElapsedTimeInSeconds != nil {
			tr.AvailableAt = out.Snapshot.SnapshotCreateTime.Add(time.Duration(*out.Snapshot.ElapsedTimeInSeconds) * time.Second)
		}
	default:
		src, ok := r.seed[tr.Target.Service+"/"+tr.Target.ID]
		if createCall == nil || !ok {
			return
		}
		tr.AvailableAt = createCall.Time.Add(r.model.Duration(src.DataSizeMB, time.Duration(src.SnapshotSeconds*float64(time.Second))))
	}
	if !tr.AvailableAt.IsZero() {
		tr.NoticeDelay = tr.NoticedAt.Sub(tr.AvailableAt)
	}
}

// seedSource is what the seed says about a snapshot source.
type seedSource struct {
	DataSizeMB      int64   `json:"dataSizeMB"`
	SnapshotSeconds float64 `json:"snapshotSeconds"`
}

// seedIndex maps "<service>/<id>" to the seed's source.
type seedIndex map[string]seedSource

func indexSeed(data []byte) seedIndex {
	var s struct {
		ElastiCache struct {
			ReplicationGroups []struct {
				ID string `json:"id"`
				seedSource
			} `json:"replicationGroups"`
			CacheClusters []struct {
				ID string `json:"id"`
				seedSource
			} `json:"cacheClusters"`
			ServerlessCaches []struct {
				Name string `json:"name"`
				seedSource
			} `json:"serverlessCaches"`
		} `json:"elasticache"`
		MemoryDB struct {
			Clusters []struct {
				Name string `json:"name"`
				seedSource
			} `json:"clusters"`
		} `json:"memorydb"`
	}
	out := seedIndex{}
	if json.Unmarshal(data, &s) != nil {
		return out
	}
	for _, g := range s.ElastiCache.ReplicationGroups {
		out[events.ServiceElastiCache+"/"+g.ID] = g.seedSource
	}
	for _, c := range s.ElastiCache.CacheClusters {
		out[events.ServiceElastiCache+"/"+c.ID] = c.seedSource
	}
	for _, c := range s.ElastiCache.ServerlessCaches {
		out[events.ServiceElastiCacheServerless+"/"+c.Name] = c.seedSource
	}
	for _, c := range s.MemoryDB.Clusters {
		out[events.ServiceMemoryDB+"/"+c.Name] = c.seedSource
	}
	return out
}
