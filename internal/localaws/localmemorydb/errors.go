package localmemorydb

import "github.com/snapflow/snapflow/internal/localaws/emu"

// MemoryDB's error codes are the names of the model's exception shapes (none
// overrides its code with an "error" trait, and none sets httpStatusCode, so
// every one is sent with HTTP 400). The messages are modelled on what AWS
// documents where it documents them (export errors, see export.go);
// elsewhere they are assumed, in the style of the service.

func errClusterNotFound(name string) *emu.APIError {
	return emu.Errorf("ClusterNotFoundFault", "Cluster %s not found", name)
}

func errClusterAlreadyExists(name string) *emu.APIError {
	return emu.Errorf("ClusterAlreadyExistsFault", "Cluster %s already exists", name)
}

func errInvalidClusterState(name, status string) *emu.APIError {
	return emu.Errorf("InvalidClusterStateFault", "Cluster %s is not in available state (current status: %s)", name, status)
}

func errSnapshotNotFound(name string) *emu.APIError {
	return emu.Errorf("SnapshotNotFoundFault", "Snapshot %s not found", name)
}

func errSnapshotAlreadyExists(name string) *emu.APIError {
	return emu.Errorf("SnapshotAlreadyExistsFault", "Snapshot with specified name %s already exists", name)
}

func errInvalidSnapshotState(name, status string) *emu.APIError {
	return emu.Errorf("InvalidSnapshotStateFault", "Snapshot %s is not in available state (current status: %s)", name, status)
}

func errSnapshotQuota(cluster string) *emu.APIError {
	return emu.Errorf("SnapshotQuotaExceededFault",
		"Cluster %s has reached the limit of %d manual snapshots in a 24-hour period", cluster, manualSnapshotsPerDay)
}

func errTagQuota(arn string) *emu.APIError {
	return emu.Errorf("TagQuotaPerResourceExceeded",
		"The request would give resource %s more than %d tags", arn, maxTagsPerResource)
}

func errTagNotFound(key, arn string) *emu.APIError {
	return emu.Errorf("TagNotFoundFault", "Tag with key %s not found on resource %s", key, arn)
}

func errInvalidARN(arn string) *emu.APIError {
	return emu.Errorf("InvalidARNFault", "The ARN %s is not valid", arn)
}

func errACLNotFound(name string) *emu.APIError {
	return emu.Errorf("ACLNotFoundFault", "ACL %s not found", name)
}

func errNodeQuotaForCluster(nodes int) *emu.APIError {
	return emu.Errorf("NodeQuotaForClusterExceededFault",
		"The cluster would have %d nodes, more than the %d allowed per cluster", nodes, maxNodesPerCluster)
}

func errInvalidValue(format string, args ...any) *emu.APIError {
	return emu.Errorf("InvalidParameterValueException", format, args...)
}

func errInvalidCombination(format string, args ...any) *emu.APIError {
	return emu.Errorf("InvalidParameterCombinationException", format, args...)
}

// errMissing answers a request that lacks a required member (the SDKs check
// this before sending; raw JSON and the CLI with --cli-input-json may not).
func errMissing(member string) *emu.APIError {
	return errInvalidValue("The parameter %s must be provided and must not be blank.", member)
}
