package config

import (
	"slices"

	"github.com/snapflow/snapflow/internal/naming"
)

// What the stack's IAM policies are scoped to, derived from the policies.
// A manual run whose policy goes beyond it (another region, bucket, copy
// prefix or KMS key) fails with Snapflow.AccessDenied: add such a policy to
// the configuration and deploy.

// TargetRegions returns the regions explicit targets name, sorted; the
// stack's own region is not included (it may be unknown at synth).
func (c *Config) TargetRegions() []string {
	var regions []string
	for _, p := range c.Policies {
		for _, t := range p.Targets {
			if t.Region != "" && !slices.Contains(regions, t.Region) {
				regions = append(regions, t.Region)
			}
		}
	}
	slices.Sort(regions)
	return regions
}

// ExportBuckets returns the export bucket and every bucket a policy exports
// to, sorted, without duplicates.
func (c *Config) ExportBuckets() []string {
	var buckets []string
	if name := c.ExportBucket.BucketName(); name != "" {
		buckets = append(buckets, name)
	}
	for _, p := range c.Policies {
		if p.Export != nil && !slices.Contains(buckets, p.Export.Bucket) {
			buckets = append(buckets, p.Export.Bucket)
		}
	}
	slices.Sort(buckets)
	return buckets
}

// SnapshotPrefixes returns the leading words of the names of snapshots and
// copies snapflow makes: naming.SnapshotPrefix, naming.DefaultCopyPrefix and
// every copy prefix a policy sets, sorted.
func (c *Config) SnapshotPrefixes() []string {
	prefixes := []string{naming.SnapshotPrefix, naming.DefaultCopyPrefix}
	for _, p := range c.Policies {
		if p.Copy != nil && p.Copy.Prefix != "" && !slices.Contains(prefixes, p.Copy.Prefix) {
			prefixes = append(prefixes, p.Copy.Prefix)
		}
	}
	slices.Sort(prefixes)
	return prefixes
}

// CopyKeys returns the KMS keys copies are encrypted with, as the policies
// name them (key ARN, alias ARN, alias name or key ID), sorted.
func (c *Config) CopyKeys() []string {
	var keys []string
	for _, p := range c.Policies {
		if p.Copy != nil && p.Copy.KMSKeyID != "" && !slices.Contains(keys, p.Copy.KMSKeyID) {
			keys = append(keys, p.Copy.KMSKeyID)
		}
	}
	slices.Sort(keys)
	return keys
}
