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

func TestSnapshotCopyConfigurationCRUD(t *testing.T) {
	h := newHarness(t, Options{})
	c := h.east()
	h.namespace(c, "sales", 0)

	_, err := c.CreateSnapshotCopyConfiguration(ctx, &rss.CreateSnapshotCopyConfigurationInput{NamespaceName: aws.String("sales"), DestinationRegion: aws.String("us-east-1")})
	wantErr[*types.ValidationException](t, err)
	_, err = c.CreateSnapshotCopyConfiguration(ctx, &rss.CreateSnapshotCopyConfigurationInput{NamespaceName: aws.String("sales"), DestinationRegion: aws.String("mars")})
	wantErr[*types.ValidationException](t, err)
	_, err = c.CreateSnapshotCopyConfiguration(ctx, &rss.CreateSnapshotCopyConfigurationInput{NamespaceName: aws.String("sales"), DestinationRegion: aws.String("us-west-2"), SnapshotRetentionPeriod: i32(0)})
	wantErr[*types.ValidationException](t, err)
	_, err = c.CreateSnapshotCopyConfiguration(ctx, &rss.CreateSnapshotCopyConfigurationInput{NamespaceName: aws.String("nobody"), DestinationRegion: aws.String("us-west-2")})
	wantErr[*types.ResourceNotFoundException](t, err)

	out, err := c.CreateSnapshotCopyConfiguration(ctx, &rss.CreateSnapshotCopyConfigurationInput{NamespaceName: aws.String("sales"), DestinationRegion: aws.String("us-west-2")})
	if err != nil {
		t.Fatal(err)
	}
	cfg := out.SnapshotCopyConfiguration
	if aws.ToString(cfg.DestinationKmsKeyId) != "AWS_OWNED_KMS_KEY" || aws.ToInt32(cfg.SnapshotRetentionPeriod) != -1 ||
		aws.ToString(cfg.NamespaceName) != "sales" || aws.ToString(cfg.DestinationRegion) != "us-west-2" ||
		aws.ToString(cfg.SnapshotCopyConfigurationArn) != "arn:aws:redshift-serverless:us-east-1:123456789012:snapshotcopyconfiguration/"+aws.ToString(cfg.SnapshotCopyConfigurationId) {
		t.Fatalf("config %+v", cfg)
	}
	// One destination at a time.
	_, err = c.CreateSnapshotCopyConfiguration(ctx, &rss.CreateSnapshotCopyConfigurationInput{NamespaceName: aws.String("sales"), DestinationRegion: aws.String("eu-west-1")})
	wantErr[*types.ServiceQuotaExceededException](t, err)

	up, err := c.UpdateSnapshotCopyConfiguration(ctx, &rss.UpdateSnapshotCopyConfigurationInput{SnapshotCopyConfigurationId: cfg.SnapshotCopyConfigurationId, SnapshotRetentionPeriod: i32(30)})
	if err != nil || aws.ToInt32(up.SnapshotCopyConfiguration.SnapshotRetentionPeriod) != 30 {
		t.Fatalf("update %v %+v", err, up)
	}
	_, err = c.UpdateSnapshotCopyConfiguration(ctx, &rss.UpdateSnapshotCopyConfigurationInput{SnapshotCopyConfigurationId: cfg.SnapshotCopyConfigurationId, SnapshotRetentionPeriod: i32(3654)})
	wantErr[*types.ValidationException](t, err)
	_, err = c.UpdateSnapshotCopyConfiguration(ctx, &rss.UpdateSnapshotCopyConfigurationInput{SnapshotCopyConfigurationId: aws.String("nope"), SnapshotRetentionPeriod: i32(3)})
	wantErr[*types.ResourceNotFoundException](t, err)

	del, err := c.DeleteSnapshotCopyConfiguration(ctx, &rss.DeleteSnapshotCopyConfigurationInput{SnapshotCopyConfigurationId: cfg.SnapshotCopyConfigurationId})
	if err != nil || aws.ToString(del.SnapshotCopyConfiguration.SnapshotCopyConfigurationId) != aws.ToString(cfg.SnapshotCopyConfigurationId) {
		t.Fatalf("delete %v %+v", err, del)
	}
	_, err = c.DeleteSnapshotCopyConfiguration(ctx, &rss.DeleteSnapshotCopyConfigurationInput{SnapshotCopyConfigurationId: cfg.SnapshotCopyConfigurationId})
	wantErr[*types.ResourceNotFoundException](t, err)
	// Now another destination may be chosen.
	if _, err := c.CreateSnapshotCopyConfiguration(ctx, &rss.CreateSnapshotCopyConfigurationInput{NamespaceName: aws.String("sales"), DestinationRegion: aws.String("eu-west-1")}); err != nil {
		t.Fatal(err)
	}
}

func TestListSnapshotCopyConfigurations(t *testing.T) {
	h := newHarness(t, Options{})
	c := h.east()
	for i := 0; i < 5; i++ {
		name := fmt.Sprintf("ns-%d", i)
		h.namespace(c, name, 0)
		if _, err := c.CreateSnapshotCopyConfiguration(ctx, &rss.CreateSnapshotCopyConfigurationInput{NamespaceName: aws.String(name), DestinationRegion: aws.String("us-west-2")}); err != nil {
			t.Fatal(err)
		}
	}
	p := rss.NewListSnapshotCopyConfigurationsPaginator(c, &rss.ListSnapshotCopyConfigurationsInput{}, func(o *rss.ListSnapshotCopyConfigurationsPaginatorOptions) { o.Limit = 2 })
	var got []string
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if out.NextToken != nil && len(*out.NextToken) < 8 {
			t.Fatalf("token %q shorter than the model's 8", *out.NextToken)
		}
		for _, cfg := range out.SnapshotCopyConfigurations {
			got = append(got, aws.ToString(cfg.NamespaceName))
		}
	}
	if strings.Join(got, ",") != "ns-0,ns-1,ns-2,ns-3,ns-4" {
		t.Fatalf("got %v", got)
	}
	one, err := c.ListSnapshotCopyConfigurations(ctx, &rss.ListSnapshotCopyConfigurationsInput{NamespaceName: aws.String("ns-3")})
	if err != nil || len(one.SnapshotCopyConfigurations) != 1 {
		t.Fatalf("filter %v %+v", err, one)
	}
	_, err = c.ListSnapshotCopyConfigurations(ctx, &rss.ListSnapshotCopyConfigurationsInput{NamespaceName: aws.String("ns-9")})
	wantErr[*types.ResourceNotFoundException](t, err)
	_, err = c.ListSnapshotCopyConfigurations(ctx, &rss.ListSnapshotCopyConfigurationsInput{NextToken: aws.String("not-a-token-we-made")})
	wantErr[*types.InvalidPaginationException](t, err)
	west, err := h.client("us-west-2").ListSnapshotCopyConfigurations(ctx, &rss.ListSnapshotCopyConfigurationsInput{})
	if err != nil || len(west.SnapshotCopyConfigurations) != 0 {
		t.Fatalf("destination Region lists no source configurations: %v %+v", err, west)
	}
}

func TestCrossRegionCopy(t *testing.T) {
	h := newHarness(t, Options{})
	c := h.east()
	west := h.client("us-west-2")
	ns := h.namespace(c, "sales", 600) // 120 s to snapshot, 120 s to copy
	if _, err := c.CreateSnapshotCopyConfiguration(ctx, &rss.CreateSnapshotCopyConfigurationInput{
		NamespaceName: aws.String("sales"), DestinationRegion: aws.String("us-west-2"),
		DestinationKmsKeyId: aws.String("arn:aws:kms:us-west-2:123456789012:key/k1"), SnapshotRetentionPeriod: i32(7),
	}); err != nil {
		t.Fatal(err)
	}
	src := h.snapshot(c, "sales", "nightly-1", nil)
	if _, err := c.TagResource(ctx, &rss.TagResourceInput{ResourceArn: src.SnapshotArn, Tags: []types.Tag{{Key: aws.String("managed-by"), Value: aws.String("snapflow")}}}); err != nil {
		t.Fatal(err)
	}
	// Nothing in the destination while the source snapshot runs.
	list, err := west.ListSnapshots(ctx, &rss.ListSnapshotsInput{})
	if err != nil || len(list.Snapshots) != 0 {
		t.Fatalf("early copy: %v %+v", err, list.Snapshots)
	}
	h.advance(120 * time.Second)
	list, err = west.ListSnapshots(ctx, &rss.ListSnapshotsInput{NamespaceName: aws.String("sales")})
	if err != nil || len(list.Snapshots) != 1 {
		t.Fatalf("copy: %v %+v", err, list)
	}
	cp := &list.Snapshots[0]
	if cp.Status != types.SnapshotStatusCopying || aws.ToInt64(cp.EstimatedSecondsToCompletion) != 120 ||
		aws.ToString(cp.SnapshotName) != "nightly-1" || aws.ToString(cp.NamespaceArn) != aws.ToString(ns.NamespaceArn) ||
		aws.ToString(cp.KmsKeyId) != "arn:aws:kms:us-west-2:123456789012:key/k1" || aws.ToInt32(cp.SnapshotRetentionPeriod) != 7 ||
		!strings.HasPrefix(aws.ToString(cp.SnapshotArn), "arn:aws:redshift-serverless:us-west-2:") || !cp.SnapshotCreateTime.Equal(t0) {
		t.Fatalf("copy %+v", cp)
	}
	// The source is AVAILABLE; the namespace is free again.
	if sn := h.get(c, "nightly-1"); sn.Status != types.SnapshotStatusAvailable {
		t.Fatalf("source %s", sn.Status)
	}
	h.advance(60 * time.Second)
	if cp = h.get(west, "nightly-1"); cp.Status != types.SnapshotStatusCopying || aws.ToFloat64(cp.BackupProgressInMegaBytes) != 300 {
		t.Fatalf("copy halfway %+v", cp)
	}
	_, err = west.DeleteSnapshot(ctx, &rss.DeleteSnapshotInput{SnapshotName: aws.String("nightly-1")})
	wantErr[*types.ConflictException](t, err)
	h.advance(60 * time.Second)
	if cp = h.get(west, "nightly-1"); cp.Status != types.SnapshotStatusAvailable || aws.ToInt32(cp.SnapshotRemainingDays) != 7 {
		t.Fatalf("copy done %+v", cp)
	}
	tags, err := west.ListTagsForResource(ctx, &rss.ListTagsForResourceInput{ResourceArn: cp.SnapshotArn})
	if err != nil || len(tags.Tags) != 1 {
		t.Fatalf("copy tags %v %+v", err, tags)
	}
	// The copy is retained for the configuration's 7 days.
	h.advance(7 * 24 * time.Hour)
	_, err = west.GetSnapshot(ctx, &rss.GetSnapshotInput{SnapshotName: aws.String("nightly-1")})
	wantErr[*types.ResourceNotFoundException](t, err)
	h.get(c, "nightly-1")
}

func TestCopyCancelledWhenConfigurationDeleted(t *testing.T) {
	h := newHarness(t, Options{})
	c := h.east()
	west := h.client("us-west-2")
	h.namespace(c, "sales", 600)
	h.namespace(c, "ops", 600)
	mk := func(ns string) *string {
		out, err := c.CreateSnapshotCopyConfiguration(ctx, &rss.CreateSnapshotCopyConfigurationInput{NamespaceName: aws.String(ns), DestinationRegion: aws.String("us-west-2")})
		if err != nil {
			t.Fatal(err)
		}
		return out.SnapshotCopyConfiguration.SnapshotCopyConfigurationId
	}
	salesCfg, opsCfg := mk("sales"), mk("ops")
	h.snapshot(c, "sales", "sales-1", nil)
	h.snapshot(c, "ops", "ops-1", nil)
	// ops: configuration deleted before its snapshot finishes: no copy.
	if _, err := c.DeleteSnapshotCopyConfiguration(ctx, &rss.DeleteSnapshotCopyConfigurationInput{SnapshotCopyConfigurationId: opsCfg}); err != nil {
		t.Fatal(err)
	}
	h.advance(180 * time.Second)
	// sales: deleted while the copy runs: CANCELLED.
	if _, err := c.DeleteSnapshotCopyConfiguration(ctx, &rss.DeleteSnapshotCopyConfigurationInput{SnapshotCopyConfigurationId: salesCfg}); err != nil {
		t.Fatal(err)
	}
	h.advance(time.Hour)
	list, err := west.ListSnapshots(ctx, &rss.ListSnapshotsInput{})
	if err != nil || len(list.Snapshots) != 1 || aws.ToString(list.Snapshots[0].SnapshotName) != "sales-1" || list.Snapshots[0].Status != types.SnapshotStatusCancelled {
		t.Fatalf("copies %v %+v", err, list.Snapshots)
	}
	if _, err := west.DeleteSnapshot(ctx, &rss.DeleteSnapshotInput{SnapshotName: aws.String("sales-1")}); err != nil {
		t.Fatal(err)
	}
	// A new snapshot after the configuration is gone is not copied.
	h.snapshot(c, "sales", "sales-2", nil)
	h.advance(time.Hour)
	list, _ = west.ListSnapshots(ctx, &rss.ListSnapshotsInput{})
	if len(list.Snapshots) != 0 {
		t.Fatalf("unexpected copies %+v", list.Snapshots)
	}
}
