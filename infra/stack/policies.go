package stack

import (
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"

	"github.com/snapflow/snapflow/internal/naming"
)

// Scope is what the handler roles are scoped to. Build it with NewScope.
type Scope struct {
	arns arns
	// Prefixes are the leading words of snapshot and copy names (sf, sfc and
	// the policies' copy prefixes); CopyPrefixes the same without sf.
	Prefixes, CopyPrefixes []string
	// Buckets are the export buckets.
	Buckets []string
	// BucketKey is the created export bucket's KMS key, if any.
	BucketKey awskms.IKey
	// CopyKeys are the KMS keys copies are encrypted with, as policies name
	// them.
	CopyKeys []string
}

// Resource-level permissions, from the Service Authorization Reference
// ("Actions, resources, and condition keys for ..."):
//   - ElastiCache: snapshot (arn:…:snapshot:<name>), serverlesscachesnapshot
//     (…:serverlesscachesnapshot:<name>), replicationgroup, cluster,
//     serverlesscache (by name). Snapshots are scoped by name prefix; the
//     sources by type, since any cache may be a target (explicit or tagged).
//   - MemoryDB: snapshot (…:snapshot/<name>), cluster (…:cluster/<name>).
//   - Redshift Serverless: namespace (…:namespace/<id>) and snapshot
//     (…:snapshot/<id>) are keyed by generated IDs, not names, so no name
//     prefix is possible: deletes are conditioned on the managed tag
//     (DeleteSnapshot supports aws:ResourceTag/${TagKey}).
//   - tag:GetResources and s3:ListAllMyBuckets support no resource-level
//     permission: Resource "*".
//
// Reads use type-wide ARNs in the stack's account and regions: describing
// a source or listing its snapshots names no snapflow resource.
const (
	ec  = "elasticache"
	mdb = "memorydb"
	rss = "redshift-serverless"
)

// managed conditions a statement on the snapflow:managed tag.
var managed = map[string]any{"StringEquals": map[string]any{"aws:ResourceTag/" + naming.TagManaged: naming.ManagedValue}}

func statements(fn string, s Scope) []awsiam.PolicyStatement {
	a := s.arns
	ecSources := a.of(ec, "replicationgroup:*", "cluster:*", "serverlesscache:*")
	ecSnapshots := a.of(ec, "snapshot:*", "serverlesscachesnapshot:*")
	ecNamed := func(prefixes []string) []string {
		return concat(a.named(ec, "snapshot", ":", prefixes), a.named(ec, "serverlesscachesnapshot", ":", prefixes))
	}
	sf := []string{naming.SnapshotPrefix}
	mdbClusters := a.of(mdb, "cluster/*")
	mdbSnapshots := a.of(mdb, "snapshot/*")
	mdbNamed := func(prefixes []string) []string { return a.named(mdb, "snapshot", "/", prefixes) }
	rssNamespaces := a.of(rss, "namespace/*")
	rssSnapshots := a.of(rss, "snapshot/*")

	switch fn {
	case "plan":
		return []awsiam.PolicyStatement{
			allow("FindTaggedTargets", []string{"tag:GetResources"}, []string{"*"}),
			// A tag selector finds namespaces by ARN (keyed by ID); plan maps
			// them to names. ListNamespaces has no resource-level permission.
			allow("ResolveNamespaces", []string{"redshift-serverless:ListNamespaces"}, []string{"*"}),
		}
	case "create":
		return []awsiam.PolicyStatement{
			allow("ElastiCacheRead", []string{"elasticache:DescribeReplicationGroups", "elasticache:DescribeCacheClusters",
				"elasticache:DescribeServerlessCaches"}, ecSources),
			allow("ElastiCacheSnapshotsRead", []string{"elasticache:DescribeSnapshots", "elasticache:DescribeServerlessCacheSnapshots",
				"elasticache:ListTagsForResource"}, ecSnapshots),
			allow("ElastiCacheCreate", []string{"elasticache:CreateSnapshot", "elasticache:CreateServerlessCacheSnapshot"},
				concat(ecSources, ecNamed(sf))),
			allow("ElastiCacheTagOnCreate", []string{"elasticache:AddTagsToResource"}, ecNamed(sf)),
			allow("MemoryDBRead", []string{"memorydb:DescribeClusters", "memorydb:DescribeSnapshots", "memorydb:ListTags"},
				concat(mdbClusters, mdbSnapshots)),
			allow("MemoryDBCreate", []string{"memorydb:CreateSnapshot"}, concat(mdbClusters, mdbNamed(sf))),
			allow("MemoryDBTagOnCreate", []string{"memorydb:TagResource"}, mdbNamed(sf)),
			// ListSnapshots finds the target's last snapshot, whose duration
			// tag times the first poll.
			allow("RedshiftServerlessRead", []string{"redshift-serverless:GetNamespace", "redshift-serverless:GetSnapshot",
				"redshift-serverless:ListSnapshots", "redshift-serverless:ListTagsForResource"}, concat(rssNamespaces, rssSnapshots)),
			allow("RedshiftServerlessCreate", []string{"redshift-serverless:CreateSnapshot"}, concat(rssNamespaces, rssSnapshots)),
			allow("RedshiftServerlessTagOnCreate", []string{"redshift-serverless:TagResource"}, rssSnapshots),
		}
	case "poll":
		return []awsiam.PolicyStatement{
			allow("ElastiCacheRead", []string{"elasticache:DescribeSnapshots", "elasticache:DescribeServerlessCacheSnapshots",
				"elasticache:DescribeReplicationGroups", "elasticache:DescribeCacheClusters", "elasticache:DescribeServerlessCaches",
				"elasticache:ListTagsForResource"}, concat(ecSources, ecSnapshots)),
			allow("MemoryDBRead", []string{"memorydb:DescribeSnapshots", "memorydb:DescribeClusters", "memorydb:ListTags"},
				concat(mdbClusters, mdbSnapshots)),
			allow("RedshiftServerlessRead", []string{"redshift-serverless:GetSnapshot", "redshift-serverless:GetNamespace",
				"redshift-serverless:ListTagsForResource"}, concat(rssNamespaces, rssSnapshots)),
			// A completed snapshot is tagged with its measured duration
			// (snapflow:duration-seconds); only snapflow's own snapshots.
			allow("ElastiCacheTagDuration", []string{"elasticache:AddTagsToResource"}, ecNamed(sf)),
			allow("MemoryDBTagDuration", []string{"memorydb:TagResource"}, mdbNamed(sf)),
			allow("RedshiftServerlessTagDuration", []string{"redshift-serverless:TagResource"}, rssSnapshots),
		}
	case "copy":
		out := []awsiam.PolicyStatement{
			// Tags are read to resume a copy that already exists.
			allow("ElastiCacheRead", []string{"elasticache:DescribeSnapshots", "elasticache:DescribeServerlessCacheSnapshots",
				"elasticache:ListTagsForResource"}, ecSnapshots),
			// The source (sf-…) and the copy (sfc-… or the policy's prefix).
			allow("ElastiCacheCopy", []string{"elasticache:CopySnapshot", "elasticache:CopyServerlessCacheSnapshot"}, ecNamed(s.Prefixes)),
			allow("ElastiCacheTagCopy", []string{"elasticache:AddTagsToResource"}, ecNamed(s.CopyPrefixes)),
			allow("MemoryDBRead", []string{"memorydb:DescribeSnapshots", "memorydb:ListTags"}, mdbSnapshots),
			allow("MemoryDBCopy", []string{"memorydb:CopySnapshot"}, mdbNamed(s.Prefixes)),
			allow("MemoryDBTagCopy", []string{"memorydb:TagResource"}, mdbNamed(s.CopyPrefixes)),
		}
		return append(out, copyKeyStatements(s)...)
	case "export":
		out := []awsiam.PolicyStatement{
			allow("ElastiCacheRead", []string{"elasticache:DescribeSnapshots", "elasticache:DescribeServerlessCacheSnapshots"}, ecSnapshots),
			// CopySnapshot with TargetBucket exports a node-based snapshot.
			allow("ElastiCacheExport", []string{"elasticache:CopySnapshot", "elasticache:ExportServerlessCacheSnapshot"}, ecNamed(s.Prefixes)),
			allow("MemoryDBRead", []string{"memorydb:DescribeSnapshots"}, mdbSnapshots),
			allow("MemoryDBExport", []string{"memorydb:CopySnapshot"}, mdbNamed(s.Prefixes)),
		}
		if len(s.Buckets) > 0 {
			// "Exporting a backup", ElastiCache User Guide, and "Exporting a
			// snapshot", MemoryDB Developer Guide: the caller of an export
			// needs s3:GetBucketLocation, s3:ListAllMyBuckets, s3:ListBucket,
			// s3:PutObject and s3:GetObject (the guides also list
			// s3:DeleteObject, which an export never needs: snapflow never
			// overwrites an object). The service validates the bucket's ACL
			// and policy with the caller's rights: s3:GetBucketAcl,
			// s3:GetBucketPolicy.
			out = append(out,
				allow("ExportBucket", []string{"s3:GetBucketLocation", "s3:ListBucket", "s3:GetBucketAcl", "s3:GetBucketPolicy"}, bucketARNs(a, s.Buckets)),
				allow("ExportObjects", []string{"s3:PutObject", "s3:GetObject"}, objectARNs(a, s.Buckets)),
				allow("ExportFindBucket", []string{"s3:ListAllMyBuckets"}, []string{"*"}),
			)
		}
		return out
	case "verify":
		if len(s.Buckets) == 0 {
			return nil
		}
		out := []awsiam.PolicyStatement{
			allow("ListExports", []string{"s3:ListBucket"}, bucketARNs(a, s.Buckets)),
			allow("ReadExports", []string{"s3:GetObject"}, objectARNs(a, s.Buckets)),
		}
		if s.BucketKey != nil {
			out = append(out, allow("DecryptExports", []string{"kms:Decrypt"}, []string{*s.BucketKey.KeyArn()}))
		}
		return out
	case "prune":
		return []awsiam.PolicyStatement{
			allow("ElastiCacheRead", []string{"elasticache:DescribeSnapshots", "elasticache:DescribeServerlessCacheSnapshots",
				"elasticache:ListTagsForResource"}, ecSnapshots),
			allowIf("ElastiCacheDeleteManaged", []string{"elasticache:DeleteSnapshot", "elasticache:DeleteServerlessCacheSnapshot"},
				ecNamed(s.Prefixes), managed),
			allow("MemoryDBRead", []string{"memorydb:DescribeSnapshots", "memorydb:ListTags"}, mdbSnapshots),
			allowIf("MemoryDBDeleteManaged", []string{"memorydb:DeleteSnapshot"}, mdbNamed(s.Prefixes), managed),
			allow("RedshiftServerlessRead", []string{"redshift-serverless:ListSnapshots", "redshift-serverless:GetSnapshot",
				"redshift-serverless:ListTagsForResource"}, concat(rssNamespaces, rssSnapshots)),
			allowIf("RedshiftServerlessDeleteManaged", []string{"redshift-serverless:DeleteSnapshot"}, rssSnapshots, managed),
		}
	}
	// summary: its metrics go out as EMF log lines, which need only the log
	// group grant every function has.
	return nil
}

// copyKeyStatements lets copy use the copy keys: CreateGrant only for AWS
// resources (the service holds the grant), the data key operations of a
// re-encrypting copy. Key ARNs and key IDs are scoped to the key; aliases
// through kms:ResourceAliases, since IAM matches key ARNs, not alias ARNs
// ("Using aliases to control access to KMS keys", AWS KMS Developer Guide).
func copyKeyStatements(s Scope) []awsiam.PolicyStatement {
	var direct, viaAlias, aliases []string
	add := func(list *[]string, values ...string) {
		for _, v := range values {
			if !slices.Contains(*list, v) {
				*list = append(*list, v)
			}
		}
	}
	for _, k := range s.CopyKeys {
		switch {
		case strings.HasPrefix(k, "arn:") && strings.Contains(k, ":key/"):
			add(&direct, k)
		case strings.HasPrefix(k, "arn:"): // arn:<partition>:kms:<region>:<account>:alias/<name>
			parts := strings.SplitN(k, ":", 6)
			add(&aliases, parts[5])
			add(&viaAlias, strings.Join(parts[:5], ":")+":key/*")
		case strings.HasPrefix(k, "alias/"):
			add(&aliases, k)
			add(&viaAlias, s.arns.of("kms", "key/*")...)
		default: // a key ID, in the stack's and the targets' regions
			add(&direct, s.arns.of("kms", "key/"+k)...)
		}
	}
	use := []string{"kms:DescribeKey", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*"}
	forAWS := map[string]any{"kms:GrantIsForAWSResource": "true"}
	var out []awsiam.PolicyStatement
	if len(direct) > 0 {
		out = append(out,
			allow("CopyKeyUse", use, direct),
			allowIf("CopyKeyGrant", []string{"kms:CreateGrant"}, direct, map[string]any{"Bool": forAWS}))
	}
	if len(aliases) > 0 {
		byAlias := map[string]any{"kms:ResourceAliases": aliases}
		out = append(out,
			allowIf("CopyKeyUseByAlias", use, viaAlias, map[string]any{"ForAnyValue:StringEquals": byAlias}),
			allowIf("CopyKeyGrantByAlias", []string{"kms:CreateGrant"}, viaAlias,
				map[string]any{"ForAnyValue:StringEquals": byAlias, "Bool": forAWS}))
	}
	return out
}

func bucketARNs(a arns, buckets []string) []string {
	out := make([]string, len(buckets))
	for i, b := range buckets {
		out[i] = "arn:" + a.partition + ":s3:::" + b
	}
	return out
}

func objectARNs(a arns, buckets []string) []string {
	out := make([]string, len(buckets))
	for i, b := range buckets {
		out[i] = "arn:" + a.partition + ":s3:::" + b + "/*"
	}
	return out
}

// suppressRole records why the role's wildcards are what they are.
func suppressRole(role awsiam.Role, fn string) {
	reasons := map[string]string{
		"plan":    "tag:GetResources has no resource-level permission (Resource must be *); X-Ray tracing writes take Resource *.",
		"create":  "Snapshot ARNs are scoped to snapflow's sf- name prefix; sources are any cache of the account and regions (targets come from tags at run time); Redshift Serverless ARNs hold generated IDs, not names; X-Ray writes take Resource *.",
		"poll":    "Read-only Describe/Get/List on the snapshot and source types of the stack's account and regions; X-Ray writes take Resource *.",
		"copy":    "Copies are scoped to snapflow's snapshot and copy name prefixes; copy keys named by alias are matched with kms:ResourceAliases on key/*; kms:GenerateDataKey* covers the plaintext and without-plaintext variants the service calls; X-Ray writes take Resource *.",
		"export":  "Exports are scoped to snapflow's name prefixes and the export buckets' objects; s3:ListAllMyBuckets has no resource-level permission and is required of the caller by the ElastiCache and MemoryDB export guides; X-Ray writes take Resource *.",
		"verify":  "Reads the export buckets' objects (bucket/*); X-Ray writes take Resource *.",
		"prune":   "Deletes are scoped to snapflow's name prefixes and conditioned on the snapflow:managed tag; Redshift Serverless snapshot ARNs hold generated IDs, so only the tag condition applies; X-Ray writes take Resource *.",
		"summary": "X-Ray tracing writes take Resource *.",
	}
	suppress(role, "AwsSolutions-IAM5", reasons[fn],
		"Resource::*",
		"Action::kms:GenerateDataKey*",
		regex(`/^Resource::arn:<AWS::Partition>:(elasticache|memorydb|redshift-serverless|kms):(<AWS::Region>|[a-z0-9-]+):(<AWS::AccountId>|[0-9]{12}):.*\*$/g`),
		regex(`/^Resource::arn:<AWS::Partition>:s3:::[a-z0-9.-]+\/\*$/g`),
	)
}
