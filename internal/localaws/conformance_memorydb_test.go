package localaws_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/memorydb"
	mdbtypes "github.com/aws/aws-sdk-go-v2/service/memorydb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func (f *fleet) mdbSnapshot(name string) mdbtypes.Snapshot {
	f.t.Helper()
	out := try(f.mdb.DescribeSnapshots(ctx, &memorydb.DescribeSnapshotsInput{SnapshotName: aws.String(name), ShowDetail: aws.Bool(true)})).must(f.t)
	if len(out.Snapshots) != 1 {
		f.t.Fatalf("%s: %d snapshots", name, len(out.Snapshots))
	}
	return out.Snapshots[0]
}

func (f *fleet) mdbStatus(name string) string { return aws.ToString(f.mdbSnapshot(name).Status) }

func (f *fleet) mdbClusterStatus(name string) string {
	f.t.Helper()
	out := try(f.mdb.DescribeClusters(ctx, &memorydb.DescribeClustersInput{ClusterName: aws.String(name)})).must(f.t)
	return aws.ToString(out.Clusters[0].Status)
}

func mdbTags(kv ...string) []mdbtypes.Tag {
	var out []mdbtypes.Tag
	for i := 0; i < len(kv); i += 2 {
		out = append(out, mdbtypes.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return out
}

// TestMemoryDBSnapshots: CreateSnapshot, DescribeSnapshots, CopySnapshot
// (with and without TargetBucket) and DeleteSnapshot on a 2-shard cluster.
func TestMemoryDBSnapshots(t *testing.T) {
	t.Parallel()
	f := newFleet(t)

	sn := try(f.mdb.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{ClusterName: aws.String("ledger"), SnapshotName: aws.String("Ledger-1"),
		Tags: mdbTags("snapflow:managed", "true")})).must(t).Snapshot
	if *sn.Name != "ledger-1" || *sn.Status != "creating" || *sn.Source != "manual" || *sn.ClusterConfiguration.Name != "ledger" ||
		aws.ToInt32(sn.ClusterConfiguration.NumShards) != 2 || *sn.ARN != "arn:aws:memorydb:us-east-1:"+account+":snapshot/ledger-1" {
		t.Fatalf("CreateSnapshot answered %+v", sn)
	}
	if st := f.mdbClusterStatus("ledger"); st != "snapshotting" {
		t.Errorf("cluster while snapshotting: %s", st)
	}
	_, err := f.mdb.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{ClusterName: aws.String("ledger"), SnapshotName: aws.String("ledger-2")})
	wantErr[*mdbtypes.InvalidClusterStateFault](t, err)
	wantMessage(t, err, "snapshotting")
	_, err = f.mdb.DeleteCluster(ctx, &memorydb.DeleteClusterInput{ClusterName: aws.String("ledger")})
	wantErr[*mdbtypes.InvalidClusterStateFault](t, err)
	_, err = f.mdb.TagResource(ctx, &memorydb.TagResourceInput{ResourceArn: aws.String("arn:aws:memorydb:us-east-1:" + account + ":cluster/ledger"), Tags: mdbTags("a", "b")})
	wantErr[*mdbtypes.InvalidClusterStateFault](t, err)
	_, err = f.mdb.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{ClusterName: aws.String("telemetry"), SnapshotName: aws.String("ledger-1")})
	wantErr[*mdbtypes.SnapshotAlreadyExistsFault](t, err)
	_, err = f.mdb.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{ClusterName: aws.String("nope"), SnapshotName: aws.String("nope-1")})
	wantErr[*mdbtypes.ClusterNotFoundFault](t, err)
	for _, bad := range []string{"ends-", "two--hyphens", "under_score"} {
		_, err = f.mdb.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{ClusterName: aws.String("telemetry"), SnapshotName: aws.String(bad)})
		wantErr[*mdbtypes.InvalidParameterValueException](t, err)
	}

	// 2 GiB: 60 s + 204.8 s.
	took := f.until(5*time.Second, time.Hour, "ledger-1 available", func() bool { return f.mdbStatus("ledger-1") == "available" })
	if took != 265*time.Second {
		t.Errorf("2 GiB snapshot took %v, want 265s (5 s steps)", took)
	}
	if st := f.mdbClusterStatus("ledger"); st != "available" {
		t.Errorf("cluster after the snapshot: %s", st)
	}
	detail := f.mdbSnapshot("ledger-1").ClusterConfiguration.Shards
	if len(detail) != 2 || *detail[0].Name != "0001" || *detail[0].Configuration.Slots != "0-8191" || aws.ToString(detail[1].Size) == "" || detail[1].SnapshotCreationTime == nil {
		t.Errorf("ShowDetail shards: %+v", detail)
	}

	// Copy within MemoryDB.
	cp := try(f.mdb.CopySnapshot(ctx, &memorydb.CopySnapshotInput{SourceSnapshotName: aws.String("ledger-1"), TargetSnapshotName: aws.String("ledger-1-copy"), Tags: mdbTags("copy", "yes")})).must(t).Snapshot
	if *cp.Name != "ledger-1-copy" || *cp.Status != "creating" {
		t.Fatalf("copy answered %+v", cp)
	}
	if st := f.mdbStatus("ledger-1"); st != "copying" {
		t.Errorf("source during copy: %s", st)
	}
	_, err = f.mdb.DeleteSnapshot(ctx, &memorydb.DeleteSnapshotInput{SnapshotName: aws.String("ledger-1")})
	wantErr[*mdbtypes.InvalidSnapshotStateFault](t, err)
	_, err = f.mdb.CopySnapshot(ctx, &memorydb.CopySnapshotInput{SourceSnapshotName: aws.String("ledger-1"), TargetSnapshotName: aws.String("ledger-1-copy")})
	wantErr[*mdbtypes.SnapshotAlreadyExistsFault](t, err)
	_, err = f.mdb.CopySnapshot(ctx, &memorydb.CopySnapshotInput{SourceSnapshotName: aws.String("nope"), TargetSnapshotName: aws.String("x")})
	wantErr[*mdbtypes.SnapshotNotFoundFault](t, err)
	f.until(5*time.Second, time.Hour, "copy available", func() bool { return f.mdbStatus("ledger-1-copy") == "available" })

	// Export: CopySnapshot with TargetBucket, one object per shard.
	exp := try(f.mdb.CopySnapshot(ctx, &memorydb.CopySnapshotInput{SourceSnapshotName: aws.String("ledger-1"), TargetSnapshotName: aws.String("memorydb/ledger-1"),
		TargetBucket: aws.String("snapflow-exports")})).must(t).Snapshot
	if *exp.Name != "ledger-1" {
		t.Errorf("export answered %s", *exp.Name)
	}
	if st := f.mdbStatus("ledger-1"); st != "copying" {
		t.Errorf("source during export: %s", st)
	}
	// Another export of the same name while the first runs: the objects
	// are as good as there.
	_, err = f.mdb.CopySnapshot(ctx, &memorydb.CopySnapshotInput{SourceSnapshotName: aws.String("ledger-1-copy"), TargetSnapshotName: aws.String("memorydb/ledger-1"), TargetBucket: aws.String("snapflow-exports")})
	wantErr[*mdbtypes.InvalidParameterValueException](t, err)
	f.until(5*time.Second, time.Hour, "export objects", func() bool { return len(f.objects("snapflow-exports", "memorydb/")) == 2 })
	want := []string{"memorydb/ledger-1-0001.rdb", "memorydb/ledger-1-0002.rdb"}
	if keys := f.objects("snapflow-exports", "memorydb/"); !slices.Equal(keys, want) {
		t.Fatalf("exported %v, want %v", keys, want)
	}
	for _, k := range want {
		f.verifyRDB("snapflow-exports", k)
	}
	if st := f.mdbStatus("ledger-1"); st != "available" {
		t.Errorf("source after export: %s", st)
	}
	for _, tc := range []struct{ bucket, target, text string }{
		{"snapflow-missing", "x", "The S3 bucket snapflow-missing does not exist."},
		{"snapflow-exports-usw2", "x", "The S3 bucket snapflow-exports-usw2 is outside of the region."},
		{"snapflow-nogrant", "x", "MemoryDB has not been granted READ permissions snapflow-nogrant on the S3 Bucket."},
		{"snapflow-exports", "memorydb/ledger-1", "already contains an object with key memorydb/ledger-1-0001.rdb"},
		{"not a bucket!", "x", "Invalid TargetBucket"},
	} {
		_, err = f.mdb.CopySnapshot(ctx, &memorydb.CopySnapshotInput{SourceSnapshotName: aws.String("ledger-1"), TargetSnapshotName: aws.String(tc.target), TargetBucket: aws.String(tc.bucket)})
		wantErr[*mdbtypes.InvalidParameterValueException](t, err)
		wantMessage(t, err, tc.text)
	}
	// A bucket policy for the MemoryDB principal is what grants access; an
	// ACL grant to ElastiCache's canonical user is no use to MemoryDB.
	try(f.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("snapflow-nogrant"), Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"Service":"us-east-1.memorydb-snapshot.amazonaws.com"},
		"Action":["s3:PutObject","s3:GetObject","s3:ListBucket","s3:GetBucketAcl","s3:ListMultipartUploadParts","s3:ListBucketMultipartUploads"],
		"Resource":["arn:aws:s3:::snapflow-nogrant","arn:aws:s3:::snapflow-nogrant/*"]}]}`)})).must(t)
	// The bucket still has BucketOwnerEnforced (the default): MemoryDB needs ACLs enabled.
	_, err = f.mdb.CopySnapshot(ctx, &memorydb.CopySnapshotInput{SourceSnapshotName: aws.String("ledger-1"), TargetSnapshotName: aws.String("x"), TargetBucket: aws.String("snapflow-nogrant")})
	wantMessage(t, err, "BucketOwnerEnforced")
	try(f.s3.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{Bucket: aws.String("snapflow-nogrant"),
		OwnershipControls: &s3types.OwnershipControls{Rules: []s3types.OwnershipControlsRule{{ObjectOwnership: s3types.ObjectOwnershipBucketOwnerPreferred}}}})).must(t)
	try(f.mdb.CopySnapshot(ctx, &memorydb.CopySnapshotInput{SourceSnapshotName: aws.String("ledger-1"), TargetSnapshotName: aws.String("x"), TargetBucket: aws.String("snapflow-nogrant")})).must(t)

	// Data tiering: snapshots, but no export.
	try(f.mdb.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{ClusterName: aws.String("telemetry"), SnapshotName: aws.String("telemetry-1")})).must(t)
	f.advance(899 * time.Second) // snapshotSeconds 900
	if st := f.mdbStatus("telemetry-1"); st != "creating" {
		t.Fatalf("telemetry-1 at 899 s: %s", st)
	}
	f.advance(time.Second)
	if sn := f.mdbSnapshot("telemetry-1"); *sn.Status != "available" || sn.DataTiering != mdbtypes.DataTieringStatusTrue {
		t.Fatalf("telemetry-1 at 900 s: %s, data tiering %s", *sn.Status, sn.DataTiering)
	}
	_, err = f.mdb.CopySnapshot(ctx, &memorydb.CopySnapshotInput{SourceSnapshotName: aws.String("telemetry-1"), TargetSnapshotName: aws.String("telemetry-1"), TargetBucket: aws.String("snapflow-exports")})
	wantErr[*mdbtypes.InvalidParameterValueException](t, err)
	wantMessage(t, err, "data tiering")

	// Delete.
	del := try(f.mdb.DeleteSnapshot(ctx, &memorydb.DeleteSnapshotInput{SnapshotName: aws.String("ledger-1-copy")})).must(t).Snapshot
	if *del.Status != "deleting" {
		t.Errorf("delete answered %s", *del.Status)
	}
	f.advance(5 * time.Minute)
	_, err = f.mdb.DescribeSnapshots(ctx, &memorydb.DescribeSnapshotsInput{SnapshotName: aws.String("ledger-1-copy")})
	wantErr[*mdbtypes.SnapshotNotFoundFault](t, err)
	_, err = f.mdb.DeleteSnapshot(ctx, &memorydb.DeleteSnapshotInput{SnapshotName: aws.String("ledger-1-copy")})
	wantErr[*mdbtypes.SnapshotNotFoundFault](t, err)

	// Filters.
	byCluster := try(f.mdb.DescribeSnapshots(ctx, &memorydb.DescribeSnapshotsInput{ClusterName: aws.String("telemetry")})).must(t)
	system := try(f.mdb.DescribeSnapshots(ctx, &memorydb.DescribeSnapshotsInput{Source: aws.String("system")})).must(t)
	user := try(f.mdb.DescribeSnapshots(ctx, &memorydb.DescribeSnapshotsInput{Source: aws.String("user")})).must(t)
	if len(byCluster.Snapshots) != 1 || len(system.Snapshots) != 0 || len(user.Snapshots) != 2 {
		t.Errorf("filters: cluster %d, system %d, user %d", len(byCluster.Snapshots), len(system.Snapshots), len(user.Snapshots))
	}
}

// TestMemoryDBQuotaAndPagination: 20 manual snapshots per cluster in any
// 24 hours; DescribeSnapshotsPaginator.
func TestMemoryDBQuotaAndPagination(t *testing.T) {
	t.Parallel()
	f := newFleet(t)
	for i := 1; i <= 20; i++ {
		try(f.mdb.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{ClusterName: aws.String("ledger"), SnapshotName: aws.String(fmt.Sprintf("ledger-%02d", i))})).must(t)
		f.advance(265 * time.Second)
	}
	_, err := f.mdb.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{ClusterName: aws.String("ledger"), SnapshotName: aws.String("ledger-21")})
	wantErr[*mdbtypes.SnapshotQuotaExceededFault](t, err)
	try(f.mdb.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{ClusterName: aws.String("telemetry"), SnapshotName: aws.String("telemetry-1")})).must(t) // per cluster

	p := memorydb.NewDescribeSnapshotsPaginator(f.mdb, &memorydb.DescribeSnapshotsInput{ClusterName: aws.String("ledger"), MaxResults: aws.Int32(7)})
	var names []string
	pages := 0
	for p.HasMorePages() {
		page := try(p.NextPage(ctx)).must(t)
		pages++
		for _, s := range page.Snapshots {
			names = append(names, *s.Name)
		}
	}
	if pages != 3 || len(names) != 20 || names[0] != "ledger-01" || names[19] != "ledger-20" {
		t.Errorf("%d pages, %d snapshots", pages, len(names))
	}
	_, err = f.mdb.DescribeSnapshots(ctx, &memorydb.DescribeSnapshotsInput{NextToken: aws.String("bogus")})
	wantErr[*mdbtypes.InvalidParameterValueException](t, err)

	f.aws.Clock().AdvanceTo(t0.Add(24 * time.Hour))
	try(f.mdb.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{ClusterName: aws.String("ledger"), SnapshotName: aws.String("ledger-21")})).must(t)
}

// TestMemoryDBTags: TagResource, UntagResource, ListTags.
func TestMemoryDBTags(t *testing.T) {
	t.Parallel()
	f := newFleet(t)
	arn := "arn:aws:memorydb:us-east-1:" + account + ":cluster/ledger"
	tagMap := func(tl []mdbtypes.Tag) map[string]string {
		m := map[string]string{}
		for _, x := range tl {
			m[*x.Key] = aws.ToString(x.Value)
		}
		return m
	}
	got := tagMap(try(f.mdb.ListTags(ctx, &memorydb.ListTagsInput{ResourceArn: aws.String(arn)})).must(t).TagList)
	if len(got) != 3 || got["team"] != "payments" {
		t.Fatalf("seeded tags: %v", got)
	}
	got = tagMap(try(f.mdb.TagResource(ctx, &memorydb.TagResourceInput{ResourceArn: aws.String(arn), Tags: mdbTags("owner", "bob", "env", "production")})).must(t).TagList)
	if len(got) != 4 || got["env"] != "production" {
		t.Fatalf("after TagResource: %v", got)
	}
	removed := tagMap(try(f.mdb.UntagResource(ctx, &memorydb.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"owner"}})).must(t).TagList)
	if len(removed) != 1 || removed["owner"] != "bob" {
		t.Errorf("UntagResource answered %v (the tags removed)", removed)
	}
	_, err := f.mdb.UntagResource(ctx, &memorydb.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"owner"}})
	wantErr[*mdbtypes.TagNotFoundFault](t, err)
	var many []mdbtypes.Tag
	for i := range 48 {
		many = append(many, mdbTags(fmt.Sprintf("k%02d", i), "v")...)
	}
	_, err = f.mdb.TagResource(ctx, &memorydb.TagResourceInput{ResourceArn: aws.String(arn), Tags: many})
	wantErr[*mdbtypes.TagQuotaPerResourceExceeded](t, err)
	_, err = f.mdb.ListTags(ctx, &memorydb.ListTagsInput{ResourceArn: aws.String("ledger")})
	wantErr[*mdbtypes.InvalidARNFault](t, err)
	_, err = f.mdb.ListTags(ctx, &memorydb.ListTagsInput{ResourceArn: aws.String("arn:aws:memorydb:us-east-1:" + account + ":snapshot/nope")})
	wantErr[*mdbtypes.SnapshotNotFoundFault](t, err)

	try(f.mdb.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{ClusterName: aws.String("ledger"), SnapshotName: aws.String("tagged"), Tags: mdbTags("snapflow:managed", "true")})).must(t)
	snapARN := "arn:aws:memorydb:us-east-1:" + account + ":snapshot/tagged"
	// Snapshots can be tagged while they are being created.
	try(f.mdb.TagResource(ctx, &memorydb.TagResourceInput{ResourceArn: aws.String(snapARN), Tags: mdbTags("snapflow:slot", "2026-03-02")})).must(t)
	if got := tagMap(try(f.mdb.ListTags(ctx, &memorydb.ListTagsInput{ResourceArn: aws.String(snapARN)})).must(t).TagList); len(got) != 2 {
		t.Errorf("snapshot tags: %v", got)
	}
}
