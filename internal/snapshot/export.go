package snapshot

import (
	"fmt"
	"sort"
	"strings"
)

// ExportTarget returns the name to give ElastiCache's and MemoryDB's
// CopySnapshot (TargetSnapshotName) for an export named name under the key
// prefix: "<prefix>/<name>", or name alone without a prefix. The service
// writes "<target>-0001.rdb", … (ElastiCache User Guide and MemoryDB
// Developer Guide, "Exporting a backup/snapshot").
func ExportTarget(prefix, name string) string {
	if prefix == "" {
		return name
	}
	if !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return prefix + name
}

// ExportKeys returns the objects an export to target writes, one per shard:
// "<target>-0001.rdb" … "<target>-000N.rdb".
func ExportKeys(target string, shards int) []string {
	keys := make([]string, shards)
	for i := range keys {
		keys[i] = fmt.Sprintf("%s-%04d.rdb", target, i+1)
	}
	return keys
}

// SortedKeys returns the keys of a tag map in order, so that requests are
// deterministic.
func SortedKeys(tags map[string]string) []string {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
