package localelasticache

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"
)

func describeSnapshot(t *testing.T, h *harness, name string) types.Snapshot {
	t.Helper()
	out, err := h.ec.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{SnapshotName: aws.String(name), ShowNodeGroupConfig: aws.Bool(true)})
	must(t, err)
	if len(out.Snapshots) != 1 {
		t.Fatalf("describe %s: %d snapshots", name, len(out.Snapshots))
	}
	return out.Snapshots[0]
}

func groupStatus(t *testing.T, h *harness, id string) string {
	t.Helper()
	out, err := h.ec.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String(id)})
	must(t, err)
	return aws.ToString(out.ReplicationGroups[0].Status)
}

func TestSnapshotProgressionClusterModeDisabled(t *testing.T) {
	h := newHarness(t)
	h.seed(`{"replicationGroups": [{"id": "orders", "engine": "valkey", "replicasPerShard": 1, "dataSizeMB": 600, "tags": {"team": "a"}}]}`)
	// 600 MB at 10 MB/s plus 60 s: 2 minutes (emu.DefaultDurationModel).
	out, err := h.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{
		ReplicationGroupId: aws.String("orders"),
		SnapshotName:       aws.String("Nightly-1"),
		KmsKeyId:           aws.String("alias/snap"),
		Tags:               []types.Tag{{Key: aws.String("snapflow:policy"), Value: aws.String("p1")}},
	})
	must(t, err)
	sn := out.Snapshot
	if aws.ToString(sn.SnapshotName) != "nightly-1" || aws.ToString(sn.SnapshotStatus) != "creating" || aws.ToString(sn.SnapshotSource) != "manual" {
		t.Fatalf("created: %+v", sn)
	}
	if aws.ToString(sn.ReplicationGroupId) != "orders" || aws.ToInt32(sn.NumNodeGroups) != 1 || aws.ToString(sn.Engine) != "valkey" || aws.ToString(sn.KmsKeyId) != "alias/snap" {
		t.Fatalf("fields: %+v", sn)
	}
	if len(sn.NodeSnapshots) != 1 || aws.ToString(sn.NodeSnapshots[0].CacheSize) != "" || sn.NodeSnapshots[0].SnapshotCreateTime != nil {
		t.Fatalf("node snapshots while creating: %+v", sn.NodeSnapshots)
	}
	if aws.ToString(sn.ARN) != "arn:aws:elasticache:us-east-1:123456789012:snapshot:nightly-1" {
		t.Fatalf("ARN %s", aws.ToString(sn.ARN))
	}

	// The source is snapshotting and refuses another snapshot or a delete.
	if st := groupStatus(t, h, "orders"); st != "snapshotting" {
		t.Fatalf("group status %q", st)
	}
	_, err = h.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String("orders"), SnapshotName: aws.String("nightly-2")})
	wantErr[*types.InvalidReplicationGroupStateFault](t, err)
	_, err = h.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{CacheClusterId: aws.String("orders-001"), SnapshotName: aws.String("nightly-2")})
	wantErr[*types.InvalidCacheClusterStateFault](t, err)
	_, err = h.ec.DeleteReplicationGroup(ctx, &elasticache.DeleteReplicationGroupInput{ReplicationGroupId: aws.String("orders")})
	wantErr[*types.InvalidReplicationGroupStateFault](t, err)
	// A snapshot being created cannot be deleted.
	_, err = h.ec.DeleteSnapshot(ctx, &elasticache.DeleteSnapshotInput{SnapshotName: aws.String("nightly-1")})
	wantErr[*types.InvalidSnapshotStateFault](t, err)
	cc, err := h.ec.DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{CacheClusterId: aws.String("orders-002")})
	must(t, err)
	if st := aws.ToString(cc.CacheClusters[0].CacheClusterStatus); st != "snapshotting" {
		t.Fatalf("snapshotted replica status %q", st)
	}

	h.advance(119 * time.Second)
	if st := aws.ToString(describeSnapshot(t, h, "nightly-1").SnapshotStatus); st != "creating" {
		t.Fatalf("at 119 s: %q", st)
	}
	h.advance(time.Second)
	sn2 := describeSnapshot(t, h, "nightly-1")
	if aws.ToString(sn2.SnapshotStatus) != "available" || groupStatus(t, h, "orders") != "available" {
		t.Fatalf("at 120 s: snapshot %q, group %q", aws.ToString(sn2.SnapshotStatus), groupStatus(t, h, "orders"))
	}
	ns := sn2.NodeSnapshots[0]
	if aws.ToString(ns.CacheSize) != "600 MB" || ns.SnapshotCreateTime == nil || !ns.SnapshotCreateTime.Equal(t0) ||
		aws.ToString(ns.CacheClusterId) != "orders-002" || aws.ToString(ns.NodeGroupId) != "0001" {
		t.Fatalf("node snapshot: %+v", ns)
	}
	if ns.NodeGroupConfiguration == nil || aws.ToInt32(ns.NodeGroupConfiguration.ReplicaCount) != 1 {
		t.Fatalf("node group configuration: %+v", ns.NodeGroupConfiguration)
	}
	tags, err := h.ec.ListTagsForResource(ctx, &elasticache.ListTagsForResourceInput{ResourceName: sn2.ARN})
	must(t, err)
	if len(tags.TagList) != 1 || aws.ToString(tags.TagList[0].Key) != "snapflow:policy" {
		t.Fatalf("snapshot tags: %+v", tags.TagList)
	}

	// A member node of a cluster-mode-disabled group can be snapshotted.
	out, err = h.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{CacheClusterId: aws.String("orders-002"), SnapshotName: aws.String("node-2")})
	must(t, err)
	if aws.ToString(out.Snapshot.CacheClusterId) != "orders-002" || aws.ToInt32(out.Snapshot.NumCacheNodes) != 1 || groupStatus(t, h, "orders") != "snapshotting" {
		t.Fatalf("member snapshot: %+v", out.Snapshot)
	}
	_, err = h.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String("orders"), SnapshotName: aws.String("nightly-3")})
	wantErr[*types.InvalidReplicationGroupStateFault](t, err)
	h.advance(2 * time.Minute)

	// Deleting answers "deleting"; the snapshot is gone later.
	del, err := h.ec.DeleteSnapshot(ctx, &elasticache.DeleteSnapshotInput{SnapshotName: aws.String("NIGHTLY-1")})
	must(t, err)
	if aws.ToString(del.Snapshot.SnapshotStatus) != "deleting" {
		t.Fatalf("delete: %q", aws.ToString(del.Snapshot.SnapshotStatus))
	}
	_, err = h.ec.DeleteSnapshot(ctx, &elasticache.DeleteSnapshotInput{SnapshotName: aws.String("nightly-1")})
	wantErr[*types.InvalidSnapshotStateFault](t, err)
	_, err = h.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String("orders"), SnapshotName: aws.String("nightly-1")})
	wantErr[*types.SnapshotAlreadyExistsFault](t, err)
	h.advance(DefaultSnapshotDeleteDuration)
	_, err = h.ec.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{SnapshotName: aws.String("nightly-1")})
	wantErr[*types.SnapshotNotFoundFault](t, err)
	_, err = h.ec.DeleteSnapshot(ctx, &elasticache.DeleteSnapshotInput{SnapshotName: aws.String("nightly-1")})
	wantErr[*types.SnapshotNotFoundFault](t, err)
}

func TestSnapshotClusterModeEnabled(t *testing.T) {
	h := newHarness(t)
	h.seed(`{"replicationGroups": [{"id": "sharded", "shards": 3, "replicasPerShard": 2, "dataSizeMB": 3000, "snapshotSeconds": 30}]}`)
	out, err := h.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String("sharded"), SnapshotName: aws.String("all")})
	must(t, err)
	sn := out.Snapshot
	if aws.ToInt32(sn.NumNodeGroups) != 3 || len(sn.NodeSnapshots) != 3 || sn.AutomaticFailover != types.AutomaticFailoverStatusEnabled {
		t.Fatalf("snapshot: %+v", sn)
	}
	for i, ns := range sn.NodeSnapshots {
		if want := fmt.Sprintf("%04d", i+1); aws.ToString(ns.NodeGroupId) != want || aws.ToString(ns.CacheClusterId) != fmt.Sprintf("sharded-%s-003", want) {
			t.Fatalf("node snapshot %d: %+v", i, ns)
		}
	}
	// Cluster mode enabled snapshots at replication-group level only.
	h.advance(30 * time.Second)
	_, err = h.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{CacheClusterId: aws.String("sharded-0001-001"), SnapshotName: aws.String("one")})
	wantErr[*types.InvalidParameterValueException](t, err)
	got := describeSnapshot(t, h, "all")
	if aws.ToString(got.SnapshotStatus) != "available" || aws.ToString(got.NodeSnapshots[0].CacheSize) != "1000 MB" {
		t.Fatalf("after 30 s: %+v", got)
	}
	if c := got.NodeSnapshots[2].NodeGroupConfiguration; aws.ToString(c.Slots) != "10922-16383" || aws.ToInt32(c.ReplicaCount) != 2 || len(c.ReplicaAvailabilityZones) != 2 {
		t.Fatalf("configuration: %+v", c)
	}
	// Without ShowNodeGroupConfig there is none.
	plain, err := h.ec.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{ReplicationGroupId: aws.String("sharded")})
	must(t, err)
	if plain.Snapshots[0].NodeSnapshots[0].NodeGroupConfiguration != nil {
		t.Fatalf("unexpected node group configuration")
	}
}

func TestCreateSnapshotParameters(t *testing.T) {
	h := newHarness(t)
	h.seed(`{"cacheClusters": [{"id": "c1"}], "replicationGroups": [{"id": "g1"}]}`)
	_, err := h.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{SnapshotName: aws.String("x")})
	wantErr[*types.InvalidParameterCombinationException](t, err)
	_, err = h.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String("g1"), CacheClusterId: aws.String("c1"), SnapshotName: aws.String("x")})
	wantErr[*types.InvalidParameterCombinationException](t, err)
	_, err = h.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String("nope"), SnapshotName: aws.String("x")})
	wantErr[*types.ReplicationGroupNotFoundFault](t, err)
	_, err = h.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{CacheClusterId: aws.String("nope"), SnapshotName: aws.String("x")})
	wantErr[*types.CacheClusterNotFoundFault](t, err)
	for _, bad := range []string{"1starts-with-digit", "ends-", "two--hyphens", "has_underscore", "a234567890123456789012345678901234567890x"} {
		_, err = h.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{CacheClusterId: aws.String("c1"), SnapshotName: aws.String(bad)})
		wantErr[*types.InvalidParameterValueException](t, err)
	}
	_, err = h.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{CacheClusterId: aws.String("c1"), SnapshotName: aws.String("s"),
		Tags: []types.Tag{{Key: aws.String("aws:reserved"), Value: aws.String("v")}}})
	wantErr[*types.InvalidParameterValueException](t, err)
	_, err = h.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{CacheClusterId: aws.String("c1"), SnapshotName: aws.String("s"), Tags: manyTags(51)})
	wantErr[*types.TagQuotaPerResourceExceeded](t, err)
	// 40 characters is the limit.
	_, err = h.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{CacheClusterId: aws.String("c1"), SnapshotName: aws.String("a234567890123456789012345678901234567890")})
	must(t, err)
}

func TestSnapshotQuotaPerNodePerDay(t *testing.T) {
	h := newHarness(t)
	h.seed(`{"cacheClusters": [{"id": "single", "snapshotSeconds": 1}], "replicationGroups": [{"id": "pair", "replicasPerShard": 1, "snapshotSeconds": 1}]}`)
	take := func(src string, group bool, i int) error {
		in := &elasticache.CreateSnapshotInput{SnapshotName: aws.String(fmt.Sprintf("%s-%d", src, i))}
		if group {
			in.ReplicationGroupId = aws.String(src)
		} else {
			in.CacheClusterId = aws.String(src)
		}
		_, err := h.ec.CreateSnapshot(ctx, in)
		h.advance(2 * time.Second)
		return err
	}
	for i := 0; i < 20; i++ {
		must(t, take("single", false, i))
	}
	wantErr[*types.SnapshotQuotaExceededFault](t, take("single", false, 20))
	// Two nodes: 40 a day, whether taken of the group or of a member.
	for i := 0; i < 30; i++ {
		must(t, take("pair", true, i))
	}
	for i := 0; i < 10; i++ {
		_, err := h.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{CacheClusterId: aws.String("pair-002"), SnapshotName: aws.String(fmt.Sprintf("member-%d", i))})
		must(t, err)
		h.advance(2 * time.Second)
	}
	wantErr[*types.SnapshotQuotaExceededFault](t, take("pair", true, 99))
	// Any contiguous 24 hours: the first ones age out.
	h.advance(24*time.Hour - 40*time.Second)
	must(t, take("single", false, 21))
	must(t, take("pair", true, 100))
}

func TestDescribeSnapshotsFiltersAndPagination(t *testing.T) {
	h := newHarness(t)
	h.seed(`{"replicationGroups": [{"id": "big", "shards": 2, "replicasPerShard": 1, "snapshotSeconds": 1}],
	         "cacheClusters": [{"id": "small", "snapshotSeconds": 1}]}`)
	for i := 0; i < 53; i++ {
		_, err := h.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String("big"), SnapshotName: aws.String(fmt.Sprintf("big-%02d", i))})
		must(t, err)
		h.advance(2 * time.Second)
	}
	_, err := h.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{CacheClusterId: aws.String("small"), SnapshotName: aws.String("small-1")})
	must(t, err)

	// Default page size 50.
	first, err := h.ec.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{})
	must(t, err)
	if len(first.Snapshots) != 50 || first.Marker == nil {
		t.Fatalf("first page: %d, marker %v", len(first.Snapshots), first.Marker)
	}
	p := elasticache.NewDescribeSnapshotsPaginator(h.ec, &elasticache.DescribeSnapshotsInput{ReplicationGroupId: aws.String("big"), MaxRecords: aws.Int32(20)})
	var names []string
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		must(t, err)
		pages++
		for _, s := range out.Snapshots {
			names = append(names, aws.ToString(s.SnapshotName))
		}
	}
	if len(names) != 53 || pages != 3 || names[0] != "big-00" || names[52] != "big-52" {
		t.Fatalf("paginated %d snapshots in %d pages: %v…", len(names), pages, names[:3])
	}
	for _, bad := range []int32{19, 51} {
		_, err = h.ec.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{MaxRecords: aws.Int32(bad)})
		wantErr[*types.InvalidParameterValueException](t, err)
	}
	_, err = h.ec.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{Marker: aws.String("garbage")})
	wantErr[*types.InvalidParameterValueException](t, err)

	bySource := func(src string) int {
		out, err := h.ec.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{CacheClusterId: aws.String("small"), SnapshotSource: aws.String(src)})
		must(t, err)
		return len(out.Snapshots)
	}
	if bySource("user") != 1 || bySource("system") != 0 || bySource("") != 1 {
		t.Fatalf("SnapshotSource filter")
	}
	_, err = h.ec.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{SnapshotSource: aws.String("manual")})
	wantErr[*types.InvalidParameterValueException](t, err)
	_, err = h.ec.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{CacheClusterId: aws.String("ghost")})
	wantErr[*types.CacheClusterNotFoundFault](t, err)
	_, err = h.ec.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{SnapshotName: aws.String("ghost")})
	wantErr[*types.SnapshotNotFoundFault](t, err)
	out, err := h.ec.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{ReplicationGroupId: aws.String("ghost")})
	must(t, err)
	if len(out.Snapshots) != 0 {
		t.Fatalf("unknown group: %d", len(out.Snapshots))
	}
}

func TestCopySnapshot(t *testing.T) {
	h := newHarness(t)
	h.seed(`{"cacheClusters": [{"id": "c1", "dataSizeMB": 300}]}`) // 90 s per snapshot or copy
	_, err := h.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{CacheClusterId: aws.String("c1"), SnapshotName: aws.String("src")})
	must(t, err)
	_, err = h.ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String("src"), TargetSnapshotName: aws.String("copy")})
	wantErr[*types.InvalidSnapshotStateFault](t, err)
	// A standalone cluster refuses to be deleted while it snapshots.
	_, err = h.ec.DeleteCacheCluster(ctx, &elasticache.DeleteCacheClusterInput{CacheClusterId: aws.String("c1")})
	wantErr[*types.InvalidCacheClusterStateFault](t, err)
	_, err = h.ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String("ghost"), TargetSnapshotName: aws.String("copy")})
	wantErr[*types.SnapshotNotFoundFault](t, err)
	h.advance(90 * time.Second)

	out, err := h.ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{
		SourceSnapshotName: aws.String("src"), TargetSnapshotName: aws.String("Copy"),
		KmsKeyId: aws.String("key-2"), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	must(t, err)
	cp := out.Snapshot
	if aws.ToString(cp.SnapshotName) != "copy" || aws.ToString(cp.SnapshotStatus) != "creating" || aws.ToString(cp.CacheClusterId) != "c1" || aws.ToString(cp.KmsKeyId) != "key-2" {
		t.Fatalf("copy: %+v", cp)
	}
	if st := aws.ToString(describeSnapshot(t, h, "src").SnapshotStatus); st != "copying" {
		t.Fatalf("source while copying: %q", st)
	}
	_, err = h.ec.DeleteSnapshot(ctx, &elasticache.DeleteSnapshotInput{SnapshotName: aws.String("src")})
	wantErr[*types.InvalidSnapshotStateFault](t, err)
	_, err = h.ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String("src"), TargetSnapshotName: aws.String("copy")})
	wantErr[*types.SnapshotAlreadyExistsFault](t, err)
	_, err = h.ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String("src"), TargetSnapshotName: aws.String("bad--name")})
	wantErr[*types.InvalidParameterValueException](t, err)

	h.advance(90 * time.Second)
	got := describeSnapshot(t, h, "copy")
	if aws.ToString(got.SnapshotStatus) != "available" || aws.ToString(describeSnapshot(t, h, "src").SnapshotStatus) != "available" {
		t.Fatalf("after copy: %q", aws.ToString(got.SnapshotStatus))
	}
	// The copy keeps when the source's data was taken.
	if !got.NodeSnapshots[0].SnapshotCreateTime.Equal(t0) {
		t.Fatalf("copy data time %v", got.NodeSnapshots[0].SnapshotCreateTime)
	}
	tags, err := h.ec.ListTagsForResource(ctx, &elasticache.ListTagsForResourceInput{ResourceName: got.ARN})
	must(t, err)
	if len(tags.TagList) != 1 {
		t.Fatalf("copy tags: %+v", tags.TagList)
	}
}
