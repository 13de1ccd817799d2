// Package serverlessadapter is the snapshot.Adapter of Amazon ElastiCache
// Serverless: snapshots of serverless caches, their copies
// (CopyServerlessCacheSnapshot) and exports to S3
// (ExportServerlessCacheSnapshot).
package serverlessadapter

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"

	"github.com/snapflow/snapflow/internal/errclass"
	"github.com/snapflow/snapflow/internal/snapshot"
)

// KindServerlessCache is the one source kind (the default).
const KindServerlessCache = "serverless-cache"

// ServerlessAPI is the part of the ElastiCache client the adapter uses,
// with the SDK's signatures.
type ServerlessAPI interface {
	DescribeServerlessCaches(ctx context.Context, params *elasticache.DescribeServerlessCachesInput, optFns ...func(*elasticache.Options)) (*elasticache.DescribeServerlessCachesOutput, error)
	CreateServerlessCacheSnapshot(ctx context.Context, params *elasticache.CreateServerlessCacheSnapshotInput, optFns ...func(*elasticache.Options)) (*elasticache.CreateServerlessCacheSnapshotOutput, error)
	DescribeServerlessCacheSnapshots(ctx context.Context, params *elasticache.DescribeServerlessCacheSnapshotsInput, optFns ...func(*elasticache.Options)) (*elasticache.DescribeServerlessCacheSnapshotsOutput, error)
	CopyServerlessCacheSnapshot(ctx context.Context, params *elasticache.CopyServerlessCacheSnapshotInput, optFns ...func(*elasticache.Options)) (*elasticache.CopyServerlessCacheSnapshotOutput, error)
	ExportServerlessCacheSnapshot(ctx context.Context, params *elasticache.ExportServerlessCacheSnapshotInput, optFns ...func(*elasticache.Options)) (*elasticache.ExportServerlessCacheSnapshotOutput, error)
	DeleteServerlessCacheSnapshot(ctx context.Context, params *elasticache.DeleteServerlessCacheSnapshotInput, optFns ...func(*elasticache.Options)) (*elasticache.DeleteServerlessCacheSnapshotOutput, error)
	ListTagsForResource(ctx context.Context, params *elasticache.ListTagsForResourceInput, optFns ...func(*elasticache.Options)) (*elasticache.ListTagsForResourceOutput, error)
	AddTagsToResource(ctx context.Context, params *elasticache.AddTagsToResourceInput, optFns ...func(*elasticache.Options)) (*elasticache.AddTagsToResourceOutput, error)
}

var (
	_ ServerlessAPI                                         = (*elasticache.Client)(nil)
	_ elasticache.DescribeServerlessCacheSnapshotsAPIClient = ServerlessAPI(nil)
	_ snapshot.Adapter                                      = (*Adapter)(nil)
)

// errs maps ElastiCache Serverless's error codes (the wire codes of the
// model's exception shapes; CommonCodes cover the rest).
var errs = snapshot.ErrorMap{
	Service: snapshot.ElastiCacheServerless,
	Codes: snapshot.Codes{
		"APICallRateForCustomerExceeded":            errclass.Throttled,
		"InvalidServerlessCacheStateFault":          errclass.TargetBusy,
		"InvalidServerlessCacheSnapshotStateFault":  errclass.TargetBusy,
		"ServerlessCacheNotFoundFault":              errclass.NotFound,
		"ServerlessCacheSnapshotNotFoundFault":      errclass.NotFound,
		"ServerlessCacheSnapshotAlreadyExistsFault": errclass.AlreadyExists,
		"ServerlessCacheSnapshotQuotaExceededFault": errclass.QuotaExceeded,
		"InvalidParameterValue":                     errclass.InvalidInput,
		"InvalidParameterCombination":               errclass.InvalidInput,
		"InvalidARN":                                errclass.InvalidInput,
		"InvalidKMSKeyFault":                        errclass.InvalidInput,
		"TagQuotaPerResourceExceeded":               errclass.InvalidInput,
		"AccessDenied":                              errclass.AccessDenied,
		"ServiceLinkedRoleNotFoundFault":            errclass.AccessDenied,
	},
	Refinements: append(snapshot.ExportRefinements("InvalidParameterValue"),
		// Export of a Memcached cache: "Available for Valkey and Redis OSS
		// only" (model, ExportServerlessCacheSnapshot).
		snapshot.Refinement{Code: "InvalidParameterValue", Text: "Valkey and Redis OSS only", Class: errclass.Unsupported}),
}

// Adapter is the ElastiCache Serverless snapshot.Adapter.
type Adapter struct{ c ServerlessAPI }

// New returns an adapter over c (an *elasticache.Client).
func New(c ServerlessAPI) *Adapter { return &Adapter{c: c} }

// Service is snapshot.ElastiCacheServerless.
func (a *Adapter) Service() string { return snapshot.ElastiCacheServerless }

// Capabilities: copy, and export to S3 (Valkey and Redis OSS only, see
// Source).
func (a *Adapter) Capabilities() snapshot.Capabilities {
	return snapshot.Capabilities{Copy: true, Export: true}
}

func checkKind(op, id, kind string) error {
	return errs.CheckKind(op, id, kind, KindServerlessCache)
}

// Source describes a serverless cache (DescribeServerlessCaches). Snapshots
// of Memcached caches cannot be exported. Serverless caches do not report
// their internal shards: Shards is 1.
func (a *Adapter) Source(ctx context.Context, id, kind string) (snapshot.Source, error) {
	if err := checkKind("Source", id, kind); err != nil {
		return snapshot.Source{}, err
	}
	out, err := a.c.DescribeServerlessCaches(ctx, &elasticache.DescribeServerlessCachesInput{ServerlessCacheName: aws.String(id)})
	if err != nil {
		return snapshot.Source{}, errs.Wrap(err, "DescribeServerlessCaches", id)
	}
	if len(out.ServerlessCaches) == 0 {
		return snapshot.Source{}, errclass.New(errclass.NotFound, "elasticache-serverless DescribeServerlessCaches %s: no such serverless cache", id)
	}
	c := out.ServerlessCaches[0]
	src := snapshot.Source{
		ID:          aws.ToString(c.ServerlessCacheName),
		Kind:        KindServerlessCache,
		ARN:         aws.ToString(c.ARN),
		Status:      aws.ToString(c.Status),
		Engine:      aws.ToString(c.Engine),
		Shards:      1,
		CanSnapshot: true,
		CanExport:   true,
	}
	if src.Engine == "memcached" {
		src.CanExport = false
		src.Reason = "serverless cache " + src.ID + " runs Memcached: exports to S3 are for Valkey and Redis OSS only"
	}
	return src, nil
}

// Create starts CreateServerlessCacheSnapshot with the tags (one call).
func (a *Adapter) Create(ctx context.Context, in snapshot.CreateInput) (snapshot.Snapshot, error) {
	if err := checkKind("CreateServerlessCacheSnapshot", in.Name, in.SourceKind); err != nil {
		return snapshot.Snapshot{}, err
	}
	out, err := a.c.CreateServerlessCacheSnapshot(ctx, &elasticache.CreateServerlessCacheSnapshotInput{
		ServerlessCacheName:         aws.String(in.SourceID),
		ServerlessCacheSnapshotName: aws.String(in.Name),
		KmsKeyId:                    optional(in.KMSKeyID),
		Tags:                        toTags(in.Tags),
	})
	if err != nil {
		return snapshot.Snapshot{}, errs.Wrap(err, "CreateServerlessCacheSnapshot", in.Name+" (serverless cache "+in.SourceID+")")
	}
	return snapshot.WithTags(convert(out.ServerlessCacheSnapshot), in.Tags), nil
}

// Describe returns a snapshot with its tags (DescribeServerlessCacheSnapshots,
// ListTagsForResource).
func (a *Adapter) Describe(ctx context.Context, name string) (snapshot.Snapshot, error) {
	return snapshot.DescribeTagged(ctx, name, a.describe, a.tags)
}

func (a *Adapter) describe(ctx context.Context, name string) (snapshot.Snapshot, error) {
	out, err := a.c.DescribeServerlessCacheSnapshots(ctx, &elasticache.DescribeServerlessCacheSnapshotsInput{ServerlessCacheSnapshotName: aws.String(name)})
	if err != nil {
		return snapshot.Snapshot{}, errs.Wrap(err, "DescribeServerlessCacheSnapshots", name)
	}
	if len(out.ServerlessCacheSnapshots) == 0 {
		return snapshot.Snapshot{}, errclass.New(errclass.NotFound, "elasticache-serverless DescribeServerlessCacheSnapshots %s: no such snapshot", name)
	}
	return convert(&out.ServerlessCacheSnapshots[0]), nil
}

func (a *Adapter) tags(ctx context.Context, sn snapshot.Snapshot) (map[string]string, error) {
	out, err := a.c.ListTagsForResource(ctx, &elasticache.ListTagsForResourceInput{ResourceName: aws.String(sn.ARN)})
	if err != nil {
		return nil, errs.Wrap(err, "ListTagsForResource", sn.Name)
	}
	return fromTags(out.TagList), nil
}

// Copy starts CopyServerlessCacheSnapshot with the tags.
func (a *Adapter) Copy(ctx context.Context, in snapshot.CopyInput) (snapshot.Snapshot, error) {
	out, err := a.c.CopyServerlessCacheSnapshot(ctx, &elasticache.CopyServerlessCacheSnapshotInput{
		SourceServerlessCacheSnapshotName: aws.String(in.SourceName),
		TargetServerlessCacheSnapshotName: aws.String(in.TargetName),
		KmsKeyId:                          optional(in.KMSKeyID),
		Tags:                              toTags(in.Tags),
	})
	if err != nil {
		return snapshot.Snapshot{}, errs.Wrap(err, "CopyServerlessCacheSnapshot", in.SourceName+" to "+in.TargetName)
	}
	return snapshot.WithTags(convert(out.ServerlessCacheSnapshot), in.Tags), nil
}

// Export starts ExportServerlessCacheSnapshot. The service takes no object
// name nor key prefix: it names the objects after the snapshot,
// <snapshot>-0001.rdb …, and does not say how many (one per internal
// shard), so Export.Keys is empty and Export.KeyPrefix is "<snapshot>-".
// in.Name is ignored; a Prefix is errclass.Unsupported.
func (a *Adapter) Export(ctx context.Context, in snapshot.ExportInput) (snapshot.Export, error) {
	if in.Prefix != "" {
		return snapshot.Export{}, errs.Unsupported("ExportServerlessCacheSnapshot", in.SnapshotName,
			"ElastiCache Serverless exports to the top of the bucket: a key prefix ("+in.Prefix+") cannot be given")
	}
	out, err := a.c.ExportServerlessCacheSnapshot(ctx, &elasticache.ExportServerlessCacheSnapshotInput{
		ServerlessCacheSnapshotName: aws.String(in.SnapshotName),
		S3BucketName:                aws.String(in.Bucket),
	})
	if err != nil {
		return snapshot.Export{}, errs.Wrap(err, "ExportServerlessCacheSnapshot", in.SnapshotName+" to s3://"+in.Bucket)
	}
	name := in.SnapshotName
	if out.ServerlessCacheSnapshot != nil && out.ServerlessCacheSnapshot.ServerlessCacheSnapshotName != nil {
		name = *out.ServerlessCacheSnapshot.ServerlessCacheSnapshotName // as stored: lowercase
	}
	return snapshot.Export{Bucket: in.Bucket, KeyPrefix: name + "-", SnapshotName: in.SnapshotName}, nil
}

// List returns the manual snapshots of a serverless cache
// (DescribeServerlessCacheSnapshots pages, SnapshotType "manual"), each
// with its tags: one ListTagsForResource call per snapshot.
func (a *Adapter) List(ctx context.Context, sourceID, sourceKind string) ([]snapshot.Snapshot, error) {
	if err := checkKind("DescribeServerlessCacheSnapshots", sourceID, sourceKind); err != nil {
		return nil, err
	}
	var out []snapshot.Snapshot
	p := elasticache.NewDescribeServerlessCacheSnapshotsPaginator(a.c, &elasticache.DescribeServerlessCacheSnapshotsInput{
		ServerlessCacheName: aws.String(sourceID),
		SnapshotType:        aws.String("manual"),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, errs.Wrap(err, "DescribeServerlessCacheSnapshots", "(serverless cache "+sourceID+")")
		}
		for i := range page.ServerlessCacheSnapshots {
			out = append(out, convert(&page.ServerlessCacheSnapshots[i]))
		}
	}
	return snapshot.AttachTags(ctx, out, a.tags)
}

// Delete starts DeleteServerlessCacheSnapshot.
func (a *Adapter) Delete(ctx context.Context, name string) error {
	_, err := a.c.DeleteServerlessCacheSnapshot(ctx, &elasticache.DeleteServerlessCacheSnapshotInput{ServerlessCacheSnapshotName: aws.String(name)})
	return errs.Wrap(err, "DeleteServerlessCacheSnapshot", name)
}

// Tag adds tags (AddTagsToResource), after DescribeServerlessCacheSnapshots
// for the ARN unless name is one.
func (a *Adapter) Tag(ctx context.Context, name string, tags map[string]string) error {
	arn, err := snapshot.ResolveARN(ctx, name, a.describe)
	if err != nil {
		return err
	}
	_, err = a.c.AddTagsToResource(ctx, &elasticache.AddTagsToResourceInput{ResourceName: aws.String(arn), Tags: toTags(tags)})
	return errs.Wrap(err, "AddTagsToResource", name)
}

func convert(s *types.ServerlessCacheSnapshot) snapshot.Snapshot {
	if s == nil {
		return snapshot.Snapshot{Status: snapshot.Unknown}
	}
	raw := aws.ToString(s.Status)
	sn := snapshot.Snapshot{
		Name:      aws.ToString(s.ServerlessCacheSnapshotName),
		ARN:       aws.ToString(s.ARN),
		Status:    snapshot.NormalizeStatus(raw),
		RawStatus: raw,
	}
	if c := s.ServerlessCacheConfiguration; c != nil {
		sn.SourceID = aws.ToString(c.ServerlessCacheName)
	}
	if s.CreateTime != nil {
		sn.CreatedAt = *s.CreateTime
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
