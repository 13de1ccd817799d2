package localmemorydb

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/memorydb"
	"github.com/aws/aws-sdk-go-v2/service/memorydb/types"
)

func TestClusterLifecycle(t *testing.T) {
	h := newHarness(t)
	c := h.client("us-east-1")

	out := must[*memorydb.CreateClusterOutput](t)(c.CreateCluster(ctx, &memorydb.CreateClusterInput{
		ClusterName: aws.String("Orders"), NodeType: aws.String("db.r7g.large"), ACLName: aws.String("open-access"),
		NumShards: aws.Int32(3), NumReplicasPerShard: aws.Int32(2),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("payments")}},
	}))
	cl := out.Cluster
	if aws.ToString(cl.Name) != "orders" || aws.ToString(cl.Status) != "creating" || aws.ToInt32(cl.NumberOfShards) != 3 {
		t.Fatalf("created %+v", cl)
	}
	if aws.ToString(cl.ARN) != "arn:aws:memorydb:us-east-1:123456789012:cluster/orders" || cl.DataTiering != types.DataTieringStatusFalse ||
		cl.AvailabilityMode != types.AZStatusMultiAZ || aws.ToString(cl.ACLName) != "open-access" {
		t.Fatalf("created %+v", cl)
	}

	// Still creating: no snapshot yet.
	_, err := c.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{ClusterName: aws.String("orders"), SnapshotName: aws.String("s1")})
	wantErr[*types.InvalidClusterStateFault](t, err)

	h.advance(DefaultClusterCreateDuration)
	got := h.clusterOf(c, "ORDERS", true)
	if aws.ToString(got.Status) != "available" || len(got.Shards) != 3 {
		t.Fatalf("after creation: %s, %d shards", aws.ToString(got.Status), len(got.Shards))
	}
	if s := got.Shards[2]; aws.ToString(s.Name) != "0003" || aws.ToString(s.Slots) != "10922-16383" ||
		aws.ToInt32(s.NumberOfNodes) != 3 || aws.ToString(s.Nodes[1].Name) != "0003-002" || s.Nodes[0].CreateTime == nil ||
		!s.Nodes[0].CreateTime.Equal(t0) {
		t.Fatalf("shard 3: %+v", s)
	}
	if got := h.clusterOf(c, "orders", false); got.Shards != nil {
		t.Fatalf("shards without ShowShardDetails: %+v", got.Shards)
	}

	_, err = c.CreateCluster(ctx, &memorydb.CreateClusterInput{ClusterName: aws.String("orders"), NodeType: aws.String("db.r7g.large"), ACLName: aws.String("open-access")})
	wantErr[*types.ClusterAlreadyExistsFault](t, err)

	del := must[*memorydb.DeleteClusterOutput](t)(c.DeleteCluster(ctx, &memorydb.DeleteClusterInput{ClusterName: aws.String("orders")}))
	if aws.ToString(del.Cluster.Status) != "deleting" {
		t.Fatalf("delete: %s", aws.ToString(del.Cluster.Status))
	}
	_, err = c.DeleteCluster(ctx, &memorydb.DeleteClusterInput{ClusterName: aws.String("orders")})
	wantErr[*types.InvalidClusterStateFault](t, err)
	h.advance(DefaultClusterDeleteDuration)
	_, err = c.DescribeClusters(ctx, &memorydb.DescribeClustersInput{ClusterName: aws.String("orders")})
	wantErr[*types.ClusterNotFoundFault](t, err)
	_, err = c.DeleteCluster(ctx, &memorydb.DeleteClusterInput{ClusterName: aws.String("orders")})
	wantErr[*types.ClusterNotFoundFault](t, err)
}

func TestCreateClusterValidation(t *testing.T) {
	h := newHarness(t)
	c := h.client("us-east-1")
	create := func(in memorydb.CreateClusterInput) error {
		if in.ACLName == nil {
			in.ACLName = aws.String("open-access")
		}
		if in.NodeType == nil {
			in.NodeType = aws.String("db.r7g.large")
		}
		_, err := c.CreateCluster(ctx, &in)
		return err
	}
	for _, name := range []string{"1abc", "a--b", "abc-", "a_b", strings.Repeat("a", 41)} {
		wantErr[*types.InvalidParameterValueException](t, create(memorydb.CreateClusterInput{ClusterName: aws.String(name)}))
	}
	wantErr[*types.InvalidParameterValueException](t, create(memorydb.CreateClusterInput{ClusterName: aws.String("x"), NodeType: aws.String("cache.r7g.large")}))
	wantErr[*types.ACLNotFoundFault](t, create(memorydb.CreateClusterInput{ClusterName: aws.String("x"), ACLName: aws.String("my-acl")}))
	// r6gd needs data tiering; data tiering needs r6gd.
	e := wantErr[*types.InvalidParameterCombinationException](t, create(memorydb.CreateClusterInput{ClusterName: aws.String("x"), NodeType: aws.String("db.r6gd.xlarge")}))
	if !strings.Contains(e.ErrorMessage(), "r6gd") {
		t.Fatalf("message %q", e.ErrorMessage())
	}
	wantErr[*types.InvalidParameterCombinationException](t, create(memorydb.CreateClusterInput{ClusterName: aws.String("x"), NodeType: aws.String("db.r6gd.xlarge"), DataTiering: aws.Bool(false)}))
	wantErr[*types.InvalidParameterCombinationException](t, create(memorydb.CreateClusterInput{ClusterName: aws.String("x"), DataTiering: aws.Bool(true)}))
	wantErr[*types.InvalidParameterValueException](t, create(memorydb.CreateClusterInput{ClusterName: aws.String("x"), NumReplicasPerShard: aws.Int32(6)}))
	wantErr[*types.NodeQuotaForClusterExceededFault](t, create(memorydb.CreateClusterInput{ClusterName: aws.String("x"), NumShards: aws.Int32(46), NumReplicasPerShard: aws.Int32(1)}))
	wantErr[*types.InvalidParameterValueException](t, create(memorydb.CreateClusterInput{ClusterName: aws.String("x"), Engine: aws.String("memcached")}))

	if err := create(memorydb.CreateClusterInput{ClusterName: aws.String("tiered"), NodeType: aws.String("db.r6gd.xlarge"), DataTiering: aws.Bool(true), Engine: aws.String("valkey")}); err != nil {
		t.Fatal(err)
	}
	cl := h.clusterOf(c, "tiered", false)
	if cl.DataTiering != types.DataTieringStatusTrue || aws.ToString(cl.Engine) != "valkey" || aws.ToString(cl.EngineVersion) != "7.2" ||
		aws.ToInt32(cl.NumberOfShards) != 1 || cl.AvailabilityMode != types.AZStatusMultiAZ {
		t.Fatalf("tiered: %+v", cl)
	}
}

func TestDescribeClustersPaginatorAndRegions(t *testing.T) {
	h := newHarness(t)
	c := h.client("us-east-1")
	for i := range 7 {
		if _, err := c.CreateCluster(ctx, &memorydb.CreateClusterInput{
			ClusterName: aws.String("c" + string(rune('a'+i))), NodeType: aws.String("db.t4g.small"), ACLName: aws.String("open-access"),
		}); err != nil {
			t.Fatal(err)
		}
	}
	p := memorydb.NewDescribeClustersPaginator(c, &memorydb.DescribeClustersInput{MaxResults: aws.Int32(3)})
	var names []string
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, cl := range out.Clusters {
			names = append(names, aws.ToString(cl.Name))
		}
	}
	if pages != 3 || strings.Join(names, ",") != "ca,cb,cc,cd,ce,cf,cg" {
		t.Fatalf("%d pages: %v", pages, names)
	}
	// Other regions see nothing.
	out := must[*memorydb.DescribeClustersOutput](t)(h.client("eu-west-1").DescribeClusters(ctx, &memorydb.DescribeClustersInput{}))
	if len(out.Clusters) != 0 {
		t.Fatalf("eu-west-1 sees %d clusters", len(out.Clusters))
	}
	_, err := h.client("eu-west-1").DescribeClusters(ctx, &memorydb.DescribeClustersInput{ClusterName: aws.String("ca")})
	wantErr[*types.ClusterNotFoundFault](t, err)
	_, err = c.DescribeClusters(ctx, &memorydb.DescribeClustersInput{NextToken: aws.String("garbage")})
	wantErr[*types.InvalidParameterValueException](t, err)
}

func TestDeleteClusterWithFinalSnapshot(t *testing.T) {
	h := newHarness(t)
	h.seed(`{"clusters":[{"name":"orders","nodeType":"db.r7g.large","snapshotSeconds":120},{"name":"other","nodeType":"db.r7g.large"}]}`)
	c := h.client("us-east-1")
	must[*memorydb.CreateSnapshotOutput](t)(c.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{ClusterName: aws.String("other"), SnapshotName: aws.String("taken")}))
	_, err := c.DeleteCluster(ctx, &memorydb.DeleteClusterInput{ClusterName: aws.String("orders"), FinalSnapshotName: aws.String("taken")})
	wantErr[*types.SnapshotAlreadyExistsFault](t, err)

	del := must[*memorydb.DeleteClusterOutput](t)(c.DeleteCluster(ctx, &memorydb.DeleteClusterInput{ClusterName: aws.String("orders"), FinalSnapshotName: aws.String("final")}))
	if aws.ToString(del.Cluster.Status) != "deleting" {
		t.Fatalf("status %s", aws.ToString(del.Cluster.Status))
	}
	if s := h.snapshotOf(c, "final", false); aws.ToString(s.Status) != "creating" || aws.ToString(s.Source) != "manual" {
		t.Fatalf("final snapshot %+v", s)
	}
	h.advance(2 * time.Minute)
	if s := h.snapshotOf(c, "final", false); aws.ToString(s.Status) != "available" {
		t.Fatalf("final snapshot %s", aws.ToString(s.Status))
	}
	if st := aws.ToString(h.clusterOf(c, "orders", false).Status); st != "deleting" {
		t.Fatalf("cluster %s", st)
	}
	h.advance(DefaultClusterDeleteDuration)
	_, err = c.DescribeClusters(ctx, &memorydb.DescribeClustersInput{ClusterName: aws.String("orders")})
	wantErr[*types.ClusterNotFoundFault](t, err)
	// Manual snapshots outlive the cluster.
	if s := h.snapshotOf(c, "final", true); aws.ToString(s.ClusterConfiguration.Name) != "orders" {
		t.Fatalf("final snapshot after delete: %+v", s)
	}
}

func TestUnknownOperationAndBadJSON(t *testing.T) {
	h := newHarness(t)
	post := func(target, body string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL, strings.NewReader(body))
		req.Header.Set("X-Amz-Target", target)
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := post("AmazonMemoryDB.CreateUser", "{}"); code != 400 || !strings.Contains(body, "UnknownOperationException") {
		t.Fatalf("%d %s", code, body)
	}
	if code, body := post("AmazonMemoryDB.DescribeClusters", "{not json"); code != 400 || !strings.Contains(body, "SerializationException") {
		t.Fatalf("%d %s", code, body)
	}
	if code, body := post("AmazonMemoryDB.CreateSnapshot", `{"SnapshotName":"x"}`); code != 400 || !strings.Contains(body, "InvalidParameterValueException") {
		t.Fatalf("%d %s", code, body)
	}
	// The wire keys are PascalCase and timestamps epoch seconds.
	h.seed(`{"clusters":[{"name":"wire","nodeType":"db.r7g.large"}]}`)
	code, body := post("AmazonMemoryDB.DescribeClusters", `{"ClusterName":"wire","ShowShardDetails":true}`)
	if code != 200 || !strings.Contains(body, `"NumberOfShards":1`) || !strings.Contains(body, `"CreateTime":1772366400`) {
		t.Fatalf("%d %s", code, body)
	}
}
