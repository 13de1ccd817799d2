package localelasticache

import (
	"fmt"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// The error codes are the "error.code" of each exception shape in the model
// (awsQuery sends that code, e.g. CacheClusterNotFoundFault goes out as
// CacheClusterNotFound) and the statuses its "httpStatusCode". AWS does not
// publish most message texts; the ones below are written to name the
// resource and the reason, and are assumed unless a comment cites a source.

func errMissing(param string) *emu.APIError {
	// Common Errors: MissingParameter, HTTP 400.
	return emu.Errorf("MissingParameter", "The request must contain the parameter %s.", param)
}

func errInvalidValue(format string, args ...any) *emu.APIError {
	return emu.Errorf("InvalidParameterValue", format, args...)
}

func errInvalidCombination(format string, args ...any) *emu.APIError {
	return emu.Errorf("InvalidParameterCombination", format, args...)
}

func notFound(code, format string, args ...any) *emu.APIError {
	return &emu.APIError{Code: code, Message: fmt.Sprintf(format, args...), Status: 404}
}

func errReplicationGroupNotFound(id string) *emu.APIError {
	return notFound("ReplicationGroupNotFoundFault", "Replication group %s not found.", id)
}

func errCacheClusterNotFound(id string) *emu.APIError {
	return notFound("CacheClusterNotFound", "Cache cluster %s not found.", id)
}

func errServerlessCacheNotFound(name string) *emu.APIError {
	return notFound("ServerlessCacheNotFoundFault", "Serverless cache %s not found.", name)
}

func errSnapshotNotFound(name string) *emu.APIError {
	return notFound("SnapshotNotFoundFault", "Snapshot %s not found.", name)
}

func errServerlessSnapshotNotFound(name string) *emu.APIError {
	return notFound("ServerlessCacheSnapshotNotFoundFault", "Serverless cache snapshot %s not found.", name)
}

func errReplicationGroupExists(id string) *emu.APIError {
	return emu.Errorf("ReplicationGroupAlreadyExists", "Replication group %s already exists.", id)
}

func errCacheClusterExists(id string) *emu.APIError {
	return emu.Errorf("CacheClusterAlreadyExists", "Cache cluster %s already exists.", id)
}

func errServerlessCacheExists(name string) *emu.APIError {
	return emu.Errorf("ServerlessCacheAlreadyExistsFault", "Serverless cache %s already exists.", name)
}

func errSnapshotExists(name string) *emu.APIError {
	return emu.Errorf("SnapshotAlreadyExistsFault", "Snapshot %s already exists.", name)
}

func errServerlessSnapshotExists(name string) *emu.APIError {
	return emu.Errorf("ServerlessCacheSnapshotAlreadyExistsFault", "Serverless cache snapshot %s already exists.", name)
}

func errInvalidReplicationGroupState(id, status string) *emu.APIError {
	return emu.Errorf("InvalidReplicationGroupState", "Replication group %s is not in available state (current status: %s).", id, status)
}

func errInvalidCacheClusterState(id, status string) *emu.APIError {
	return emu.Errorf("InvalidCacheClusterState", "Cache cluster %s is not in available state (current status: %s).", id, status)
}

func errInvalidServerlessCacheState(name string) *emu.APIError {
	return emu.Errorf("InvalidServerlessCacheStateFault", "Serverless cache %s is not in available state or has an operation in progress.", name)
}

func errInvalidSnapshotState(name, status string) *emu.APIError {
	return emu.Errorf("InvalidSnapshotState", "Snapshot %s is not in available state (current status: %s).", name, status)
}

func errInvalidServerlessCacheSnapshotState(name string) *emu.APIError {
	return emu.Errorf("InvalidServerlessCacheSnapshotStateFault", "Serverless cache snapshot %s is not in available state.", name)
}

// errSnapshotQuota: "During any contiguous 24-hour period, you can create no
// more than 20 manual backups per node" (ElastiCache User Guide, "Taking
// manual backups").
func errSnapshotQuota(source string, limit int) *emu.APIError {
	return emu.Errorf("SnapshotQuotaExceededFault", "Cannot create a snapshot of %s: no more than %d manual snapshots (20 per node) may be created in any contiguous 24-hour period.", source, limit)
}

// errServerlessSnapshotQuota: "you can create no more than 24 manual backups
// per serverless cache" in any contiguous 24-hour period (User Guide,
// "Snapshot and restore", Backup constraints).
func errServerlessSnapshotQuota(name string) *emu.APIError {
	return emu.Errorf("ServerlessCacheSnapshotQuotaExceededFault", "Cannot create a snapshot of serverless cache %s: no more than 24 manual snapshots may be created in any contiguous 24-hour period.", name)
}

// errSnapshotNotSupported: SnapshotFeatureNotSupportedFault is documented
// for snapshots of Memcached clusters and of cache.t1.micro nodes (model).
func errSnapshotNotSupported(format string, args ...any) *emu.APIError {
	return emu.Errorf("SnapshotFeatureNotSupportedFault", format, args...)
}

// errTagQuota: "The maximum number of tags permitted on a resource is 50"
// (model, TagQuotaPerResourceExceeded).
func errTagQuota() *emu.APIError {
	return emu.Errorf("TagQuotaPerResourceExceeded", "The request cannot be processed because it would cause the resource to have more than the allowed number of tags. The maximum number of tags permitted on a resource is 50.")
}

func errTagNotFound(k string) *emu.APIError {
	return notFound("TagNotFound", "The tag %s was not found on this resource.", k)
}

func errInvalidARN(arn string) *emu.APIError {
	return emu.Errorf("InvalidARN", "The ARN %s does not refer to an ElastiCache resource in this account and region.", arn)
}
