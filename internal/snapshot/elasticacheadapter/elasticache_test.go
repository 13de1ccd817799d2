package elasticacheadapter_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/snapflow/snapflow/internal/snapshot"
	"github.com/snapflow/snapflow/internal/snapshot/elasticacheadapter"
	"github.com/snapflow/snapflow/internal/snapshot/snapshottest"
)

// seed: a cluster-mode-disabled group with a replica (orders), a
// cluster-mode-enabled group of 3 shards with a replica each (catalog), a
// data-tiering group (tiered), a Valkey / Redis OSS cache cluster
// (sessions) and a Memcached one (pages), and two buckets.
var seed = `{
  "s3": {"buckets": [` + snapshottest.ElastiCacheBucket("sf-exports") + `, ` + snapshottest.PlainBucket("sf-exports-denied") + `]},
  "elasticache": {
    "replicationGroups": [
      {"id": "orders", "engine": "valkey", "replicasPerShard": 1, "snapshotSeconds": 60},
      {"id": "catalog", "engine": "valkey", "shards": 3, "replicasPerShard": 1, "dataSizeMB": 600},
      {"id": "tiered", "engine": "redis", "cacheNodeType": "cache.r6gd.xlarge", "snapshotSeconds": 60}],
    "cacheClusters": [
      {"id": "sessions", "engine": "redis", "snapshotSeconds": 45},
      {"id": "pages", "engine": "memcached", "numCacheNodes": 2}]
  }
}`

func newAdapter(cfg aws.Config) snapshot.Adapter {
	return elasticacheadapter.New(elasticache.NewFromConfig(cfg))
}

func harness(src snapshottest.Ref, shards, quota int) snapshottest.Harness {
	return snapshottest.Harness{
		Service:      snapshot.ElastiCache,
		NewAdapter:   newAdapter,
		Seed:         seed,
		Source:       src,
		Shards:       shards,
		Bucket:       "sf-exports",
		DeniedBucket: "sf-exports-denied",
		Caps:         snapshot.Capabilities{Copy: true, Export: true},
		CannotSnapshot: []snapshottest.Ref{
			{ID: "pages", Kind: elasticacheadapter.KindCacheCluster},            // Memcached
			{ID: "catalog-0001-001", Kind: elasticacheadapter.KindCacheCluster}, // member of a cluster-mode-enabled group
		},
		CannotExport: []snapshottest.Ref{{ID: "tiered", Kind: elasticacheadapter.KindReplicationGroup}},
		DailyQuota:   quota,
	}
}

func TestConformance(t *testing.T) {
	t.Run("ClusterModeDisabled", func(t *testing.T) {
		// Two nodes: 40 manual snapshots a day. The default kind.
		snapshottest.RunConformance(t, harness(snapshottest.Ref{ID: "orders"}, 1, 40))
	})
	t.Run("ClusterModeEnabled3Shards", func(t *testing.T) {
		// Six nodes (120 a day): the quota is left to the fault.
		snapshottest.RunConformance(t, harness(snapshottest.Ref{ID: "catalog", Kind: elasticacheadapter.KindReplicationGroup}, 3, 0))
	})
	t.Run("CacheCluster", func(t *testing.T) {
		snapshottest.RunConformance(t, harness(snapshottest.Ref{ID: "sessions", Kind: elasticacheadapter.KindCacheCluster}, 1, 20))
	})
}

// TestExportUnderPrefix: an export under a key prefix writes
// <prefix>/<name>-000N.rdb, one per node group.
func TestExportUnderPrefix(t *testing.T) {
	ctx := context.Background()
	local, cfg := snapshottest.Local(t, seed)
	a := newAdapter(cfg)
	if _, err := a.Create(ctx, snapshot.CreateInput{SourceID: "catalog", Name: "sf-catalog"}); err != nil {
		t.Fatal(err)
	}
	local.Clock().Advance(time.Hour)
	ex, err := a.Export(ctx, snapshot.ExportInput{SnapshotName: "sf-catalog", Name: "nightly", Bucket: "sf-exports", Prefix: "catalog/2026"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"catalog/2026/nightly-0001.rdb", "catalog/2026/nightly-0002.rdb", "catalog/2026/nightly-0003.rdb"}
	if !slices.Equal(ex.Keys, want) || ex.KeyPrefix != "catalog/2026/nightly-" {
		t.Fatalf("Export = %+v", ex)
	}
	local.Clock().Advance(time.Hour)
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if err := snapshot.VerifyExport(ctx, s3c, ex, 3); err != nil {
		t.Fatal(err)
	}
}

// TestSourceStatuses: Source reports the service's own status word while a
// snapshot runs.
func TestSourceStatuses(t *testing.T) {
	ctx := context.Background()
	_, cfg := snapshottest.Local(t, seed)
	a := newAdapter(cfg)
	if _, err := a.Create(ctx, snapshot.CreateInput{SourceID: "sessions", SourceKind: elasticacheadapter.KindCacheCluster, Name: "sf-sessions"}); err != nil {
		t.Fatal(err)
	}
	src, err := a.Source(ctx, "sessions", elasticacheadapter.KindCacheCluster)
	if err != nil || src.Status != "snapshotting" || src.Engine != "redis" || !src.CanSnapshot || !src.CanExport {
		t.Fatalf("Source = %+v, %v", src, err)
	}
}
