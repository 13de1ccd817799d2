// Package metrics names the CloudWatch metrics snapflow emits, so the summary
// handler (which writes them as CloudWatch embedded metric format log lines)
// and the CDK app (which alarms and draws dashboards on them) agree.
//
// The summary handler emits, per run:
//
//   - SnapshotsSucceeded and SnapshotsFailed with the dimension set
//     [Policy]: the number of targets that ended succeeded / failed;
//   - SnapshotsSucceeded and SnapshotsFailed with [Policy, Target] for each
//     target: 1 or 0, with Target = TargetDimension(target).
//
// The RPO alarms sum SnapshotsSucceeded over the policy's rpoMinutes and fire
// when the sum is below 1 (missing data counts as breaching).
package metrics

import "github.com/snapflow/snapflow/events"

// Namespace is the CloudWatch namespace of every snapflow metric.
const Namespace = "Snapflow"

// Metric names.
const (
	SnapshotsSucceeded = "SnapshotsSucceeded"
	SnapshotsFailed    = "SnapshotsFailed"
)

// Dimension names.
const (
	DimensionPolicy = "Policy"
	DimensionTarget = "Target"
)

// TargetDimension is the value of the Target dimension for t (normalized, as
// the plan step returns it): "<service>/<id>", with "cache-cluster/" before
// the ID for ElastiCache cache clusters and "@<region>" after it when the
// target names a region. Replication groups and cache clusters may share IDs,
// and the same ID may exist in several regions, so both are kept.
func TargetDimension(t events.Target) string {
	v := t.Service + "/"
	if t.Service == events.ServiceElastiCache && t.Kind == events.KindCacheCluster {
		v += events.KindCacheCluster + "/"
	}
	v += t.ID
	if t.Region != "" {
		v += "@" + t.Region
	}
	return v
}
