// Package memorydbadapter is the snapshot.Adapter of Amazon MemoryDB:
// snapshots of clusters, their copies, and exports to S3 (CopySnapshot with
// a TargetBucket).
package memorydbadapter

import (
	"cmp"
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/memorydb"
	"github.com/aws/aws-sdk-go-v2/service/memorydb/types"

	"github.com/snapflow/snapflow/internal/errclass"
	"github.com/snapflow/snapflow/internal/snapshot"
)

// KindCluster is the one source kind (the default).
const KindCluster = "cluster"

// MemoryDBAPI is the part of the MemoryDB client the adapter uses, with the
// SDK's signatures.
type MemoryDBAPI interface {
	DescribeClusters(ctx context.Context, params *memorydb.DescribeClustersInput, optFns ...func(*memorydb.Options)) (*memorydb.DescribeClustersOutput, error)
	CreateSnapshot(ctx context.Context, params *memorydb.CreateSnapshotInput, optFns ...func(*memorydb.Options)) (*memorydb.CreateSnapshotOutput, error)
	DescribeSnapshots(ctx context.Context, params *memorydb.DescribeSnapshotsInput, optFns ...func(*memorydb.Options)) (*memorydb.DescribeSnapshotsOutput, error)
	CopySnapshot(ctx context.Context, params *memorydb.CopySnapshotInput, optFns ...func(*memorydb.Options)) (*memorydb.CopySnapshotOutput, error)
	DeleteSnapshot(ctx context.Context, params *memorydb.DeleteSnapshotInput, optFns ...func(*memorydb.Options)) (*memorydb.DeleteSnapshotOutput, error)
	ListTags(ctx context.Context, params *memorydb.ListTagsInput, optFns ...func(*memorydb.Options)) (*memorydb.ListTagsOutput, error)
	TagResource(ctx context.Context, params *memorydb.TagResourceInput, optFns ...func(*memorydb.Options)) (*memorydb.TagResourceOutput, error)
}

var (
	_ MemoryDBAPI                         = (*memorydb.Client)(nil)
	_ memorydb.DescribeSnapshotsAPIClient = MemoryDBAPI(nil)
	_ snapshot.Adapter                    = (*Adapter)(nil)
)

// errs maps MemoryDB's error codes (the names of the model's exception
// shapes; CommonCodes cover the rest).
var errs = snapshot.ErrorMap{
	Service: snapshot.MemoryDB,
	Codes: snapshot.Codes{
		"APICallRateForCustomerExceededFault":  errclass.Throttled,
		"InvalidClusterStateFault":             errclass.TargetBusy,
		"InvalidSnapshotStateFault":            errclass.TargetBusy,
		"InvalidNodeStateFault":                errclass.TargetBusy,
		"ClusterNotFoundFault":                 errclass.NotFound,
		"SnapshotNotFoundFault":                errclass.NotFound,
		"SnapshotAlreadyExistsFault":           errclass.AlreadyExists,
		"SnapshotQuotaExceededFault":           errclass.QuotaExceeded,
		"InvalidParameterValueException":       errclass.InvalidInput,
		"InvalidParameterCombinationException": errclass.InvalidInput,
		"InvalidARNFault":                      errclass.InvalidInput,
		"InvalidKMSKeyFault":                   errclass.InvalidInput,
		"TagQuotaPerResourceExceeded":          errclass.InvalidInput,
		"AccessDeniedException":                errclass.AccessDenied,
		"ServiceLinkedRoleNotFoundFault":       errclass.AccessDenied,
	},
	Refinements: snapshot.ExportRefinements("InvalidParameterValueException"),
}

// Adapter is the MemoryDB snapshot.Adapter.
type Adapter struct{ c MemoryDBAPI }

// New returns an adapter over c (a *memorydb.Client).
func New(c MemoryDBAPI) *Adapter { return &Adapter{c: c} }

// Service is snapshot.MemoryDB.
func (a *Adapter) Service() string { return snapshot.MemoryDB }

// Capabilities: copy, and export to S3 (not for data-tiering clusters, see
// Source).
func (a *Adapter) Capabilities() snapshot.Capabilities {
	return snapshot.Capabilities{Copy: true, Export: true}
}

func checkKind(op, id, kind string) error {
	return errs.CheckKind(op, id, kind, KindCluster)
}

// Source describes a cluster (DescribeClusters). Snapshots of data-tiering
// clusters cannot be exported.
func (a *Adapter) Source(ctx context.Context, id, kind string) (snapshot.Source, error) {
	if err := checkKind("Source", id, kind); err != nil {
		return snapshot.Source{}, err
	}
	out, err := a.c.DescribeClusters(ctx, &memorydb.DescribeClustersInput{ClusterName: aws.String(id)})
	if err != nil {
		return snapshot.Source{}, errs.Wrap(err, "DescribeClusters", id)
	}
	if len(out.Clusters) == 0 {
		return snapshot.Source{}, errclass.New(errclass.NotFound, "memorydb DescribeClusters %s: no such cluster", id)
	}
	c := out.Clusters[0]
	src := snapshot.Source{
		ID:          aws.ToString(c.Name),
		Kind:        KindCluster,
		ARN:         aws.ToString(c.ARN),
		Status:      aws.ToString(c.Status),
		Engine:      aws.ToString(c.Engine),
		Shards:      max(1, int(aws.ToInt32(c.NumberOfShards))),
		CanSnapshot: true,
		CanExport:   true,
	}
	if c.DataTiering == types.DataTieringStatusTrue {
		src.CanExport = false
		src.Reason = "cluster " + src.ID + " uses data tiering: its snapshots cannot be exported to S3"
	}
	return src, nil
}

// Create starts CreateSnapshot with the tags (one call).
func (a *Adapter) Create(ctx context.Context, in snapshot.CreateInput) (snapshot.Snapshot, error) {
	if err := checkKind("CreateSnapshot", in.Name, in.SourceKind); err != nil {
		return snapshot.Snapshot{}, err
	}
	out, err := a.c.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{
		ClusterName:  aws.String(in.SourceID),
		SnapshotName: aws.String(in.Name),
		KmsKeyId:     optional(in.KMSKeyID),
		Tags:         toTags(in.Tags),
	})
	if err != nil {
		return snapshot.Snapshot{}, errs.Wrap(err, "CreateSnapshot", in.Name+" (cluster "+in.SourceID+")")
	}
	return snapshot.WithTags(convert(out.Snapshot), in.Tags), nil
}

// Describe returns a snapshot with its tags (DescribeSnapshots with
// ShowDetail, for the shards' creation time; ListTags).
func (a *Adapter) Describe(ctx context.Context, name string) (snapshot.Snapshot, error) {
	return snapshot.DescribeTagged(ctx, name, a.describe, a.tags)
}

func (a *Adapter) describe(ctx context.Context, name string) (snapshot.Snapshot, error) {
	out, err := a.c.DescribeSnapshots(ctx, &memorydb.DescribeSnapshotsInput{SnapshotName: aws.String(name), ShowDetail: aws.Bool(true)})
	if err != nil {
		return snapshot.Snapshot{}, errs.Wrap(err, "DescribeSnapshots", name)
	}
	if len(out.Snapshots) == 0 {
		return snapshot.Snapshot{}, errclass.New(errclass.NotFound, "memorydb DescribeSnapshots %s: no such snapshot", name)
	}
	return convert(&out.Snapshots[0]), nil
}

func (a *Adapter) tags(ctx context.Context, sn snapshot.Snapshot) (map[string]string, error) {
	out, err := a.c.ListTags(ctx, &memorydb.ListTagsInput{ResourceArn: aws.String(sn.ARN)})
	if err != nil {
		return nil, errs.Wrap(err, "ListTags", sn.Name)
	}
	return fromTags(out.TagList), nil
}

// Copy starts CopySnapshot to a new snapshot, with the tags.
func (a *Adapter) Copy(ctx context.Context, in snapshot.CopyInput) (snapshot.Snapshot, error) {
	out, err := a.c.CopySnapshot(ctx, &memorydb.CopySnapshotInput{
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

// Export starts CopySnapshot with TargetBucket: MemoryDB writes
// <prefix>/<name>-0001.rdb … one object per shard. The answer is the source
// snapshot (status copying until the objects are written), whose
// NumShards gives the keys.
func (a *Adapter) Export(ctx context.Context, in snapshot.ExportInput) (snapshot.Export, error) {
	target := snapshot.ExportTarget(in.Prefix, cmp.Or(in.Name, in.SnapshotName))
	out, err := a.c.CopySnapshot(ctx, &memorydb.CopySnapshotInput{
		SourceSnapshotName: aws.String(in.SnapshotName),
		TargetSnapshotName: aws.String(target),
		TargetBucket:       aws.String(in.Bucket),
	})
	if err != nil {
		return snapshot.Export{}, errs.Wrap(err, "CopySnapshot", fmt.Sprintf("%s to s3://%s/%s (export)", in.SnapshotName, in.Bucket, target))
	}
	return snapshot.Export{
		Bucket:       in.Bucket,
		Keys:         snapshot.ExportKeys(target, max(1, convert(out.Snapshot).Shards)),
		KeyPrefix:    target + "-",
		SnapshotName: in.SnapshotName,
	}, nil
}

// List returns the manual snapshots of a cluster (DescribeSnapshots pages,
// Source "user", ShowDetail), each with its tags: one ListTags call per
// snapshot. A cluster that does not exist (any more) has none: MemoryDB
// answers an empty list, not ClusterNotFoundFault.
func (a *Adapter) List(ctx context.Context, sourceID, sourceKind string) ([]snapshot.Snapshot, error) {
	if err := checkKind("DescribeSnapshots", sourceID, sourceKind); err != nil {
		return nil, err
	}
	var out []snapshot.Snapshot
	p := memorydb.NewDescribeSnapshotsPaginator(a.c, &memorydb.DescribeSnapshotsInput{
		ClusterName: aws.String(sourceID),
		Source:      aws.String("user"),
		ShowDetail:  aws.Bool(true),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, errs.Wrap(err, "DescribeSnapshots", "(cluster "+sourceID+")")
		}
		for i := range page.Snapshots {
			out = append(out, convert(&page.Snapshots[i]))
		}
	}
	return snapshot.AttachTags(ctx, out, a.tags)
}

// Delete starts DeleteSnapshot.
func (a *Adapter) Delete(ctx context.Context, name string) error {
	_, err := a.c.DeleteSnapshot(ctx, &memorydb.DeleteSnapshotInput{SnapshotName: aws.String(name)})
	return errs.Wrap(err, "DeleteSnapshot", name)
}

// Tag adds tags (TagResource), after DescribeSnapshots for the ARN unless
// name is one.
func (a *Adapter) Tag(ctx context.Context, name string, tags map[string]string) error {
	arn, err := snapshot.ResolveARN(ctx, name, a.describe)
	if err != nil {
		return err
	}
	_, err = a.c.TagResource(ctx, &memorydb.TagResourceInput{ResourceArn: aws.String(arn), Tags: toTags(tags)})
	return errs.Wrap(err, "TagResource", name)
}

func convert(s *types.Snapshot) snapshot.Snapshot {
	if s == nil {
		return snapshot.Snapshot{Status: snapshot.Unknown}
	}
	raw := aws.ToString(s.Status)
	sn := snapshot.Snapshot{
		Name:      aws.ToString(s.Name),
		ARN:       aws.ToString(s.ARN),
		Status:    snapshot.NormalizeStatus(raw),
		RawStatus: raw,
	}
	if c := s.ClusterConfiguration; c != nil {
		sn.SourceID = aws.ToString(c.Name)
		sn.Shards = int(aws.ToInt32(c.NumShards))
		// The snapshot's time is its shards' SnapshotCreationTime (with
		// ShowDetail, once taken).
		for _, sh := range c.Shards {
			if sh.SnapshotCreationTime != nil {
				sn.CreatedAt = *sh.SnapshotCreationTime
				break
			}
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
