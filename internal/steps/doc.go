// Package steps is the logic of snapflow's Lambda handlers, one method of
// Steps per handler. The mains in functions/<name> only wire them up (Init,
// Handler, lambda.Start); the tests call the same handler functions through
// lambda.NewHandler(...).Invoke against the local AWS.
//
//	handler  input                       output              error classes (Snapflow.*)
//	plan     events.PlanInput            events.PlanOutput   InvalidInput, Throttled, AccessDenied, Transient
//	create   events.TargetInput          TargetState         InvalidInput, Unsupported, NotFound, TargetBusy, QuotaExceeded,
//	                                                         AlreadyExists, AccessDenied, SnapshotFailed, Throttled, Transient
//	poll     TargetState                 TargetState         InvalidInput, NotFound, SnapshotFailed, ExportFailed,
//	                                                         AccessDenied, Throttled, Transient
//	copy     TargetState                 TargetState         InvalidInput, Unsupported, NotFound, TargetBusy, QuotaExceeded,
//	                                                         AlreadyExists, AccessDenied, SnapshotFailed, Throttled, Transient
//	export   TargetState                 TargetState         InvalidInput, Unsupported, NotFound, TargetBusy, AccessDenied,
//	                                                         Throttled, Transient
//	verify   TargetState                 TargetState         InvalidInput, ExportFailed, AccessDenied, Throttled, Transient
//	prune    TargetState                 TargetState         InvalidInput, NotFound, TargetBusy, AccessDenied, Throttled, Transient
//	summary  events.SummaryInput         events.RunSummary   InvalidInput, Transient
//
// A payload that does not decode is InvalidInput for every handler; an
// error without a class is reported as Transient (errclass.ForLambda).
//
// # Idempotency
//
// Names derive from policy, target and slot (internal/naming), so a step
// retried by the state machine, or a re-run of the slot, meets what it made
// before: create and copy then describe the snapshot and carry on with it
// (TargetState.Resumed) when its tags say snapflow made it for this policy,
// target and slot, and fail with AlreadyExists otherwise; a create that finds
// the source busy checks whether it is busy with this very snapshot.
// Export treats "the bucket already holds an object with key <this slot's
// key prefix>" as its own export and lets poll and verify judge it.
//
// # Tags
//
// Everything snapflow creates carries the policy's tags and the managed tags
// (naming.ManagedTags). A copy also carries snapflow:copy-of=<snapshot name>
// (TagCopyOf): retention plans originals and copies separately, so keep-last
// N keeps N of each. When the snapshot phase ends, poll tags the snapshot
// with snapflow:duration-seconds (TagDurationSeconds), the time from the
// create to the first poll that saw it available; the next run's create
// reads it from the target's newest snapshot to time its first poll (best
// effort both ways: a failure is logged, never fatal, and a snapshot at its
// tag limit goes without). With copy set, plan allows 45 policy tags instead
// of internal/policy's 46, leaving room for the copy marker.
//
// # Export prefix
//
// ElastiCache (node-based) and MemoryDB export with CopySnapshot, whose
// TargetSnapshotName becomes the start of the object keys
// ("<TargetSnapshotName>-0001.rdb", one per shard): the policy's
// export.prefix goes there ("exports" and "exports/" both give
// "exports/sf-…-0001.rdb"). ElastiCache Serverless's
// ExportServerlessCacheSnapshot takes only a bucket and writes
// "<snapshot name>-0001.rdb" at the bucket root: there the prefix is not
// applied and create lists it in Skipped. Redshift Serverless has no export.
// WorkItem.ExportPrefix holds the prefix that applies ("" where none does).
//
// # Dry run
//
// Plan resolves the targets as usual. Create makes nothing: it records the
// steps as skipped and sets Done, HasCopy and HasExport false; poll answers
// Done; prune lists the snapshots and reports what retention would delete
// (PrunedSnapshot.DryRun) without deleting anything. A dry run makes no
// mutating AWS call. The summary counts no snapshot as made (metrics).
//
// # Logs and metrics
//
// Every log line is JSON (log/slog) with the function, the Lambda request ID
// and, in the target steps, the policy, target and snapshot name. The summary
// writes CloudWatch EMF lines (internal/metrics) to stdout.
package steps
