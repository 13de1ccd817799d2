package localmemorydb

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/memorydb"
	"github.com/aws/aws-sdk-go-v2/service/memorydb/types"
)

func TestSnapshotLifecycle(t *testing.T) {
	h := newHarness(t)
	// 600 MB at the default model (60 s + 10 MB/s) takes 120 s.
	h.seed(`{"clusters":[{"name":"orders","nodeType":"db.r7g.large","numShards":2,"numReplicasPerShard":1,"dataSizeMB":600,"kmsKeyId":"key-1"}]}`)
	c := h.client("us-east-1")

	out := must[*memorydb.CreateSnapshotOutput](t)(c.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{
		ClusterName: aws.String("orders"), SnapshotName: aws.String("Nightly-1"),
		Tags: []types.Tag{{Key: aws.String("policy"), Value: aws.String("daily")}},
	}))
	sn := out.Snapshot
	if aws.ToString(sn.Name) != "nightly-1" || aws.ToString(sn.Status) != "creating" || aws.ToString(sn.Source) != "manual" ||
		aws.ToString(sn.ARN) != "arn:aws:memorydb:us-east-1:123456789012:snapshot/nightly-1" || aws.ToString(sn.KmsKeyId) != "key-1" ||
		sn.DataTiering != types.DataTieringStatusFalse || aws.ToString(sn.ClusterConfiguration.Name) != "orders" ||
		aws.ToInt32(sn.ClusterConfiguration.NumShards) != 2 {
		t.Fatalf("created %+v", sn)
	}
	if st := aws.ToString(h.clusterOf(c, "orders", false).Status); st != "snapshotting" {
		t.Fatalf("cluster status %s", st)
	}

	// While the snapshot runs, the cluster rejects a second snapshot, a
	// deletion and tag changes; the snapshot cannot be deleted.
	_, err := c.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{ClusterName: aws.String("orders"), SnapshotName: aws.String("nightly-2")})
	e := wantErr[*types.InvalidClusterStateFault](t, err)
	if !strings.Contains(e.ErrorMessage(), "snapshotting") {
		t.Fatalf("message %q", e.ErrorMessage())
	}
	_, err = c.DeleteCluster(ctx, &memorydb.DeleteClusterInput{ClusterName: aws.String("orders")})
	wantErr[*types.InvalidClusterStateFault](t, err)
	_, err = c.TagResource(ctx, &memorydb.TagResourceInput{ResourceArn: aws.String("arn:aws:memorydb:us-east-1:123456789012:cluster/orders"), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	wantErr[*types.InvalidClusterStateFault](t, err)
	_, err = c.DeleteSnapshot(ctx, &memorydb.DeleteSnapshotInput{SnapshotName: aws.String("nightly-1")})
	wantErr[*types.InvalidSnapshotStateFault](t, err)
	// The same name again is taken.
	_, err = c.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{ClusterName: aws.String("orders"), SnapshotName: aws.String("nightly-1")})
	wantErr[*types.SnapshotAlreadyExistsFault](t, err)

	// Shard details exist but are not complete while creating.
	d := h.snapshotOf(c, "nightly-1", true)
	if len(d.ClusterConfiguration.Shards) != 2 || d.ClusterConfiguration.Shards[0].SnapshotCreationTime != nil {
		t.Fatalf("details while creating: %+v", d.ClusterConfiguration.Shards)
	}

	h.advance(119 * time.Second)
	if st := aws.ToString(h.snapshotOf(c, "nightly-1", false).Status); st != "creating" {
		t.Fatalf("at 119 s: %s", st)
	}
	h.advance(time.Second)
	d = h.snapshotOf(c, "nightly-1", true)
	if aws.ToString(d.Status) != "available" || aws.ToString(h.clusterOf(c, "orders", false).Status) != "available" {
		t.Fatalf("at 120 s: %s", aws.ToString(d.Status))
	}
	sh := d.ClusterConfiguration.Shards[1]
	if aws.ToString(sh.Name) != "0002" || aws.ToString(sh.Configuration.Slots) != "8192-16383" || aws.ToInt32(sh.Configuration.ReplicaCount) != 1 ||
		sh.SnapshotCreationTime == nil || !sh.SnapshotCreationTime.Equal(t0) || aws.ToString(sh.Size) != "300.0 MB" {
		t.Fatalf("shard detail %+v", sh)
	}
	if d := h.snapshotOf(c, "nightly-1", false); d.ClusterConfiguration.Shards != nil {
		t.Fatalf("shards without ShowDetail")
	}

	del := must[*memorydb.DeleteSnapshotOutput](t)(c.DeleteSnapshot(ctx, &memorydb.DeleteSnapshotInput{SnapshotName: aws.String("nightly-1")}))
	if aws.ToString(del.Snapshot.Status) != "deleting" {
		t.Fatalf("delete: %s", aws.ToString(del.Snapshot.Status))
	}
	_, err = c.DeleteSnapshot(ctx, &memorydb.DeleteSnapshotInput{SnapshotName: aws.String("nightly-1")})
	wantErr[*types.InvalidSnapshotStateFault](t, err)
	h.advance(DefaultSnapshotDeleteDuration)
	_, err = c.DescribeSnapshots(ctx, &memorydb.DescribeSnapshotsInput{SnapshotName: aws.String("nightly-1")})
	wantErr[*types.SnapshotNotFoundFault](t, err)
	_, err = c.DeleteSnapshot(ctx, &memorydb.DeleteSnapshotInput{SnapshotName: aws.String("nightly-1")})
	wantErr[*types.SnapshotNotFoundFault](t, err)
	_, err = c.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{ClusterName: aws.String("nope"), SnapshotName: aws.String("x")})
	wantErr[*types.ClusterNotFoundFault](t, err)
	_, err = c.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{ClusterName: aws.String("orders"), SnapshotName: aws.String("bad--name")})
	wantErr[*types.InvalidParameterValueException](t, err)
}

func TestSnapshotQuotaPerCluster(t *testing.T) {
	h := newHarness(t)
	h.seed(`{"clusters":[{"name":"orders","nodeType":"db.r7g.large","snapshotSeconds":60},{"name":"other","nodeType":"db.r7g.large"}]}`)
	c := h.client("us-east-1")
	snap := func(cluster, name string) error {
		_, err := c.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{ClusterName: aws.String(cluster), SnapshotName: aws.String(name)})
		h.advance(time.Hour)
		return err
	}
	for i := range 20 {
		if err := snap("orders", fmt.Sprintf("s%d", i)); err != nil {
			t.Fatalf("snapshot %d: %v", i, err)
		}
	}
	// 20 hours after the first: the 21st is over the quota, on this cluster only.
	wantErr[*types.SnapshotQuotaExceededFault](t, snap("orders", "s20"))
	if err := snap("other", "o1"); err != nil {
		t.Fatal(err)
	}
	// Deleting snapshots does not give the quota back.
	must[*memorydb.DeleteSnapshotOutput](t)(c.DeleteSnapshot(ctx, &memorydb.DeleteSnapshotInput{SnapshotName: aws.String("s0")}))
	wantErr[*types.SnapshotQuotaExceededFault](t, snap("orders", "s21"))
	// 24 hours after the first, it has left the window.
	h.advance(2 * time.Hour)
	if err := snap("orders", "s22"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

func TestDescribeSnapshotsFiltersAndPaginator(t *testing.T) {
	h := newHarness(t)
	h.seed(`{"clusters":[{"name":"a","nodeType":"db.r7g.large","snapshotSeconds":1},{"name":"b","nodeType":"db.r7g.large","snapshotSeconds":1}]}`)
	c := h.client("us-east-1")
	for i := range 15 {
		for _, cl := range []string{"a", "b"} {
			must[*memorydb.CreateSnapshotOutput](t)(c.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{ClusterName: aws.String(cl), SnapshotName: aws.String(fmt.Sprintf("%s-%02d", cl, i))}))
		}
		h.advance(time.Second)
	}
	h.advance(24 * time.Hour)
	for i := 15; i < 30; i++ {
		for _, cl := range []string{"a", "b"} {
			must[*memorydb.CreateSnapshotOutput](t)(c.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{ClusterName: aws.String(cl), SnapshotName: aws.String(fmt.Sprintf("%s-%02d", cl, i))}))
		}
		h.advance(time.Second)
	}
	// 60 snapshots: the default page is 50.
	out := must[*memorydb.DescribeSnapshotsOutput](t)(c.DescribeSnapshots(ctx, &memorydb.DescribeSnapshotsInput{}))
	if len(out.Snapshots) != 50 || out.NextToken == nil {
		t.Fatalf("default page: %d, next %v", len(out.Snapshots), out.NextToken)
	}
	count := func(in *memorydb.DescribeSnapshotsInput) (n, pages int) {
		p := memorydb.NewDescribeSnapshotsPaginator(c, in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			n += len(out.Snapshots)
		}
		return n, pages
	}
	if n, pages := count(&memorydb.DescribeSnapshotsInput{MaxResults: aws.Int32(20)}); n != 60 || pages != 3 {
		t.Fatalf("all: %d in %d pages", n, pages)
	}
	if n, _ := count(&memorydb.DescribeSnapshotsInput{ClusterName: aws.String("a"), MaxResults: aws.Int32(7)}); n != 30 {
		t.Fatalf("cluster a: %d", n)
	}
	if n, _ := count(&memorydb.DescribeSnapshotsInput{Source: aws.String("user")}); n != 60 {
		t.Fatalf("user: %d", n)
	}
	if n, _ := count(&memorydb.DescribeSnapshotsInput{Source: aws.String("system")}); n != 0 {
		t.Fatalf("system: %d", n)
	}
	if n, _ := count(&memorydb.DescribeSnapshotsInput{ClusterName: aws.String("gone")}); n != 0 {
		t.Fatalf("unknown cluster: %d", n)
	}
	_, err := c.DescribeSnapshots(ctx, &memorydb.DescribeSnapshotsInput{Source: aws.String("manual")})
	wantErr[*types.InvalidParameterValueException](t, err)
	_, err = c.DescribeSnapshots(ctx, &memorydb.DescribeSnapshotsInput{SnapshotName: aws.String("nope")})
	wantErr[*types.SnapshotNotFoundFault](t, err)
	_, err = c.DescribeSnapshots(ctx, &memorydb.DescribeSnapshotsInput{MaxResults: aws.Int32(0)})
	wantErr[*types.InvalidParameterValueException](t, err)
	_, err = c.DescribeSnapshots(ctx, &memorydb.DescribeSnapshotsInput{NextToken: aws.String("x")})
	wantErr[*types.InvalidParameterValueException](t, err)
	// Names are case-insensitive (stored lowercase).
	if s := h.snapshotOf(c, "A-03", false); aws.ToString(s.Name) != "a-03" {
		t.Fatalf("got %s", aws.ToString(s.Name))
	}
	// Another region sees none of them.
	out = must[*memorydb.DescribeSnapshotsOutput](t)(h.client("us-west-2").DescribeSnapshots(ctx, &memorydb.DescribeSnapshotsInput{}))
	if len(out.Snapshots) != 0 {
		t.Fatalf("us-west-2: %d", len(out.Snapshots))
	}
}

func TestCopySnapshot(t *testing.T) {
	h := newHarness(t)
	h.seed(`{"clusters":[{"name":"orders","nodeType":"db.r7g.large","snapshotSeconds":100,"kmsKeyId":"key-1"}]}`)
	c := h.client("us-east-1")
	must[*memorydb.CreateSnapshotOutput](t)(c.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{ClusterName: aws.String("orders"), SnapshotName: aws.String("src")}))
	_, err := c.CopySnapshot(ctx, &memorydb.CopySnapshotInput{SourceSnapshotName: aws.String("src"), TargetSnapshotName: aws.String("dst")})
	wantErr[*types.InvalidSnapshotStateFault](t, err)
	h.advance(100 * time.Second)

	out := must[*memorydb.CopySnapshotOutput](t)(c.CopySnapshot(ctx, &memorydb.CopySnapshotInput{
		SourceSnapshotName: aws.String("src"), TargetSnapshotName: aws.String("DST"),
		Tags: []types.Tag{{Key: aws.String("copy"), Value: aws.String("yes")}},
	}))
	if aws.ToString(out.Snapshot.Name) != "dst" || aws.ToString(out.Snapshot.Status) != "creating" || aws.ToString(out.Snapshot.KmsKeyId) != "key-1" ||
		aws.ToString(out.Snapshot.Source) != "manual" || aws.ToString(out.Snapshot.ClusterConfiguration.Name) != "orders" {
		t.Fatalf("copy %+v", out.Snapshot)
	}
	if st := aws.ToString(h.snapshotOf(c, "src", false).Status); st != "copying" {
		t.Fatalf("source while copying: %s", st)
	}
	// The cluster is not involved in a copy.
	if st := aws.ToString(h.clusterOf(c, "orders", false).Status); st != "available" {
		t.Fatalf("cluster: %s", st)
	}
	_, err = c.DeleteSnapshot(ctx, &memorydb.DeleteSnapshotInput{SnapshotName: aws.String("src")})
	wantErr[*types.InvalidSnapshotStateFault](t, err)
	// A second copy from a snapshot being copied is allowed, with its own KMS key.
	out2 := must[*memorydb.CopySnapshotOutput](t)(c.CopySnapshot(ctx, &memorydb.CopySnapshotInput{
		SourceSnapshotName: aws.String("src"), TargetSnapshotName: aws.String("dst2"), KmsKeyId: aws.String("key-2"),
	}))
	if aws.ToString(out2.Snapshot.KmsKeyId) != "key-2" {
		t.Fatalf("kms override: %s", aws.ToString(out2.Snapshot.KmsKeyId))
	}
	_, err = c.CopySnapshot(ctx, &memorydb.CopySnapshotInput{SourceSnapshotName: aws.String("src"), TargetSnapshotName: aws.String("dst")})
	wantErr[*types.SnapshotAlreadyExistsFault](t, err)
	_, err = c.CopySnapshot(ctx, &memorydb.CopySnapshotInput{SourceSnapshotName: aws.String("nope"), TargetSnapshotName: aws.String("x")})
	wantErr[*types.SnapshotNotFoundFault](t, err)

	h.advance(100 * time.Second)
	if st := aws.ToString(h.snapshotOf(c, "dst", false).Status); st != "available" {
		t.Fatalf("copy after 100 s: %s", st)
	}
	if st := aws.ToString(h.snapshotOf(c, "src", false).Status); st != "available" {
		t.Fatalf("source after copies: %s", st)
	}
	tags := must[*memorydb.ListTagsOutput](t)(c.ListTags(ctx, &memorydb.ListTagsInput{ResourceArn: out.Snapshot.ARN}))
	if len(tags.TagList) != 1 || aws.ToString(tags.TagList[0].Key) != "copy" {
		t.Fatalf("copy tags %+v", tags.TagList)
	}
	// Copies do not count against the cluster's 24-hour snapshot quota and
	// the source can be deleted once copied.
	must[*memorydb.DeleteSnapshotOutput](t)(c.DeleteSnapshot(ctx, &memorydb.DeleteSnapshotInput{SnapshotName: aws.String("src")}))
}

func TestConcurrentCalls(t *testing.T) {
	h := newHarness(t)
	var seed strings.Builder
	seed.WriteString(`{"clusters":[`)
	for i := range 10 {
		if i > 0 {
			seed.WriteString(",")
		}
		fmt.Fprintf(&seed, `{"name":"c%d","nodeType":"db.r7g.large"}`, i)
	}
	seed.WriteString(`]}`)
	h.seed(seed.String())
	c := h.client("us-east-1")
	errs := make(chan error, 40)
	for i := range 10 {
		go func() {
			// Two snapshots of the same cluster at once: exactly one wins.
			_, err := c.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{ClusterName: aws.String(fmt.Sprintf("c%d", i)), SnapshotName: aws.String(fmt.Sprintf("a%d", i))})
			errs <- err
		}()
		go func() {
			_, err := c.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{ClusterName: aws.String(fmt.Sprintf("c%d", i)), SnapshotName: aws.String(fmt.Sprintf("b%d", i))})
			errs <- err
		}()
		go func() {
			_, err := c.DescribeSnapshots(ctx, &memorydb.DescribeSnapshotsInput{})
			errs <- err
		}()
		go func() {
			_, err := c.DescribeClusters(ctx, &memorydb.DescribeClustersInput{ShowShardDetails: aws.Bool(true)})
			errs <- err
		}()
	}
	busy := 0
	for range 40 {
		if err := <-errs; err != nil {
			wantErr[*types.InvalidClusterStateFault](t, err)
			busy++
		}
	}
	if busy != 10 {
		t.Fatalf("%d snapshots refused, want 10", busy)
	}
	out := must[*memorydb.DescribeSnapshotsOutput](t)(c.DescribeSnapshots(ctx, &memorydb.DescribeSnapshotsInput{}))
	if len(out.Snapshots) != 10 {
		t.Fatalf("%d snapshots", len(out.Snapshots))
	}
}
