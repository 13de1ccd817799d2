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
//
// Each statement grants its actions only on resource types they are
// authorized on (internal/iamcheck's table, needs.go): a statement per
// resource type, so no grant is of an action on a type IAM never checks it
// against.
const (
	ec  = "elasticache"
	mdb = "memorydb"
	rss = "redshift-serverless"
)

// managed conditions a statement on the snapflow:managed tag.
var managed = map[string]any{"StringEquals": map[string]any{"aws:ResourceTag/" + naming.TagManaged: naming.ManagedValue}}

func statements(fn string, s Scope) []awsiam.PolicyStatement {
	a := s.arns
	sf := []string{naming.SnapshotPrefix}
	// Types, type-wide: the sources and every snapshot of a type.
	ecGroups := a.of(ec, "replicationgroup:*")
	ecClusters := a.of(ec, "cluster:*")
	ecServerless := a.of(ec, "serverlesscache:*")
	ecSnapshots := a.of(ec, "snapshot:*")
	ecServerlessSnapshots := a.of(ec, "serverlesscachesnapshot:*")
	mdbClusters := a.of(mdb, "cluster/*")
	mdbSnapshots := a.of(mdb, "snapshot/*")
	rssNamespaces := a.of(rss, "namespace/*")
	rssSnapshots := a.of(rss, "snapshot/*")
	// Snapshots by name prefix.
	ecNamed := func(prefixes []string) []string { return a.named(ec, "snapshot", ":", prefixes) }
	ecServerlessNamed := func(prefixes []string) []string { return a.named(ec, "serverlesscachesnapshot", ":", prefixes) }
	mdbNamed := func(prefixes []string) []string { return a.named(mdb, "snapshot", "/", prefixes) }

	// The snapshot reads every handler but plan, export and verify needs:
	// describe a snapshot by name, or list a source's (List, filtered by
	// the source: authorized on the whole snapshot type), and list a
	// snapshot's tags.
	ecSnapshotsRead := []awsiam.PolicyStatement{
		allow("ElastiCacheSnapshotsRead", []string{"elasticache:DescribeSnapshots", "elasticache:ListTagsForResource"}, ecSnapshots),
		allow("ElastiCacheServerlessSnapshotsRead", []string{"elasticache:DescribeServerlessCacheSnapshots", "elasticache:ListTagsForResource"},
			ecServerlessSnapshots),
	}
	mdbSnapshotsRead := allow("MemoryDBSnapshotsRead", []string{"memorydb:DescribeSnapshots", "memorydb:ListTags"}, mdbSnapshots)
	// deleteManaged deletes snapshots of the prefixes that carry the
	// managed tag: prune's retention, and create's and copy's removal of
	// their own failed snapshot or copy of the slot.
	deleteManaged := func(prefixes []string, redshift bool) []awsiam.PolicyStatement {
		out := []awsiam.PolicyStatement{
			allowIf("ElastiCacheDeleteManaged", []string{"elasticache:DeleteSnapshot"}, ecNamed(prefixes), managed),
			allowIf("ElastiCacheServerlessDeleteManaged", []string{"elasticache:DeleteServerlessCacheSnapshot"}, ecServerlessNamed(prefixes), managed),
			allowIf("MemoryDBDeleteManaged", []string{"memorydb:DeleteSnapshot"}, mdbNamed(prefixes), managed),
		}
		if redshift {
			out = append(out, allowIf("RedshiftServerlessDeleteManaged", []string{"redshift-serverless:DeleteSnapshot"}, rssSnapshots, managed))
		}
		return out
	}

	switch fn {
	case "plan":
		return []awsiam.PolicyStatement{
			allow("FindTaggedTargets", []string{"tag:GetResources"}, []string{"*"}),
			// A tag selector finds namespaces by ARN (keyed by ID); plan maps
			// them to names. ListNamespaces has no resource-level permission.
			allow("ResolveNamespaces", []string{"redshift-serverless:ListNamespaces"}, []string{"*"}),
		}
	case "create":
		out := []awsiam.PolicyStatement{
			// The source: described, then snapshotted (CreateSnapshot is
			// authorized on the replication group or cache cluster and on
			// the new snapshot; CreateServerlessCacheSnapshot likewise).
			allow("ElastiCacheReplicationGroups", []string{"elasticache:DescribeReplicationGroups", "elasticache:CreateSnapshot"}, ecGroups),
			allow("ElastiCacheCacheClusters", []string{"elasticache:DescribeCacheClusters", "elasticache:CreateSnapshot"}, ecClusters),
			allow("ElastiCacheServerlessCaches", []string{"elasticache:DescribeServerlessCaches", "elasticache:CreateServerlessCacheSnapshot"}, ecServerless),
			allow("ElastiCacheCreate", []string{"elasticache:CreateSnapshot"}, ecNamed(sf)),
			allow("ElastiCacheServerlessCreate", []string{"elasticache:CreateServerlessCacheSnapshot"}, ecServerlessNamed(sf)),
			allow("ElastiCacheTagOnCreate", []string{"elasticache:AddTagsToResource"}, concat(ecNamed(sf), ecServerlessNamed(sf))),
		}
		out = append(out, ecSnapshotsRead...)
		out = append(out,
			// MemoryDB's CreateSnapshot is authorized on the cluster only.
			allow("MemoryDBClusters", []string{"memorydb:DescribeClusters", "memorydb:CreateSnapshot"}, mdbClusters),
			allow("MemoryDBTagOnCreate", []string{"memorydb:TagResource"}, mdbNamed(sf)),
			mdbSnapshotsRead,
			allow("RedshiftServerlessNamespaces", []string{"redshift-serverless:GetNamespace", "redshift-serverless:CreateSnapshot"}, rssNamespaces),
			allow("RedshiftServerlessCreate", []string{"redshift-serverless:CreateSnapshot"}, rssSnapshots),
			allow("RedshiftServerlessTagOnCreate", []string{"redshift-serverless:TagResource"}, rssSnapshots),
			// A snapshot found there (resume), and the target's last
			// snapshot, whose duration tag times the first poll.
			allow("RedshiftServerlessSnapshotsRead", []string{"redshift-serverless:GetSnapshot", "redshift-serverless:ListSnapshots",
				"redshift-serverless:ListTagsForResource"}, rssSnapshots),
		)
		// A failed snapshot of the slot is deleted so that a re-run can
		// make it again: only snapflow's (sf-, managed).
		return append(out, deleteManaged(sf, true)...)
	case "poll":
		// Poll describes the watched snapshot or copy and lists its tags;
		// it never reads a source.
		out := append([]awsiam.PolicyStatement{}, ecSnapshotsRead...)
		return append(out,
			mdbSnapshotsRead,
			allow("RedshiftServerlessSnapshotsRead", []string{"redshift-serverless:GetSnapshot", "redshift-serverless:ListTagsForResource"}, rssSnapshots),
			// A completed snapshot is tagged with its measured duration
			// (snapflow:duration-seconds); only snapflow's own snapshots.
			allow("ElastiCacheTagDuration", []string{"elasticache:AddTagsToResource"}, concat(ecNamed(sf), ecServerlessNamed(sf))),
			allow("MemoryDBTagDuration", []string{"memorydb:TagResource"}, mdbNamed(sf)),
			allow("RedshiftServerlessTagDuration", []string{"redshift-serverless:TagResource"}, rssSnapshots),
		)
	case "copy":
		// Tags are read to resume a copy that already exists.
		out := append([]awsiam.PolicyStatement{}, ecSnapshotsRead...)
		out = append(out,
			// The source (sf-…) and the copy (sfc-… or the policy's prefix).
			allow("ElastiCacheCopy", []string{"elasticache:CopySnapshot"}, ecNamed(s.Prefixes)),
			allow("ElastiCacheServerlessCopy", []string{"elasticache:CopyServerlessCacheSnapshot"}, ecServerlessNamed(s.Prefixes)),
			allow("ElastiCacheTagCopy", []string{"elasticache:AddTagsToResource"}, concat(ecNamed(s.CopyPrefixes), ecServerlessNamed(s.CopyPrefixes))),
			mdbSnapshotsRead,
			allow("MemoryDBCopy", []string{"memorydb:CopySnapshot"}, mdbNamed(s.Prefixes)),
			allow("MemoryDBTagCopy", []string{"memorydb:TagResource"}, mdbNamed(s.CopyPrefixes)),
		)
		// A failed copy of the slot is deleted so that a re-run can make
		// it again: only snapflow's copies (copy prefixes, managed).
		out = append(out, deleteManaged(s.CopyPrefixes, false)...)
		return append(out, copyKeyStatements(s)...)
	case "export":
		// Export exports the slot's snapshot (sf-), never a copy, and reads
		// nothing first. CopySnapshot with TargetBucket is authorized on the
		// source snapshot only: its TargetSnapshotName names the objects.
		out := []awsiam.PolicyStatement{
			allow("ElastiCacheExport", []string{"elasticache:CopySnapshot"}, ecNamed(sf)),
			allow("ElastiCacheServerlessExport", []string{"elasticache:ExportServerlessCacheSnapshot"}, ecServerlessNamed(sf)),
			allow("MemoryDBExport", []string{"memorydb:CopySnapshot"}, mdbNamed(sf)),
		}
		if len(s.Buckets) > 0 {
			// "ElastiCache API permissions: actions, resources, and
			// conditions reference" (ElastiCache User Guide) and "MemoryDB
			// API permissions: Actions, resources, and conditions reference"
			// (MemoryDB Developer Guide): CopySnapshot, which exports with a
			// TargetBucket, requires of the caller s3:GetBucketLocation and
			// s3:ListAllMyBuckets besides the service's own actions. The
			// objects are written by the service itself, through the grant
			// the bucket's ACL (ElastiCache's canonical user) and policy
			// (MemoryDB's service principal) give it (bucket.go). The export
			// guides ("Exporting a backup", ElastiCache User Guide;
			// "Exporting a snapshot", MemoryDB Developer Guide) also list
			// for the caller s3:ListBucket, s3:PutObject and s3:GetObject
			// (and s3:DeleteObject, which snapflow never needs: it never
			// overwrites an object), and deployments in the field grant
			// s3:GetBucketAcl; a service checks them, if at all, inside the
			// export. They cost little on the export buckets alone, and a
			// missing one would fail every export with AccessDenied: granted.
			out = append(out,
				allow("ExportBucket", []string{"s3:GetBucketLocation", "s3:ListBucket", "s3:GetBucketAcl"}, bucketARNs(a, s.Buckets)),
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
		// Prune lists a source's snapshots with their tags, and deletes.
		out := append([]awsiam.PolicyStatement{}, ecSnapshotsRead...)
		out = append(out,
			mdbSnapshotsRead,
			allow("RedshiftServerlessSnapshotsRead", []string{"redshift-serverless:ListSnapshots", "redshift-serverless:ListTagsForResource"}, rssSnapshots),
		)
		return append(out, deleteManaged(s.Prefixes, true)...)
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
		"create":  "Snapshot ARNs are scoped to snapflow's sf- name prefix, and its deletes of its own failed snapshot are also conditioned on the snapflow:managed tag; sources are any cache of the account and regions (targets come from tags at run time); reads of snapshots are type-wide (a source's snapshots are listed by the source); Redshift Serverless ARNs hold generated IDs, not names; X-Ray writes take Resource *.",
		"poll":    "Read-only Describe/Get/List on the snapshot types of the stack's account and regions; the duration tag only on snapflow's sf- snapshots (Redshift Serverless snapshot ARNs hold generated IDs); X-Ray writes take Resource *.",
		"copy":    "Copies are scoped to snapflow's snapshot and copy name prefixes, and deletes of its own failed copy are also conditioned on the snapflow:managed tag; copy keys named by alias are matched with kms:ResourceAliases on key/*; kms:GenerateDataKey* covers the plaintext and without-plaintext variants the service calls; X-Ray writes take Resource *.",
		"export":  "Exports are scoped to snapflow's sf- snapshots and the export buckets; s3:ListAllMyBuckets has no resource-level permission and is required of the caller of CopySnapshot by the ElastiCache and MemoryDB API permissions references; X-Ray writes take Resource *.",
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
