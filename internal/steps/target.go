package steps

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/snapflow/snapflow/events"
	"github.com/snapflow/snapflow/internal/errclass"
	"github.com/snapflow/snapflow/internal/naming"
	"github.com/snapflow/snapflow/internal/polling"
	"github.com/snapflow/snapflow/internal/retention"
	"github.com/snapflow/snapflow/internal/snapshot"
)

// StartInput is the create function's input: the <stack>-target
// execution's input, an events.TargetInput (one target of the plan, the
// plan's spec and slot), or a TargetState whose item is already built (a
// child started by hand with {"item": WorkItem}).
type StartInput struct {
	events.TargetInput
	Item *events.WorkItem `json:"item,omitempty"`
}

// Start is the create function: it builds the target's WorkItem from the
// plan's compact item with WorkItem (the code plan used to use), and
// creates the snapshot (Create).
//
// Errors: Create's.
func (s *Steps) Start(ctx context.Context, in StartInput) (events.TargetState, error) {
	if in.Item != nil {
		return s.Create(ctx, events.TargetState{Item: *in.Item})
	}
	if in.Policy.Name == "" || in.Target.Service == "" || in.Slot.IsZero() {
		return events.TargetState{}, invalid("input", `must be {"target": {…}, "policy": {…}, "slot": "…"} (or {"item": {…}})`)
	}
	return s.Create(ctx, events.TargetState{Item: WorkItem(in.Policy, in.Target, in.Slot, s.ExportBucket)})
}

// Create starts the slot's snapshot of the item's target. Its input holds
// only Item.
//
// On a dry run it makes nothing: the steps are recorded as skipped and Done
// is set. Otherwise it checks the source can be snapshotted (Unsupported
// with the reason when not), creates the snapshot with the item's tags and,
// when a snapshot of that name exists, resumes it if its tags say snapflow
// made it for this policy, target and slot (Resumed), or fails with
// AlreadyExists. HasCopy and HasExport say whether the copy and export steps
// run: asked by the policy and possible for the service and the source; a
// step that cannot run is listed in Skipped with the reason.
//
// Errors: InvalidInput, Unsupported, NotFound (no such source), TargetBusy,
// QuotaExceeded, AlreadyExists, AccessDenied, Throttled, Transient.
// TargetBusy also covers this slot's own failed snapshot from an earlier
// run: it is deleted, and made again when the workflow retries.
func (s *Steps) Create(ctx context.Context, st events.TargetState) (events.TargetState, error) {
	if err := checkItem(st); err != nil {
		return st, err
	}
	it := st.Item
	ctx = withTarget(ctx, it)
	st.Phase, st.Polls, st.Done = events.PhaseSnapshot, 0, false
	st.HasCopy, st.HasExport = false, false
	if it.DryRun {
		st.Done, st.WaitSeconds = true, 0
		st.Skipped = append(st.Skipped, "create: dry run, no snapshot made")
		if it.Copy != nil {
			st.Skipped = append(st.Skipped, "copy: dry run")
		}
		if it.Export != nil {
			st.Skipped = append(st.Skipped, "export: dry run")
		}
		s.log().InfoContext(ctx, "dry run: no snapshot made")
		return st, nil
	}
	a, err := s.adapter(it.Target)
	if err != nil {
		return st, err
	}
	src, err := a.Source(ctx, it.Target.ID, it.Target.Kind)
	if err != nil {
		return st, err
	}
	if !src.CanSnapshot {
		return st, errclass.New(errclass.Unsupported, "%s %s cannot be snapshotted: %s", it.Target.Service, it.Target.ID, src.Reason)
	}

	now := s.now()
	startedAt := now
	sn, err := a.Create(ctx, snapshot.CreateInput{
		SourceID:      it.Target.ID,
		SourceKind:    it.Target.Kind,
		Name:          it.SnapshotName,
		Tags:          it.Tags,
		RetentionDays: it.RedshiftRetentionDays,
	})
	resumed := err != nil
	switch {
	case err == nil:
	case errclass.Is(err, errclass.AlreadyExists):
		if sn, err = s.resume(ctx, a, it.SnapshotName, it, false); err != nil {
			return st, err
		}
	case errclass.Is(err, errclass.TargetBusy):
		// The source may be busy with this very snapshot (a retried
		// create; Redshift Serverless answers "operation running" before
		// "name taken"): carry on with it, or report the source busy.
		found, derr := s.resume(ctx, a, it.SnapshotName, it, false)
		if derr != nil {
			if errclass.Is(derr, errclass.AlreadyExists) {
				return st, derr
			}
			return st, err
		}
		sn = found
	default:
		return st, err
	}
	if resumed {
		st.Resumed = true
		if !sn.CreatedAt.IsZero() {
			startedAt = sn.CreatedAt.UTC()
		}
	}
	if sn.Status == snapshot.Failed {
		return st, errclass.New(errclass.SnapshotFailed, "snapshot %s of %s %s is %s", sn.Name, it.Target.Service, it.Target.ID, sn.RawStatus)
	}
	st.Snapshot = ref(sn, startedAt)

	caps := a.Capabilities()
	if it.Copy != nil {
		if caps.Copy {
			st.HasCopy = true
		} else {
			st.Skipped = append(st.Skipped, "copy: "+orReason(caps.Reason, it.Target.Service+" has no snapshot copy"))
		}
	}
	if it.Export != nil {
		switch {
		case !caps.Export:
			st.Skipped = append(st.Skipped, "export: "+orReason(caps.Reason, it.Target.Service+" has no export to S3"))
		case !src.CanExport:
			st.Skipped = append(st.Skipped, "export: "+orReason(src.Reason, "the source cannot be exported"))
		default:
			st.HasExport = true
			if it.Export.Prefix != "" && !prefixSupported(it.Target.Service) {
				st.Skipped = append(st.Skipped, "export.prefix: "+it.Target.Service+" exports to the bucket root")
			}
		}
	}

	expected := time.Duration(0)
	if sn.EstimatedSecondsToCompletion == 0 {
		expected = s.lastDuration(ctx, a, it)
	}
	st.ExpectedSeconds = int(expected / time.Second)
	st.WaitSeconds = polling.Seconds(polling.Input{
		Service:   it.Target.Service,
		Elapsed:   now.Sub(startedAt),
		Expected:  expected,
		Remaining: time.Duration(sn.EstimatedSecondsToCompletion) * time.Second,
	})
	msg := "snapshot started"
	if st.Resumed {
		msg = "snapshot resumed"
	}
	s.log().InfoContext(ctx, msg, "status", sn.RawStatus, "waitSeconds", st.WaitSeconds,
		"expectedSeconds", st.ExpectedSeconds, "hasCopy", st.HasCopy, "hasExport", st.HasExport)
	return st, nil
}

func orReason(reason, fallback string) string {
	if reason != "" {
		return reason
	}
	return fallback
}

// resume describes the snapshot (or copy) a create or copy found already
// there and returns it when snapflow made it for the item's slot. One that
// snapflow made for the slot but that failed (an earlier run's, re-driven)
// is deleted, and resume returns TargetBusy until it is gone: the retried
// create or copy then makes it afresh. Not made by snapflow for the slot:
// AlreadyExists, and nothing is touched.
func (s *Steps) resume(ctx context.Context, a snapshot.Adapter, name string, it events.WorkItem, isCopy bool) (snapshot.Snapshot, error) {
	sn, err := a.Describe(ctx, name)
	if err != nil {
		return sn, err
	}
	mine := owned(sn.Tags, it)
	if isCopy {
		mine = mine && sn.Tags[TagCopyOf] == it.SnapshotName
	} else {
		mine = mine && sn.Tags[TagCopyOf] == ""
	}
	if !mine {
		return sn, errclass.New(errclass.AlreadyExists,
			"%s snapshot %s exists but was not made by snapflow for policy %s, target %s, slot %s (its tags say otherwise); rename or delete it",
			it.Target.Service, name, it.Policy, it.Target.ID, it.Slot.UTC().Format(time.RFC3339))
	}
	what := "snapshot"
	if isCopy {
		what = "copy"
	}
	switch sn.Status {
	case snapshot.Failed:
		// A run of this slot ended with its snapshot (or copy) failed: the
		// slot is re-driven. snapflow made it (the tags above say so), so
		// it deletes it and makes it again once it is gone (the workflow
		// retries TargetBusy). The delete is conditioned on the managed
		// tag in IAM too.
		if err := a.Delete(ctx, name); err != nil && !errclass.Is(err, errclass.NotFound) {
			return sn, err
		}
		s.log().WarnContext(ctx, "this slot's "+what+" had failed: deleted it, to make it again", "name", name, "status", sn.RawStatus)
		return sn, errclass.New(errclass.TargetBusy,
			"%s %s of this slot had failed (%s): snapflow deleted it and makes it again once it is gone", what, name, sn.RawStatus)
	case snapshot.Deleting, snapshot.Deleted:
		return sn, errclass.New(errclass.TargetBusy,
			"%s %s of this slot is being deleted (%s): it is made again once it is gone", what, name, sn.RawStatus)
	}
	s.log().InfoContext(ctx, "found this slot's "+what+" already there", "name", name, "status", sn.RawStatus)
	return sn, nil
}

// lastDuration returns the measured duration of the target's newest
// snapshot for the item's policy, or 0. It is best effort: a failure to list
// is logged and ignored.
func (s *Steps) lastDuration(ctx context.Context, a snapshot.Adapter, it events.WorkItem) time.Duration {
	list, err := a.List(ctx, it.Target.ID, it.Target.Kind)
	if err != nil {
		s.log().WarnContext(ctx, "cannot read the last snapshot's duration", "error", err.Error())
		return 0
	}
	var newest time.Time
	var d time.Duration
	for _, sn := range list {
		tags := sn.Tags
		secs, err := strconv.Atoi(tags[TagDurationSeconds])
		if err != nil || secs <= 0 || tags[naming.TagManaged] != naming.ManagedValue ||
			tags[naming.TagPolicy] != it.Policy || tags[naming.TagTarget] != it.Target.ID || tags[TagCopyOf] != "" {
			continue
		}
		if sn.CreatedAt.After(newest) {
			newest, d = sn.CreatedAt, time.Duration(secs)*time.Second
		}
	}
	return d
}

// Poll describes what the state's Phase watches: the snapshot, the copy, or
// for an export the snapshot being exported, until it no longer shows
// exporting or copying. Not finished: Done false, Polls+1 and the next
// WaitSeconds. Finished: Done true and DoneAt; at the end of the snapshot
// phase the snapshot is tagged with its estimated duration
// (snapflow:duration-seconds, polling.Estimate, best effort) for the next
// run's first wait.
// On a dry run there is nothing to watch: Done.
//
// Errors: InvalidInput, NotFound (the snapshot is gone), SnapshotFailed (the
// snapshot or copy failed, or was deleted meanwhile), ExportFailed,
// AccessDenied, Throttled, Transient.
func (s *Steps) Poll(ctx context.Context, st events.TargetState) (events.TargetState, error) {
	if err := checkItem(st); err != nil {
		return st, err
	}
	it := st.Item
	ctx = withTarget(ctx, it)
	if it.DryRun {
		st.Done, st.WaitSeconds = true, 0
		return st, nil
	}
	waited := time.Duration(st.WaitSeconds) * time.Second
	var watched *events.SnapshotRef
	var startedAt time.Time
	switch st.Phase {
	case events.PhaseSnapshot:
		watched = st.Snapshot
	case events.PhaseCopy:
		watched = st.Copy
	case events.PhaseExport:
		if st.Export == nil {
			return st, invalid("export", "is missing: poll of the export phase runs after export")
		}
		watched, startedAt = st.Snapshot, st.Export.StartedAt
	default:
		return st, invalid("phase", "must be one of %s, %s, %s, not %q", events.PhaseSnapshot, events.PhaseCopy, events.PhaseExport, st.Phase)
	}
	if watched == nil || watched.Name == "" {
		field := "snapshot"
		if st.Phase == events.PhaseCopy {
			field = "copy"
		}
		return st, invalid(field, "is missing: poll runs after the step that starts the %s phase", st.Phase)
	}
	if startedAt.IsZero() {
		startedAt = watched.StartedAt
	}
	a, err := s.adapter(it.Target)
	if err != nil {
		return st, err
	}
	sn, err := a.Describe(ctx, watched.Name)
	if err != nil {
		return st, err
	}
	now := s.now()
	st.Polls++
	done := false
	if st.Phase == events.PhaseExport {
		switch sn.Status {
		case snapshot.Available:
			done = true
			st.Export.Status = "exported"
		case snapshot.Failed, snapshot.Deleting, snapshot.Deleted:
			return st, errclass.New(errclass.ExportFailed, "export of %s to s3://%s: the snapshot is %s", sn.Name, st.Export.Bucket, sn.RawStatus)
		}
	} else {
		watched.Status, watched.RawStatus = string(sn.Status), sn.RawStatus
		if sn.ARN != "" {
			watched.ARN = sn.ARN
		}
		if sn.Shards > 0 {
			watched.Shards = sn.Shards
		}
		switch sn.Status {
		case snapshot.Available, snapshot.Copying, snapshot.Exporting, snapshot.Restoring:
			// Complete: copying, exporting and restoring read a finished snapshot.
			done = true
		case snapshot.Failed, snapshot.Deleting, snapshot.Deleted:
			return st, errclass.New(errclass.SnapshotFailed, "%s %s of %s %s is %s", st.Phase, sn.Name, it.Target.Service, it.Target.ID, sn.RawStatus)
		}
	}
	if !done {
		st.Done = false
		st.WaitSeconds = polling.Seconds(polling.Input{
			Service:   it.Target.Service,
			Polls:     st.Polls,
			Last:      time.Duration(st.WaitSeconds) * time.Second,
			Elapsed:   now.Sub(startedAt),
			Expected:  time.Duration(st.ExpectedSeconds) * time.Second,
			Remaining: time.Duration(sn.EstimatedSecondsToCompletion) * time.Second,
		})
		s.log().InfoContext(ctx, "not done yet", "phase", st.Phase, "status", sn.RawStatus, "polls", st.Polls, "waitSeconds", st.WaitSeconds)
		return st, nil
	}
	st.Done, st.WaitSeconds = true, 0
	if st.Phase != events.PhaseExport {
		watched.DoneAt = &now
	}
	if st.Phase == events.PhaseSnapshot && !st.Resumed {
		s.tagDuration(ctx, a, it, watched, polling.Estimate(now.Sub(watched.StartedAt), waited, st.Polls))
	}
	s.log().InfoContext(ctx, "done", "phase", st.Phase, "status", sn.RawStatus, "polls", st.Polls,
		"seconds", int(now.Sub(startedAt)/time.Second))
	return st, nil
}

// tagDuration records how long the snapshot took, for the next run's first
// wait. It is best effort: a missing permission or a throttle must not fail
// a good snapshot, and a resource at its tag limit goes without.
func (s *Steps) tagDuration(ctx context.Context, a snapshot.Adapter, it events.WorkItem, sn *events.SnapshotRef, d time.Duration) {
	if len(it.Tags)+1 > maxTags {
		s.log().InfoContext(ctx, "no room for the duration tag", "tags", len(it.Tags))
		return
	}
	secs := max(1, int((d+time.Second-1)/time.Second))
	name := sn.Name
	if sn.ARN != "" {
		name = sn.ARN
	}
	if err := a.Tag(ctx, name, map[string]string{TagDurationSeconds: strconv.Itoa(secs)}); err != nil {
		s.log().WarnContext(ctx, "cannot tag the snapshot's duration", "error", err.Error())
	}
}

// Copy starts the copy of the slot's snapshot (the policy's copy: another
// name, and the copy key when given), tagged with the item's tags and
// snapflow:copy-of. A copy of that name that snapflow made for this slot is
// resumed; any other is AlreadyExists. It sets Phase copy for the poll loop.
// Without HasCopy it changes nothing.
//
// Errors: InvalidInput, Unsupported, NotFound, TargetBusy (the snapshot is
// busy, or this slot's failed copy from an earlier run is being deleted to
// be made again), AlreadyExists, QuotaExceeded, AccessDenied (e.g. the KMS
// key), Throttled, Transient.
func (s *Steps) Copy(ctx context.Context, st events.TargetState) (events.TargetState, error) {
	if err := checkItem(st); err != nil {
		return st, err
	}
	it := st.Item
	ctx = withTarget(ctx, it)
	if !st.HasCopy || it.Copy == nil || it.DryRun {
		st.Done = true
		return st, nil
	}
	switch {
	case st.Snapshot == nil:
		return st, invalid("snapshot", "is missing: copy runs after create and poll")
	case it.CopyName == "":
		return st, invalid("item.copyName", "is required when item.copy is set")
	}
	a, err := s.adapter(it.Target)
	if err != nil {
		return st, err
	}
	now := s.now()
	startedAt := now
	sn, err := a.Copy(ctx, snapshot.CopyInput{
		SourceName: st.Snapshot.Name,
		TargetName: it.CopyName,
		KMSKeyID:   it.Copy.KMSKeyID,
		Tags:       copyTags(it),
	})
	switch {
	case err == nil:
	case errclass.Is(err, errclass.AlreadyExists):
		if sn, err = s.resume(ctx, a, it.CopyName, it, true); err != nil {
			return st, err
		}
		st.Resumed = true
		if !sn.CreatedAt.IsZero() {
			startedAt = sn.CreatedAt.UTC()
		}
	default:
		return st, err
	}
	if sn.Status == snapshot.Failed {
		return st, errclass.New(errclass.SnapshotFailed, "copy %s of %s is %s", sn.Name, st.Snapshot.Name, sn.RawStatus)
	}
	st.Copy = ref(sn, startedAt)
	st.Phase, st.Polls, st.Done = events.PhaseCopy, 0, false
	st.ExpectedSeconds = expectedFromSnapshot(st)
	st.WaitSeconds = polling.Seconds(polling.Input{
		Service:  it.Target.Service,
		Elapsed:  now.Sub(startedAt),
		Expected: time.Duration(st.ExpectedSeconds) * time.Second,
	})
	s.log().InfoContext(ctx, "copy started", "copy", it.CopyName, "resumed", st.Resumed, "waitSeconds", st.WaitSeconds)
	return st, nil
}

// expectedFromSnapshot is the expected duration of a copy or export: about
// what the snapshot took (the services read the whole snapshot again).
func expectedFromSnapshot(st events.TargetState) int {
	if sn := st.Snapshot; sn != nil && sn.DoneAt != nil && !st.Resumed {
		return max(1, int(sn.DoneAt.Sub(sn.StartedAt)/time.Second))
	}
	return st.ExpectedSeconds
}

// Export starts the export of the slot's snapshot to S3: the bucket is the
// policy's (or SNAPFLOW_EXPORT_BUCKET), the objects are named after the
// snapshot, under the item's ExportPrefix where the service takes one. When
// the service answers that the bucket already holds this slot's objects
// (a re-run), the export is resumed: the poll and verify steps check what
// is there. It sets Phase export for the poll loop. Without HasExport it
// changes nothing.
//
// Errors: InvalidInput, Unsupported (data tiering, a service without
// export), NotFound (the bucket), AlreadyExists (objects of another name),
// AccessDenied (the bucket's grants), TargetBusy, Throttled, Transient.
func (s *Steps) Export(ctx context.Context, st events.TargetState) (events.TargetState, error) {
	if err := checkItem(st); err != nil {
		return st, err
	}
	it := st.Item
	ctx = withTarget(ctx, it)
	if !st.HasExport || it.Export == nil || it.DryRun {
		st.Done = true
		return st, nil
	}
	if st.Snapshot == nil {
		return st, invalid("snapshot", "is missing: export runs after create and poll")
	}
	bucket := it.Export.Bucket
	if bucket == "" {
		bucket = s.ExportBucket
	}
	if bucket == "" {
		return st, invalid("item.export.bucket", "is required when %s is not set", EnvExportBucket)
	}
	a, err := s.adapter(it.Target)
	if err != nil {
		return st, err
	}
	prefix := it.ExportPrefix
	if !prefixSupported(it.Target.Service) {
		prefix = ""
	}
	keyPrefix := exportKeyPrefix(it.Target.Service, prefix, it.SnapshotName, st.Snapshot.Name)
	now := s.now()
	exp, err := a.Export(ctx, snapshot.ExportInput{
		SnapshotName: st.Snapshot.Name,
		Name:         it.SnapshotName,
		Bucket:       bucket,
		Prefix:       prefix,
	})
	resumed := false
	switch {
	case err == nil:
	case errclass.Is(err, errclass.AlreadyExists) && strings.Contains(err.Error(), keyPrefix):
		resumed = true
		exp = snapshot.Export{Bucket: bucket, KeyPrefix: keyPrefix, SnapshotName: st.Snapshot.Name}
		if st.Snapshot.Shards > 0 && it.Target.Service != events.ServiceElastiCacheServerless {
			exp.Keys = snapshot.ExportKeys(strings.TrimSuffix(keyPrefix, "-"), st.Snapshot.Shards)
		}
		s.log().InfoContext(ctx, "the bucket already holds this slot's export: verifying it", "bucket", bucket, "keyPrefix", keyPrefix)
	default:
		return st, err
	}
	if exp.KeyPrefix == "" {
		exp.KeyPrefix = keyPrefix
	}
	if exp.Bucket == "" {
		exp.Bucket = bucket
	}
	st.Export = &events.ExportRef{
		Bucket:    exp.Bucket,
		Keys:      slices.Clone(exp.Keys),
		KeyPrefix: exp.KeyPrefix,
		Status:    "exporting",
		StartedAt: now,
	}
	if st.Export.Keys == nil {
		st.Export.Keys = []string{}
	}
	st.Phase, st.Polls, st.Done = events.PhaseExport, 0, false
	st.ExpectedSeconds = expectedFromSnapshot(st)
	st.WaitSeconds = polling.Seconds(polling.Input{
		Service:  it.Target.Service,
		Expected: time.Duration(st.ExpectedSeconds) * time.Second,
	})
	s.log().InfoContext(ctx, "export started", "bucket", exp.Bucket, "keyPrefix", exp.KeyPrefix,
		"keys", len(exp.Keys), "resumed", resumed, "waitSeconds", st.WaitSeconds)
	return st, nil
}

// exportKeyPrefix is the start of the keys of the item's export objects:
// "<prefix><name>-" (ElastiCache and MemoryDB, named by snapflow) or
// "<snapshot name>-" (ElastiCache Serverless, named by the service).
func exportKeyPrefix(service, prefix, name, snapshotName string) string {
	if service == events.ServiceElastiCacheServerless {
		return snapshotName + "-"
	}
	return snapshot.ExportTarget(prefix, name) + "-"
}

// Prune applies the policy's retention to the target's snapshots: originals
// and copies (snapflow:copy-of) are planned separately by retention.Plan,
// which only ever picks snapshots carrying the managed tags of this policy
// and target; the tags are checked again before each delete. A dry run
// deletes nothing and reports what would go. Without retention rules it
// does nothing.
//
// Errors: InvalidInput, NotFound (the source), AccessDenied, TargetBusy,
// Throttled, Transient. A snapshot already gone is not an error.
func (s *Steps) Prune(ctx context.Context, st events.TargetState) (events.TargetState, error) {
	if err := checkItem(st); err != nil {
		return st, err
	}
	it := st.Item
	ctx = withTarget(ctx, it)
	if it.Retention == nil {
		st.Skipped = append(st.Skipped, "prune: no retention rules")
		s.log().InfoContext(ctx, "no retention rules: nothing to prune")
		return st, nil
	}
	loc, err := time.LoadLocation(orReason(it.TimeZone, "UTC"))
	if err != nil || it.TimeZone == "Local" {
		return st, invalid("item.timeZone", "must be an IANA time zone name such as Europe/Berlin")
	}
	a, err := s.adapter(it.Target)
	if err != nil {
		return st, err
	}
	list, err := a.List(ctx, it.Target.ID, it.Target.Kind)
	if err != nil {
		return st, err
	}
	decisions := plan(it, s.now(), loc, list)
	byName := make(map[string]snapshot.Snapshot, len(list))
	for _, sn := range list {
		byName[sn.Name] = sn
	}
	st.Pruned = nil
	for _, d := range decisions {
		sn := byName[d.Name]
		tags := sn.Tags
		if tags[naming.TagManaged] != naming.ManagedValue || tags[naming.TagPolicy] != it.Policy ||
			tags[naming.TagTarget] != it.Target.ID || d.Name == it.SnapshotName || d.Name == it.CopyName {
			// retention.Plan never picks these; refuse anyway.
			s.log().ErrorContext(ctx, "refusing to delete a snapshot that is not an older one of this policy and target", "name", d.Name)
			continue
		}
		if !it.DryRun {
			if err := a.Delete(ctx, d.Name); err != nil {
				if !errclass.Is(err, errclass.NotFound) {
					return st, err
				}
				s.log().InfoContext(ctx, "already gone", "name", d.Name)
				continue
			}
		}
		st.Pruned = append(st.Pruned, events.PrunedSnapshot{Name: d.Name, Reason: d.Reason, DryRun: it.DryRun})
		s.log().InfoContext(ctx, "pruned", "name", d.Name, "reason", d.Reason, "dryRun", it.DryRun)
	}
	s.log().InfoContext(ctx, "retention applied", "snapshots", len(list), "pruned", len(st.Pruned), "dryRun", it.DryRun)
	return st, nil
}

// plan returns what retention deletes of list: originals and copies planned
// apart.
func plan(it events.WorkItem, now time.Time, loc *time.Location, list []snapshot.Snapshot) []retention.Decision {
	var originals, copies []retention.Snapshot
	for _, sn := range list {
		r := retention.Snapshot{Name: sn.Name, CreatedAt: sn.CreatedAt, Status: retention.Status(sn.Status), Tags: sn.Tags}
		if sn.Tags[TagCopyOf] != "" {
			copies = append(copies, r)
		} else {
			originals = append(originals, r)
		}
	}
	var out []retention.Decision
	for _, group := range [][]retention.Snapshot{originals, copies} {
		res := retention.Plan(retention.Input{
			Policy: it.Policy, Target: it.Target.ID, Now: now, Location: loc,
			Rules: *it.Retention, Snapshots: group,
		})
		out = append(out, res.Delete...)
	}
	return out
}

// Verify checks every object of the export: it exists and is not empty
// (HeadObject) and starts with a valid RDB header (a ranged GetObject of its
// first 9 bytes, rdb.VerifyHeader). It fills Export.Objects. Without
// HasExport it changes nothing.
//
// Errors: InvalidInput, ExportFailed (an object missing, empty or not RDB,
// named by its key), AccessDenied, Throttled, Transient.
func (s *Steps) Verify(ctx context.Context, st events.TargetState) (events.TargetState, error) {
	if err := checkItem(st); err != nil {
		return st, err
	}
	it := st.Item
	ctx = withTarget(ctx, it)
	if !st.HasExport || it.DryRun {
		return st, nil
	}
	if st.Export == nil {
		return st, invalid("export", "is missing: verify runs after export")
	}
	c := s.s3(it.Target.Region)
	if c == nil {
		return st, errclass.New(errclass.Unsupported, "verify: no S3 client configured")
	}
	e := st.Export
	keys := e.Keys
	if len(keys) == 0 {
		var err error
		if keys, err = exportedKeys(ctx, c, e.Bucket, e.KeyPrefix); err != nil {
			return st, err
		}
		if len(keys) == 0 {
			return st, errclass.New(errclass.ExportFailed, "export of %s: no object s3://%s/%s*.rdb", it.SnapshotName, e.Bucket, e.KeyPrefix)
		}
	}
	objects := make([]events.ExportedObject, 0, len(keys))
	for _, key := range keys {
		obj, err := verifyObject(ctx, c, e.Bucket, key)
		if err != nil {
			return st, err
		}
		objects = append(objects, obj)
	}
	e.Keys, e.Objects, e.Status = keys, objects, "verified"
	s.log().InfoContext(ctx, "export verified", "bucket", e.Bucket, "objects", len(objects))
	return st, nil
}

// describeKey names an object in messages.
func describeKey(bucket, key string) string { return fmt.Sprintf("s3://%s/%s", bucket, key) }
