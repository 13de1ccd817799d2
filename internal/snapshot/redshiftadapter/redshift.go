// Package redshiftadapter is the snapshot.Adapter of Amazon Redshift
// Serverless: manual snapshots of namespaces. Redshift Serverless has no
// snapshot copy within a region (cross-region copies come from a snapshot
// copy configuration on the namespace) and no export to S3: both are
// errclass.Unsupported.
package redshiftadapter

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/redshiftserverless"
	"github.com/aws/aws-sdk-go-v2/service/redshiftserverless/types"

	"github.com/snapflow/snapflow/internal/errclass"
	"github.com/snapflow/snapflow/internal/snapshot"
)

// KindNamespace is the one source kind (the default).
const KindNamespace = "namespace"

// Reasons for the steps Redshift Serverless cannot do.
const (
	NoCopy   = "Redshift Serverless has no snapshot copy within a region; cross-region copies are made by a snapshot copy configuration on the namespace"
	NoExport = "Redshift Serverless cannot export snapshots to S3"
)

// RedshiftServerlessAPI is the part of the Redshift Serverless client the
// adapter uses, with the SDK's signatures.
type RedshiftServerlessAPI interface {
	GetNamespace(ctx context.Context, params *redshiftserverless.GetNamespaceInput, optFns ...func(*redshiftserverless.Options)) (*redshiftserverless.GetNamespaceOutput, error)
	CreateSnapshot(ctx context.Context, params *redshiftserverless.CreateSnapshotInput, optFns ...func(*redshiftserverless.Options)) (*redshiftserverless.CreateSnapshotOutput, error)
	GetSnapshot(ctx context.Context, params *redshiftserverless.GetSnapshotInput, optFns ...func(*redshiftserverless.Options)) (*redshiftserverless.GetSnapshotOutput, error)
	ListSnapshots(ctx context.Context, params *redshiftserverless.ListSnapshotsInput, optFns ...func(*redshiftserverless.Options)) (*redshiftserverless.ListSnapshotsOutput, error)
	DeleteSnapshot(ctx context.Context, params *redshiftserverless.DeleteSnapshotInput, optFns ...func(*redshiftserverless.Options)) (*redshiftserverless.DeleteSnapshotOutput, error)
	ListTagsForResource(ctx context.Context, params *redshiftserverless.ListTagsForResourceInput, optFns ...func(*redshiftserverless.Options)) (*redshiftserverless.ListTagsForResourceOutput, error)
	TagResource(ctx context.Context, params *redshiftserverless.TagResourceInput, optFns ...func(*redshiftserverless.Options)) (*redshiftserverless.TagResourceOutput, error)
}

var (
	_ RedshiftServerlessAPI                     = (*redshiftserverless.Client)(nil)
	_ redshiftserverless.ListSnapshotsAPIClient = RedshiftServerlessAPI(nil)
	_ snapshot.Adapter                          = (*Adapter)(nil)
)

// errs maps Redshift Serverless's error codes (the model's exception
// shapes). ConflictException means two things: a name in use ("A snapshot
// with the name … already exists.") and an operation in progress on the
// namespace or snapshot ("There is an operation running on the namespace",
// "Snapshot … is CREATING. Try … again later."); the message tells them
// apart.
var errs = snapshot.ErrorMap{
	Service: snapshot.RedshiftServerless,
	Codes: snapshot.Codes{
		"ThrottlingException":            errclass.Throttled,
		"ConflictException":              errclass.TargetBusy,
		"ResourceNotFoundException":      errclass.NotFound,
		"ServiceQuotaExceededException":  errclass.QuotaExceeded,
		"ValidationException":            errclass.InvalidInput,
		"TooManyTagsException":           errclass.InvalidInput,
		"InvalidPaginationException":     errclass.InvalidInput,
		"AccessDeniedException":          errclass.AccessDenied,
		"InternalServerException":        errclass.Transient,
		"InsufficientCapacityException":  errclass.Transient,
		"ServiceUnavailableException":    errclass.Transient,
		"Ipv6CidrBlockNotFoundException": errclass.InvalidInput,
	},
	Refinements: []snapshot.Refinement{
		{Code: "", Text: "already exists", Class: errclass.AlreadyExists},
	},
}

// Adapter is the Redshift Serverless snapshot.Adapter.
type Adapter struct{ c RedshiftServerlessAPI }

// New returns an adapter over c (a *redshiftserverless.Client).
func New(c RedshiftServerlessAPI) *Adapter { return &Adapter{c: c} }

// Service is snapshot.RedshiftServerless.
func (a *Adapter) Service() string { return snapshot.RedshiftServerless }

// Capabilities: neither copy nor export.
func (a *Adapter) Capabilities() snapshot.Capabilities {
	return snapshot.Capabilities{Reason: NoCopy + "; " + NoExport}
}

func checkKind(op, id, kind string) error {
	return errs.CheckKind(op, id, kind, KindNamespace)
}

// Source describes a namespace (GetNamespace). Whether it has the workgroup
// a snapshot needs is not checked (it would cost a ListWorkgroups call);
// CreateSnapshot says so (InvalidInput).
func (a *Adapter) Source(ctx context.Context, id, kind string) (snapshot.Source, error) {
	if err := checkKind("Source", id, kind); err != nil {
		return snapshot.Source{}, err
	}
	out, err := a.c.GetNamespace(ctx, &redshiftserverless.GetNamespaceInput{NamespaceName: aws.String(id)})
	if err != nil {
		return snapshot.Source{}, errs.Wrap(err, "GetNamespace", id)
	}
	if out.Namespace == nil {
		return snapshot.Source{}, errclass.New(errclass.NotFound, "redshift-serverless GetNamespace %s: no such namespace", id)
	}
	ns := out.Namespace
	return snapshot.Source{
		ID:          aws.ToString(ns.NamespaceName),
		Kind:        KindNamespace,
		ARN:         aws.ToString(ns.NamespaceArn),
		Status:      string(ns.Status),
		Engine:      "redshift",
		Shards:      1,
		CanSnapshot: true,
		Reason:      NoExport,
	}, nil
}

// Create starts CreateSnapshot with the tags and, when RetentionDays is
// not 0, retentionPeriod (-1 keeps it indefinitely) (one call).
func (a *Adapter) Create(ctx context.Context, in snapshot.CreateInput) (snapshot.Snapshot, error) {
	if err := checkKind("CreateSnapshot", in.Name, in.SourceKind); err != nil {
		return snapshot.Snapshot{}, err
	}
	req := &redshiftserverless.CreateSnapshotInput{
		NamespaceName: aws.String(in.SourceID),
		SnapshotName:  aws.String(in.Name),
		Tags:          toTags(in.Tags),
	}
	if in.RetentionDays != 0 {
		req.RetentionPeriod = aws.Int32(int32(in.RetentionDays))
	}
	out, err := a.c.CreateSnapshot(ctx, req)
	if err != nil {
		return snapshot.Snapshot{}, errs.Wrap(err, "CreateSnapshot", in.Name+" (namespace "+in.SourceID+")")
	}
	return snapshot.WithTags(convert(out.Snapshot), in.Tags), nil
}

// Describe returns a snapshot with its tags (GetSnapshot,
// ListTagsForResource), with the progress Redshift reports while it is
// created.
func (a *Adapter) Describe(ctx context.Context, name string) (snapshot.Snapshot, error) {
	return snapshot.DescribeTagged(ctx, name, a.describe, a.tags)
}

func (a *Adapter) describe(ctx context.Context, name string) (snapshot.Snapshot, error) {
	out, err := a.c.GetSnapshot(ctx, &redshiftserverless.GetSnapshotInput{SnapshotName: aws.String(name)})
	if err != nil {
		return snapshot.Snapshot{}, errs.Wrap(err, "GetSnapshot", name)
	}
	if out.Snapshot == nil {
		return snapshot.Snapshot{}, errclass.New(errclass.NotFound, "redshift-serverless GetSnapshot %s: no such snapshot", name)
	}
	return convert(out.Snapshot), nil
}

func (a *Adapter) tags(ctx context.Context, sn snapshot.Snapshot) (map[string]string, error) {
	out, err := a.c.ListTagsForResource(ctx, &redshiftserverless.ListTagsForResourceInput{ResourceArn: aws.String(sn.ARN)})
	if err != nil {
		return nil, errs.Wrap(err, "ListTagsForResource", sn.Name)
	}
	return fromTags(out.Tags), nil
}

// Copy is errclass.Unsupported (NoCopy); it calls nothing.
func (a *Adapter) Copy(_ context.Context, in snapshot.CopyInput) (snapshot.Snapshot, error) {
	return snapshot.Snapshot{}, errs.Unsupported("CopySnapshot", in.SourceName+" to "+in.TargetName, NoCopy)
}

// Export is errclass.Unsupported (NoExport); it calls nothing.
func (a *Adapter) Export(_ context.Context, in snapshot.ExportInput) (snapshot.Export, error) {
	return snapshot.Export{}, errs.Unsupported("Export", in.SnapshotName, NoExport)
}

// List returns the snapshots of a namespace (ListSnapshots pages), each
// with its tags: one ListTagsForResource call per snapshot.
func (a *Adapter) List(ctx context.Context, sourceID, sourceKind string) ([]snapshot.Snapshot, error) {
	if err := checkKind("ListSnapshots", sourceID, sourceKind); err != nil {
		return nil, err
	}
	var out []snapshot.Snapshot
	p := redshiftserverless.NewListSnapshotsPaginator(a.c, &redshiftserverless.ListSnapshotsInput{NamespaceName: aws.String(sourceID)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, errs.Wrap(err, "ListSnapshots", "(namespace "+sourceID+")")
		}
		for i := range page.Snapshots {
			out = append(out, convert(&page.Snapshots[i]))
		}
	}
	return snapshot.AttachTags(ctx, out, a.tags)
}

// Delete deletes a snapshot (DeleteSnapshot); it is gone at once.
func (a *Adapter) Delete(ctx context.Context, name string) error {
	_, err := a.c.DeleteSnapshot(ctx, &redshiftserverless.DeleteSnapshotInput{SnapshotName: aws.String(name)})
	return errs.Wrap(err, "DeleteSnapshot", name)
}

// Tag adds tags (TagResource), after GetSnapshot for the ARN (snapshot
// ARNs end in an ID, not the name) unless name is one.
func (a *Adapter) Tag(ctx context.Context, name string, tags map[string]string) error {
	arn, err := snapshot.ResolveARN(ctx, name, a.describe)
	if err != nil {
		return err
	}
	_, err = a.c.TagResource(ctx, &redshiftserverless.TagResourceInput{ResourceArn: aws.String(arn), Tags: toTags(tags)})
	return errs.Wrap(err, "TagResource", name)
}

func convert(s *types.Snapshot) snapshot.Snapshot {
	if s == nil {
		return snapshot.Snapshot{Status: snapshot.Unknown}
	}
	raw := string(s.Status)
	sn := snapshot.Snapshot{
		Name:                         aws.ToString(s.SnapshotName),
		ARN:                          aws.ToString(s.SnapshotArn),
		SourceID:                     aws.ToString(s.NamespaceName),
		Status:                       snapshot.NormalizeStatus(raw),
		RawStatus:                    raw,
		EstimatedSecondsToCompletion: aws.ToInt64(s.EstimatedSecondsToCompletion),
		ElapsedSeconds:               aws.ToInt64(s.ElapsedTimeInSeconds),
	}
	if s.SnapshotCreateTime != nil {
		sn.CreatedAt = *s.SnapshotCreateTime
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
