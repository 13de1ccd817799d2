package localelasticache

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"
)

func TestSeed(t *testing.T) {
	h := newHarness(t)
	h.seed(`{
	  "replicationGroups": [
	    {"id": "orders", "engine": "valkey", "engineVersion": "8.0.1", "replicasPerShard": 2, "dataSizeMB": 1000, "tags": {"team": "a"}},
	    {"id": "sharded", "shards": 4, "replicasPerShard": 1, "dataSizeMB": 4000},
	    {"id": "tiered", "cacheNodeType": "cache.r6gd.2xlarge"},
	    {"id": "west", "region": "us-west-2"}],
	  "cacheClusters": [
	    {"id": "sessions", "dataSizeMB": 50, "snapshotSeconds": 7},
	    {"id": "pages", "engine": "memcached", "numCacheNodes": 3}],
	  "serverlessCaches": [
	    {"name": "carts", "dataSizeMB": 200, "tags": {"env": "prod"}},
	    {"name": "mc", "engine": "memcached"}]
	}`)
	rg, err := h.ec.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{})
	must(t, err)
	if len(rg.ReplicationGroups) != 3 {
		t.Fatalf("groups in us-east-1: %d", len(rg.ReplicationGroups))
	}
	byID := map[string]types.ReplicationGroup{}
	for _, g := range rg.ReplicationGroups {
		if aws.ToString(g.Status) != "available" {
			t.Fatalf("%s: %q", aws.ToString(g.ReplicationGroupId), aws.ToString(g.Status))
		}
		byID[aws.ToString(g.ReplicationGroupId)] = g
	}
	if g := byID["orders"]; len(g.MemberClusters) != 3 || g.AutomaticFailover != types.AutomaticFailoverStatusEnabled || aws.ToString(g.Engine) != "valkey" {
		t.Fatalf("orders: %+v", g)
	}
	if g := byID["sharded"]; !aws.ToBool(g.ClusterEnabled) || len(g.NodeGroups) != 4 || len(g.MemberClusters) != 8 {
		t.Fatalf("sharded: %+v", g)
	}
	if g := byID["tiered"]; g.DataTiering != types.DataTieringStatusEnabled {
		t.Fatalf("tiered: %+v", g)
	}
	west, err := h.client("us-west-2").DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String("west")})
	must(t, err)
	if aws.ToString(west.ReplicationGroups[0].ARN) != "arn:aws:elasticache:us-west-2:123456789012:replicationgroup:west" {
		t.Fatalf("west: %s", aws.ToString(west.ReplicationGroups[0].ARN))
	}
	if got := listTags(t, h, aws.ToString(byID["orders"].ARN)); got["team"] != "a" {
		t.Fatalf("tags: %v", got)
	}
	sc := describeServerless(t, h, "carts")
	if aws.ToString(sc.Status) != "available" || aws.ToString(sc.Engine) != "valkey" {
		t.Fatalf("carts: %+v", sc)
	}

	// dataSizeMB drives the snapshot duration, snapshotSeconds overrides it.
	_, err = h.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String("orders"), SnapshotName: aws.String("o")})
	must(t, err)
	_, err = h.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{CacheClusterId: aws.String("sessions"), SnapshotName: aws.String("s")})
	must(t, err)
	h.advance(7 * time.Second)
	if st := aws.ToString(describeSnapshot(t, h, "s").SnapshotStatus); st != "available" {
		t.Fatalf("sessions after 7 s: %q", st)
	}
	h.advance(152 * time.Second) // 60 s + 1000 MB / 10 MB/s = 160 s
	if st := aws.ToString(describeSnapshot(t, h, "o").SnapshotStatus); st != "creating" {
		t.Fatalf("orders after 159 s: %q", st)
	}
	h.advance(time.Second)
	if st := aws.ToString(describeSnapshot(t, h, "o").SnapshotStatus); st != "available" {
		t.Fatalf("orders after 160 s: %q", st)
	}
}

func TestSeedErrorsNameTheItem(t *testing.T) {
	h := newHarness(t)
	cases := []struct{ seed, want string }{
		{`{"replicationGroups": [{"id": "ok"}, {"id": "bad--id"}]}`, `replicationGroups[1] "bad--id": InvalidParameterValue`},
		{`{"replicationGroups": [{"id": "m", "engine": "memcached"}]}`, `replicationGroups[0] "m": InvalidParameterValue`},
		{`{"replicationGroups": [{"id": "t", "dataTiering": true, "cacheNodeType": "cache.r7g.large"}]}`, `replicationGroups[0] "t": InvalidParameterCombination`},
		{`{"cacheClusters": [{"id": "c", "engine": "redis", "numCacheNodes": 2}]}`, `cacheClusters[0] "c": InvalidParameterValue`},
		{`{"cacheClusters": [{"id": "dup"}, {"id": "dup"}]}`, `cacheClusters[1] "dup": CacheClusterAlreadyExists`},
		{`{"serverlessCaches": [{"name": "s", "engine": "mysql"}]}`, `serverlessCaches[0] "s": InvalidParameterValue`},
		{`{"serverlessCaches": [{"name": "s", "tags": {"aws:x": "y"}}]}`, `serverlessCaches[0] "s": InvalidParameterValue`},
		{`{"replicationGroup": []}`, `unknown field "replicationGroup"`},
		{`{"cacheClusters": [{"id": "c", "sizeMB": 1}]}`, `unknown field "sizeMB"`},
	}
	for _, tc := range cases {
		err := h.svc.Seed("us-east-1", []byte(tc.seed))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("seed %s: got %v, want %q", tc.seed, err, tc.want)
		}
	}
	// The valid items of a partly bad seed are created.
	out, err := h.ec.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String("ok")})
	must(t, err)
	if len(out.ReplicationGroups) != 1 {
		t.Fatal("ok group missing")
	}
}
