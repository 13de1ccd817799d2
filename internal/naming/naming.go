// Package naming derives the names and tags of the snapshots snapflow
// creates.
//
// Names are deterministic in (service, policy, target, slot), so a re-run of
// a slot finds the snapshot it made before instead of making a second one.
// They read "sf-<policy>-<target>-<yyyymmddhhmm>" (UTC). When that is longer
// than the service allows, the policy and target part is cut and the first 8
// hex digits of the SHA-256 of the full name are inserted before the
// timestamp, so cut names stay distinct and stable.
//
// A name is not a unique key: policy "a-b" with target "c" and policy "a"
// with target "b-c" produce the same name. The managed tags are the key;
// whoever finds a snapshot by name must check its snapflow:policy and
// snapflow:target tags before treating it as its own.
package naming

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/snapflow/snapflow/events"
)

// Managed tag keys, on every resource snapflow creates. Retention only
// touches snapshots that carry them.
const (
	TagManaged = "snapflow:managed" // always ManagedValue
	TagPolicy  = "snapflow:policy"  // the policy name
	TagTarget  = "snapflow:target"  // the target ID
	TagSlot    = "snapflow:slot"    // the slot, RFC 3339 UTC

	// ManagedValue is the value of TagManaged.
	ManagedValue = "true"
	// TagPrefix starts every managed tag key; users may not use it.
	TagPrefix = "snapflow:"
	// ManagedTagCount is the number of tags ManagedTags returns.
	ManagedTagCount = 4
)

// Leading words of snapshot and copy names.
const (
	SnapshotPrefix    = "sf"
	DefaultCopyPrefix = "sfc"
)

// ManagedTags returns the managed tags of a snapshot taken for target by
// policy at slot.
func ManagedTags(policy, target string, slot time.Time) map[string]string {
	return map[string]string{
		TagManaged: ManagedValue,
		TagPolicy:  policy,
		TagTarget:  target,
		TagSlot:    slot.UTC().Format(time.RFC3339),
	}
}

// lengths bounds snapshot names per service. Every service also gets the
// characters, first letter and hyphen rules of the strictest one (see
// ValidateName), so only the lengths differ.
var lengths = map[string]struct{ min, max int }{
	// "Must contain 1–40 alphanumeric characters or hyphens. Must begin with
	// a letter. Can't contain two consecutive hyphens. Can't end with a
	// hyphen." — Taking manual backups, Amazon ElastiCache User Guide,
	// https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/backups-manual.html
	events.ServiceElastiCache: {1, 40},
	// The API model allows 1–255 characters for ServerlessCacheSnapshotName
	// (CreateServerlessCacheSnapshotRequest), but the console backup
	// dialog on the page above applies the 40-character rule to every cache;
	// we keep to the stricter.
	events.ServiceElastiCacheServerless: {1, 40},
	// Same four rules for the snapshot name in the console — Making manual
	// snapshots, Amazon MemoryDB Developer Guide,
	// https://docs.aws.amazon.com/memorydb/latest/devguide/snapshots-manual.html
	events.ServiceMemoryDB: {1, 40},
	// SnapshotName: pattern ^[a-z0-9-]+$, 3–64 characters —
	// AWS::RedshiftServerless::Snapshot, CloudFormation Template Reference,
	// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-redshiftserverless-snapshot.html
	events.ServiceRedshiftServerless: {3, 64},
}

// strictest applies to a service missing from lengths.
var strictest = lengths[events.ServiceElastiCache]

// SnapshotName returns the name of the snapshot policy takes of targetID at
// slot on service.
//
// ElastiCache exports write "<name>-0001.rdb" (one object per shard) to S3;
// names are lowercase letters, digits and hyphens of at most 64 characters,
// all safe in object keys and far below the 1,024-byte key limit
// (Naming Amazon S3 objects,
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html).
func SnapshotName(service, policy, targetID string, slot time.Time) string {
	return build(service, SnapshotPrefix, policy, targetID, slot)
}

// CopyName returns the name of the copy of SnapshotName's snapshot. prefix
// replaces DefaultCopyPrefix when not empty; it must be a lowercase word
// other than SnapshotPrefix for copy names never to collide with snapshot
// names (internal/policy checks that).
func CopyName(service, prefix, policy, targetID string, slot time.Time) string {
	if prefix == "" {
		prefix = DefaultCopyPrefix
	}
	return build(service, prefix, policy, targetID, slot)
}

func build(service, prefix, policy, targetID string, slot time.Time) string {
	stamp := slot.UTC().Format("200601021504")
	body := sanitize(policy + "-" + targetID)
	full := prefix + "-" + stamp
	if body != "" {
		full = prefix + "-" + body + "-" + stamp
	}
	limit := bounds(service).max
	if len(full) <= limit {
		return full
	}
	sum := sha256.Sum256([]byte(full))
	hash := hex.EncodeToString(sum[:4])
	room := max(0, limit-len(prefix)-len(hash)-len(stamp)-3) // three hyphens
	cut := strings.TrimRight(body[:min(room, len(body))], "-")
	if cut == "" {
		return prefix + "-" + hash + "-" + stamp
	}
	return prefix + "-" + cut + "-" + hash + "-" + stamp
}

// sanitize lowercases s, turns every run of other characters than letters
// and digits into one hyphen and trims hyphens at both ends.
func sanitize(s string) string {
	var b strings.Builder
	hyphen := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			hyphen = false
			continue
		}
		hyphen = true
	}
	return b.String()
}

func bounds(service string) struct{ min, max int } {
	if l, ok := lengths[service]; ok {
		return l
	}
	return strictest
}

// ValidateName reports whether name is a snapshot name service accepts:
// within its length bounds, lowercase letters, digits and hyphens only,
// starting with a letter, not ending with a hyphen and without two
// consecutive hyphens.
func ValidateName(service, name string) error {
	b := bounds(service)
	switch {
	case len(name) < b.min || len(name) > b.max:
		return fmt.Errorf("%s snapshot name %q: must be %d to %d characters", service, name, b.min, b.max)
	case name[0] < 'a' || name[0] > 'z':
		return fmt.Errorf("%s snapshot name %q: must start with a lowercase letter", service, name)
	case strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789-") != "":
		return fmt.Errorf("%s snapshot name %q: must contain only lowercase letters, digits and hyphens", service, name)
	case strings.HasSuffix(name, "-") || strings.Contains(name, "--"):
		return fmt.Errorf("%s snapshot name %q: must not end with a hyphen or contain two consecutive hyphens", service, name)
	}
	return nil
}
