package emu

import "time"

// Env is what the local AWS gives each emulated service.
type Env struct {
	Clock     *Clock
	Faults    *Faults
	Recorder  *Recorder
	AccountID string
	// Store is the S3 of the local AWS, where exports land.
	Store ObjectStore
	// SnapshotModel turns a data size into a snapshot duration.
	SnapshotModel DurationModel
}

// DurationModel gives how long a snapshot of a given data size takes. AWS
// publishes no formula; this one is assumed: a fixed start-up cost plus a
// throughput, both configurable (docs/localaws.md).
type DurationModel struct {
	Base        time.Duration // fixed part
	MBPerSecond float64       // throughput
}

// DefaultDurationModel: 60 s plus 10 MB/s (a 6 GB cache takes about 11 min).
var DefaultDurationModel = DurationModel{Base: 60 * time.Second, MBPerSecond: 10}

// Duration returns how long snapshotting dataSizeMB takes; override wins
// when positive (a seed's snapshotSeconds).
func (m DurationModel) Duration(dataSizeMB int64, override time.Duration) time.Duration {
	if override > 0 {
		return override
	}
	d := m.Base
	if m.MBPerSecond > 0 && dataSizeMB > 0 {
		d += time.Duration(float64(dataSizeMB) / m.MBPerSecond * float64(time.Second))
	}
	return d
}

// ObjectStore is the S3 of the local AWS as the snapshot services see it.
type ObjectStore interface {
	// Bucket returns the named bucket, or false when there is none.
	Bucket(name string) (Bucket, bool)
}

// Bucket is one S3 bucket, with the facts an export checks.
type Bucket interface {
	Name() string
	Region() string
	// ObjectOwnership is the bucket's Object Ownership setting
	// (BucketOwnerEnforced, BucketOwnerPreferred or ObjectWriter).
	ObjectOwnership() string
	// ACLPermissions lists what the bucket ACL grants the canonical user
	// (READ, WRITE, READ_ACP, WRITE_ACP, FULL_CONTROL).
	ACLPermissions(canonicalUserID string) []string
	// PolicyAllows reports whether the bucket policy allows the service
	// principal (e.g. us-east-1.elasticache-snapshot.amazonaws.com) the action
	// (e.g. s3:PutObject) on the resource ARN.
	PolicyAllows(servicePrincipal, action, resourceARN string) bool
	ObjectExists(key string) bool
	PutObject(key string, body []byte) error
}

// TaggedResource is a resource as the Resource Groups Tagging API lists it.
type TaggedResource struct {
	ARN  string
	Tags map[string]string
}

// TagSource is a service whose resources the tagging API can list.
type TagSource interface {
	TaggedResources(region string) []TaggedResource
}
