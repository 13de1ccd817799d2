package localaws_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	ectypes "github.com/aws/aws-sdk-go-v2/service/elasticache/types"
	"github.com/aws/aws-sdk-go-v2/service/memorydb"
	mdbtypes "github.com/aws/aws-sdk-go-v2/service/memorydb/types"
	"github.com/aws/aws-sdk-go-v2/service/redshiftserverless"
	rsstypes "github.com/aws/aws-sdk-go-v2/service/redshiftserverless/types"
)

// TestSourcesThroughTheirAPIs: the sources snapshots are taken of, created
// with minimal parameters through each service's own API, creating until
// they are available, and deleted (with a final snapshot where the service
// has one).
func TestSourcesThroughTheirAPIs(t *testing.T) {
	t.Parallel()
	f := newFleet(t)

	t.Run("ElastiCache", func(t *testing.T) {
		cmd := try(f.ec.CreateReplicationGroup(ctx, &elasticache.CreateReplicationGroupInput{
			ReplicationGroupId: aws.String("api-cmd"), ReplicationGroupDescription: aws.String("minimal"),
		})).must(t).ReplicationGroup
		if *cmd.Status != "creating" || *cmd.ClusterEnabled || len(cmd.MemberClusters) != 1 || *cmd.Engine != "redis" {
			t.Fatalf("minimal group: %+v", cmd)
		}
		cme := try(f.ec.CreateReplicationGroup(ctx, &elasticache.CreateReplicationGroupInput{
			ReplicationGroupId: aws.String("api-cme"), ReplicationGroupDescription: aws.String("3 shards"), Engine: aws.String("valkey"),
			NumNodeGroups: aws.Int32(3), ReplicasPerNodeGroup: aws.Int32(1),
		})).must(t).ReplicationGroup
		if !*cme.ClusterEnabled || len(cme.NodeGroups) != 3 || len(cme.MemberClusters) != 6 {
			t.Fatalf("cluster mode enabled group: %+v", cme)
		}
		_, err := f.ec.CreateReplicationGroup(ctx, &elasticache.CreateReplicationGroupInput{ReplicationGroupId: aws.String("api-cmd"), ReplicationGroupDescription: aws.String("again")})
		wantErr[*ectypes.ReplicationGroupAlreadyExistsFault](t, err)
		_, err = f.ec.CreateReplicationGroup(ctx, &elasticache.CreateReplicationGroupInput{ReplicationGroupId: aws.String("api-tier"), ReplicationGroupDescription: aws.String("r6gd"),
			CacheNodeType: aws.String("cache.r6gd.xlarge")})
		wantErr[*ectypes.InvalidParameterCombinationException](t, err) // r6gd needs DataTieringEnabled
		try(f.ec.CreateReplicationGroup(ctx, &elasticache.CreateReplicationGroupInput{ReplicationGroupId: aws.String("api-tier"), ReplicationGroupDescription: aws.String("r6gd"),
			CacheNodeType: aws.String("cache.r6gd.xlarge"), DataTieringEnabled: aws.Bool(true)})).must(t)
		cl := try(f.ec.CreateCacheCluster(ctx, &elasticache.CreateCacheClusterInput{CacheClusterId: aws.String("api-single")})).must(t).CacheCluster
		if *cl.CacheClusterStatus != "creating" || *cl.Engine != "redis" || aws.ToInt32(cl.NumCacheNodes) != 1 {
			t.Fatalf("minimal cluster: %+v", cl)
		}
		try(f.ec.CreateCacheCluster(ctx, &elasticache.CreateCacheClusterInput{CacheClusterId: aws.String("api-memcached"), Engine: aws.String("memcached"), NumCacheNodes: aws.Int32(3)})).must(t)
		sc := try(f.ec.CreateServerlessCache(ctx, &elasticache.CreateServerlessCacheInput{ServerlessCacheName: aws.String("api-serverless"), Engine: aws.String("valkey")})).must(t).ServerlessCache
		if *sc.Status != "creating" {
			t.Fatalf("serverless cache: %s", *sc.Status)
		}

		// Nothing snapshots while creating.
		_, err = f.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String("api-cmd"), SnapshotName: aws.String("too-early")})
		wantErr[*ectypes.InvalidReplicationGroupStateFault](t, err)
		_, err = f.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{CacheClusterId: aws.String("api-single"), SnapshotName: aws.String("too-early")})
		wantErr[*ectypes.InvalidCacheClusterStateFault](t, err)
		_, err = f.ec.CreateServerlessCacheSnapshot(ctx, &elasticache.CreateServerlessCacheSnapshotInput{ServerlessCacheName: aws.String("api-serverless"), ServerlessCacheSnapshotName: aws.String("too-early")})
		wantErr[*ectypes.InvalidServerlessCacheStateFault](t, err)

		f.advance(10 * time.Minute)
		if g := f.groupStatus("api-cme"); *g.Status != "available" {
			t.Fatalf("api-cme after 10 min: %s", *g.Status)
		}
		if st := f.clusterStatus("api-single"); st != "available" {
			t.Fatalf("api-single after 10 min: %s", st)
		}
		try(f.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String("api-cme"), SnapshotName: aws.String("api-cme-1")})).must(t)
		try(f.ec.CreateServerlessCacheSnapshot(ctx, &elasticache.CreateServerlessCacheSnapshotInput{ServerlessCacheName: aws.String("api-serverless"), ServerlessCacheSnapshotName: aws.String("api-serverless-1")})).must(t)
		f.advance(time.Hour)

		// Deletes: with a final snapshot, the group goes once it is taken.
		del := try(f.ec.DeleteReplicationGroup(ctx, &elasticache.DeleteReplicationGroupInput{ReplicationGroupId: aws.String("api-cmd"), FinalSnapshotIdentifier: aws.String("api-cmd-final")})).must(t).ReplicationGroup
		if *del.Status != "deleting" {
			t.Errorf("DeleteReplicationGroup answered %s", *del.Status)
		}
		if st := f.ecStatus("api-cmd-final"); st != "creating" {
			t.Errorf("final snapshot: %s", st)
		}
		_, err = f.ec.DeleteCacheCluster(ctx, &elasticache.DeleteCacheClusterInput{CacheClusterId: aws.String("api-memcached"), FinalSnapshotIdentifier: aws.String("nope")})
		wantErr[*ectypes.SnapshotFeatureNotSupportedFault](t, err)
		_, err = f.ec.DeleteCacheCluster(ctx, &elasticache.DeleteCacheClusterInput{CacheClusterId: aws.String("api-cme-0001-001")})
		wantErr[*ectypes.InvalidCacheClusterStateFault](t, err) // a member: delete the group
		try(f.ec.DeleteCacheCluster(ctx, &elasticache.DeleteCacheClusterInput{CacheClusterId: aws.String("api-single")})).must(t)
		try(f.ec.DeleteServerlessCache(ctx, &elasticache.DeleteServerlessCacheInput{ServerlessCacheName: aws.String("api-serverless")})).must(t)
		f.advance(time.Hour)
		_, err = f.ec.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String("api-cmd")})
		wantErr[*ectypes.ReplicationGroupNotFoundFault](t, err)
		_, err = f.ec.DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{CacheClusterId: aws.String("api-single")})
		wantErr[*ectypes.CacheClusterNotFoundFault](t, err)
		_, err = f.ec.DescribeServerlessCaches(ctx, &elasticache.DescribeServerlessCachesInput{ServerlessCacheName: aws.String("api-serverless")})
		wantErr[*ectypes.ServerlessCacheNotFoundFault](t, err)
		// Snapshots outlive their sources.
		if st := f.ecStatus("api-cmd-final"); st != "available" {
			t.Errorf("final snapshot after the group went: %s", st)
		}
		if st := f.slStatus("api-serverless-1"); st != "available" {
			t.Errorf("serverless snapshot after the cache went: %s", st)
		}
	})

	t.Run("MemoryDB", func(t *testing.T) {
		cl := try(f.mdb.CreateCluster(ctx, &memorydb.CreateClusterInput{ClusterName: aws.String("api-mdb"), NodeType: aws.String("db.r7g.large"), ACLName: aws.String("open-access")})).must(t).Cluster
		if *cl.Status != "creating" || aws.ToInt32(cl.NumberOfShards) != 1 {
			t.Fatalf("minimal cluster: %+v", cl)
		}
		_, err := f.mdb.CreateCluster(ctx, &memorydb.CreateClusterInput{ClusterName: aws.String("api-mdb"), NodeType: aws.String("db.r7g.large"), ACLName: aws.String("open-access")})
		wantErr[*mdbtypes.ClusterAlreadyExistsFault](t, err)
		_, err = f.mdb.CreateCluster(ctx, &memorydb.CreateClusterInput{ClusterName: aws.String("api-acl"), NodeType: aws.String("db.r7g.large"), ACLName: aws.String("my-acl")})
		wantErr[*mdbtypes.ACLNotFoundFault](t, err)
		_, err = f.mdb.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{ClusterName: aws.String("api-mdb"), SnapshotName: aws.String("too-early")})
		wantErr[*mdbtypes.InvalidClusterStateFault](t, err)
		f.advance(10 * time.Minute)
		if st := f.mdbClusterStatus("api-mdb"); st != "available" {
			t.Fatalf("after 10 min: %s", st)
		}
		del := try(f.mdb.DeleteCluster(ctx, &memorydb.DeleteClusterInput{ClusterName: aws.String("api-mdb"), FinalSnapshotName: aws.String("api-mdb-final")})).must(t).Cluster
		if *del.Status != "deleting" {
			t.Errorf("DeleteCluster answered %s", *del.Status)
		}
		f.advance(time.Hour)
		_, err = f.mdb.DescribeClusters(ctx, &memorydb.DescribeClustersInput{ClusterName: aws.String("api-mdb")})
		wantErr[*mdbtypes.ClusterNotFoundFault](t, err)
		if st := f.mdbStatus("api-mdb-final"); st != "available" {
			t.Errorf("final snapshot: %s", st)
		}
	})

	t.Run("Redshift Serverless", func(t *testing.T) {
		ns := try(f.rss.CreateNamespace(ctx, &redshiftserverless.CreateNamespaceInput{NamespaceName: aws.String("api-ns")})).must(t).Namespace
		if ns.Status != rsstypes.NamespaceStatusAvailable || aws.ToString(ns.DbName) != "dev" {
			t.Fatalf("minimal namespace: %+v", ns)
		}
		_, err := f.rss.CreateSnapshot(ctx, &redshiftserverless.CreateSnapshotInput{NamespaceName: aws.String("api-ns"), SnapshotName: aws.String("no-workgroup")})
		wantErr[*rsstypes.ValidationException](t, err)
		wg := try(f.rss.CreateWorkgroup(ctx, &redshiftserverless.CreateWorkgroupInput{NamespaceName: aws.String("api-ns"), WorkgroupName: aws.String("api-wg")})).must(t).Workgroup
		if wg.Status != rsstypes.WorkgroupStatusAvailable || aws.ToInt32(wg.BaseCapacity) != 128 {
			t.Fatalf("workgroup: %+v", wg)
		}
		_, err = f.rss.CreateWorkgroup(ctx, &redshiftserverless.CreateWorkgroupInput{NamespaceName: aws.String("api-ns"), WorkgroupName: aws.String("api-wg-2")})
		wantErr[*rsstypes.ConflictException](t, err) // one workgroup per namespace
		try(f.rss.CreateSnapshot(ctx, &redshiftserverless.CreateSnapshotInput{NamespaceName: aws.String("api-ns"), SnapshotName: aws.String("api-ns-1")})).must(t)
		f.advance(2 * time.Minute) // empty namespace: the model's 60 s base
		if st := f.rssSnapshot(f.rss, "api-ns-1").Status; st != rsstypes.SnapshotStatusAvailable {
			t.Fatalf("snapshot of an empty namespace after 2 min: %s", st)
		}
		_, err = f.rss.DeleteNamespace(ctx, &redshiftserverless.DeleteNamespaceInput{NamespaceName: aws.String("api-ns")})
		wantErr[*rsstypes.ConflictException](t, err) // the workgroup first
		try(f.rss.DeleteWorkgroup(ctx, &redshiftserverless.DeleteWorkgroupInput{WorkgroupName: aws.String("api-wg")})).must(t)
		del := try(f.rss.DeleteNamespace(ctx, &redshiftserverless.DeleteNamespaceInput{NamespaceName: aws.String("api-ns")})).must(t).Namespace
		if del.Status != rsstypes.NamespaceStatusDeleting {
			t.Errorf("DeleteNamespace answered %s", del.Status)
		}
		f.advance(time.Hour)
		_, err = f.rss.GetNamespace(ctx, &redshiftserverless.GetNamespaceInput{NamespaceName: aws.String("api-ns")})
		wantErr[*rsstypes.ResourceNotFoundException](t, err)
		f.rssSnapshot(f.rss, "api-ns-1") // snapshots outlive their namespace
	})
}
