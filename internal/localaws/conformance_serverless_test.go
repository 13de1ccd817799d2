package localaws_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	ectypes "github.com/aws/aws-sdk-go-v2/service/elasticache/types"
)

func (f *fleet) slSnapshot(name string) ectypes.ServerlessCacheSnapshot {
	f.t.Helper()
	out := try(f.ec.DescribeServerlessCacheSnapshots(ctx, &elasticache.DescribeServerlessCacheSnapshotsInput{ServerlessCacheSnapshotName: aws.String(name)})).must(f.t)
	if len(out.ServerlessCacheSnapshots) != 1 {
		f.t.Fatalf("%s: %d snapshots", name, len(out.ServerlessCacheSnapshots))
	}
	return out.ServerlessCacheSnapshots[0]
}

func (f *fleet) slStatus(name string) string { return aws.ToString(f.slSnapshot(name).Status) }

// TestServerlessSnapshots: Create, Describe, Copy, Export and Delete
// ServerlessCacheSnapshot(s), with the cache busy while it snapshots.
func TestServerlessSnapshots(t *testing.T) {
	t.Parallel()
	f := newFleet(t)

	out := try(f.ec.CreateServerlessCacheSnapshot(ctx, &elasticache.CreateServerlessCacheSnapshotInput{
		ServerlessCacheName:         aws.String("carts"),
		ServerlessCacheSnapshotName: aws.String("Carts-1"),
		Tags:                        ecTags("snapflow:managed", "true"),
	})).must(t).ServerlessCacheSnapshot
	if *out.ServerlessCacheSnapshotName != "carts-1" || *out.Status != "creating" || *out.SnapshotType != "manual" ||
		*out.ServerlessCacheConfiguration.ServerlessCacheName != "carts" || *out.ServerlessCacheConfiguration.Engine != "valkey" ||
		*out.ARN != "arn:aws:elasticache:us-east-1:"+account+":serverlesscachesnapshot:carts-1" {
		t.Fatalf("CreateServerlessCacheSnapshot answered %+v", out)
	}
	// The cache stays available but refuses other operations meanwhile.
	sc := try(f.ec.DescribeServerlessCaches(ctx, &elasticache.DescribeServerlessCachesInput{ServerlessCacheName: aws.String("carts")})).must(t).ServerlessCaches[0]
	if *sc.Status != "available" {
		t.Errorf("serverless cache while snapshotting: %s", *sc.Status)
	}
	_, err := f.ec.CreateServerlessCacheSnapshot(ctx, &elasticache.CreateServerlessCacheSnapshotInput{ServerlessCacheName: aws.String("carts"), ServerlessCacheSnapshotName: aws.String("carts-2")})
	wantErr[*ectypes.InvalidServerlessCacheStateFault](t, err)
	_, err = f.ec.DeleteServerlessCache(ctx, &elasticache.DeleteServerlessCacheInput{ServerlessCacheName: aws.String("carts")})
	wantErr[*ectypes.InvalidServerlessCacheStateFault](t, err)
	_, err = f.ec.CreateServerlessCacheSnapshot(ctx, &elasticache.CreateServerlessCacheSnapshotInput{ServerlessCacheName: aws.String("profiles"), ServerlessCacheSnapshotName: aws.String("carts-1")})
	wantErr[*ectypes.ServerlessCacheSnapshotAlreadyExistsFault](t, err)
	_, err = f.ec.CreateServerlessCacheSnapshot(ctx, &elasticache.CreateServerlessCacheSnapshotInput{ServerlessCacheName: aws.String("nope"), ServerlessCacheSnapshotName: aws.String("nope-1")})
	wantErr[*ectypes.ServerlessCacheNotFoundFault](t, err)
	_, err = f.ec.ExportServerlessCacheSnapshot(ctx, &elasticache.ExportServerlessCacheSnapshotInput{ServerlessCacheSnapshotName: aws.String("carts-1"), S3BucketName: aws.String("snapflow-exports")})
	wantErr[*ectypes.InvalidServerlessCacheSnapshotStateFault](t, err)

	// snapshotSeconds 45.
	f.advance(44 * time.Second)
	if st := f.slStatus("carts-1"); st != "creating" {
		t.Fatalf("at 44 s: %s", st)
	}
	f.advance(time.Second)
	if st := f.slStatus("carts-1"); st != "available" {
		t.Fatalf("at 45 s: %s", st)
	}

	// Copy: the source copying, so neither exportable nor deletable.
	cp := try(f.ec.CopyServerlessCacheSnapshot(ctx, &elasticache.CopyServerlessCacheSnapshotInput{SourceServerlessCacheSnapshotName: aws.String("carts-1"),
		TargetServerlessCacheSnapshotName: aws.String("carts-1-copy"), Tags: ecTags("copy", "yes")})).must(t).ServerlessCacheSnapshot
	if *cp.ServerlessCacheSnapshotName != "carts-1-copy" || *cp.Status != "creating" {
		t.Fatalf("copy answered %+v", cp)
	}
	if st := f.slStatus("carts-1"); st != "copying" {
		t.Errorf("source during copy: %s", st)
	}
	_, err = f.ec.ExportServerlessCacheSnapshot(ctx, &elasticache.ExportServerlessCacheSnapshotInput{ServerlessCacheSnapshotName: aws.String("carts-1"), S3BucketName: aws.String("snapflow-exports")})
	wantErr[*ectypes.InvalidServerlessCacheSnapshotStateFault](t, err)
	_, err = f.ec.DeleteServerlessCacheSnapshot(ctx, &elasticache.DeleteServerlessCacheSnapshotInput{ServerlessCacheSnapshotName: aws.String("carts-1")})
	wantErr[*ectypes.InvalidServerlessCacheSnapshotStateFault](t, err)
	_, err = f.ec.CopyServerlessCacheSnapshot(ctx, &elasticache.CopyServerlessCacheSnapshotInput{SourceServerlessCacheSnapshotName: aws.String("nope"), TargetServerlessCacheSnapshotName: aws.String("x")})
	wantErr[*ectypes.ServerlessCacheSnapshotNotFoundFault](t, err)
	f.advance(45 * time.Second)
	if st := f.slStatus("carts-1-copy"); st != "available" {
		t.Fatalf("copy after 45 s: %s", st)
	}

	// Export: one object per internal shard (2 for carts), valid RDB files.
	exp := try(f.ec.ExportServerlessCacheSnapshot(ctx, &elasticache.ExportServerlessCacheSnapshotInput{ServerlessCacheSnapshotName: aws.String("carts-1"), S3BucketName: aws.String("snapflow-exports")})).must(t).ServerlessCacheSnapshot
	if *exp.Status != "exporting" {
		t.Errorf("export answered %s", *exp.Status)
	}
	f.advance(45 * time.Second)
	if keys := f.objects("snapflow-exports", "carts-1"); !slices.Equal(keys, []string{"carts-1-0001.rdb", "carts-1-0002.rdb"}) {
		t.Fatalf("serverless export objects: %v", keys)
	}
	for _, k := range []string{"carts-1-0001.rdb", "carts-1-0002.rdb"} {
		f.verifyRDB("snapflow-exports", k)
	}
	for _, tc := range []struct{ snapshot, bucket, text string }{
		{"carts-1", "snapflow-exports", "already contains an object with key carts-1-0001.rdb"},
		{"carts-1-copy", "snapflow-nogrant", "ElastiCache has not been granted READ permissions snapflow-nogrant"},
		{"carts-1-copy", "snapflow-exports-usw2", "is outside of the region"},
		{"carts-1-copy", "snapflow-missing", "does not exist"},
	} {
		_, err = f.ec.ExportServerlessCacheSnapshot(ctx, &elasticache.ExportServerlessCacheSnapshotInput{ServerlessCacheSnapshotName: aws.String(tc.snapshot), S3BucketName: aws.String(tc.bucket)})
		wantErr[*ectypes.InvalidParameterValueException](t, err)
		wantMessage(t, err, tc.text)
	}

	// Delete: deleting, then gone.
	del := try(f.ec.DeleteServerlessCacheSnapshot(ctx, &elasticache.DeleteServerlessCacheSnapshotInput{ServerlessCacheSnapshotName: aws.String("carts-1-copy")})).must(t).ServerlessCacheSnapshot
	if *del.Status != "deleting" {
		t.Errorf("delete answered %s", *del.Status)
	}
	f.advance(5 * time.Minute)
	_, err = f.ec.DescribeServerlessCacheSnapshots(ctx, &elasticache.DescribeServerlessCacheSnapshotsInput{ServerlessCacheSnapshotName: aws.String("carts-1-copy")})
	wantErr[*ectypes.ServerlessCacheSnapshotNotFoundFault](t, err)
	_, err = f.ec.DescribeServerlessCacheSnapshots(ctx, &elasticache.DescribeServerlessCacheSnapshotsInput{ServerlessCacheName: aws.String("nope")})
	wantErr[*ectypes.ServerlessCacheNotFoundFault](t, err)

	// Tags on serverless resources.
	arn := "arn:aws:elasticache:us-east-1:" + account + ":serverlesscachesnapshot:carts-1"
	tags := try(f.ec.ListTagsForResource(ctx, &elasticache.ListTagsForResourceInput{ResourceName: aws.String(arn)})).must(t).TagList
	if len(tags) != 1 || *tags[0].Key != "snapflow:managed" {
		t.Errorf("serverless snapshot tags: %+v", tags)
	}
}

// TestServerlessQuotaAndPagination: 24 manual snapshots per serverless
// cache in any 24 hours; DescribeServerlessCacheSnapshotsPaginator.
func TestServerlessQuotaAndPagination(t *testing.T) {
	t.Parallel()
	f := newFleet(t)
	// profiles has no snapshotSeconds: 60 s + 120 MB at 10 MB/s = 72 s.
	for i := 1; i <= 24; i++ {
		try(f.ec.CreateServerlessCacheSnapshot(ctx, &elasticache.CreateServerlessCacheSnapshotInput{ServerlessCacheName: aws.String("profiles"),
			ServerlessCacheSnapshotName: aws.String(fmt.Sprintf("profiles-%02d", i))})).must(t)
		f.advance(72 * time.Second)
	}
	_, err := f.ec.CreateServerlessCacheSnapshot(ctx, &elasticache.CreateServerlessCacheSnapshotInput{ServerlessCacheName: aws.String("profiles"), ServerlessCacheSnapshotName: aws.String("profiles-25")})
	wantErr[*ectypes.ServerlessCacheSnapshotQuotaExceededFault](t, err)
	try(f.ec.CreateServerlessCacheSnapshot(ctx, &elasticache.CreateServerlessCacheSnapshotInput{ServerlessCacheName: aws.String("carts"), ServerlessCacheSnapshotName: aws.String("carts-1")})).must(t)

	p := elasticache.NewDescribeServerlessCacheSnapshotsPaginator(f.ec, &elasticache.DescribeServerlessCacheSnapshotsInput{ServerlessCacheName: aws.String("profiles"), MaxResults: aws.Int32(10)})
	var names []string
	pages := 0
	for p.HasMorePages() {
		page := try(p.NextPage(ctx)).must(t)
		pages++
		for _, s := range page.ServerlessCacheSnapshots {
			names = append(names, *s.ServerlessCacheSnapshotName)
		}
	}
	if pages != 3 || len(names) != 24 || names[0] != "profiles-01" || names[23] != "profiles-24" {
		t.Errorf("%d pages, %d snapshots", pages, len(names))
	}
	all := try(f.ec.DescribeServerlessCacheSnapshots(ctx, &elasticache.DescribeServerlessCacheSnapshotsInput{})).must(t)
	if len(all.ServerlessCacheSnapshots) != 25 || all.NextToken != nil {
		t.Errorf("all (default page size 50): %d, next %v", len(all.ServerlessCacheSnapshots), all.NextToken)
	}
	_, err = f.ec.DescribeServerlessCacheSnapshots(ctx, &elasticache.DescribeServerlessCacheSnapshotsInput{MaxResults: aws.Int32(51)})
	wantErr[*ectypes.InvalidParameterValueException](t, err)

	f.aws.Clock().AdvanceTo(t0.Add(24 * time.Hour))
	try(f.ec.CreateServerlessCacheSnapshot(ctx, &elasticache.CreateServerlessCacheSnapshotInput{ServerlessCacheName: aws.String("profiles"), ServerlessCacheSnapshotName: aws.String("profiles-25")})).must(t)
}
