package localredshiftserverless

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	rss "github.com/aws/aws-sdk-go-v2/service/redshiftserverless"
	"github.com/aws/aws-sdk-go-v2/service/redshiftserverless/types"
)

func TestSnapshotProgression(t *testing.T) {
	h := newHarness(t, Options{})
	c := h.east()
	ns := h.namespace(c, "sales", 600) // default model: 60 s + 600 MB / 10 MB/s = 120 s

	sn := h.snapshot(c, "sales", "sales-1", nil)
	if sn.Status != types.SnapshotStatusCreating || aws.ToInt64(sn.EstimatedSecondsToCompletion) != 120 ||
		aws.ToInt64(sn.ElapsedTimeInSeconds) != 0 || aws.ToFloat64(sn.BackupProgressInMegaBytes) != 0 ||
		aws.ToFloat64(sn.TotalBackupSizeInMegaBytes) != 600 || aws.ToFloat64(sn.CurrentBackupRateInMegaBytesPerSecond) != 5 {
		t.Fatalf("created %+v", sn)
	}
	if !sn.SnapshotCreateTime.Equal(t0) || aws.ToString(sn.NamespaceArn) != aws.ToString(ns.NamespaceArn) ||
		aws.ToString(sn.NamespaceName) != "sales" || aws.ToString(sn.OwnerAccount) != "123456789012" ||
		aws.ToString(sn.AdminUsername) != "admin" || aws.ToString(sn.KmsKeyId) != "AWS_OWNED_KMS_KEY" ||
		!strings.HasPrefix(aws.ToString(sn.SnapshotArn), "arn:aws:redshift-serverless:us-east-1:123456789012:snapshot/") {
		t.Fatalf("identity %+v", sn)
	}
	// Kept indefinitely by default.
	if aws.ToInt32(sn.SnapshotRetentionPeriod) != -1 || aws.ToInt32(sn.SnapshotRemainingDays) != -1 {
		t.Fatalf("retention %d remaining %d", aws.ToInt32(sn.SnapshotRetentionPeriod), aws.ToInt32(sn.SnapshotRemainingDays))
	}

	// The namespace is busy: MODIFYING, and a second snapshot is refused.
	got, _ := c.GetNamespace(ctx, &rss.GetNamespaceInput{NamespaceName: aws.String("sales")})
	if got.Namespace.Status != types.NamespaceStatusModifying {
		t.Fatalf("namespace status %s", got.Namespace.Status)
	}
	_, err := c.CreateSnapshot(ctx, &rss.CreateSnapshotInput{NamespaceName: aws.String("sales"), SnapshotName: aws.String("sales-2")})
	ce := wantErr[*types.ConflictException](t, err)
	if !strings.Contains(aws.ToString(ce.Message), "There is an operation running on the namespace") {
		t.Fatalf("message %q", aws.ToString(ce.Message))
	}
	_, err = c.DeleteNamespace(ctx, &rss.DeleteNamespaceInput{NamespaceName: aws.String("sales")})
	ce = wantErr[*types.ConflictException](t, err)
	if aws.ToString(ce.Message) != "There is an operation running on the namespace. Try deleting the namespace again later." {
		t.Fatalf("message %q", aws.ToString(ce.Message))
	}

	h.advance(60 * time.Second)
	sn = h.get(c, "sales-1")
	if sn.Status != types.SnapshotStatusCreating || aws.ToInt64(sn.ElapsedTimeInSeconds) != 60 ||
		aws.ToInt64(sn.EstimatedSecondsToCompletion) != 60 || aws.ToFloat64(sn.BackupProgressInMegaBytes) != 300 {
		t.Fatalf("halfway %+v", sn)
	}
	h.advance(59 * time.Second)
	if sn = h.get(c, "sales-1"); sn.Status != types.SnapshotStatusCreating || aws.ToInt64(sn.EstimatedSecondsToCompletion) != 1 {
		t.Fatalf("almost %+v", sn)
	}
	h.advance(time.Second)
	sn = h.get(c, "sales-1")
	if sn.Status != types.SnapshotStatusAvailable || aws.ToInt64(sn.EstimatedSecondsToCompletion) != 0 ||
		aws.ToInt64(sn.ElapsedTimeInSeconds) != 120 || aws.ToFloat64(sn.BackupProgressInMegaBytes) != 600 ||
		aws.ToFloat64(sn.ActualIncrementalBackupSizeInMegaBytes) != 600 {
		t.Fatalf("done %+v", sn)
	}
	got, _ = c.GetNamespace(ctx, &rss.GetNamespaceInput{NamespaceName: aws.String("sales")})
	if got.Namespace.Status != types.NamespaceStatusAvailable {
		t.Fatalf("namespace status %s", got.Namespace.Status)
	}
	h.snapshot(c, "sales", "sales-2", nil)
}

func TestSnapshotDurationGrowsWithSize(t *testing.T) {
	h := newHarness(t, Options{})
	c := h.east()
	h.namespace(c, "small", 100)
	h.namespace(c, "large", 36000)
	small := h.snapshot(c, "small", "small-1", nil)
	large := h.snapshot(c, "large", "large-1", nil)
	if aws.ToInt64(small.EstimatedSecondsToCompletion) != 70 || aws.ToInt64(large.EstimatedSecondsToCompletion) != 3660 {
		t.Fatalf("estimates %d %d", aws.ToInt64(small.EstimatedSecondsToCompletion), aws.ToInt64(large.EstimatedSecondsToCompletion))
	}
}

func TestSnapshotErrors(t *testing.T) {
	h := newHarness(t, Options{})
	c := h.east()
	h.namespace(c, "sales", 10)

	_, err := c.CreateSnapshot(ctx, &rss.CreateSnapshotInput{NamespaceName: aws.String("nope"), SnapshotName: aws.String("x-1")})
	nf := wantErr[*types.ResourceNotFoundException](t, err)
	if aws.ToString(nf.Message) != "Serverless namespace nope not found." {
		t.Fatalf("message %q", aws.ToString(nf.Message))
	}
	for _, bad := range []string{"UPPER", "ab", "under_score", strings.Repeat("a", 65)} {
		_, err = c.CreateSnapshot(ctx, &rss.CreateSnapshotInput{NamespaceName: aws.String("sales"), SnapshotName: aws.String(bad)})
		wantErr[*types.ValidationException](t, err)
	}
	for _, r := range []int32{0, -2, 3654} {
		_, err = c.CreateSnapshot(ctx, &rss.CreateSnapshotInput{NamespaceName: aws.String("sales"), SnapshotName: aws.String("ok-1"), RetentionPeriod: i32(r)})
		wantErr[*types.ValidationException](t, err)
	}
	var many []types.Tag
	for i := 0; i < 51; i++ {
		many = append(many, types.Tag{Key: aws.String(fmt.Sprintf("k%d", i)), Value: aws.String("v")})
	}
	_, err = c.CreateSnapshot(ctx, &rss.CreateSnapshotInput{NamespaceName: aws.String("sales"), SnapshotName: aws.String("ok-1"), Tags: many})
	wantErr[*types.TooManyTagsException](t, err)

	// Namespace without workgroup.
	if _, err := c.CreateNamespace(ctx, &rss.CreateNamespaceInput{NamespaceName: aws.String("bare")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateSnapshot(ctx, &rss.CreateSnapshotInput{NamespaceName: aws.String("bare"), SnapshotName: aws.String("bare-1")})
	ve := wantErr[*types.ValidationException](t, err)
	if aws.ToString(ve.Message) != "You can't create a snapshot because there isn't a workgroup created for the namespace" {
		t.Fatalf("message %q", aws.ToString(ve.Message))
	}

	// Duplicate names, also across namespaces of the Region.
	h.snapshot(c, "sales", "dup-1", i32(3653))
	h.advance(5 * time.Minute)
	h.namespace(c, "other", 10)
	_, err = c.CreateSnapshot(ctx, &rss.CreateSnapshotInput{NamespaceName: aws.String("other"), SnapshotName: aws.String("dup-1")})
	wantErr[*types.ConflictException](t, err)

	_, err = c.GetSnapshot(ctx, &rss.GetSnapshotInput{SnapshotName: aws.String("ghost")})
	nf = wantErr[*types.ResourceNotFoundException](t, err)
	if aws.ToString(nf.ResourceName) != "ghost" {
		t.Fatalf("resourceName %q", aws.ToString(nf.ResourceName))
	}
	_, err = c.GetSnapshot(ctx, &rss.GetSnapshotInput{})
	wantErr[*types.ValidationException](t, err)
	_, err = c.UpdateSnapshot(ctx, &rss.UpdateSnapshotInput{SnapshotName: aws.String("ghost"), RetentionPeriod: i32(3)})
	wantErr[*types.ResourceNotFoundException](t, err)
	_, err = c.DeleteSnapshot(ctx, &rss.DeleteSnapshotInput{SnapshotName: aws.String("ghost")})
	wantErr[*types.ResourceNotFoundException](t, err)
	// Snapshots live in their Region.
	_, err = h.client("us-west-2").GetSnapshot(ctx, &rss.GetSnapshotInput{SnapshotName: aws.String("dup-1")})
	wantErr[*types.ResourceNotFoundException](t, err)
}

func TestGetSnapshotByARNAndOwner(t *testing.T) {
	h := newHarness(t, Options{})
	c := h.east()
	h.namespace(c, "sales", 10)
	sn := h.snapshot(c, "sales", "by-arn", nil)
	out, err := c.GetSnapshot(ctx, &rss.GetSnapshotInput{SnapshotArn: sn.SnapshotArn})
	if err != nil || aws.ToString(out.Snapshot.SnapshotName) != "by-arn" {
		t.Fatalf("by ARN: %v %+v", err, out)
	}
	_, err = c.GetSnapshot(ctx, &rss.GetSnapshotInput{SnapshotArn: sn.SnapshotArn, SnapshotName: aws.String("by-arn")})
	wantErr[*types.ValidationException](t, err)
	_, err = c.GetSnapshot(ctx, &rss.GetSnapshotInput{SnapshotArn: aws.String("not-an-arn")})
	wantErr[*types.ValidationException](t, err)
	if _, err := c.GetSnapshot(ctx, &rss.GetSnapshotInput{SnapshotName: aws.String("by-arn"), OwnerAccount: aws.String("123456789012")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetSnapshot(ctx, &rss.GetSnapshotInput{SnapshotName: aws.String("by-arn"), OwnerAccount: aws.String("210987654321")})
	wantErr[*types.ResourceNotFoundException](t, err)
}

func TestSnapshotRetention(t *testing.T) {
	h := newHarness(t, Options{})
	c := h.east()
	h.namespace(c, "sales", 0) // 60 s
	sn := h.snapshot(c, "sales", "short", i32(2))
	if aws.ToInt32(sn.SnapshotRetentionPeriod) != 2 || aws.ToInt32(sn.SnapshotRemainingDays) != 2 || !sn.SnapshotRetentionStartTime.Equal(t0) {
		t.Fatalf("retention %+v", sn)
	}
	_, err := c.DeleteSnapshot(ctx, &rss.DeleteSnapshotInput{SnapshotName: aws.String("short")})
	wantErr[*types.ConflictException](t, err) // still CREATING
	h.advance(24 * time.Hour)
	if sn = h.get(c, "short"); aws.ToInt32(sn.SnapshotRemainingDays) != 1 {
		t.Fatalf("remaining %d", aws.ToInt32(sn.SnapshotRemainingDays))
	}
	// Extend to 5 days; shortening to 1 day is now in the past.
	up, err := c.UpdateSnapshot(ctx, &rss.UpdateSnapshotInput{SnapshotName: aws.String("short"), RetentionPeriod: i32(5)})
	if err != nil || aws.ToInt32(up.Snapshot.SnapshotRetentionPeriod) != 5 || aws.ToInt32(up.Snapshot.SnapshotRemainingDays) != 4 {
		t.Fatalf("UpdateSnapshot %v %+v", err, up)
	}
	_, err = c.UpdateSnapshot(ctx, &rss.UpdateSnapshotInput{SnapshotName: aws.String("short"), RetentionPeriod: i32(1)})
	wantErr[*types.ValidationException](t, err)
	_, err = c.UpdateSnapshot(ctx, &rss.UpdateSnapshotInput{SnapshotName: aws.String("short"), RetentionPeriod: i32(4000)})
	wantErr[*types.ValidationException](t, err)
	h.advance(4 * 24 * time.Hour)
	_, err = c.GetSnapshot(ctx, &rss.GetSnapshotInput{SnapshotName: aws.String("short")})
	wantErr[*types.ResourceNotFoundException](t, err) // expired and deleted

	// -1 keeps it; setting -1 on a dated snapshot keeps it indefinitely.
	h.snapshot(c, "sales", "keep", i32(1))
	up, err = c.UpdateSnapshot(ctx, &rss.UpdateSnapshotInput{SnapshotName: aws.String("keep"), RetentionPeriod: i32(-1)})
	if err != nil || aws.ToInt32(up.Snapshot.SnapshotRemainingDays) != -1 {
		t.Fatalf("UpdateSnapshot -1: %v %+v", err, up)
	}
	h.advance(400 * 24 * time.Hour)
	h.get(c, "keep")

	del, err := c.DeleteSnapshot(ctx, &rss.DeleteSnapshotInput{SnapshotName: aws.String("keep")})
	if err != nil || del.Snapshot.Status != types.SnapshotStatusDeleted {
		t.Fatalf("DeleteSnapshot %v %+v", err, del)
	}
	_, err = c.GetSnapshot(ctx, &rss.GetSnapshotInput{SnapshotName: aws.String("keep")})
	wantErr[*types.ResourceNotFoundException](t, err)
	// The name is free again.
	h.snapshot(c, "sales", "keep", nil)
}

func TestListSnapshots(t *testing.T) {
	h := newHarness(t, Options{})
	c := h.east()
	a := h.namespace(c, "alpha", 0)
	h.namespace(c, "beta", 0)
	for i := 0; i < 7; i++ {
		h.snapshot(c, "alpha", fmt.Sprintf("alpha-%d", i), nil)
		h.advance(2 * time.Minute)
	}
	for i := 0; i < 3; i++ {
		h.snapshot(c, "beta", fmt.Sprintf("beta-%d", i), nil)
		h.advance(2 * time.Minute)
	}

	p := rss.NewListSnapshotsPaginator(c, &rss.ListSnapshotsInput{NamespaceName: aws.String("alpha")}, func(o *rss.ListSnapshotsPaginatorOptions) { o.Limit = 3 })
	var names []string
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(out.Snapshots) > 3 {
			t.Fatalf("page of %d", len(out.Snapshots))
		}
		for _, s := range out.Snapshots {
			names = append(names, aws.ToString(s.SnapshotName))
		}
	}
	if pages != 3 || strings.Join(names, ",") != "alpha-0,alpha-1,alpha-2,alpha-3,alpha-4,alpha-5,alpha-6" {
		t.Fatalf("pages %d names %v", pages, names)
	}

	all, err := c.ListSnapshots(ctx, &rss.ListSnapshotsInput{})
	if err != nil || len(all.Snapshots) != 10 || all.NextToken != nil {
		t.Fatalf("all: %v %d", err, len(all.Snapshots))
	}
	byArn, err := c.ListSnapshots(ctx, &rss.ListSnapshotsInput{NamespaceArn: a.NamespaceArn})
	if err != nil || len(byArn.Snapshots) != 7 {
		t.Fatalf("by ARN: %v %d", err, len(byArn.Snapshots))
	}
	window, err := c.ListSnapshots(ctx, &rss.ListSnapshotsInput{
		StartTime: aws.Time(t0.Add(4 * time.Minute)), EndTime: aws.Time(t0.Add(8 * time.Minute)),
	})
	if err != nil || len(window.Snapshots) != 3 || aws.ToString(window.Snapshots[0].SnapshotName) != "alpha-2" {
		t.Fatalf("window: %v %+v", err, window.Snapshots)
	}
	other, err := c.ListSnapshots(ctx, &rss.ListSnapshotsInput{OwnerAccount: aws.String("210987654321")})
	if err != nil || len(other.Snapshots) != 0 {
		t.Fatalf("other owner: %v %d", err, len(other.Snapshots))
	}
	_, err = c.ListSnapshots(ctx, &rss.ListSnapshotsInput{NamespaceName: aws.String("gamma")})
	wantErr[*types.ResourceNotFoundException](t, err)
	_, err = c.ListSnapshots(ctx, &rss.ListSnapshotsInput{MaxResults: aws.Int32(0)})
	wantErr[*types.ValidationException](t, err)
	_, err = c.ListSnapshots(ctx, &rss.ListSnapshotsInput{NextToken: aws.String("bogus-token")})
	wantErr[*types.ValidationException](t, err)
	west, err := h.client("us-west-2").ListSnapshots(ctx, &rss.ListSnapshotsInput{})
	if err != nil || len(west.Snapshots) != 0 {
		t.Fatalf("other Region: %v %d", err, len(west.Snapshots))
	}
}

func TestSnapshotQuotaOption(t *testing.T) {
	h := newHarness(t, Options{SnapshotQuota: 2})
	c := h.east()
	h.namespace(c, "sales", 0)
	h.snapshot(c, "sales", "q-1", nil)
	h.advance(time.Hour)
	h.snapshot(c, "sales", "q-2", nil)
	h.advance(time.Hour)
	_, err := c.CreateSnapshot(ctx, &rss.CreateSnapshotInput{NamespaceName: aws.String("sales"), SnapshotName: aws.String("q-3")})
	wantErr[*types.ServiceQuotaExceededException](t, err)
}
