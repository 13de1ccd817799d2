package localaws_test

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	ectypes "github.com/aws/aws-sdk-go-v2/service/elasticache/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/snapflow/snapflow/internal/rdb"
)

// ecSnapshot returns the named ElastiCache snapshot.
func (f *fleet) ecSnapshot(name string) ectypes.Snapshot {
	f.t.Helper()
	out := try(f.ec.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{SnapshotName: aws.String(name)})).must(f.t)
	if len(out.Snapshots) != 1 {
		f.t.Fatalf("DescribeSnapshots %s: %d snapshots", name, len(out.Snapshots))
	}
	return out.Snapshots[0]
}

func (f *fleet) ecStatus(name string) string { return aws.ToString(f.ecSnapshot(name).SnapshotStatus) }

func (f *fleet) groupStatus(id string) ectypes.ReplicationGroup {
	f.t.Helper()
	out := try(f.ec.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String(id)})).must(f.t)
	return out.ReplicationGroups[0]
}

func (f *fleet) clusterStatus(id string) string {
	f.t.Helper()
	out := try(f.ec.DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{CacheClusterId: aws.String(id)})).must(f.t)
	return aws.ToString(out.CacheClusters[0].CacheClusterStatus)
}

// objects lists a bucket's keys (with prefix).
func (f *fleet) objects(bucket, prefix string) []string {
	f.t.Helper()
	var keys []string
	p := s3.NewListObjectsV2Paginator(f.s3, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page := try(p.NextPage(ctx)).must(f.t)
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys
}

// verifyRDB reads an exported object back and checks it is a valid RDB file.
func (f *fleet) verifyRDB(bucket, key string) rdb.Info {
	f.t.Helper()
	obj := try(f.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})).must(f.t)
	defer obj.Body.Close()
	data, err := io.ReadAll(obj.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	info, err := rdb.Verify(bytes.NewReader(data))
	if err != nil {
		f.t.Fatalf("%s/%s is not a valid RDB file: %v", bucket, key, err)
	}
	if !bytes.HasPrefix(data, []byte("REDIS00")) || info.Checksum == 0 || info.Keys == 0 {
		f.t.Fatalf("%s/%s: header %q, checksum %x, %d keys", bucket, key, data[:9], info.Checksum, info.Keys)
	}
	return info
}

func ecTags(kv ...string) []ectypes.Tag {
	var out []ectypes.Tag
	for i := 0; i < len(kv); i += 2 {
		out = append(out, ectypes.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return out
}

// TestElastiCacheSnapshotLifecycle: a cluster-mode-disabled replication
// group through create, the group busy while it snapshots, copy and delete.
func TestElastiCacheSnapshotLifecycle(t *testing.T) {
	t.Parallel()
	f := newFleet(t)

	out := try(f.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{
		ReplicationGroupId: aws.String("orders"),
		SnapshotName:       aws.String("Orders-Manual-1"), // stored in lower case
		Tags:               ecTags("snapflow:managed", "true", "snapflow:policy", "daily"),
	})).must(t)
	sn := out.Snapshot
	if *sn.SnapshotName != "orders-manual-1" || *sn.SnapshotStatus != "creating" || *sn.SnapshotSource != "manual" ||
		*sn.ReplicationGroupId != "orders" || aws.ToInt32(sn.NumNodeGroups) != 1 || *sn.Engine != "valkey" ||
		*sn.ARN != "arn:aws:elasticache:us-east-1:"+account+":snapshot:orders-manual-1" {
		t.Fatalf("CreateSnapshot answered %+v", sn)
	}

	// The group snapshots, from a replica, and refuses other operations.
	g := f.groupStatus("orders")
	if *g.Status != "snapshotting" || aws.ToString(g.SnapshottingClusterId) != "orders-002" {
		t.Fatalf("group while snapshotting: %s, snapshotting cluster %s", *g.Status, aws.ToString(g.SnapshottingClusterId))
	}
	_, err := f.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String("orders"), SnapshotName: aws.String("orders-manual-2")})
	wantErr[*ectypes.InvalidReplicationGroupStateFault](t, err)
	wantMessage(t, err, "snapshotting")
	_, err = f.ec.DeleteReplicationGroup(ctx, &elasticache.DeleteReplicationGroupInput{ReplicationGroupId: aws.String("orders")})
	wantErr[*ectypes.InvalidReplicationGroupStateFault](t, err)
	// A member node refuses a snapshot too.
	_, err = f.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{CacheClusterId: aws.String("orders-001"), SnapshotName: aws.String("orders-node-1")})
	wantErr[*ectypes.InvalidCacheClusterStateFault](t, err)
	// Names are unique in the region, whatever the source.
	_, err = f.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{CacheClusterId: aws.String("leaderboard"), SnapshotName: aws.String("orders-manual-1")})
	wantErr[*ectypes.SnapshotAlreadyExistsFault](t, err)
	// Naming rules.
	for _, bad := range []string{"1starts-with-digit", "ends-with-", "double--hyphen", "under_score", strings.Repeat("a", 41)} {
		_, err = f.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{CacheClusterId: aws.String("leaderboard"), SnapshotName: aws.String(bad)})
		wantErr[*ectypes.InvalidParameterValueException](t, err)
	}
	_, err = f.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String("orders"), CacheClusterId: aws.String("leaderboard"), SnapshotName: aws.String("both")})
	wantErr[*ectypes.InvalidParameterCombinationException](t, err)
	_, err = f.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String("nope"), SnapshotName: aws.String("x")})
	wantErr[*ectypes.ReplicationGroupNotFoundFault](t, err)
	_, err = f.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{CacheClusterId: aws.String("nope"), SnapshotName: aws.String("x")})
	wantErr[*ectypes.CacheClusterNotFoundFault](t, err)

	// creating → available as the clock moves; then the group is free.
	took := f.until(15*time.Second, time.Hour, "orders-manual-1 available", func() bool { return f.ecStatus("orders-manual-1") == "available" })
	if g := f.groupStatus("orders"); *g.Status != "available" || g.SnapshottingClusterId != nil {
		t.Fatalf("group after the snapshot: %s %v", *g.Status, g.SnapshottingClusterId)
	}
	t.Logf("1 GiB snapshot took %v of simulated time", took)

	// ShowNodeGroupConfig: the node snapshot with its size and shard.
	desc := try(f.ec.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{SnapshotName: aws.String("orders-manual-1"), ShowNodeGroupConfig: aws.Bool(true)})).must(t)
	ns := desc.Snapshots[0].NodeSnapshots
	if len(ns) != 1 || aws.ToString(ns[0].NodeGroupId) != "0001" || aws.ToString(ns[0].CacheSize) != "1024 MB" || ns[0].NodeGroupConfiguration == nil ||
		aws.ToInt32(ns[0].NodeGroupConfiguration.ReplicaCount) != 1 {
		t.Errorf("node snapshots: %+v", ns)
	}

	// Copy: the copy is creating, the source copying and not deletable.
	cp := try(f.ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String("orders-manual-1"), TargetSnapshotName: aws.String("orders-manual-1-copy"),
		Tags: ecTags("copy", "yes")})).must(t)
	if *cp.Snapshot.SnapshotName != "orders-manual-1-copy" || *cp.Snapshot.SnapshotStatus != "creating" || *cp.Snapshot.ReplicationGroupId != "orders" {
		t.Fatalf("CopySnapshot answered %+v", cp.Snapshot)
	}
	if st := f.ecStatus("orders-manual-1"); st != "copying" {
		t.Errorf("source during copy: %s", st)
	}
	_, err = f.ec.DeleteSnapshot(ctx, &elasticache.DeleteSnapshotInput{SnapshotName: aws.String("orders-manual-1")})
	wantErr[*ectypes.InvalidSnapshotStateFault](t, err)
	_, err = f.ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String("orders-manual-1"), TargetSnapshotName: aws.String("orders-manual-1-copy")})
	wantErr[*ectypes.SnapshotAlreadyExistsFault](t, err)
	_, err = f.ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String("nope"), TargetSnapshotName: aws.String("nope-copy")})
	wantErr[*ectypes.SnapshotNotFoundFault](t, err)
	f.until(15*time.Second, time.Hour, "copy available", func() bool { return f.ecStatus("orders-manual-1-copy") == "available" })
	if st := f.ecStatus("orders-manual-1"); st != "available" {
		t.Errorf("source after copy: %s", st)
	}

	// Delete: deleting, then gone.
	del := try(f.ec.DeleteSnapshot(ctx, &elasticache.DeleteSnapshotInput{SnapshotName: aws.String("orders-manual-1-copy")})).must(t)
	if *del.Snapshot.SnapshotStatus != "deleting" {
		t.Errorf("DeleteSnapshot answered %s", *del.Snapshot.SnapshotStatus)
	}
	f.advance(5 * time.Minute)
	_, err = f.ec.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{SnapshotName: aws.String("orders-manual-1-copy")})
	wantErr[*ectypes.SnapshotNotFoundFault](t, err)
	_, err = f.ec.DeleteSnapshot(ctx, &elasticache.DeleteSnapshotInput{SnapshotName: aws.String("orders-manual-1-copy")})
	wantErr[*ectypes.SnapshotNotFoundFault](t, err)

	// Filters: by group, by cluster, by source.
	byGroup := try(f.ec.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{ReplicationGroupId: aws.String("orders")})).must(t)
	if len(byGroup.Snapshots) != 1 || *byGroup.Snapshots[0].SnapshotName != "orders-manual-1" {
		t.Errorf("by group: %d", len(byGroup.Snapshots))
	}
	system := try(f.ec.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{SnapshotSource: aws.String("system")})).must(t)
	user := try(f.ec.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{SnapshotSource: aws.String("user")})).must(t)
	if len(system.Snapshots) != 0 || len(user.Snapshots) != 1 {
		t.Errorf("by source: system %d, user %d", len(system.Snapshots), len(user.Snapshots))
	}
	_, err = f.ec.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{CacheClusterId: aws.String("nope")})
	wantErr[*ectypes.CacheClusterNotFoundFault](t, err)
}

// TestElastiCacheClusterModeEnabledExport: a 3-shard group snapshots at
// group level only and exports one RDB object per shard; the export's
// documented failures.
func TestElastiCacheClusterModeEnabledExport(t *testing.T) {
	t.Parallel()
	f := newFleet(t)

	_, err := f.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{CacheClusterId: aws.String("sessions-0002-001"), SnapshotName: aws.String("one-node")})
	wantErr[*ectypes.InvalidParameterValueException](t, err)
	wantMessage(t, err, "cluster mode enabled")

	sn := try(f.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String("sessions"), SnapshotName: aws.String("sessions-1")})).must(t).Snapshot
	if aws.ToInt32(sn.NumNodeGroups) != 3 || *sn.SnapshotStatus != "creating" {
		t.Fatalf("snapshot of sessions: %d node groups, %s", aws.ToInt32(sn.NumNodeGroups), *sn.SnapshotStatus)
	}
	// Exporting a snapshot that is not available yet.
	_, err = f.ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String("sessions-1"), TargetSnapshotName: aws.String("sessions-1"), TargetBucket: aws.String("snapflow-exports")})
	wantErr[*ectypes.InvalidSnapshotStateFault](t, err)
	f.until(time.Minute, 2*time.Hour, "sessions-1 available", func() bool { return f.ecStatus("sessions-1") == "available" })
	full := try(f.ec.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{SnapshotName: aws.String("sessions-1"), ShowNodeGroupConfig: aws.Bool(true)})).must(t).Snapshots[0]
	var groups []string
	for _, n := range full.NodeSnapshots {
		groups = append(groups, aws.ToString(n.NodeGroupId)+":"+aws.ToString(n.NodeGroupConfiguration.Slots))
	}
	if !slices.Equal(groups, []string{"0001:0-5460", "0002:5461-10921", "0003:10922-16383"}) {
		t.Errorf("node groups: %v", groups)
	}

	// The export: CopySnapshot with TargetBucket answers the source, which
	// shows exporting; the objects land when it ends.
	exp := try(f.ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String("sessions-1"), TargetSnapshotName: aws.String("exports/sessions-1"),
		TargetBucket: aws.String("snapflow-exports")})).must(t)
	if *exp.Snapshot.SnapshotName != "sessions-1" || *exp.Snapshot.SnapshotStatus != "exporting" {
		t.Fatalf("export answered %s %s", *exp.Snapshot.SnapshotName, *exp.Snapshot.SnapshotStatus)
	}
	if keys := f.objects("snapflow-exports", "exports/"); len(keys) != 0 {
		t.Fatalf("objects before the export ended: %v", keys)
	}
	_, err = f.ec.DeleteSnapshot(ctx, &elasticache.DeleteSnapshotInput{SnapshotName: aws.String("sessions-1")})
	wantErr[*ectypes.InvalidSnapshotStateFault](t, err)
	want := []string{"exports/sessions-1-0001.rdb", "exports/sessions-1-0002.rdb", "exports/sessions-1-0003.rdb"}
	f.until(time.Minute, 2*time.Hour, "export objects", func() bool { return len(f.objects("snapflow-exports", "exports/")) == 3 })
	if keys := f.objects("snapflow-exports", "exports/"); !slices.Equal(keys, want) {
		t.Fatalf("exported objects %v, want %v", keys, want)
	}
	for _, k := range want {
		f.verifyRDB("snapflow-exports", k)
	}
	if st := f.ecStatus("sessions-1"); st != "available" {
		t.Errorf("snapshot after export: %s", st)
	}

	// The documented failures, with ElastiCache's texts.
	for _, tc := range []struct{ bucket, target, text string }{
		{"snapflow-missing", "x", "The S3 bucket snapflow-missing does not exist."},
		{"snapflow-exports-usw2", "x", "The S3 bucket snapflow-exports-usw2 is outside of the region."},
		{"snapflow-nogrant", "x", "ElastiCache has not been granted READ permissions snapflow-nogrant on the S3 Bucket."},
		{"snapflow-exports", "exports/sessions-1", "already contains an object with key exports/sessions-1-0001.rdb"},
	} {
		_, err = f.ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String("sessions-1"), TargetSnapshotName: aws.String(tc.target), TargetBucket: aws.String(tc.bucket)})
		wantErr[*ectypes.InvalidParameterValueException](t, err)
		wantMessage(t, err, tc.text)
	}
	// Granting what the error asks for fixes it: READ, WRITE and READ_ACP to
	// ElastiCache's canonical user, on a bucket whose ownership allows ACLs.
	try(f.s3.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{Bucket: aws.String("snapflow-nogrant"),
		OwnershipControls: &s3types.OwnershipControls{Rules: []s3types.OwnershipControlsRule{{ObjectOwnership: s3types.ObjectOwnershipBucketOwnerPreferred}}}})).must(t)
	owner := try(f.s3.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("snapflow-nogrant")})).must(t).Owner
	grant := func(perms ...s3types.Permission) {
		acl := &s3types.AccessControlPolicy{Owner: owner, Grants: []s3types.Grant{{Grantee: &s3types.Grantee{Type: s3types.TypeCanonicalUser, ID: owner.ID}, Permission: s3types.PermissionFullControl}}}
		for _, p := range perms {
			acl.Grants = append(acl.Grants, s3types.Grant{Grantee: &s3types.Grantee{Type: s3types.TypeCanonicalUser, ID: aws.String(ecCanonicalUser)}, Permission: p})
		}
		try(f.s3.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String("snapflow-nogrant"), AccessControlPolicy: acl})).must(t)
	}
	grant(s3types.PermissionRead)
	_, err = f.ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String("sessions-1"), TargetSnapshotName: aws.String("x"), TargetBucket: aws.String("snapflow-nogrant")})
	wantMessage(t, err, "ElastiCache has not been granted WRITE permissions snapflow-nogrant on the S3 Bucket.")
	grant(s3types.PermissionRead, s3types.PermissionWrite)
	_, err = f.ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String("sessions-1"), TargetSnapshotName: aws.String("x"), TargetBucket: aws.String("snapflow-nogrant")})
	wantMessage(t, err, "ElastiCache has not been granted READ_ACP permissions snapflow-nogrant on the S3 Bucket.")
	grant(s3types.PermissionRead, s3types.PermissionWrite, s3types.PermissionReadAcp)
	try(f.ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String("sessions-1"), TargetSnapshotName: aws.String("x"), TargetBucket: aws.String("snapflow-nogrant")})).must(t)
	f.advance(2 * time.Hour)
	if keys := f.objects("snapflow-nogrant", ""); len(keys) != 3 || keys[0] != "x-0001.rdb" {
		t.Errorf("objects after granting: %v", keys)
	}
}

// TestElastiCacheWhatCannotSnapshotOrExport: Memcached cannot snapshot; a
// data-tiering group snapshots but cannot export; a standalone Valkey
// cluster snapshots and shows snapshotting.
func TestElastiCacheWhatCannotSnapshotOrExport(t *testing.T) {
	t.Parallel()
	f := newFleet(t)

	_, err := f.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{CacheClusterId: aws.String("pages"), SnapshotName: aws.String("pages-1")})
	wantErr[*ectypes.SnapshotFeatureNotSupportedFault](t, err)

	sn := try(f.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String("clickstream"), SnapshotName: aws.String("clickstream-1")})).must(t).Snapshot
	if sn.DataTiering != ectypes.DataTieringStatusEnabled || aws.ToInt32(sn.NumNodeGroups) != 2 {
		t.Errorf("data tiering snapshot: %s, %d node groups", sn.DataTiering, aws.ToInt32(sn.NumNodeGroups))
	}
	// The seed's snapshotSeconds (600) sets the duration.
	f.advance(599 * time.Second)
	if st := f.ecStatus("clickstream-1"); st != "creating" {
		t.Fatalf("at 599 s: %s", st)
	}
	f.advance(time.Second)
	if st := f.ecStatus("clickstream-1"); st != "available" {
		t.Fatalf("at 600 s: %s", st)
	}
	_, err = f.ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String("clickstream-1"), TargetSnapshotName: aws.String("clickstream-1"), TargetBucket: aws.String("snapflow-exports")})
	wantErr[*ectypes.InvalidParameterValueException](t, err)
	wantMessage(t, err, "data tiering")
	// A plain copy of it is fine.
	try(f.ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String("clickstream-1"), TargetSnapshotName: aws.String("clickstream-1-copy")})).must(t)

	try(f.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{CacheClusterId: aws.String("leaderboard"), SnapshotName: aws.String("leaderboard-1")})).must(t)
	if st := f.clusterStatus("leaderboard"); st != "snapshotting" {
		t.Errorf("leaderboard while snapshotting: %s", st)
	}
	_, err = f.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{CacheClusterId: aws.String("leaderboard"), SnapshotName: aws.String("leaderboard-2")})
	wantErr[*ectypes.InvalidCacheClusterStateFault](t, err)
	_, err = f.ec.DeleteCacheCluster(ctx, &elasticache.DeleteCacheClusterInput{CacheClusterId: aws.String("leaderboard")})
	wantErr[*ectypes.InvalidCacheClusterStateFault](t, err)
	f.advance(30 * time.Second)
	if st := f.clusterStatus("leaderboard"); st != "available" {
		t.Errorf("leaderboard after 30 s: %s", st)
	}
	try(f.ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String("leaderboard-1"), TargetSnapshotName: aws.String("leaderboard-1-copy")})).must(t)
	f.advance(30 * time.Second)
	exp := try(f.ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String("leaderboard-1"), TargetSnapshotName: aws.String("leaderboard-1"), TargetBucket: aws.String("snapflow-exports")})).must(t)
	if *exp.Snapshot.SnapshotStatus != "exporting" {
		t.Errorf("export: %s", *exp.Snapshot.SnapshotStatus)
	}
	// A second export to the keys the running one will write is refused.
	_, err = f.ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String("leaderboard-1-copy"), TargetSnapshotName: aws.String("leaderboard-1"), TargetBucket: aws.String("snapflow-exports")})
	wantErr[*ectypes.InvalidParameterValueException](t, err)
	wantMessage(t, err, "already contains an object with key leaderboard-1-0001.rdb")
	f.advance(time.Minute)
	if keys := f.objects("snapflow-exports", "leaderboard-1"); !slices.Equal(keys, []string{"leaderboard-1-0001.rdb"}) {
		t.Errorf("standalone export: %v", keys)
	}
	f.verifyRDB("snapflow-exports", "leaderboard-1-0001.rdb")
}

// TestElastiCacheDurationGrowsWithDataSize: without snapshotSeconds, a
// snapshot lasts the duration model's base plus the data size over its
// throughput.
func TestElastiCacheDurationGrowsWithDataSize(t *testing.T) {
	t.Parallel()
	f := newFleet(t)
	try(f.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String("orders"), SnapshotName: aws.String("small")})).must(t)   // 1 GiB
	try(f.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String("sessions"), SnapshotName: aws.String("large")})).must(t) // 6 GiB
	var small, large time.Duration
	f.until(10*time.Second, 2*time.Hour, "both snapshots", func() bool {
		el := f.now().Sub(t0)
		if small == 0 && f.ecStatus("small") == "available" {
			small = el
		}
		if large == 0 && f.ecStatus("large") == "available" {
			large = el
		}
		return small > 0 && large > 0
	})
	// DefaultDurationModel: 60 s + 10 MB/s → 162.4 s and 674.4 s.
	if small != 170*time.Second || large != 680*time.Second {
		t.Errorf("1 GiB took %v, 6 GiB took %v (10 s steps); want 170s and 680s", small, large)
	}
}

// TestElastiCacheQuotaAndPagination: 20 manual snapshots per node in any
// 24 hours (a standalone cluster: 20), and DescribeSnapshots over several
// pages with MaxRecords 20 (the minimum).
func TestElastiCacheQuotaAndPagination(t *testing.T) {
	t.Parallel()
	f := newFleet(t)
	for i := 1; i <= 20; i++ {
		try(f.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{CacheClusterId: aws.String("leaderboard"), SnapshotName: aws.String(fmt.Sprintf("lb-%02d", i))})).must(t)
		f.advance(30 * time.Second)
	}
	_, err := f.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{CacheClusterId: aws.String("leaderboard"), SnapshotName: aws.String("lb-21")})
	wantErr[*ectypes.SnapshotQuotaExceededFault](t, err)

	// Copies do not count against the quota; 20 at once, then 5 copies of copies.
	for i := 1; i <= 20; i++ {
		try(f.ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String(fmt.Sprintf("lb-%02d", i)), TargetSnapshotName: aws.String(fmt.Sprintf("lb-%02d-c", i))})).must(t)
	}
	f.advance(30 * time.Second)
	for i := 1; i <= 5; i++ {
		try(f.ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String(fmt.Sprintf("lb-%02d-c", i)), TargetSnapshotName: aws.String(fmt.Sprintf("lb-%02d-cc", i))})).must(t)
	}

	p := elasticache.NewDescribeSnapshotsPaginator(f.ec, &elasticache.DescribeSnapshotsInput{CacheClusterId: aws.String("leaderboard"), MaxRecords: aws.Int32(20)})
	var names []string
	pages := 0
	for p.HasMorePages() {
		page := try(p.NextPage(ctx)).must(t)
		pages++
		if len(page.Snapshots) > 20 {
			t.Fatalf("page of %d", len(page.Snapshots))
		}
		for _, s := range page.Snapshots {
			names = append(names, *s.SnapshotName)
		}
	}
	if pages != 3 || len(names) != 45 || names[0] != "lb-01" || names[44] != "lb-05-cc" {
		t.Errorf("%d pages, %d snapshots (%s … %s), want 3 pages of 45 in creation order", pages, len(names), names[0], names[len(names)-1])
	}
	_, err = f.ec.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{MaxRecords: aws.Int32(19)})
	wantErr[*ectypes.InvalidParameterValueException](t, err)
	_, err = f.ec.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{Marker: aws.String("not-a-marker")})
	wantErr[*ectypes.InvalidParameterValueException](t, err)

	// The quota counts a contiguous 24 hours: a second before the first
	// snapshot is 24 h old the cluster is still at its limit, at 24 h it
	// has room for one.
	f.aws.Clock().AdvanceTo(t0.Add(24*time.Hour - time.Second))
	_, err = f.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{CacheClusterId: aws.String("leaderboard"), SnapshotName: aws.String("lb-21")})
	wantErr[*ectypes.SnapshotQuotaExceededFault](t, err)
	f.advance(time.Second)
	try(f.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{CacheClusterId: aws.String("leaderboard"), SnapshotName: aws.String("lb-21")})).must(t)
}

// TestElastiCacheTags: AddTagsToResource, ListTagsForResource,
// RemoveTagsFromResource on groups and snapshots, with the limits.
func TestElastiCacheTags(t *testing.T) {
	t.Parallel()
	f := newFleet(t)
	arn := "arn:aws:elasticache:us-east-1:" + account + ":replicationgroup:orders"
	tagMap := func(tl []ectypes.Tag) map[string]string {
		m := map[string]string{}
		for _, x := range tl {
			m[*x.Key] = aws.ToString(x.Value)
		}
		return m
	}
	got := tagMap(try(f.ec.ListTagsForResource(ctx, &elasticache.ListTagsForResourceInput{ResourceName: aws.String(arn)})).must(t).TagList)
	if len(got) != 3 || got["team"] != "payments" || got["backup"] != "daily" {
		t.Fatalf("seeded tags: %v", got)
	}
	got = tagMap(try(f.ec.AddTagsToResource(ctx, &elasticache.AddTagsToResourceInput{ResourceName: aws.String(arn), Tags: ecTags("owner", "alice", "env", "production")})).must(t).TagList)
	if len(got) != 4 || got["env"] != "production" || got["owner"] != "alice" {
		t.Fatalf("after AddTagsToResource: %v", got)
	}
	// The group's tags are its nodes' tags.
	node := tagMap(try(f.ec.ListTagsForResource(ctx, &elasticache.ListTagsForResourceInput{ResourceName: aws.String("arn:aws:elasticache:us-east-1:" + account + ":cluster:orders-001")})).must(t).TagList)
	if node["owner"] != "alice" {
		t.Errorf("member node tags: %v", node)
	}
	got = tagMap(try(f.ec.RemoveTagsFromResource(ctx, &elasticache.RemoveTagsFromResourceInput{ResourceName: aws.String(arn), TagKeys: []string{"owner", "backup"}})).must(t).TagList)
	if len(got) != 2 {
		t.Fatalf("after RemoveTagsFromResource: %v", got)
	}
	_, err := f.ec.RemoveTagsFromResource(ctx, &elasticache.RemoveTagsFromResourceInput{ResourceName: aws.String(arn), TagKeys: []string{"owner"}})
	wantErr[*ectypes.TagNotFoundFault](t, err)
	var many []ectypes.Tag
	for i := range 49 {
		many = append(many, ecTags(fmt.Sprintf("k%02d", i), "v")...)
	}
	_, err = f.ec.AddTagsToResource(ctx, &elasticache.AddTagsToResourceInput{ResourceName: aws.String(arn), Tags: many})
	wantErr[*ectypes.TagQuotaPerResourceExceeded](t, err)
	_, err = f.ec.AddTagsToResource(ctx, &elasticache.AddTagsToResourceInput{ResourceName: aws.String(arn), Tags: ecTags("aws:reserved", "x")})
	wantErr[*ectypes.InvalidParameterValueException](t, err)
	_, err = f.ec.ListTagsForResource(ctx, &elasticache.ListTagsForResourceInput{ResourceName: aws.String("orders")})
	wantErr[*ectypes.InvalidARNFault](t, err)
	_, err = f.ec.ListTagsForResource(ctx, &elasticache.ListTagsForResourceInput{ResourceName: aws.String("arn:aws:elasticache:us-east-1:" + account + ":snapshot:nope")})
	wantErr[*ectypes.SnapshotNotFoundFault](t, err)

	// Snapshots: created with tags, tagged later.
	try(f.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String("orders"), SnapshotName: aws.String("tagged"), Tags: ecTags("snapflow:managed", "true")})).must(t)
	snapARN := "arn:aws:elasticache:us-east-1:" + account + ":snapshot:tagged"
	try(f.ec.AddTagsToResource(ctx, &elasticache.AddTagsToResourceInput{ResourceName: aws.String(snapARN), Tags: ecTags("snapflow:slot", "2026-03-02T09:00Z")})).must(t)
	got = tagMap(try(f.ec.ListTagsForResource(ctx, &elasticache.ListTagsForResourceInput{ResourceName: aws.String(snapARN)})).must(t).TagList)
	if len(got) != 2 || got["snapflow:managed"] != "true" {
		t.Errorf("snapshot tags: %v", got)
	}
}
