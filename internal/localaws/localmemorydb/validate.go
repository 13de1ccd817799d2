package localmemorydb

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// Limits, each with its source.
const (
	// maxClusterName and maxSnapshotName: MemoryDB accepts names of at most
	// 40 (cluster) and 255 (snapshot) characters made of letters, digits and
	// hyphens, no "--", not ending with "-", and stores them in lowercase
	// (API Reference, CreateSnapshot: "This value is stored as a lowercase
	// string"; AWS::MemoryDB::Cluster: "stored as a lowercase string"; the
	// lengths as the Terraform AWS provider validates them,
	// internal/service/memorydb/validate.go). A cluster name starting with a
	// letter is assumed, as ElastiCache requires.
	maxClusterName  = 40
	maxSnapshotName = 255
	// maxExportName: a TargetSnapshotName for an export "must be between 1
	// and 1,000 characters and able to be UTF-8 encoded" (MemoryDB Developer
	// Guide, "Exporting a snapshot").
	maxExportName = 1000

	// manualSnapshotsPerDay: "During any contiguous 24-hour period, you can
	// create no more than 20 manual snapshots per cluster." (Developer
	// Guide, "Snapshot constraints").
	manualSnapshotsPerDay = 20

	// maxTagsPerResource: AWS::MemoryDB::Cluster Tags maxItems 50
	// (CloudFormation resource schema), the AWS-wide tag limit. Keys 1-128
	// and values 0-256 characters, keys not starting with "aws:"
	// (AWS::MemoryDB::* Tag property patterns). maxTagsPerRequest: the
	// model's TagList max 200.
	maxTagsPerResource = 50
	maxTagKey          = 128
	maxTagValue        = 256
	maxTagsPerRequest  = 200

	// maxNodesPerCluster: "Nodes per cluster … 90" (Developer Guide,
	// "Quotas for MemoryDB"). maxReplicas: NumReplicasPerShard "The maximum
	// is 5" (API model).
	maxNodesPerCluster = 90
	maxReplicas        = 5

	// Pagination: "Omitting the parameter --max-results lists up to 50
	// snapshots" (Developer Guide, "Describing snapshots"); the upper bound
	// of 100 is assumed (larger values are clamped, not rejected).
	defaultMaxResults = 50
	maxMaxResults     = 100
)

// checkName validates a cluster or snapshot name and returns it lowercased.
func checkName(kind, member, name string, max int, letterFirst bool) (string, *emu.APIError) {
	if name == "" {
		return "", errMissing(member)
	}
	lower := strings.ToLower(name)
	bad := func(why string) (string, *emu.APIError) {
		return "", errInvalidValue("Invalid %s name %s: %s", kind, name, why)
	}
	if len(lower) > max {
		return bad("it must contain from 1 to " + strconv.Itoa(max) + " alphanumeric characters or hyphens.")
	}
	for _, r := range lower {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return bad("it may only contain alphanumeric characters or hyphens.")
		}
	}
	if letterFirst && !(lower[0] >= 'a' && lower[0] <= 'z') {
		return bad("the first character must be a letter.")
	}
	if strings.HasSuffix(lower, "-") || strings.Contains(lower, "--") {
		return bad("it cannot end with a hyphen or contain two consecutive hyphens.")
	}
	return lower, nil
}

func checkClusterName(member, name string) (string, *emu.APIError) {
	return checkName("cluster", member, name, maxClusterName, true)
}

func checkSnapshotName(member, name string) (string, *emu.APIError) {
	return checkName("snapshot", member, name, maxSnapshotName, false)
}

// checkExportName validates a TargetSnapshotName used as an S3 key prefix.
func checkExportName(name string) *emu.APIError {
	if name == "" {
		return errMissing("TargetSnapshotName")
	}
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > maxExportName {
		return errInvalidValue("Invalid TargetSnapshotName: it must be between 1 and %d characters and able to be UTF-8 encoded.", maxExportName)
	}
	return nil
}

// checkTags validates tags given in a request and returns them as a map.
func checkTags(tags []tagJSON) (map[string]string, *emu.APIError) {
	if len(tags) > maxTagsPerRequest {
		return nil, errInvalidValue("The Tags list can have at most %d tags.", maxTagsPerRequest)
	}
	out := make(map[string]string, len(tags))
	for _, t := range tags {
		k, v := str(t.Key), str(t.Value)
		if t.Key == nil || k == "" {
			return nil, errInvalidValue("Tag keys must not be null or empty.")
		}
		if utf8.RuneCountInString(k) > maxTagKey {
			return nil, errInvalidValue("Tag key %s is longer than %d characters.", k, maxTagKey)
		}
		if utf8.RuneCountInString(v) > maxTagValue {
			return nil, errInvalidValue("The value of tag %s is longer than %d characters.", k, maxTagValue)
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return nil, errInvalidValue("Tag keys starting with \"aws:\" are reserved for AWS use: %s", k)
		}
		out[k] = v
	}
	return out, nil
}

// mergeTags adds add to have, failing when the result exceeds the limit.
func mergeTags(arn string, have, add map[string]string) (map[string]string, *emu.APIError) {
	out := make(map[string]string, len(have)+len(add))
	for k, v := range have {
		out[k] = v
	}
	for k, v := range add {
		out[k] = v
	}
	if len(out) > maxTagsPerResource {
		return nil, errTagQuota(arn)
	}
	return out, nil
}

// tagList renders tags sorted by key.
func tagList(tags map[string]string) []tagJSON {
	out := make([]tagJSON, 0, len(tags))
	for _, k := range emu.SortedKeys(tags) {
		k, v := k, tags[k]
		out = append(out, tagJSON{Key: &k, Value: &v})
	}
	return out
}

// pageSize reads MaxResults: 50 when absent, clamped to 100, rejected when
// not positive.
func pageSize(p *int) (int, *emu.APIError) {
	if p == nil {
		return defaultMaxResults, nil
	}
	if *p < 1 {
		return 0, errInvalidValue("MaxResults must be greater than 0.")
	}
	return min(*p, maxMaxResults), nil
}

// page slices items for NextToken / size, mapping a bad token to MemoryDB's
// InvalidParameterValueException.
func page[T any](items []T, token *string, size int) ([]T, *string, *emu.APIError) {
	out, next, err := emu.Page(items, str(token), size)
	if err != nil {
		return nil, nil, errInvalidValue("Invalid NextToken: %s", str(token))
	}
	if next == "" {
		return out, nil, nil
	}
	return out, &next, nil
}
