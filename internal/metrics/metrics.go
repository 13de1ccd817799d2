// Package metrics names the CloudWatch metrics snapflow emits and writes them
// in the CloudWatch embedded metric format (EMF): one JSON object per log
// line, which CloudWatch Logs turns into metrics without any API call.
//
// The summary step emits, per run:
//
//   - SnapshotsSucceeded and SnapshotsFailed with the dimension set [Policy]:
//     the number of targets that ended succeeded / failed;
//   - for each target, SnapshotsSucceeded and SnapshotsFailed (1 or 0) with
//     the dimension set [Policy, Target], Target = TargetDimension(target).
//
// A dry run makes no snapshot, so it counts no target as succeeded (its
// failures still count). The RPO alarms sum SnapshotsSucceeded over a
// policy's rpoMinutes and fire when the sum is below 1.
package metrics

import (
	"encoding/json"
	"io"
	"time"

	"github.com/snapflow/snapflow/events"
)

// DefaultNamespace is the CloudWatch namespace when SNAPFLOW_METRICS_NAMESPACE
// is not set.
const DefaultNamespace = "Snapflow"

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

// TargetDimension is the value of the Target dimension for t (normalised, as
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

// Counts are the values of one EMF record.
type Counts struct {
	Succeeded int
	Failed    int
}

// Writer writes EMF records to a log stream (a Lambda function's stdout).
// Its zero value writes nothing.
type Writer struct {
	Out       io.Writer
	Namespace string
}

// Run writes the record of a whole run: dimensions [Policy].
func (w Writer) Run(at time.Time, policy string, c Counts) error {
	return w.write(at, map[string]string{DimensionPolicy: policy}, []string{DimensionPolicy}, c)
}

// Target writes the record of one target: dimensions [Policy, Target].
func (w Writer) Target(at time.Time, policy string, t events.Target, c Counts) error {
	return w.write(at, map[string]string{DimensionPolicy: policy, DimensionTarget: TargetDimension(t)},
		[]string{DimensionPolicy, DimensionTarget}, c)
}

type emfMetric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

type emfDirective struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

type emfMeta struct {
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
}

func (w Writer) write(at time.Time, dims map[string]string, set []string, c Counts) error {
	if w.Out == nil {
		return nil
	}
	ns := w.Namespace
	if ns == "" {
		ns = DefaultNamespace
	}
	rec := map[string]any{
		"_aws": emfMeta{
			Timestamp: at.UnixMilli(),
			CloudWatchMetrics: []emfDirective{{
				Namespace:  ns,
				Dimensions: [][]string{set},
				Metrics:    []emfMetric{{SnapshotsSucceeded, "Count"}, {SnapshotsFailed, "Count"}},
			}},
		},
		SnapshotsSucceeded: c.Succeeded,
		SnapshotsFailed:    c.Failed,
	}
	for k, v := range dims {
		rec[k] = v
	}
	line, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	_, err = w.Out.Write(append(line, '\n'))
	return err
}
