package localelasticache

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"
)

func TestReplicationGroupClusterModeDisabledLifecycle(t *testing.T) {
	h := newHarness(t)
	out, err := h.ec.CreateReplicationGroup(ctx, &elasticache.CreateReplicationGroupInput{
		ReplicationGroupId:          aws.String("Orders"),
		ReplicationGroupDescription: aws.String("orders cache"),
		Engine:                      aws.String("valkey"),
		NumCacheClusters:            aws.Int32(3),
		AutomaticFailoverEnabled:    aws.Bool(true),
		Tags:                        []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}},
	})
	must(t, err)
	g := out.ReplicationGroup
	if aws.ToString(g.ReplicationGroupId) != "orders" || aws.ToString(g.Status) != "creating" {
		t.Fatalf("created: id %q status %q", aws.ToString(g.ReplicationGroupId), aws.ToString(g.Status))
	}
	if got := g.MemberClusters; len(got) != 3 || got[0] != "orders-001" || got[2] != "orders-003" {
		t.Fatalf("members: %v", got)
	}
	if aws.ToBool(g.ClusterEnabled) || g.ClusterMode != types.ClusterModeDisabled || len(g.NodeGroups) != 1 || aws.ToString(g.NodeGroups[0].NodeGroupId) != "0001" {
		t.Fatalf("cluster mode disabled shape: %+v", g)
	}
	if aws.ToString(g.ARN) != "arn:aws:elasticache:us-east-1:123456789012:replicationgroup:orders" {
		t.Fatalf("ARN %s", aws.ToString(g.ARN))
	}

	// A second group of the same name.
	_, err = h.ec.CreateReplicationGroup(ctx, &elasticache.CreateReplicationGroupInput{
		ReplicationGroupId: aws.String("orders"), ReplicationGroupDescription: aws.String("x")})
	wantErr[*types.ReplicationGroupAlreadyExistsFault](t, err)

	// Not yet available: it cannot snapshot.
	_, err = h.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String("orders"), SnapshotName: aws.String("s1")})
	wantErr[*types.InvalidReplicationGroupStateFault](t, err)

	h.advance(DefaultCreateDuration)
	d, err := h.ec.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String("ORDERS")})
	must(t, err)
	g = &d.ReplicationGroups[0]
	if aws.ToString(g.Status) != "available" || g.NodeGroups[0].PrimaryEndpoint == nil {
		t.Fatalf("after creation: %q %+v", aws.ToString(g.Status), g.NodeGroups[0])
	}
	roles := map[string]string{}
	for _, m := range g.NodeGroups[0].NodeGroupMembers {
		roles[aws.ToString(m.CacheClusterId)] = aws.ToString(m.CurrentRole)
	}
	if roles["orders-001"] != "primary" || roles["orders-002"] != "replica" {
		t.Fatalf("roles: %v", roles)
	}

	// Members are cache clusters of the group, with its tags.
	cc, err := h.ec.DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{CacheClusterId: aws.String("orders-002"), ShowCacheNodeInfo: aws.Bool(true)})
	must(t, err)
	if m := cc.CacheClusters[0]; aws.ToString(m.ReplicationGroupId) != "orders" || aws.ToString(m.CacheClusterStatus) != "available" || len(m.CacheNodes) != 1 {
		t.Fatalf("member: %+v", m)
	}
	tags, err := h.ec.ListTagsForResource(ctx, &elasticache.ListTagsForResourceInput{ResourceName: cc.CacheClusters[0].ARN})
	must(t, err)
	if len(tags.TagList) != 1 || aws.ToString(tags.TagList[0].Value) != "a" {
		t.Fatalf("member tags: %+v", tags.TagList)
	}
	_, err = h.ec.DeleteCacheCluster(ctx, &elasticache.DeleteCacheClusterInput{CacheClusterId: aws.String("orders-002")})
	wantErr[*types.InvalidCacheClusterStateFault](t, err)

	del, err := h.ec.DeleteReplicationGroup(ctx, &elasticache.DeleteReplicationGroupInput{ReplicationGroupId: aws.String("orders")})
	must(t, err)
	if aws.ToString(del.ReplicationGroup.Status) != "deleting" {
		t.Fatalf("delete status %q", aws.ToString(del.ReplicationGroup.Status))
	}
	_, err = h.ec.DeleteReplicationGroup(ctx, &elasticache.DeleteReplicationGroupInput{ReplicationGroupId: aws.String("orders")})
	wantErr[*types.InvalidReplicationGroupStateFault](t, err)
	h.advance(DefaultDeleteDuration)
	_, err = h.ec.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String("orders")})
	wantErr[*types.ReplicationGroupNotFoundFault](t, err)
	_, err = h.ec.DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{CacheClusterId: aws.String("orders-001")})
	wantErr[*types.CacheClusterNotFoundFault](t, err)
}

func TestReplicationGroupClusterModeEnabled(t *testing.T) {
	h := newHarness(t)
	out, err := h.ec.CreateReplicationGroup(ctx, &elasticache.CreateReplicationGroupInput{
		ReplicationGroupId:          aws.String("sharded"),
		ReplicationGroupDescription: aws.String("3 shards"),
		NumNodeGroups:               aws.Int32(3),
		ReplicasPerNodeGroup:        aws.Int32(1),
	})
	must(t, err)
	g := out.ReplicationGroup
	if !aws.ToBool(g.ClusterEnabled) || g.AutomaticFailover != types.AutomaticFailoverStatusEnabled || len(g.NodeGroups) != 3 || len(g.MemberClusters) != 6 {
		t.Fatalf("cluster mode enabled: %+v", g)
	}
	if aws.ToString(g.NodeGroups[0].Slots) != "0-5460" || aws.ToString(g.NodeGroups[2].Slots) != "10922-16383" {
		t.Fatalf("slots: %s %s", aws.ToString(g.NodeGroups[0].Slots), aws.ToString(g.NodeGroups[2].Slots))
	}
	if g.MemberClusters[0] != "sharded-0001-001" || g.MemberClusters[5] != "sharded-0003-002" {
		t.Fatalf("members: %v", g.MemberClusters)
	}
	// Cluster mode enabled needs automatic failover.
	_, err = h.ec.CreateReplicationGroup(ctx, &elasticache.CreateReplicationGroupInput{
		ReplicationGroupId: aws.String("nofailover"), ReplicationGroupDescription: aws.String("x"),
		NumNodeGroups: aws.Int32(2), AutomaticFailoverEnabled: aws.Bool(false)})
	wantErr[*types.InvalidParameterCombinationException](t, err)
}

func TestReplicationGroupValidation(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		name string
		in   elasticache.CreateReplicationGroupInput
		want func(t *testing.T, err error)
	}{
		{"bad id", elasticache.CreateReplicationGroupInput{ReplicationGroupId: aws.String("1abc")},
			func(t *testing.T, err error) { wantErr[*types.InvalidParameterValueException](t, err) }},
		{"double hyphen", elasticache.CreateReplicationGroupInput{ReplicationGroupId: aws.String("a--b")},
			func(t *testing.T, err error) { wantErr[*types.InvalidParameterValueException](t, err) }},
		{"memcached", elasticache.CreateReplicationGroupInput{ReplicationGroupId: aws.String("m"), Engine: aws.String("memcached")},
			func(t *testing.T, err error) { wantErr[*types.InvalidParameterValueException](t, err) }},
		{"failover with one node", elasticache.CreateReplicationGroupInput{ReplicationGroupId: aws.String("f"), AutomaticFailoverEnabled: aws.Bool(true), NumCacheClusters: aws.Int32(1)},
			func(t *testing.T, err error) { wantErr[*types.InvalidParameterValueException](t, err) }},
		{"seven nodes", elasticache.CreateReplicationGroupInput{ReplicationGroupId: aws.String("s"), NumCacheClusters: aws.Int32(7)},
			func(t *testing.T, err error) { wantErr[*types.InvalidParameterValueException](t, err) }},
		{"r6gd without tiering", elasticache.CreateReplicationGroupInput{ReplicationGroupId: aws.String("r"), CacheNodeType: aws.String("cache.r6gd.xlarge")},
			func(t *testing.T, err error) { wantErr[*types.InvalidParameterCombinationException](t, err) }},
		{"tiering without r6gd", elasticache.CreateReplicationGroupInput{ReplicationGroupId: aws.String("r"), DataTieringEnabled: aws.Bool(true)},
			func(t *testing.T, err error) { wantErr[*types.InvalidParameterCombinationException](t, err) }},
		{"51 tags", elasticache.CreateReplicationGroupInput{ReplicationGroupId: aws.String("t"), Tags: manyTags(51)},
			func(t *testing.T, err error) { wantErr[*types.TagQuotaPerResourceExceeded](t, err) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.ReplicationGroupDescription = aws.String("d")
			_, err := h.ec.CreateReplicationGroup(ctx, &in)
			tc.want(t, err)
		})
	}
	out, err := h.ec.CreateReplicationGroup(ctx, &elasticache.CreateReplicationGroupInput{
		ReplicationGroupId: aws.String("tiered"), ReplicationGroupDescription: aws.String("d"),
		CacheNodeType: aws.String("cache.r6gd.xlarge"), DataTieringEnabled: aws.Bool(true)})
	must(t, err)
	if out.ReplicationGroup.DataTiering != types.DataTieringStatusEnabled {
		t.Fatalf("data tiering %q", out.ReplicationGroup.DataTiering)
	}
}

func TestCacheClusters(t *testing.T) {
	h := newHarness(t)
	out, err := h.ec.CreateCacheCluster(ctx, &elasticache.CreateCacheClusterInput{CacheClusterId: aws.String("sessions")})
	must(t, err)
	c := out.CacheCluster
	if aws.ToString(c.Engine) != "redis" || aws.ToInt32(c.NumCacheNodes) != 1 || aws.ToString(c.CacheClusterStatus) != "creating" {
		t.Fatalf("created: %+v", c)
	}
	_, err = h.ec.CreateCacheCluster(ctx, &elasticache.CreateCacheClusterInput{CacheClusterId: aws.String("sessions")})
	wantErr[*types.CacheClusterAlreadyExistsFault](t, err)
	_, err = h.ec.CreateCacheCluster(ctx, &elasticache.CreateCacheClusterInput{CacheClusterId: aws.String("two"), Engine: aws.String("valkey"), NumCacheNodes: aws.Int32(2)})
	wantErr[*types.InvalidParameterValueException](t, err)
	_, err = h.ec.CreateCacheCluster(ctx, &elasticache.CreateCacheClusterInput{CacheClusterId: aws.String("mc41"), Engine: aws.String("memcached"), NumCacheNodes: aws.Int32(41)})
	wantErr[*types.InvalidParameterValueException](t, err)
	_, err = h.ec.CreateCacheCluster(ctx, &elasticache.CreateCacheClusterInput{CacheClusterId: aws.String("tiered"), CacheNodeType: aws.String("cache.r6gd.xlarge")})
	wantErr[*types.InvalidParameterCombinationException](t, err)
	mc, err := h.ec.CreateCacheCluster(ctx, &elasticache.CreateCacheClusterInput{CacheClusterId: aws.String("pages"), Engine: aws.String("memcached"), NumCacheNodes: aws.Int32(3)})
	must(t, err)
	if aws.ToInt32(mc.CacheCluster.NumCacheNodes) != 3 || aws.ToString(mc.CacheCluster.CacheParameterGroup.CacheParameterGroupName) != "default.memcached1.6" {
		t.Fatalf("memcached: %+v", mc.CacheCluster)
	}

	h.advance(DefaultCreateDuration)
	// Memcached cannot snapshot, neither directly nor as a final snapshot.
	_, err = h.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{CacheClusterId: aws.String("pages"), SnapshotName: aws.String("mc")})
	wantErr[*types.SnapshotFeatureNotSupportedFault](t, err)
	_, err = h.ec.DeleteCacheCluster(ctx, &elasticache.DeleteCacheClusterInput{CacheClusterId: aws.String("pages"), FinalSnapshotIdentifier: aws.String("final")})
	wantErr[*types.SnapshotFeatureNotSupportedFault](t, err)

	d, err := h.ec.DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{ShowCacheNodeInfo: aws.Bool(true)})
	must(t, err)
	if len(d.CacheClusters) != 2 || len(d.CacheClusters[1].CacheNodes) != 3 || d.CacheClusters[1].ConfigurationEndpoint == nil {
		t.Fatalf("describe: %+v", d.CacheClusters)
	}

	// Deleting with a final snapshot: the snapshot outlives the cluster.
	del, err := h.ec.DeleteCacheCluster(ctx, &elasticache.DeleteCacheClusterInput{CacheClusterId: aws.String("sessions"), FinalSnapshotIdentifier: aws.String("sessions-final")})
	must(t, err)
	if aws.ToString(del.CacheCluster.CacheClusterStatus) != "deleting" {
		t.Fatalf("delete: %q", aws.ToString(del.CacheCluster.CacheClusterStatus))
	}
	h.advance(DefaultDeleteDuration)
	_, err = h.ec.DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{CacheClusterId: aws.String("sessions")})
	wantErr[*types.CacheClusterNotFoundFault](t, err)
	s, err := h.ec.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{SnapshotName: aws.String("sessions-final")})
	must(t, err)
	if aws.ToString(s.Snapshots[0].SnapshotStatus) != "available" || aws.ToString(s.Snapshots[0].CacheClusterId) != "sessions" {
		t.Fatalf("final snapshot: %+v", s.Snapshots[0])
	}
	// Its snapshots stay describable by the cluster's ID.
	s, err = h.ec.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{CacheClusterId: aws.String("sessions")})
	must(t, err)
	if len(s.Snapshots) != 1 {
		t.Fatalf("by cluster: %d", len(s.Snapshots))
	}
}

func TestDescribeCacheClustersPagination(t *testing.T) {
	h := newHarness(t)
	js := `{"cacheClusters": [`
	for i := 0; i < 25; i++ {
		if i > 0 {
			js += ","
		}
		js += `{"id": "c` + nodeID(i) + `"}`
	}
	js += `], "replicationGroups": [{"id": "rg", "replicasPerShard": 1}]}`
	h.seed(js)
	p := elasticache.NewDescribeCacheClustersPaginator(h.ec, &elasticache.DescribeCacheClustersInput{MaxRecords: aws.Int32(20)})
	var n, pages int
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		must(t, err)
		n += len(out.CacheClusters)
		pages++
	}
	if n != 27 || pages != 2 {
		t.Fatalf("got %d clusters in %d pages", n, pages)
	}
	out, err := h.ec.DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{ShowCacheClustersNotInReplicationGroups: aws.Bool(true)})
	must(t, err)
	if len(out.CacheClusters) != 25 {
		t.Fatalf("standalone: %d", len(out.CacheClusters))
	}
	_, err = h.ec.DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{MaxRecords: aws.Int32(10)})
	wantErr[*types.InvalidParameterValueException](t, err)
}

func TestRegionsAreSeparate(t *testing.T) {
	h := newHarness(t)
	west := h.client("us-west-2")
	_, err := west.CreateCacheCluster(ctx, &elasticache.CreateCacheClusterInput{CacheClusterId: aws.String("west")})
	must(t, err)
	out, err := h.ec.DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{})
	must(t, err)
	if len(out.CacheClusters) != 0 {
		t.Fatalf("us-east-1 sees %d clusters", len(out.CacheClusters))
	}
	w, err := west.DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{CacheClusterId: aws.String("west")})
	must(t, err)
	if aws.ToString(w.CacheClusters[0].ARN) != "arn:aws:elasticache:us-west-2:123456789012:cluster:west" {
		t.Fatalf("ARN %s", aws.ToString(w.CacheClusters[0].ARN))
	}
	// The same name is free in another region.
	_, err = h.ec.CreateCacheCluster(ctx, &elasticache.CreateCacheClusterInput{CacheClusterId: aws.String("west")})
	must(t, err)
}

func manyTags(n int) []types.Tag {
	var out []types.Tag
	for i := 0; i < n; i++ {
		out = append(out, types.Tag{Key: aws.String("k" + nodeID(i)), Value: aws.String("v")})
	}
	return out
}
