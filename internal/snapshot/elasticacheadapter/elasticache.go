// Package elasticacheadapter is the snapshot.Adapter of node-based Amazon
// ElastiCache (Valkey and Redis OSS): snapshots of replication groups,
// cluster mode disabled or enabled, and of cache clusters. Exports to S3 are
// CopySnapshot with a TargetBucket.
package elasticacheadapter

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"

	"github.com/snapflow/snapflow/internal/errclass"
	"github.com/snapflow/snapflow/internal/snapshot"
)

// Source kinds.
const (
	KindReplicationGroup = "replication-group" // the default
	KindCacheCluster     = "cache-cluster"
)

// ElastiCacheAPI is the part of the ElastiCache client the adapter uses,
// with the SDK's signatures.
type ElastiCacheAPI interface {
	DescribeReplicationGroups(ctx context.Context, params *elasticache.DescribeReplicationGroupsInput, optFns ...func(*elasticache.Options)) (*elasticache.DescribeReplicationGroupsOutput, error)
	DescribeCacheClusters(ctx context.Context, params *elasticache.DescribeCacheClustersInput, optFns ...func(*elasticache.Options)) (*elasticache.DescribeCacheClustersOutput, error)
	CreateSnapshot(ctx context.Context, params *elasticache.CreateSnapshotInput, optFns ...func(*elasticache.Options)) (*elasticache.CreateSnapshotOutput, error)
	DescribeSnapshots(ctx context.Context, params *elasticache.DescribeSnapshotsInput, optFns ...func(*elasticache.Options)) (*elasticache.DescribeSnapshotsOutput, error)
	CopySnapshot(ctx context.Context, params *elasticache.CopySnapshotInput, optFns ...func(*elasticache.Options)) (*elasticache.CopySnapshotOutput, error)
	DeleteSnapshot(ctx context.Context, params *elasticache.DeleteSnapshotInput, optFns ...func(*elasticache.Options)) (*elasticache.DeleteSnapshotOutput, error)
	ListTagsForResource(ctx context.Context, params *elasticache.ListTagsForResourceInput, optFns ...func(*elasticache.Options)) (*elasticache.ListTagsForResourceOutput, error)
	AddTagsToResource(ctx context.Context, params *elasticache.AddTagsToResourceInput, optFns ...func(*elasticache.Options)) (*elasticache.AddTagsToResourceOutput, error)
}

var (
	_ ElastiCacheAPI                         = (*elasticache.Client)(nil)
	_ elasticache.DescribeSnapshotsAPIClient = ElastiCacheAPI(nil)
	_ snapshot.Adapter                       = (*Adapter)(nil)
)

// errs maps ElastiCache's error codes (the wire codes of the model's
// exception shapes; CommonCodes cover the rest).
var errs = snapshot.ErrorMap{
	Service: snapshot.ElastiCache,
	Codes: snapshot.Codes{
		"APICallRateForCustomerExceeded":   errclass.Throttled,
		"InvalidReplicationGroupState":     errclass.TargetBusy,
		"InvalidCacheClusterState":         errclass.TargetBusy,
		"InvalidSnapshotState":             errclass.TargetBusy,
		"ReplicationGroupNotFoundFault":    errclass.NotFound,
		"CacheClusterNotFound":             errclass.NotFound,
		"SnapshotNotFoundFault":            errclass.NotFound,
		"SnapshotAlreadyExistsFault":       errclass.AlreadyExists,
		"SnapshotQuotaExceededFault":       errclass.QuotaExceeded,
		"SnapshotFeatureNotSupportedFault": errclass.Unsupported,
		"InvalidParameterValue":            errclass.InvalidInput,
		"InvalidParameterCombination":      errclass.InvalidInput,
		"InvalidARN":                       errclass.InvalidInput,
		"InvalidKMSKeyFault":               errclass.InvalidInput,
		"TagQuotaPerResourceExceeded":      errclass.InvalidInput,
		"AccessDenied":                     errclass.AccessDenied,
		"ServiceLinkedRoleNotFoundFault":   errclass.AccessDenied,
	},
	Refinements: append(snapshot.ExportRefinements("InvalidParameterValue"),
		// A member of a cluster-mode-enabled group: "snapshots are taken
		// at replication-group level only".
		snapshot.Refinement{Code: "InvalidParameterValue", Text: "cluster mode enabled", Class: errclass.Unsupported}),
}

// Adapter is the node-based ElastiCache snapshot.Adapter.
type Adapter struct{ c ElastiCacheAPI }

// New returns an adapter over c (an *elasticache.Client).
func New(c ElastiCacheAPI) *Adapter { return &Adapter{c: c} }

// Service is snapshot.ElastiCache.
func (a *Adapter) Service() string { return snapshot.ElastiCache }

// Capabilities: copy, and export to S3 (not for data-tiering sources, see
// Source).
func (a *Adapter) Capabilities() snapshot.Capabilities {
	return snapshot.Capabilities{Copy: true, Export: true}
}

// words names a source in messages.
func words(kind, id string) string {
	if kind == KindCacheCluster {
		return "cache cluster " + id
	}
	return "replication group " + id
}

func checkKind(op, id, kind string) error {
	return errs.CheckKind(op, id, kind, KindReplicationGroup, KindCacheCluster)
}

// Source describes a replication group (one DescribeReplicationGroups call)
// or a cache cluster (DescribeCacheClusters, plus DescribeReplicationGroups
// for a member of a group, whose cluster mode decides whether it can be
// snapshotted alone). Reasons it cannot: Memcached, cache.t1 nodes and
// members of cluster-mode-enabled groups cannot snapshot; snapshots of
// data-tiering groups cannot be exported.
func (a *Adapter) Source(ctx context.Context, id, kind string) (snapshot.Source, error) {
	if err := checkKind("Source", id, kind); err != nil {
		return snapshot.Source{}, err
	}
	if kind == KindCacheCluster {
		return a.cacheCluster(ctx, id)
	}
	g, err := a.group(ctx, id)
	if err != nil {
		return snapshot.Source{}, err
	}
	src := snapshot.Source{
		ID:          aws.ToString(g.ReplicationGroupId),
		Kind:        KindReplicationGroup,
		ARN:         aws.ToString(g.ARN),
		Status:      aws.ToString(g.Status),
		Engine:      orDefault(aws.ToString(g.Engine), "redis"),
		Shards:      max(1, len(g.NodeGroups)),
		CanSnapshot: true,
		CanExport:   true,
	}
	if g.DataTiering == types.DataTieringStatusEnabled {
		src.CanExport = false
		src.Reason = "replication group " + src.ID + " uses data tiering: its snapshots cannot be exported to S3"
	}
	return src, nil
}

func (a *Adapter) group(ctx context.Context, id string) (*types.ReplicationGroup, error) {
	out, err := a.c.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String(id)})
	if err != nil {
		return nil, errs.Wrap(err, "DescribeReplicationGroups", id)
	}
	if len(out.ReplicationGroups) == 0 {
		return nil, errclass.New(errclass.NotFound, "elasticache DescribeReplicationGroups %s: no such replication group", id)
	}
	return &out.ReplicationGroups[0], nil
}

func clusterEnabled(g *types.ReplicationGroup) bool {
	return aws.ToBool(g.ClusterEnabled) || g.ClusterMode == types.ClusterModeEnabled
}

func (a *Adapter) cacheCluster(ctx context.Context, id string) (snapshot.Source, error) {
	out, err := a.c.DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{CacheClusterId: aws.String(id)})
	if err != nil {
		return snapshot.Source{}, errs.Wrap(err, "DescribeCacheClusters", id)
	}
	if len(out.CacheClusters) == 0 {
		return snapshot.Source{}, errclass.New(errclass.NotFound, "elasticache DescribeCacheClusters %s: no such cache cluster", id)
	}
	cl := out.CacheClusters[0]
	src := snapshot.Source{
		ID:          aws.ToString(cl.CacheClusterId),
		Kind:        KindCacheCluster,
		ARN:         aws.ToString(cl.ARN),
		Status:      aws.ToString(cl.CacheClusterStatus),
		Engine:      aws.ToString(cl.Engine),
		Shards:      1,
		CanSnapshot: true,
		CanExport:   true,
	}
	no := func(reason string) {
		src.CanSnapshot, src.CanExport, src.Reason = false, false, reason
	}
	switch {
	case src.Engine == "memcached":
		no("cache cluster " + src.ID + " runs Memcached, which cannot snapshot")
	case strings.HasPrefix(aws.ToString(cl.CacheNodeType), "cache.t1."):
		no("cache cluster " + src.ID + " runs on " + aws.ToString(cl.CacheNodeType) + " nodes, which cannot snapshot")
	case cl.ReplicationGroupId != nil:
		g, err := a.group(ctx, *cl.ReplicationGroupId)
		if err != nil {
			return snapshot.Source{}, err
		}
		if clusterEnabled(g) {
			no("cache cluster " + src.ID + " is a member of replication group " + *cl.ReplicationGroupId +
				", which has cluster mode enabled: only the whole group can be snapshotted")
		} else if g.DataTiering == types.DataTieringStatusEnabled {
			src.CanExport = false
			src.Reason = "cache cluster " + src.ID + " belongs to a data-tiering group: its snapshots cannot be exported to S3"
		}
	}
	return src, nil
}

// Create starts CreateSnapshot of a replication group or cache cluster,
// with the tags (one call).
func (a *Adapter) Create(ctx context.Context, in snapshot.CreateInput) (snapshot.Snapshot, error) {
	if err := checkKind("CreateSnapshot", in.Name, in.SourceKind); err != nil {
		return snapshot.Snapshot{}, err
	}
	req := &elasticache.CreateSnapshotInput{
		SnapshotName: aws.String(in.Name),
		Tags:         toTags(in.Tags),
		KmsKeyId:     optional(in.KMSKeyID),
	}
	if in.SourceKind == KindCacheCluster {
		req.CacheClusterId = aws.String(in.SourceID)
	} else {
		req.ReplicationGroupId = aws.String(in.SourceID)
	}
	out, err := a.c.CreateSnapshot(ctx, req)
	if err != nil {
		return snapshot.Snapshot{}, errs.Wrap(err, "CreateSnapshot", in.Name+" ("+words(in.SourceKind, in.SourceID)+")")
	}
	return snapshot.WithTags(convert(out.Snapshot), in.Tags), nil
}

// Describe returns a snapshot with its tags (DescribeSnapshots,
// ListTagsForResource).
func (a *Adapter) Describe(ctx context.Context, name string) (snapshot.Snapshot, error) {
	return snapshot.DescribeTagged(ctx, name, a.describe, a.tags)
}

func (a *Adapter) describe(ctx context.Context, name string) (snapshot.Snapshot, error) {
	out, err := a.c.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{SnapshotName: aws.String(name)})
	if err != nil {
		return snapshot.Snapshot{}, errs.Wrap(err, "DescribeSnapshots", name)
	}
	if len(out.Snapshots) == 0 {
		return snapshot.Snapshot{}, errclass.New(errclass.NotFound, "elasticache DescribeSnapshots %s: no such snapshot", name)
	}
	return convert(&out.Snapshots[0]), nil
}

func (a *Adapter) tags(ctx context.Context, sn snapshot.Snapshot) (map[string]string, error) {
	out, err := a.c.ListTagsForResource(ctx, &elasticache.ListTagsForResourceInput{ResourceName: aws.String(sn.ARN)})
	if err != nil {
		return nil, errs.Wrap(err, "ListTagsForResource", sn.Name)
	}
	return fromTags(out.TagList), nil
}

// Copy starts CopySnapshot to a new snapshot, with the tags.
func (a *Adapter) Copy(ctx context.Context, in snapshot.CopyInput) (snapshot.Snapshot, error) {
	out, err := a.c.CopySnapshot(ctx, &elasticache.CopySnapshotInput{
		SourceSnapshotName: aws.String(in.SourceName),
		TargetSnapshotName: aws.String(in.TargetName),
		KmsKeyId:           optional(in.KMSKeyID),
		Tags:               toTags(in.Tags),
	})
	if err != nil {
		return snapshot.Snapshot{}, errs.Wrap(err, "CopySnapshot", in.SourceName+" to "+in.TargetName)
	}
	return snapshot.WithTags(convert(out.Snapshot), in.Tags), nil
}

// Export starts CopySnapshot with TargetBucket: ElastiCache writes
// <prefix>/<name>-0001.rdb … one object per node group. The answer is the
// source snapshot (status exporting), whose node snapshots give the keys.
func (a *Adapter) Export(ctx context.Context, in snapshot.ExportInput) (snapshot.Export, error) {
	target := snapshot.ExportTarget(in.Prefix, cmp.Or(in.Name, in.SnapshotName))
	out, err := a.c.CopySnapshot(ctx, &elasticache.CopySnapshotInput{
		SourceSnapshotName: aws.String(in.SnapshotName),
		TargetSnapshotName: aws.String(target),
		TargetBucket:       aws.String(in.Bucket),
	})
	if err != nil {
		return snapshot.Export{}, errs.Wrap(err, "CopySnapshot", fmt.Sprintf("%s to s3://%s/%s (export)", in.SnapshotName, in.Bucket, target))
	}
	return snapshot.Export{
		Bucket:       in.Bucket,
		Keys:         snapshot.ExportKeys(target, shards(out.Snapshot)),
		KeyPrefix:    target + "-",
		SnapshotName: in.SnapshotName,
	}, nil
}

// List returns the manual snapshots of a source (DescribeSnapshots pages,
// SnapshotSource "user"), each with its tags: one ListTagsForResource call
// per snapshot.
func (a *Adapter) List(ctx context.Context, sourceID, sourceKind string) ([]snapshot.Snapshot, error) {
	if err := checkKind("DescribeSnapshots", sourceID, sourceKind); err != nil {
		return nil, err
	}
	req := &elasticache.DescribeSnapshotsInput{SnapshotSource: aws.String("user")}
	if sourceKind == KindCacheCluster {
		req.CacheClusterId = aws.String(sourceID)
	} else {
		req.ReplicationGroupId = aws.String(sourceID)
	}
	var out []snapshot.Snapshot
	p := elasticache.NewDescribeSnapshotsPaginator(a.c, req)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, errs.Wrap(err, "DescribeSnapshots", "("+words(sourceKind, sourceID)+")")
		}
		for i := range page.Snapshots {
			out = append(out, convert(&page.Snapshots[i]))
		}
	}
	return snapshot.AttachTags(ctx, out, a.tags)
}

// Delete starts DeleteSnapshot; the snapshot shows deleting, then is gone.
func (a *Adapter) Delete(ctx context.Context, name string) error {
	_, err := a.c.DeleteSnapshot(ctx, &elasticache.DeleteSnapshotInput{SnapshotName: aws.String(name)})
	return errs.Wrap(err, "DeleteSnapshot", name)
}

// Tag adds tags (AddTagsToResource), after DescribeSnapshots for the ARN
// unless name is one.
func (a *Adapter) Tag(ctx context.Context, name string, tags map[string]string) error {
	arn, err := snapshot.ResolveARN(ctx, name, a.describe)
	if err != nil {
		return err
	}
	_, err = a.c.AddTagsToResource(ctx, &elasticache.AddTagsToResourceInput{ResourceName: aws.String(arn), Tags: toTags(tags)})
	return errs.Wrap(err, "AddTagsToResource", name)
}

// shards is the number of node groups of a snapshot: NumNodeGroups, or one
// per node snapshot (a cache cluster's snapshot has no NumNodeGroups).
func shards(s *types.Snapshot) int {
	if s == nil {
		return 1
	}
	if n := int(aws.ToInt32(s.NumNodeGroups)); n > 0 {
		return n
	}
	return max(1, len(s.NodeSnapshots))
}

func convert(s *types.Snapshot) snapshot.Snapshot {
	if s == nil {
		return snapshot.Snapshot{Status: snapshot.Unknown}
	}
	raw := aws.ToString(s.SnapshotStatus)
	sn := snapshot.Snapshot{
		Name:      aws.ToString(s.SnapshotName),
		ARN:       aws.ToString(s.ARN),
		SourceID:  orDefault(aws.ToString(s.ReplicationGroupId), aws.ToString(s.CacheClusterId)),
		Status:    snapshot.NormalizeStatus(raw),
		RawStatus: raw,
		Shards:    shards(s),
	}
	// The snapshot's time is its node snapshots' SnapshotCreateTime (absent
	// while creating).
	for _, ns := range s.NodeSnapshots {
		if ns.SnapshotCreateTime != nil {
			sn.CreatedAt = *ns.SnapshotCreateTime
			break
		}
	}
	return sn
}

func toTags(m map[string]string) []types.Tag {
	if len(m) == 0 {
		return nil
	}
	out := make([]types.Tag, 0, len(m))
	for _, k := range snapshot.SortedKeys(m) {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

func fromTags(tags []types.Tag) map[string]string {
	out := make(map[string]string, len(tags))
	for _, t := range tags {
		out[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return out
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
