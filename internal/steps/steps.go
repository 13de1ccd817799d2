package steps

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/redshiftserverless"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/snapflow/snapflow/events"
	"github.com/snapflow/snapflow/internal/errclass"
	"github.com/snapflow/snapflow/internal/metrics"
	"github.com/snapflow/snapflow/internal/naming"
	"github.com/snapflow/snapflow/internal/snapshot"
)

// Tags snapflow adds beyond naming.ManagedTags.
const (
	// TagCopyOf marks a copy: its value is the name of the snapshot it was
	// copied from. Retention plans copies and originals separately, so a
	// policy's keep-last 7 keeps 7 snapshots and 7 copies.
	TagCopyOf = naming.TagPrefix + "copy-of"
	// TagDurationSeconds is the time the snapshot took, from the create
	// call to the first poll that saw it available, in whole seconds. The
	// next run's create reads it from the newest snapshot of the target to
	// time its first poll.
	TagDurationSeconds = naming.TagPrefix + "duration-seconds"
)

// maxTags is the per-resource tag limit of the strictest service (50), as
// internal/policy counts it.
const maxTags = 50

// AdapterFunc returns the adapter of a service in a region ("" is the
// region the function runs in).
type AdapterFunc func(service, region string) (snapshot.Adapter, error)

// TaggingAPI is the part of the Resource Groups Tagging API the plan step
// uses.
type TaggingAPI interface {
	GetResources(ctx context.Context, params *resourcegroupstaggingapi.GetResourcesInput, optFns ...func(*resourcegroupstaggingapi.Options)) (*resourcegroupstaggingapi.GetResourcesOutput, error)
}

// NamespaceAPI lists Redshift Serverless namespaces: the plan step maps the
// namespace ARNs the tagging API returns (which hold the namespace ID) to
// namespace names.
type NamespaceAPI interface {
	ListNamespaces(ctx context.Context, params *redshiftserverless.ListNamespacesInput, optFns ...func(*redshiftserverless.Options)) (*redshiftserverless.ListNamespacesOutput, error)
}

// ObjectAPI is the part of S3 the export and verify steps use.
type ObjectAPI interface {
	HeadObject(ctx context.Context, params *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	GetObject(ctx context.Context, params *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	ListObjectsV2(ctx context.Context, params *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

var (
	_ TaggingAPI   = (*resourcegroupstaggingapi.Client)(nil)
	_ NamespaceAPI = (*redshiftserverless.Client)(nil)
	_ ObjectAPI    = (*s3.Client)(nil)
)

// Steps holds what the steps need. Only the fields a step uses must be set:
// Plan needs Tagging (and Namespaces for Redshift Serverless selectors),
// Verify needs S3, Summary needs Metrics; the others need Adapters.
type Steps struct {
	Adapters   AdapterFunc
	Tagging    TaggingAPI
	Namespaces NamespaceAPI
	// S3 reads exports in the function's region; S3For, when set, in the
	// region a target names (an export bucket is in its snapshot's region).
	S3    ObjectAPI
	S3For func(region string) ObjectAPI
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// ExportBucket is the bucket of policies that name none
	// (SNAPFLOW_EXPORT_BUCKET).
	ExportBucket string
	// Log is the structured log (slog.Default when nil).
	Log *slog.Logger
	// Metrics receives the summary's EMF records (the function's stdout).
	Metrics metrics.Writer
}

func (s *Steps) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Steps) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// s3 returns the S3 client for a target's region.
func (s *Steps) s3(region string) ObjectAPI {
	if region != "" && s.S3For != nil {
		return s.S3For(region)
	}
	return s.S3
}

// adapter returns the adapter of the item's target.
func (s *Steps) adapter(t events.Target) (snapshot.Adapter, error) {
	if s.Adapters == nil {
		return nil, errclass.New(errclass.Unsupported, "no snapshot adapters configured")
	}
	a, err := s.Adapters(t.Service, t.Region)
	if err != nil {
		if _, ok := errclass.Of(err); ok {
			return nil, err
		}
		return nil, errclass.Wrap(errclass.Unsupported, err, "service %q", t.Service)
	}
	return a, nil
}

// invalid returns an InvalidInput error naming a field of the step's input.
func invalid(field, rule string, args ...any) error {
	return errclass.New(errclass.InvalidInput, "%s: %s", field, fmt.Sprintf(rule, args...))
}

// checkItem validates what every target step needs of its work item.
func checkItem(st events.TargetState) error {
	it := st.Item
	switch {
	case it.Policy == "":
		return invalid("item.policy", "is required")
	case it.Target.Service == "":
		return invalid("item.target.service", "is required")
	case it.Target.ID == "":
		return invalid("item.target.id", "is required")
	case it.SnapshotName == "":
		return invalid("item.snapshotName", "is required")
	case it.Slot.IsZero():
		return invalid("item.slot", "is required")
	}
	return nil
}

// owned reports whether tags mark a resource snapflow made for the item's
// policy, target and slot.
func owned(tags map[string]string, it events.WorkItem) bool {
	return tags[naming.TagManaged] == naming.ManagedValue &&
		tags[naming.TagPolicy] == it.Policy &&
		tags[naming.TagTarget] == it.Target.ID &&
		tags[naming.TagSlot] == it.Slot.UTC().Format(time.RFC3339)
}

// copyTags returns the tags of the item's copy: the item's tags and the
// copy marker.
func copyTags(it events.WorkItem) map[string]string {
	tags := maps.Clone(it.Tags)
	if tags == nil {
		tags = map[string]string{}
	}
	tags[TagCopyOf] = it.SnapshotName
	return tags
}

// ref turns an adapter's snapshot into the state's reference.
func ref(sn snapshot.Snapshot, startedAt time.Time) *events.SnapshotRef {
	return &events.SnapshotRef{
		Name:      sn.Name,
		ARN:       sn.ARN,
		Status:    string(sn.Status),
		RawStatus: sn.RawStatus,
		StartedAt: startedAt,
		Shards:    sn.Shards,
	}
}

// s3Errors classifies S3's answers (NoSuchKey, NotFound, AccessDenied,
// SlowDown, ...) with the adapters' common codes.
var s3Errors = snapshot.ErrorMap{
	Service: "s3",
	Codes: snapshot.Codes{
		"NoSuchKey":    errclass.NotFound,
		"NotFound":     errclass.NotFound,
		"NoSuchBucket": errclass.NotFound,
	},
}

// awsErrors classifies the other SDK calls the steps make themselves.
var awsErrors = map[string]snapshot.ErrorMap{
	"tagging": {Service: "tagging", Codes: snapshot.Codes{
		"InvalidParameterException":       errclass.InvalidInput,
		"PaginationTokenExpiredException": errclass.Transient,
		"InternalServiceException":        errclass.Transient,
	}},
	"redshift-serverless": {Service: "redshift-serverless"},
}

// closeQuietly closes a response body whose content was already judged.
func closeQuietly(c io.Closer) { _ = c.Close() }
