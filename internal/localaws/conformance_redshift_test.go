package localaws_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/redshiftserverless"
	rsstypes "github.com/aws/aws-sdk-go-v2/service/redshiftserverless/types"
)

func (f *fleet) rssSnapshot(c *redshiftserverless.Client, name string) *rsstypes.Snapshot {
	f.t.Helper()
	return try(c.GetSnapshot(ctx, &redshiftserverless.GetSnapshotInput{SnapshotName: aws.String(name)})).must(f.t).Snapshot
}

func (f *fleet) namespace(name string) *rsstypes.Namespace {
	f.t.Helper()
	return try(f.rss.GetNamespace(ctx, &redshiftserverless.GetNamespaceInput{NamespaceName: aws.String(name)})).must(f.t).Namespace
}

func rssTags(kv ...string) []rsstypes.Tag {
	var out []rsstypes.Tag
	for i := 0; i < len(kv); i += 2 {
		out = append(out, rsstypes.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return out
}

// TestRedshiftServerlessSnapshots: CreateSnapshot, GetSnapshot (with the
// progress members moving), ListSnapshots, UpdateSnapshot, DeleteSnapshot.
func TestRedshiftServerlessSnapshots(t *testing.T) {
	t.Parallel()
	f := newFleet(t)
	ns := f.namespace("finance")

	sn := try(f.rss.CreateSnapshot(ctx, &redshiftserverless.CreateSnapshotInput{NamespaceName: aws.String("finance"), SnapshotName: aws.String("finance-1"),
		RetentionPeriod: aws.Int32(7), Tags: rssTags("snapflow:managed", "true")})).must(t).Snapshot
	if sn.Status != rsstypes.SnapshotStatusCreating || *sn.NamespaceName != "finance" || *sn.NamespaceArn != *ns.NamespaceArn ||
		aws.ToInt32(sn.SnapshotRetentionPeriod) != 7 || *sn.OwnerAccount != account || !sn.SnapshotCreateTime.Equal(t0) ||
		aws.ToInt64(sn.EstimatedSecondsToCompletion) != 240 || aws.ToInt64(sn.ElapsedTimeInSeconds) != 0 || aws.ToFloat64(sn.TotalBackupSizeInMegaBytes) != 4096 {
		t.Fatalf("CreateSnapshot answered %+v", sn)
	}
	if st := f.namespace("finance").Status; st != rsstypes.NamespaceStatusModifying {
		t.Errorf("namespace while snapshotting: %s", st)
	}
	_, err := f.rss.CreateSnapshot(ctx, &redshiftserverless.CreateSnapshotInput{NamespaceName: aws.String("finance"), SnapshotName: aws.String("finance-2")})
	wantErr[*rsstypes.ConflictException](t, err)
	wantMessage(t, err, "There is an operation running on the namespace")
	_, err = f.rss.DeleteNamespace(ctx, &redshiftserverless.DeleteNamespaceInput{NamespaceName: aws.String("finance")})
	wantErr[*rsstypes.ConflictException](t, err)
	_, err = f.rss.DeleteSnapshot(ctx, &redshiftserverless.DeleteSnapshotInput{SnapshotName: aws.String("finance-1")})
	wantErr[*rsstypes.ConflictException](t, err)

	// Progress: a quarter of the way, the members say so.
	f.advance(60 * time.Second)
	p := f.rssSnapshot(f.rss, "finance-1")
	if p.Status != rsstypes.SnapshotStatusCreating || aws.ToInt64(p.ElapsedTimeInSeconds) != 60 || aws.ToInt64(p.EstimatedSecondsToCompletion) != 180 ||
		aws.ToFloat64(p.BackupProgressInMegaBytes) != 1024 || aws.ToFloat64(p.CurrentBackupRateInMegaBytesPerSecond) == 0 {
		t.Errorf("at 60 s: %s elapsed %d estimate %d progress %.1f rate %.3f", p.Status, aws.ToInt64(p.ElapsedTimeInSeconds),
			aws.ToInt64(p.EstimatedSecondsToCompletion), aws.ToFloat64(p.BackupProgressInMegaBytes), aws.ToFloat64(p.CurrentBackupRateInMegaBytesPerSecond))
	}
	f.advance(120 * time.Second)
	if p := f.rssSnapshot(f.rss, "finance-1"); aws.ToInt64(p.EstimatedSecondsToCompletion) != 60 || aws.ToFloat64(p.BackupProgressInMegaBytes) != 3072 {
		t.Errorf("at 180 s: estimate %d, progress %.1f", aws.ToInt64(p.EstimatedSecondsToCompletion), aws.ToFloat64(p.BackupProgressInMegaBytes))
	}
	f.advance(60 * time.Second)
	p = f.rssSnapshot(f.rss, "finance-1")
	if p.Status != rsstypes.SnapshotStatusAvailable || aws.ToInt64(p.EstimatedSecondsToCompletion) != 0 || aws.ToFloat64(p.BackupProgressInMegaBytes) != 4096 ||
		aws.ToInt64(p.ElapsedTimeInSeconds) != 240 || aws.ToInt32(p.SnapshotRemainingDays) != 7 {
		t.Errorf("at 240 s: %+v", p)
	}
	if st := f.namespace("finance").Status; st != rsstypes.NamespaceStatusAvailable {
		t.Errorf("namespace after the snapshot: %s", st)
	}
	// By ARN too.
	byARN := try(f.rss.GetSnapshot(ctx, &redshiftserverless.GetSnapshotInput{SnapshotArn: p.SnapshotArn})).must(t).Snapshot
	if *byARN.SnapshotName != "finance-1" {
		t.Errorf("GetSnapshot by ARN: %s", *byARN.SnapshotName)
	}

	// Names are unique; a namespace without a workgroup cannot snapshot.
	_, err = f.rss.CreateSnapshot(ctx, &redshiftserverless.CreateSnapshotInput{NamespaceName: aws.String("analytics"), SnapshotName: aws.String("finance-1")})
	wantErr[*rsstypes.ConflictException](t, err)
	_, err = f.rss.CreateSnapshot(ctx, &redshiftserverless.CreateSnapshotInput{NamespaceName: aws.String("sandbox"), SnapshotName: aws.String("sandbox-1")})
	wantErr[*rsstypes.ValidationException](t, err)
	wantMessage(t, err, "there isn't a workgroup created for the namespace")
	_, err = f.rss.CreateSnapshot(ctx, &redshiftserverless.CreateSnapshotInput{NamespaceName: aws.String("nope"), SnapshotName: aws.String("nope-1")})
	wantErr[*rsstypes.ResourceNotFoundException](t, err)
	for _, r := range []int32{0, -2, 3654} {
		_, err = f.rss.CreateSnapshot(ctx, &redshiftserverless.CreateSnapshotInput{NamespaceName: aws.String("finance"), SnapshotName: aws.String("bad-retention"), RetentionPeriod: aws.Int32(r)})
		wantErr[*rsstypes.ValidationException](t, err)
	}
	_, err = f.rss.CreateSnapshot(ctx, &redshiftserverless.CreateSnapshotInput{NamespaceName: aws.String("finance"), SnapshotName: aws.String("UPPER")})
	wantErr[*rsstypes.ValidationException](t, err)

	// UpdateSnapshot: the retention period; -1 keeps it indefinitely.
	up := try(f.rss.UpdateSnapshot(ctx, &redshiftserverless.UpdateSnapshotInput{SnapshotName: aws.String("finance-1"), RetentionPeriod: aws.Int32(-1)})).must(t).Snapshot
	if aws.ToInt32(up.SnapshotRetentionPeriod) != -1 || aws.ToInt32(up.SnapshotRemainingDays) != -1 {
		t.Errorf("UpdateSnapshot -1: period %d, remaining %d", aws.ToInt32(up.SnapshotRetentionPeriod), aws.ToInt32(up.SnapshotRemainingDays))
	}
	_, err = f.rss.UpdateSnapshot(ctx, &redshiftserverless.UpdateSnapshotInput{SnapshotName: aws.String("nope"), RetentionPeriod: aws.Int32(1)})
	wantErr[*rsstypes.ResourceNotFoundException](t, err)

	// A snapshot with a retention period goes when it runs out.
	try(f.rss.CreateSnapshot(ctx, &redshiftserverless.CreateSnapshotInput{NamespaceName: aws.String("finance"), SnapshotName: aws.String("finance-short"), RetentionPeriod: aws.Int32(1)})).must(t)
	f.advance(24*time.Hour + time.Second)
	_, err = f.rss.GetSnapshot(ctx, &redshiftserverless.GetSnapshotInput{SnapshotName: aws.String("finance-short")})
	wantErr[*rsstypes.ResourceNotFoundException](t, err)
	f.rssSnapshot(f.rss, "finance-1") // kept indefinitely

	// Tags.
	arn := p.SnapshotArn
	try(f.rss.TagResource(ctx, &redshiftserverless.TagResourceInput{ResourceArn: arn, Tags: rssTags("snapflow:slot", "2026-03-02", "team", "payments")})).must(t)
	tags := try(f.rss.ListTagsForResource(ctx, &redshiftserverless.ListTagsForResourceInput{ResourceArn: arn})).must(t).Tags
	if len(tags) != 3 || *tags[0].Key != "snapflow:managed" {
		t.Errorf("snapshot tags: %+v", tags)
	}
	try(f.rss.UntagResource(ctx, &redshiftserverless.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"team"}})).must(t)
	if tags := try(f.rss.ListTagsForResource(ctx, &redshiftserverless.ListTagsForResourceInput{ResourceArn: arn})).must(t).Tags; len(tags) != 2 {
		t.Errorf("after UntagResource: %+v", tags)
	}
	var many []rsstypes.Tag
	for i := range 49 {
		many = append(many, rssTags(fmt.Sprintf("k%02d", i), "v")...)
	}
	_, err = f.rss.TagResource(ctx, &redshiftserverless.TagResourceInput{ResourceArn: arn, Tags: many})
	wantErr[*rsstypes.TooManyTagsException](t, err)
	nsTags := try(f.rss.ListTagsForResource(ctx, &redshiftserverless.ListTagsForResourceInput{ResourceArn: ns.NamespaceArn})).must(t).Tags
	if len(nsTags) != 3 {
		t.Errorf("seeded namespace tags: %+v", nsTags)
	}

	// DeleteSnapshot answers DELETED; the snapshot is gone.
	del := try(f.rss.DeleteSnapshot(ctx, &redshiftserverless.DeleteSnapshotInput{SnapshotName: aws.String("finance-1")})).must(t).Snapshot
	if del.Status != rsstypes.SnapshotStatusDeleted {
		t.Errorf("delete answered %s", del.Status)
	}
	_, err = f.rss.GetSnapshot(ctx, &redshiftserverless.GetSnapshotInput{SnapshotName: aws.String("finance-1")})
	wantErr[*rsstypes.ResourceNotFoundException](t, err)
	_, err = f.rss.DeleteSnapshot(ctx, &redshiftserverless.DeleteSnapshotInput{SnapshotName: aws.String("finance-1")})
	wantErr[*rsstypes.ResourceNotFoundException](t, err)
}

// TestRedshiftServerlessListSnapshots: the ListSnapshotsPaginator and its filters.
func TestRedshiftServerlessListSnapshots(t *testing.T) {
	t.Parallel()
	f := newFleet(t)
	for i := 1; i <= 5; i++ {
		try(f.rss.CreateSnapshot(ctx, &redshiftserverless.CreateSnapshotInput{NamespaceName: aws.String("finance"), SnapshotName: aws.String(fmt.Sprintf("finance-%d", i))})).must(t)
		f.advance(4 * time.Minute) // snapshotSeconds 240
	}
	try(f.rss.CreateSnapshot(ctx, &redshiftserverless.CreateSnapshotInput{NamespaceName: aws.String("analytics"), SnapshotName: aws.String("analytics-1")})).must(t)

	p := redshiftserverless.NewListSnapshotsPaginator(f.rss, &redshiftserverless.ListSnapshotsInput{NamespaceName: aws.String("finance"), MaxResults: aws.Int32(2)})
	var names []string
	pages := 0
	for p.HasMorePages() {
		page := try(p.NextPage(ctx)).must(t)
		pages++
		for _, s := range page.Snapshots {
			names = append(names, *s.SnapshotName)
		}
	}
	if pages != 3 || len(names) != 5 || names[0] != "finance-1" || names[4] != "finance-5" {
		t.Errorf("%d pages: %v", pages, names)
	}
	all := try(f.rss.ListSnapshots(ctx, &redshiftserverless.ListSnapshotsInput{})).must(t)
	if len(all.Snapshots) != 6 {
		t.Errorf("all snapshots: %d", len(all.Snapshots))
	}
	// By time: snapshotCreateTime within [start, end].
	window := try(f.rss.ListSnapshots(ctx, &redshiftserverless.ListSnapshotsInput{StartTime: aws.Time(t0.Add(4 * time.Minute)), EndTime: aws.Time(t0.Add(12 * time.Minute))})).must(t)
	if len(window.Snapshots) != 3 {
		t.Errorf("snapshots between 4 and 12 min: %d", len(window.Snapshots))
	}
	ns := f.namespace("analytics")
	byARN := try(f.rss.ListSnapshots(ctx, &redshiftserverless.ListSnapshotsInput{NamespaceArn: ns.NamespaceArn})).must(t)
	if len(byARN.Snapshots) != 1 || *byARN.Snapshots[0].SnapshotName != "analytics-1" {
		t.Errorf("by namespace ARN: %d", len(byARN.Snapshots))
	}
	_, err := f.rss.ListSnapshots(ctx, &redshiftserverless.ListSnapshotsInput{NamespaceName: aws.String("nope")})
	wantErr[*rsstypes.ResourceNotFoundException](t, err)
	_, err = f.rss.ListSnapshots(ctx, &redshiftserverless.ListSnapshotsInput{MaxResults: aws.Int32(101)})
	wantErr[*rsstypes.ValidationException](t, err)
}

// TestRedshiftServerlessCopyConfigurations: the snapshot copy
// configuration operations, and the copies they make in the destination
// region.
func TestRedshiftServerlessCopyConfigurations(t *testing.T) {
	t.Parallel()
	f := newFleet(t)
	west := redshiftserverless.NewFromConfig(f.config("us-west-2"))

	// The seed gave analytics a configuration to us-west-2.
	seeded := try(f.rss.ListSnapshotCopyConfigurations(ctx, &redshiftserverless.ListSnapshotCopyConfigurationsInput{NamespaceName: aws.String("analytics")})).must(t).SnapshotCopyConfigurations
	if len(seeded) != 1 || *seeded[0].DestinationRegion != "us-west-2" || aws.ToInt32(seeded[0].SnapshotRetentionPeriod) != 7 {
		t.Fatalf("seeded copy configurations: %+v", seeded)
	}
	cfg := try(f.rss.CreateSnapshotCopyConfiguration(ctx, &redshiftserverless.CreateSnapshotCopyConfigurationInput{NamespaceName: aws.String("finance"),
		DestinationRegion: aws.String("us-west-2"), SnapshotRetentionPeriod: aws.Int32(3)})).must(t).SnapshotCopyConfiguration
	if *cfg.NamespaceName != "finance" || *cfg.DestinationRegion != "us-west-2" || aws.ToString(cfg.DestinationKmsKeyId) != "AWS_OWNED_KMS_KEY" || cfg.SnapshotCopyConfigurationId == nil {
		t.Fatalf("CreateSnapshotCopyConfiguration answered %+v", cfg)
	}
	_, err := f.rss.CreateSnapshotCopyConfiguration(ctx, &redshiftserverless.CreateSnapshotCopyConfigurationInput{NamespaceName: aws.String("finance"), DestinationRegion: aws.String("eu-west-1")})
	wantErr[*rsstypes.ServiceQuotaExceededException](t, err)
	_, err = f.rss.CreateSnapshotCopyConfiguration(ctx, &redshiftserverless.CreateSnapshotCopyConfigurationInput{NamespaceName: aws.String("sandbox"), DestinationRegion: aws.String("us-east-1")})
	wantErr[*rsstypes.ValidationException](t, err)
	up := try(f.rss.UpdateSnapshotCopyConfiguration(ctx, &redshiftserverless.UpdateSnapshotCopyConfigurationInput{SnapshotCopyConfigurationId: cfg.SnapshotCopyConfigurationId,
		SnapshotRetentionPeriod: aws.Int32(14)})).must(t).SnapshotCopyConfiguration
	if aws.ToInt32(up.SnapshotRetentionPeriod) != 14 {
		t.Errorf("UpdateSnapshotCopyConfiguration: %d", aws.ToInt32(up.SnapshotRetentionPeriod))
	}
	p := redshiftserverless.NewListSnapshotCopyConfigurationsPaginator(f.rss, &redshiftserverless.ListSnapshotCopyConfigurationsInput{MaxResults: aws.Int32(1)})
	count := 0
	for p.HasMorePages() {
		count += len(try(p.NextPage(ctx)).must(t).SnapshotCopyConfigurations)
	}
	if count != 2 {
		t.Errorf("paginated configurations: %d", count)
	}

	// A snapshot of finance is copied to us-west-2 once it completes.
	try(f.rss.CreateSnapshot(ctx, &redshiftserverless.CreateSnapshotInput{NamespaceName: aws.String("finance"), SnapshotName: aws.String("finance-x"), Tags: rssTags("snapflow:managed", "true")})).must(t)
	if n := len(try(west.ListSnapshots(ctx, &redshiftserverless.ListSnapshotsInput{})).must(t).Snapshots); n != 0 {
		t.Errorf("copies before the snapshot completed: %d", n)
	}
	f.advance(4 * time.Minute)
	cp := f.rssSnapshot(west, "finance-x")
	if cp.Status != rsstypes.SnapshotStatusCopying || aws.ToInt32(cp.SnapshotRetentionPeriod) != 14 {
		t.Errorf("copy in us-west-2: %s, retention %d", cp.Status, aws.ToInt32(cp.SnapshotRetentionPeriod))
	}
	f.advance(4 * time.Minute)
	cp = f.rssSnapshot(west, "finance-x")
	if cp.Status != rsstypes.SnapshotStatusAvailable {
		t.Errorf("copy after 4 more minutes: %s", cp.Status)
	}
	if tags := try(west.ListTagsForResource(ctx, &redshiftserverless.ListTagsForResourceInput{ResourceArn: cp.SnapshotArn})).must(t).Tags; len(tags) != 1 {
		t.Errorf("copy's tags: %+v", tags)
	}

	try(f.rss.DeleteSnapshotCopyConfiguration(ctx, &redshiftserverless.DeleteSnapshotCopyConfigurationInput{SnapshotCopyConfigurationId: cfg.SnapshotCopyConfigurationId})).must(t)
	_, err = f.rss.DeleteSnapshotCopyConfiguration(ctx, &redshiftserverless.DeleteSnapshotCopyConfigurationInput{SnapshotCopyConfigurationId: cfg.SnapshotCopyConfigurationId})
	wantErr[*rsstypes.ResourceNotFoundException](t, err)
	try(f.rss.CreateSnapshot(ctx, &redshiftserverless.CreateSnapshotInput{NamespaceName: aws.String("finance"), SnapshotName: aws.String("finance-y")})).must(t)
	f.advance(time.Hour)
	_, err = west.GetSnapshot(ctx, &redshiftserverless.GetSnapshotInput{SnapshotName: aws.String("finance-y")})
	wantErr[*rsstypes.ResourceNotFoundException](t, err)
}
