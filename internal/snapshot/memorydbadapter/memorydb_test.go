package memorydbadapter_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/memorydb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/snapflow/snapflow/internal/snapshot"
	"github.com/snapflow/snapflow/internal/snapshot/memorydbadapter"
	"github.com/snapflow/snapflow/internal/snapshot/snapshottest"
)

// seed: a two-shard cluster with a replica per shard and a data-tiering
// cluster, an export bucket with MemoryDB's policy and one without.
var seed = `{
  "s3": {"buckets": [` + snapshottest.MemoryDBBucket("sf-exports", "us-east-1") + `,
    {"name": "sf-exports-denied", "objectOwnership": "BucketOwnerPreferred"}]},
  "memorydb": {"clusters": [
    {"name": "orders", "nodeType": "db.r7g.large", "numShards": 2, "numReplicasPerShard": 1, "snapshotSeconds": 60},
    {"name": "tiered", "nodeType": "db.r6gd.xlarge", "dataTiering": true, "snapshotSeconds": 60}]}
}`

func TestConformance(t *testing.T) {
	snapshottest.RunConformance(t, snapshottest.Harness{
		Service: snapshot.MemoryDB,
		NewAdapter: func(cfg aws.Config) snapshot.Adapter {
			return memorydbadapter.New(memorydb.NewFromConfig(cfg))
		},
		Seed:         seed,
		Source:       snapshottest.Ref{ID: "orders"},
		Shards:       2,
		Bucket:       "sf-exports",
		DeniedBucket: "sf-exports-denied",
		Caps:         snapshot.Capabilities{Copy: true, Export: true},
		CannotExport: []snapshottest.Ref{{ID: "tiered", Kind: memorydbadapter.KindCluster}},
		DailyQuota:   20,
	})
}

// TestExportUnderPrefix: MemoryDB writes <prefix>/<name>-000N.rdb, one per
// shard; the source snapshot shows copying meanwhile.
func TestExportUnderPrefix(t *testing.T) {
	ctx := context.Background()
	local, cfg := snapshottest.Local(t, seed)
	a := memorydbadapter.New(memorydb.NewFromConfig(cfg))
	if _, err := a.Create(ctx, snapshot.CreateInput{SourceID: "orders", Name: "sf-orders"}); err != nil {
		t.Fatal(err)
	}
	local.Clock().Advance(time.Hour)
	ex, err := a.Export(ctx, snapshot.ExportInput{SnapshotName: "sf-orders", Name: "nightly", Bucket: "sf-exports", Prefix: "orders/"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ex.Keys, []string{"orders/nightly-0001.rdb", "orders/nightly-0002.rdb"}) {
		t.Fatalf("Export = %+v", ex)
	}
	if sn, err := a.Describe(ctx, "sf-orders"); err != nil || sn.Status != snapshot.Copying || sn.RawStatus != "copying" {
		t.Fatalf("while exporting: %+v %v", sn, err)
	}
	local.Clock().Advance(time.Hour)
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if err := snapshot.VerifyExport(ctx, s3c, ex, 2); err != nil {
		t.Fatal(err)
	}
}
