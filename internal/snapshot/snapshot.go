// Package snapshot is the portable layer over the four services' snapshot
// APIs: one small Adapter interface, implemented once per service
// (elasticacheadapter, serverlessadapter, memorydbadapter, redshiftadapter),
// with statuses normalised and errors mapped to snapflow's classes
// (internal/errclass). Adapters take their SDK client through narrow
// consumer-side interfaces and never load configuration themselves.
package snapshot

import (
	"context"
	"strings"
	"time"
)

// Service names, as in a policy's targets.
const (
	ElastiCache           = "elasticache"
	ElastiCacheServerless = "elasticache-serverless"
	MemoryDB              = "memorydb"
	RedshiftServerless    = "redshift-serverless"
)

// Services lists every supported service.
var Services = []string{ElastiCache, ElastiCacheServerless, MemoryDB, RedshiftServerless}

// Status is a snapshot's state, normalised across services. The service's
// own word is kept in Snapshot.RawStatus.
type Status string

// The normalised statuses.
const (
	Creating  Status = "creating"
	Available Status = "available"
	Copying   Status = "copying"
	Exporting Status = "exporting"
	Restoring Status = "restoring" // a cluster is being restored from it
	Deleting  Status = "deleting"
	Deleted   Status = "deleted"
	Failed    Status = "failed"
	Unknown   Status = "unknown"
)

// InProgress reports whether the snapshot is still being made, changed or
// read by an operation that keeps others out (copy, export, restore): it
// can be neither deleted nor copied until that ends.
func (s Status) InProgress() bool {
	return s == Creating || s == Copying || s == Exporting || s == Restoring
}

// rawStatuses maps every service's snapshot status word, lower-cased, to
// its normalised status. Sources: ElastiCache Snapshot.SnapshotStatus
// ("creating | available | restoring | copying | deleting", plus "failed"
// and "exporting" as the console and the local AWS show them),
// ServerlessCacheSnapshot.Status (the same words), MemoryDB Snapshot.Status
// ("creating | available | restoring | copying | deleting"), Redshift
// Serverless SnapshotStatus (AVAILABLE, CREATING, DELETED, CANCELLED,
// FAILED, COPYING). A CANCELLED snapshot (a cross-region copy stopped
// half-way) holds no usable data: Failed.
var rawStatuses = map[string]Status{
	"creating":  Creating,
	"available": Available,
	"copying":   Copying,
	"exporting": Exporting,
	"restoring": Restoring,
	"deleting":  Deleting,
	"deleted":   Deleted,
	"failed":    Failed,
	"cancelled": Failed,
}

// NormalizeStatus returns the normalised status of a service's status word
// (any case); Unknown for a word it does not know.
func NormalizeStatus(raw string) Status {
	if s, ok := rawStatuses[strings.ToLower(raw)]; ok {
		return s
	}
	return Unknown
}

// Source is the resource a snapshot is taken of.
type Source struct {
	ID         string // replication group / cluster / serverless cache / namespace name
	Kind       string // replication-group, cache-cluster, serverless-cache, cluster, namespace
	ARN        string
	Status     string // the service's own word, e.g. available, snapshotting
	Engine     string
	Shards     int   // node groups / shards; 1 where the service has none
	DataSizeMB int64 // when the service reports it; 0 when unknown
	// CanSnapshot and CanExport are false with a reason when the source
	// cannot (Memcached; data tiering for export).
	CanSnapshot bool
	CanExport   bool
	Reason      string
}

// Snapshot is one snapshot as snapflow sees it.
type Snapshot struct {
	Name      string            `json:"name"`
	ARN       string            `json:"arn,omitempty"`
	SourceID  string            `json:"sourceId,omitempty"`
	Status    Status            `json:"status"`
	RawStatus string            `json:"rawStatus"`
	CreatedAt time.Time         `json:"createdAt,omitempty"`
	Shards    int               `json:"shards,omitempty"`
	Tags      map[string]string `json:"tags,omitempty"`
	// EstimatedSecondsToCompletion is reported by Redshift Serverless while
	// the snapshot is being created; 0 when unknown.
	EstimatedSecondsToCompletion int64 `json:"estimatedSecondsToCompletion,omitempty"`
	ElapsedSeconds               int64 `json:"elapsedSeconds,omitempty"`
}

// Capabilities says which optional steps a service can do.
type Capabilities struct {
	Copy   bool
	Export bool
	// Reason explains a missing capability.
	Reason string
}

// CreateInput asks for a snapshot of a source.
type CreateInput struct {
	SourceID   string
	SourceKind string // elasticache only: replication-group (default) or cache-cluster
	Name       string
	Tags       map[string]string
	KMSKeyID   string
	// RetentionDays is Redshift Serverless's retentionPeriod (-1 keeps it
	// indefinitely; 0 leaves the service default).
	RetentionDays int
}

// CopyInput asks for a copy of an available snapshot.
type CopyInput struct {
	SourceName string
	TargetName string
	KMSKeyID   string
	Tags       map[string]string
}

// ExportInput asks for a snapshot to be written to S3.
type ExportInput struct {
	SnapshotName string
	// Name is the export's name: the prefix of the objects the service
	// writes (ElastiCache and MemoryDB name them <Name>-0001.rdb, …);
	// SnapshotName when empty. ElastiCache Serverless takes no name: it
	// names the objects after the snapshot and ignores Name.
	Name   string
	Bucket string
	// Prefix is a key prefix inside the bucket ("exports/" or "exports"; a
	// slash is added when missing), where the service supports one
	// (ElastiCache and MemoryDB; errclass.Unsupported for ElastiCache
	// Serverless).
	Prefix string
}

// Export is an export that has been started.
type Export struct {
	Bucket string `json:"bucket"`
	// Keys are the objects the export will write, one per shard, when the
	// service tells how many shards the snapshot has. ElastiCache
	// Serverless does not: Keys is then empty and the objects are those
	// under KeyPrefix.
	Keys []string `json:"keys,omitempty"`
	// KeyPrefix starts the key of every object the export writes
	// ("<prefix>/<name>-"); the objects are KeyPrefix + "0001.rdb", ….
	KeyPrefix string `json:"keyPrefix"`
	// SnapshotName is the snapshot whose status tells when the export is
	// done: it shows Exporting (ElastiCache) or Copying (MemoryDB) while
	// the objects are written and Available again after.
	SnapshotName string `json:"snapshotName"`
}

// Adapter is one service's snapshot operations. Every error it returns is an
// *errclass.Error whose cause, when AWS answered, is the SDK's error (code
// and message kept); see ErrorMap.
type Adapter interface {
	Service() string
	Capabilities() Capabilities
	// Source describes a source and whether it can snapshot and export. An
	// empty kind is the service's default kind.
	Source(ctx context.Context, id, kind string) (Source, error)
	// Create starts a snapshot, tagged on creation. A name already taken is
	// errclass.AlreadyExists.
	Create(ctx context.Context, in CreateInput) (Snapshot, error)
	// Describe returns a snapshot with its current status and tags (two
	// calls: describe, list tags). One that does not exist is
	// errclass.NotFound.
	Describe(ctx context.Context, name string) (Snapshot, error)
	// Copy starts a copy of an available snapshot (errclass.Unsupported where
	// the service has none).
	Copy(ctx context.Context, in CopyInput) (Snapshot, error)
	// Export starts an export to S3 (errclass.Unsupported where the service
	// has none).
	Export(ctx context.Context, in ExportInput) (Export, error)
	// List returns the manual snapshots of a source, copies included, with
	// their tags. It costs one call per page plus one list-tags call per
	// snapshot.
	List(ctx context.Context, sourceID, sourceKind string) ([]Snapshot, error)
	// Delete starts deleting a snapshot.
	Delete(ctx context.Context, name string) error
	// Tag adds tags to a snapshot. name may also be the snapshot's ARN, which
	// saves the lookup of the ARN (one call instead of two).
	Tag(ctx context.Context, name string, tags map[string]string) error
}
