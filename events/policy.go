package events

// Policy is the input of a snapflow execution: which resources to snapshot,
// what to do with each snapshot afterwards, and how long to keep them.
// EventBridge Scheduler starts an execution with the policy and the
// scheduled time; a manual run passes the policy alone.
type Policy struct {
	// Name identifies the policy in snapshot names and tags.
	Name string `json:"name"`
	// Targets lists resources explicitly.
	Targets []Target `json:"targets,omitempty"`
	// Selector adds the resources whose tags match it.
	Selector *TagSelector `json:"selector,omitempty"`
	// Copy, when set, copies every new snapshot (rename or re-encrypt).
	Copy *CopySpec `json:"copy,omitempty"`
	// Export, when set, exports every new snapshot to S3.
	Export *ExportSpec `json:"export,omitempty"`
	// Retention, when set, prunes the policy's older snapshots.
	Retention *Retention `json:"retention,omitempty"`
	// TimeZone is the IANA zone retention periods are computed in;
	// empty means "UTC".
	TimeZone string `json:"timeZone,omitempty"`
	// Tags are added to everything snapflow creates for this policy.
	Tags map[string]string `json:"tags,omitempty"`
	// ScheduledTime is the RFC 3339 time EventBridge Scheduler fills in from
	// <aws.scheduler.scheduled-time>; empty for manual runs.
	ScheduledTime string `json:"scheduledTime,omitempty"`
	// DryRun plans and reports without creating or deleting anything.
	DryRun bool `json:"dryRun,omitempty"`
	// RPOMinutes is the maximum age of a target's newest good snapshot
	// before an alarm fires; 0 disables the alarm.
	RPOMinutes int `json:"rpoMinutes,omitempty"`
	// Schedule is the cron(...) or rate(...) expression the CDK app creates
	// the schedule from. The workflow ignores it.
	Schedule string `json:"schedule,omitempty"`
	// RedshiftRetentionDays is the retentionPeriod passed to Redshift
	// Serverless CreateSnapshot: -1 keeps the snapshot indefinitely, 0 leaves
	// the service default.
	RedshiftRetentionDays int `json:"redshiftRetentionDays,omitempty"`
}

// TagSelector selects resources by their tags. A resource matches when, for
// every key in Tags, it carries that key with one of the listed values; an
// empty list matches any value as long as the key is present.
type TagSelector struct {
	// Services limits the selection to these services; empty means all.
	Services []string `json:"services,omitempty"`
	// Tags maps a tag key to its accepted values.
	Tags map[string][]string `json:"tags"`
}

// CopySpec describes the copy made of each new snapshot.
type CopySpec struct {
	// KMSKeyID re-encrypts the copy with this key; empty keeps the source's.
	KMSKeyID string `json:"kmsKeyId,omitempty"`
	// Prefix replaces the default leading word of copy names.
	Prefix string `json:"prefix,omitempty"`
}

// ExportSpec describes where snapshots are exported in S3.
type ExportSpec struct {
	// Bucket is the S3 bucket, in the same region as the snapshot.
	Bucket string `json:"bucket"`
	// Prefix is the key prefix of exported objects, without a leading "/".
	Prefix string `json:"prefix,omitempty"`
}

// Retention says which of a policy's snapshots to keep. A snapshot is kept
// when any rule keeps it; see package internal/retention for the details.
type Retention struct {
	// KeepLast keeps the newest N available snapshots.
	KeepLast int `json:"keepLast,omitempty"`
	// Daily keeps the newest snapshot of each of the last N days.
	Daily int `json:"daily,omitempty"`
	// Weekly keeps the newest snapshot of each of the last N ISO weeks.
	Weekly int `json:"weekly,omitempty"`
	// Monthly keeps the newest snapshot of each of the last N months.
	Monthly int `json:"monthly,omitempty"`
	// Yearly keeps the newest snapshot of each of the last N years.
	Yearly int `json:"yearly,omitempty"`
	// MaxAgeDays deletes snapshots older than this many days that no other
	// rule keeps.
	MaxAgeDays int `json:"maxAgeDays,omitempty"`
}
