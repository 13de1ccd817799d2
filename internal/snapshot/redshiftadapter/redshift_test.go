package redshiftadapter_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/redshiftserverless"

	"github.com/snapflow/snapflow/internal/errclass"
	"github.com/snapflow/snapflow/internal/snapshot"
	"github.com/snapflow/snapflow/internal/snapshot/redshiftadapter"
	"github.com/snapflow/snapflow/internal/snapshot/snapshottest"
)

var seed = `{"redshiftServerless": {"namespaces": [
  {"name": "analytics", "dataSizeMB": 2048, "snapshotSeconds": 120},
  {"name": "lonely", "dataSizeMB": 10, "noWorkgroup": true}]}}`

func newAdapter(cfg aws.Config) snapshot.Adapter {
	return redshiftadapter.New(redshiftserverless.NewFromConfig(cfg))
}

func TestConformance(t *testing.T) {
	snapshottest.RunConformance(t, snapshottest.Harness{
		Service:    snapshot.RedshiftServerless,
		NewAdapter: newAdapter,
		Seed:       seed,
		Source:     snapshottest.Ref{ID: "analytics"},
		Shards:     1,
		Caps:       snapshot.Capabilities{},
	})
}

// TestCreateProgressAndRetention: CreateSnapshot passes retentionPeriod;
// while the snapshot is created Describe reports Redshift's progress.
func TestCreateProgressAndRetention(t *testing.T) {
	ctx := context.Background()
	local, cfg := snapshottest.Local(t, seed)
	a := newAdapter(cfg)
	for _, tc := range []struct {
		name string
		days int
		want int32
	}{
		{"sf-kept-7-days", 7, 7},
		{"sf-kept-forever", -1, -1},
		{"sf-service-default", 0, -1}, // retention left out: the service keeps it indefinitely
	} {
		sn, err := a.Create(ctx, snapshot.CreateInput{SourceID: "analytics", Name: tc.name, RetentionDays: tc.days})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if sn.Status != snapshot.Creating || sn.RawStatus != "CREATING" || sn.EstimatedSecondsToCompletion != 120 {
			t.Fatalf("%s: Create = %+v", tc.name, sn)
		}
		local.Clock().Advance(50 * time.Second)
		sn, err = a.Describe(ctx, tc.name)
		if err != nil || sn.EstimatedSecondsToCompletion != 70 || sn.ElapsedSeconds != 50 || sn.CreatedAt.IsZero() {
			t.Fatalf("%s: Describe after 50 s = %+v, %v", tc.name, sn, err)
		}
		out, err := redshiftserverless.NewFromConfig(cfg).GetSnapshot(ctx, &redshiftserverless.GetSnapshotInput{SnapshotName: aws.String(tc.name)})
		if err != nil || aws.ToInt32(out.Snapshot.SnapshotRetentionPeriod) != tc.want {
			t.Fatalf("%s: retention %v, %v; want %d", tc.name, out, err, tc.want)
		}
		local.Clock().Advance(71 * time.Second)
		if sn, err = a.Describe(ctx, tc.name); err != nil || sn.Status != snapshot.Available || sn.EstimatedSecondsToCompletion != 0 {
			t.Fatalf("%s: Describe after 121 s = %+v, %v", tc.name, sn, err)
		}
	}
	_, err := a.Create(ctx, snapshot.CreateInput{SourceID: "analytics", Name: "sf-bad-retention", RetentionDays: 5000})
	if !errclass.Is(err, errclass.InvalidInput) {
		t.Fatalf("retention 5000: %v, want InvalidInput", err)
	}
}

// TestNamespaceWithoutWorkgroup: a namespace with no workgroup cannot be
// snapshotted; Redshift answers ValidationException.
func TestNamespaceWithoutWorkgroup(t *testing.T) {
	_, cfg := snapshottest.Local(t, seed)
	_, err := newAdapter(cfg).Create(context.Background(), snapshot.CreateInput{SourceID: "lonely", Name: "sf-lonely"})
	if !errclass.Is(err, errclass.InvalidInput) || !strings.Contains(err.Error(), "workgroup") {
		t.Fatalf("Create = %v, want InvalidInput about the workgroup", err)
	}
}
