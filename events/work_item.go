package events

import "time"

// WorkItem is everything one target's sub-workflow (create, poll, copy,
// export, verify, prune) needs, resolved by the plan step.
type WorkItem struct {
	// Policy is the policy name.
	Policy string `json:"policy"`
	// Target is the resource to snapshot, with defaults applied.
	Target Target `json:"target"`
	// Slot is the schedule slot: UTC, truncated to the minute.
	Slot time.Time `json:"slot"`
	// SnapshotName is the deterministic name of the slot's snapshot.
	SnapshotName string `json:"snapshotName"`
	// CopyName is the name of the copy; set only when Copy is.
	CopyName string `json:"copyName,omitempty"`
	// Copy is the policy's copy settings, if any.
	Copy *CopySpec `json:"copy,omitempty"`
	// Export is the policy's export settings, if any.
	Export *ExportSpec `json:"export,omitempty"`
	// ExportPrefix is the S3 key prefix this item's exported objects go
	// under, resolved for the target and slot.
	ExportPrefix string `json:"exportPrefix,omitempty"`
	// Retention is the policy's retention rules, if any.
	Retention *Retention `json:"retention,omitempty"`
	// TimeZone is the IANA zone retention periods are computed in.
	TimeZone string `json:"timeZone"`
	// Tags is the full set of tags to apply, managed tags included.
	Tags map[string]string `json:"tags"`
	// DryRun reports what would happen without changing anything.
	DryRun bool `json:"dryRun"`
	// RedshiftRetentionDays is the Redshift Serverless retentionPeriod.
	RedshiftRetentionDays int `json:"redshiftRetentionDays,omitempty"`
}
