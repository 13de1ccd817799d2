package localmemorydb

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/memorydb"
	"github.com/aws/aws-sdk-go-v2/service/memorydb/types"
)

func TestSeed(t *testing.T) {
	h := newHarness(t)
	h.seed(`{"clusters":[
		{"name":"orders","nodeType":"db.r7g.large","numShards":4,"numReplicasPerShard":0,"dataSizeMB":3000,"tags":{"team":"payments"}},
		{"name":"fast","nodeType":"db.t4g.small","dataSizeMB":999999,"snapshotSeconds":5,"engine":"valkey"},
		{"name":"tiered","nodeType":"db.r6gd.xlarge","dataTiering":true,"region":"eu-west-1"}]}`)
	c := h.client("us-east-1")

	cl := h.clusterOf(c, "orders", true)
	if aws.ToString(cl.Status) != "available" || len(cl.Shards) != 4 || cl.AvailabilityMode != types.AZStatusSingleAZ {
		t.Fatalf("orders %+v", cl)
	}
	tags := must[*memorydb.ListTagsOutput](t)(c.ListTags(ctx, &memorydb.ListTagsInput{ResourceArn: cl.ARN}))
	if m := tagMap(tags.TagList); m["team"] != "payments" {
		t.Fatalf("tags %v", m)
	}
	if _, err := c.DescribeClusters(ctx, &memorydb.DescribeClustersInput{ClusterName: aws.String("tiered")}); err == nil {
		t.Fatal("tiered seen in us-east-1")
	}
	tiered := h.clusterOf(h.client("eu-west-1"), "tiered", false)
	if tiered.DataTiering != types.DataTieringStatusTrue || aws.ToString(tiered.ARN) != "arn:aws:memorydb:eu-west-1:123456789012:cluster/tiered" {
		t.Fatalf("tiered %+v", tiered)
	}

	// dataSizeMB drives the duration (60 s + 3000 MB at 10 MB/s = 360 s);
	// snapshotSeconds overrides it.
	for _, name := range []string{"orders", "fast"} {
		must[*memorydb.CreateSnapshotOutput](t)(c.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{ClusterName: aws.String(name), SnapshotName: aws.String(name + "-snap")}))
	}
	h.advance(5 * time.Second)
	if st := aws.ToString(h.snapshotOf(c, "fast-snap", false).Status); st != "available" {
		t.Fatalf("fast after 5 s: %s", st)
	}
	h.advance(354 * time.Second)
	if st := aws.ToString(h.snapshotOf(c, "orders-snap", false).Status); st != "creating" {
		t.Fatalf("orders after 359 s: %s", st)
	}
	h.advance(time.Second)
	if st := aws.ToString(h.snapshotOf(c, "orders-snap", false).Status); st != "available" {
		t.Fatalf("orders after 360 s: %s", st)
	}
}

func TestSeedErrors(t *testing.T) {
	h := newHarness(t)
	err := h.svc.Seed("us-east-1", []byte(`{"clusters":[
		{"name":"ok","nodeType":"db.r7g.large"},
		{"name":"bad--name","nodeType":"db.r7g.large"},
		{"name":"tiering","nodeType":"db.r6gd.xlarge"},
		{"name":"ok","nodeType":"db.r7g.large"},
		{"name":"neg","nodeType":"db.r7g.large","dataSizeMB":-1}]}`))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`clusters[1] ("bad--name"): InvalidParameterValueException`,
		`clusters[2] ("tiering"): InvalidParameterCombinationException`,
		`clusters[3] ("ok"): ClusterAlreadyExistsFault`,
		`clusters[4] ("neg"): dataSizeMB`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if err := h.svc.Seed("us-east-1", []byte(`{"clusters":[{"name":"x","nodeTyp":"db.r7g.large"}]}`)); err == nil || !strings.Contains(err.Error(), "nodeTyp") {
		t.Fatalf("unknown field: %v", err)
	}
	if err := h.svc.Seed("us-east-1", []byte(`{"clusters":[{"name":"x","nodeType":"db.r7g.large","tags":{"aws:x":"y"}}]}`)); err == nil || !strings.Contains(err.Error(), `clusters[0] ("x")`) {
		t.Fatalf("reserved tag: %v", err)
	}
}
