package localelasticache

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"
)

func describeServerless(t *testing.T, h *harness, name string) types.ServerlessCache {
	t.Helper()
	out, err := h.ec.DescribeServerlessCaches(ctx, &elasticache.DescribeServerlessCachesInput{ServerlessCacheName: aws.String(name)})
	must(t, err)
	return out.ServerlessCaches[0]
}

func describeServerlessSnapshot(t *testing.T, h *harness, name string) types.ServerlessCacheSnapshot {
	t.Helper()
	out, err := h.ec.DescribeServerlessCacheSnapshots(ctx, &elasticache.DescribeServerlessCacheSnapshotsInput{ServerlessCacheSnapshotName: aws.String(name)})
	must(t, err)
	if len(out.ServerlessCacheSnapshots) != 1 {
		t.Fatalf("describe %s: %d", name, len(out.ServerlessCacheSnapshots))
	}
	return out.ServerlessCacheSnapshots[0]
}

func TestServerlessCacheLifecycle(t *testing.T) {
	h := newHarness(t)
	out, err := h.ec.CreateServerlessCache(ctx, &elasticache.CreateServerlessCacheInput{
		ServerlessCacheName: aws.String("Carts"), Engine: aws.String("valkey")})
	must(t, err)
	sc := out.ServerlessCache
	if aws.ToString(sc.ServerlessCacheName) != "carts" || aws.ToString(sc.Status) != "creating" || aws.ToString(sc.MajorEngineVersion) != "8" ||
		aws.ToString(sc.ARN) != "arn:aws:elasticache:us-east-1:123456789012:serverlesscache:carts" {
		t.Fatalf("created: %+v", sc)
	}
	_, err = h.ec.CreateServerlessCache(ctx, &elasticache.CreateServerlessCacheInput{ServerlessCacheName: aws.String("carts"), Engine: aws.String("redis")})
	wantErr[*types.ServerlessCacheAlreadyExistsFault](t, err)
	_, err = h.ec.CreateServerlessCache(ctx, &elasticache.CreateServerlessCacheInput{ServerlessCacheName: aws.String("x"), Engine: aws.String("mysql")})
	wantErr[*types.InvalidParameterValueException](t, err)
	_, err = h.ec.CreateServerlessCacheSnapshot(ctx, &elasticache.CreateServerlessCacheSnapshotInput{ServerlessCacheName: aws.String("carts"), ServerlessCacheSnapshotName: aws.String("s")})
	wantErr[*types.InvalidServerlessCacheStateFault](t, err)

	h.advance(DefaultCreateDuration)
	if st := aws.ToString(describeServerless(t, h, "carts").Status); st != "available" {
		t.Fatalf("status %q", st)
	}
	del, err := h.ec.DeleteServerlessCache(ctx, &elasticache.DeleteServerlessCacheInput{ServerlessCacheName: aws.String("carts"), FinalSnapshotName: aws.String("carts-final")})
	must(t, err)
	if aws.ToString(del.ServerlessCache.Status) != "deleting" {
		t.Fatalf("delete %q", aws.ToString(del.ServerlessCache.Status))
	}
	_, err = h.ec.DeleteServerlessCache(ctx, &elasticache.DeleteServerlessCacheInput{ServerlessCacheName: aws.String("carts")})
	wantErr[*types.InvalidServerlessCacheStateFault](t, err)
	h.advance(DefaultDeleteDuration)
	_, err = h.ec.DescribeServerlessCaches(ctx, &elasticache.DescribeServerlessCachesInput{ServerlessCacheName: aws.String("carts")})
	wantErr[*types.ServerlessCacheNotFoundFault](t, err)
	if st := aws.ToString(describeServerlessSnapshot(t, h, "carts-final").Status); st != "available" {
		t.Fatalf("final snapshot %q", st)
	}
	// Snapshots of a deleted cache are still listed by its name.
	list, err := h.ec.DescribeServerlessCacheSnapshots(ctx, &elasticache.DescribeServerlessCacheSnapshotsInput{ServerlessCacheName: aws.String("carts")})
	must(t, err)
	if len(list.ServerlessCacheSnapshots) != 1 {
		t.Fatalf("by deleted cache: %d", len(list.ServerlessCacheSnapshots))
	}
}

func TestServerlessSnapshotProgression(t *testing.T) {
	h := newHarness(t)
	h.seed(`{"serverlessCaches": [{"name": "carts", "engine": "redis", "dataSizeMB": 100, "tags": {"env": "prod"}}]}`) // 70 s
	out, err := h.ec.CreateServerlessCacheSnapshot(ctx, &elasticache.CreateServerlessCacheSnapshotInput{
		ServerlessCacheName: aws.String("carts"), ServerlessCacheSnapshotName: aws.String("Carts-1"),
		Tags: []types.Tag{{Key: aws.String("snapflow:target"), Value: aws.String("carts")}}})
	must(t, err)
	sn := out.ServerlessCacheSnapshot
	if aws.ToString(sn.ServerlessCacheSnapshotName) != "carts-1" || aws.ToString(sn.Status) != "creating" || aws.ToString(sn.SnapshotType) != "manual" ||
		aws.ToString(sn.ServerlessCacheConfiguration.ServerlessCacheName) != "carts" || aws.ToString(sn.ServerlessCacheConfiguration.Engine) != "redis" ||
		aws.ToString(sn.ServerlessCacheConfiguration.MajorEngineVersion) != "7" || sn.CreateTime != nil {
		t.Fatalf("created: %+v", sn)
	}
	if aws.ToString(sn.ARN) != "arn:aws:elasticache:us-east-1:123456789012:serverlesscachesnapshot:carts-1" {
		t.Fatalf("ARN %s", aws.ToString(sn.ARN))
	}
	// The cache stays "available" but refuses other operations meanwhile.
	if st := aws.ToString(describeServerless(t, h, "carts").Status); st != "available" {
		t.Fatalf("cache while snapshotting: %q", st)
	}
	_, err = h.ec.CreateServerlessCacheSnapshot(ctx, &elasticache.CreateServerlessCacheSnapshotInput{ServerlessCacheName: aws.String("carts"), ServerlessCacheSnapshotName: aws.String("carts-2")})
	wantErr[*types.InvalidServerlessCacheStateFault](t, err)
	_, err = h.ec.DeleteServerlessCache(ctx, &elasticache.DeleteServerlessCacheInput{ServerlessCacheName: aws.String("carts")})
	wantErr[*types.InvalidServerlessCacheStateFault](t, err)
	_, err = h.ec.DeleteServerlessCacheSnapshot(ctx, &elasticache.DeleteServerlessCacheSnapshotInput{ServerlessCacheSnapshotName: aws.String("carts-1")})
	wantErr[*types.InvalidServerlessCacheSnapshotStateFault](t, err)
	_, err = h.ec.CopyServerlessCacheSnapshot(ctx, &elasticache.CopyServerlessCacheSnapshotInput{
		SourceServerlessCacheSnapshotName: aws.String("carts-1"), TargetServerlessCacheSnapshotName: aws.String("copy")})
	wantErr[*types.InvalidServerlessCacheSnapshotStateFault](t, err)

	h.advance(70 * time.Second)
	got := describeServerlessSnapshot(t, h, "carts-1")
	if aws.ToString(got.Status) != "available" || got.CreateTime == nil || !got.CreateTime.Equal(t0) || aws.ToString(got.BytesUsedForCache) != "104857600" {
		t.Fatalf("available: %+v", got)
	}
	_, err = h.ec.CreateServerlessCacheSnapshot(ctx, &elasticache.CreateServerlessCacheSnapshotInput{ServerlessCacheName: aws.String("carts"), ServerlessCacheSnapshotName: aws.String("carts-1")})
	wantErr[*types.ServerlessCacheSnapshotAlreadyExistsFault](t, err)
	_, err = h.ec.CreateServerlessCacheSnapshot(ctx, &elasticache.CreateServerlessCacheSnapshotInput{ServerlessCacheName: aws.String("ghost"), ServerlessCacheSnapshotName: aws.String("g")})
	wantErr[*types.ServerlessCacheNotFoundFault](t, err)

	// Copy: the copy is creating, the source copying.
	cp, err := h.ec.CopyServerlessCacheSnapshot(ctx, &elasticache.CopyServerlessCacheSnapshotInput{
		SourceServerlessCacheSnapshotName: aws.String("carts-1"), TargetServerlessCacheSnapshotName: aws.String("carts-1-copy"), KmsKeyId: aws.String("k")})
	must(t, err)
	if aws.ToString(cp.ServerlessCacheSnapshot.Status) != "creating" || aws.ToString(cp.ServerlessCacheSnapshot.KmsKeyId) != "k" {
		t.Fatalf("copy: %+v", cp.ServerlessCacheSnapshot)
	}
	if st := aws.ToString(describeServerlessSnapshot(t, h, "carts-1").Status); st != "copying" {
		t.Fatalf("source while copying: %q", st)
	}
	_, err = h.ec.CopyServerlessCacheSnapshot(ctx, &elasticache.CopyServerlessCacheSnapshotInput{
		SourceServerlessCacheSnapshotName: aws.String("ghost"), TargetServerlessCacheSnapshotName: aws.String("x")})
	wantErr[*types.ServerlessCacheSnapshotNotFoundFault](t, err)
	h.advance(70 * time.Second)
	if st := aws.ToString(describeServerlessSnapshot(t, h, "carts-1-copy").Status); st != "available" {
		t.Fatalf("copy after: %q", st)
	}
	_, err = h.ec.CopyServerlessCacheSnapshot(ctx, &elasticache.CopyServerlessCacheSnapshotInput{
		SourceServerlessCacheSnapshotName: aws.String("carts-1"), TargetServerlessCacheSnapshotName: aws.String("carts-1-copy")})
	wantErr[*types.ServerlessCacheSnapshotAlreadyExistsFault](t, err)

	// Delete.
	del, err := h.ec.DeleteServerlessCacheSnapshot(ctx, &elasticache.DeleteServerlessCacheSnapshotInput{ServerlessCacheSnapshotName: aws.String("carts-1-copy")})
	must(t, err)
	if aws.ToString(del.ServerlessCacheSnapshot.Status) != "deleting" {
		t.Fatalf("delete: %q", aws.ToString(del.ServerlessCacheSnapshot.Status))
	}
	h.advance(DefaultSnapshotDeleteDuration)
	_, err = h.ec.DescribeServerlessCacheSnapshots(ctx, &elasticache.DescribeServerlessCacheSnapshotsInput{ServerlessCacheSnapshotName: aws.String("carts-1-copy")})
	wantErr[*types.ServerlessCacheSnapshotNotFoundFault](t, err)
	_, err = h.ec.DeleteServerlessCacheSnapshot(ctx, &elasticache.DeleteServerlessCacheSnapshotInput{ServerlessCacheSnapshotName: aws.String("carts-1-copy")})
	wantErr[*types.ServerlessCacheSnapshotNotFoundFault](t, err)
}

func TestServerlessSnapshotQuotaAndPagination(t *testing.T) {
	h := newHarness(t)
	h.seed(`{"serverlessCaches": [{"name": "a", "snapshotSeconds": 1}, {"name": "b", "snapshotSeconds": 1}]}`)
	take := func(cache string, i int) error {
		_, err := h.ec.CreateServerlessCacheSnapshot(ctx, &elasticache.CreateServerlessCacheSnapshotInput{
			ServerlessCacheName: aws.String(cache), ServerlessCacheSnapshotName: aws.String(fmt.Sprintf("%s-%02d", cache, i))})
		h.advance(2 * time.Second)
		return err
	}
	for i := 0; i < 24; i++ {
		must(t, take("a", i))
		if i < 20 {
			must(t, take("b", i))
		}
	}
	wantErr[*types.ServerlessCacheSnapshotQuotaExceededFault](t, take("a", 24))
	must(t, take("b", 20))

	p := elasticache.NewDescribeServerlessCacheSnapshotsPaginator(h.ec, &elasticache.DescribeServerlessCacheSnapshotsInput{MaxResults: aws.Int32(10)})
	n, pages := 0, 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		must(t, err)
		n += len(out.ServerlessCacheSnapshots)
		pages++
	}
	if n != 45 || pages != 5 {
		t.Fatalf("%d snapshots in %d pages", n, pages)
	}
	out, err := h.ec.DescribeServerlessCacheSnapshots(ctx, &elasticache.DescribeServerlessCacheSnapshotsInput{})
	must(t, err)
	if len(out.ServerlessCacheSnapshots) != 45 || out.NextToken != nil {
		t.Fatalf("default page: %d", len(out.ServerlessCacheSnapshots))
	}
	byCache, err := h.ec.DescribeServerlessCacheSnapshots(ctx, &elasticache.DescribeServerlessCacheSnapshotsInput{ServerlessCacheName: aws.String("b"), SnapshotType: aws.String("manual")})
	must(t, err)
	if len(byCache.ServerlessCacheSnapshots) != 21 {
		t.Fatalf("by cache: %d", len(byCache.ServerlessCacheSnapshots))
	}
	none, err := h.ec.DescribeServerlessCacheSnapshots(ctx, &elasticache.DescribeServerlessCacheSnapshotsInput{SnapshotType: aws.String("automated")})
	must(t, err)
	if len(none.ServerlessCacheSnapshots) != 0 {
		t.Fatalf("automated: %d", len(none.ServerlessCacheSnapshots))
	}
	_, err = h.ec.DescribeServerlessCacheSnapshots(ctx, &elasticache.DescribeServerlessCacheSnapshotsInput{MaxResults: aws.Int32(51)})
	wantErr[*types.InvalidParameterValueException](t, err)
	_, err = h.ec.DescribeServerlessCacheSnapshots(ctx, &elasticache.DescribeServerlessCacheSnapshotsInput{ServerlessCacheName: aws.String("ghost")})
	wantErr[*types.ServerlessCacheNotFoundFault](t, err)

	pc := elasticache.NewDescribeServerlessCachesPaginator(h.ec, &elasticache.DescribeServerlessCachesInput{MaxResults: aws.Int32(1)})
	caches := 0
	for pc.HasMorePages() {
		o, err := pc.NextPage(ctx)
		must(t, err)
		caches += len(o.ServerlessCaches)
	}
	if caches != 2 {
		t.Fatalf("caches: %d", caches)
	}

	h.advance(24 * time.Hour)
	must(t, take("a", 25))
}

func TestExportServerlessCacheSnapshot(t *testing.T) {
	h := newHarness(t)
	h.seed(`{"serverlessCaches": [{"name": "carts", "shards": 2, "snapshotSeconds": 20}, {"name": "mc", "engine": "memcached", "snapshotSeconds": 20}]}`)
	for _, c := range []string{"carts", "mc"} {
		_, err := h.ec.CreateServerlessCacheSnapshot(ctx, &elasticache.CreateServerlessCacheSnapshotInput{ServerlessCacheName: aws.String(c), ServerlessCacheSnapshotName: aws.String(c + "-snap")})
		must(t, err)
	}
	b := h.store.add("exports", "us-east-1", "BucketOwnerPreferred", granted())
	_, err := h.ec.ExportServerlessCacheSnapshot(ctx, &elasticache.ExportServerlessCacheSnapshotInput{ServerlessCacheSnapshotName: aws.String("carts-snap"), S3BucketName: aws.String("exports")})
	wantErr[*types.InvalidServerlessCacheSnapshotStateFault](t, err)
	h.advance(20 * time.Second)

	_, err = h.ec.ExportServerlessCacheSnapshot(ctx, &elasticache.ExportServerlessCacheSnapshotInput{ServerlessCacheSnapshotName: aws.String("mc-snap"), S3BucketName: aws.String("exports")})
	wantErr[*types.InvalidParameterValueException](t, err)
	_, err = h.ec.ExportServerlessCacheSnapshot(ctx, &elasticache.ExportServerlessCacheSnapshotInput{ServerlessCacheSnapshotName: aws.String("carts-snap"), S3BucketName: aws.String("nowhere")})
	wantCode(t, err, "InvalidParameterValue", 400, "The S3 bucket nowhere does not exist.")
	_, err = h.ec.ExportServerlessCacheSnapshot(ctx, &elasticache.ExportServerlessCacheSnapshotInput{ServerlessCacheSnapshotName: aws.String("ghost"), S3BucketName: aws.String("exports")})
	wantErr[*types.ServerlessCacheSnapshotNotFoundFault](t, err)

	out, err := h.ec.ExportServerlessCacheSnapshot(ctx, &elasticache.ExportServerlessCacheSnapshotInput{ServerlessCacheSnapshotName: aws.String("carts-snap"), S3BucketName: aws.String("exports")})
	must(t, err)
	if aws.ToString(out.ServerlessCacheSnapshot.Status) != "exporting" {
		t.Fatalf("export answer: %q", aws.ToString(out.ServerlessCacheSnapshot.Status))
	}
	_, err = h.ec.DeleteServerlessCacheSnapshot(ctx, &elasticache.DeleteServerlessCacheSnapshotInput{ServerlessCacheSnapshotName: aws.String("carts-snap")})
	wantErr[*types.InvalidServerlessCacheSnapshotStateFault](t, err)
	h.advance(19 * time.Second)
	h.svc.Settle()
	if len(b.keys()) != 0 {
		t.Fatalf("early objects: %v", b.keys())
	}
	h.advance(time.Second)
	h.svc.Settle()
	if got := sortedKeys(b); len(got) != 2 || got[0] != "carts-snap-0001.rdb" || got[1] != "carts-snap-0002.rdb" {
		t.Fatalf("objects: %v", got)
	}
	if st := aws.ToString(describeServerlessSnapshot(t, h, "carts-snap").Status); st != "available" {
		t.Fatalf("after export: %q", st)
	}
	_, err = h.ec.ExportServerlessCacheSnapshot(ctx, &elasticache.ExportServerlessCacheSnapshotInput{ServerlessCacheSnapshotName: aws.String("carts-snap"), S3BucketName: aws.String("exports")})
	wantCode(t, err, "InvalidParameterValue", 400, "already contains an object with key carts-snap-0001.rdb")
}
