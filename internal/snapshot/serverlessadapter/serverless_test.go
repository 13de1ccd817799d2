package serverlessadapter_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"

	"github.com/snapflow/snapflow/internal/errclass"
	"github.com/snapflow/snapflow/internal/snapshot"
	"github.com/snapflow/snapflow/internal/snapshot/serverlessadapter"
	"github.com/snapflow/snapflow/internal/snapshot/snapshottest"
)

// seed: a Valkey cache with two internal shards (two objects per export)
// and a Memcached cache, whose snapshots cannot be exported.
var seed = `{
  "s3": {"buckets": [` + snapshottest.ElastiCacheBucket("sf-exports") + `, ` + snapshottest.PlainBucket("sf-exports-denied") + `]},
  "elasticache": {"serverlessCaches": [
    {"name": "carts", "engine": "valkey", "shards": 2, "snapshotSeconds": 60},
    {"name": "memo", "engine": "memcached", "snapshotSeconds": 60}]}
}`

func TestConformance(t *testing.T) {
	snapshottest.RunConformance(t, snapshottest.Harness{
		Service: snapshot.ElastiCacheServerless,
		NewAdapter: func(cfg aws.Config) snapshot.Adapter {
			return serverlessadapter.New(elasticache.NewFromConfig(cfg))
		},
		Seed:          seed,
		Source:        snapshottest.Ref{ID: "carts"},
		Shards:        1,
		ExportObjects: 2,
		Bucket:        "sf-exports",
		DeniedBucket:  "sf-exports-denied",
		Caps:          snapshot.Capabilities{Copy: true, Export: true},
		CannotExport:  []snapshottest.Ref{{ID: "memo", Kind: serverlessadapter.KindServerlessCache}},
		DailyQuota:    24,
	})
}

// TestExportTakesNoPrefix: ExportServerlessCacheSnapshot has no key
// prefix; asking for one is Unsupported before any call.
func TestExportTakesNoPrefix(t *testing.T) {
	local, cfg := snapshottest.Local(t, seed)
	a := serverlessadapter.New(elasticache.NewFromConfig(cfg))
	_, err := a.Export(context.Background(), snapshot.ExportInput{SnapshotName: "sf-carts", Bucket: "sf-exports", Prefix: "daily"})
	if !errclass.Is(err, errclass.Unsupported) || len(local.Calls()) != 0 {
		t.Fatalf("Export with a prefix = %v after %d calls, want Unsupported and none", err, len(local.Calls()))
	}
}
