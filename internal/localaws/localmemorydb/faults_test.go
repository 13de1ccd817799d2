package localmemorydb

import (
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/memorydb"
	"github.com/aws/aws-sdk-go-v2/service/memorydb/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

func httpStatus(t *testing.T, err error) int {
	t.Helper()
	var re *smithyhttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("no HTTP response in %v", err)
	}
	return re.HTTPStatusCode()
}

func TestFaults(t *testing.T) {
	h := newHarness(t)
	h.seed(`{"clusters":[{"name":"orders","nodeType":"db.r7g.large","snapshotSeconds":30}]}`)
	c := h.client("us-east-1")
	snap := func(name string) error {
		_, err := c.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{ClusterName: aws.String("orders"), SnapshotName: aws.String(name)})
		return err
	}
	faults := h.env.Faults

	// Throttling: MemoryDB's own code, an untyped error for CreateSnapshot
	// (the SDK types it only where the model lists it, e.g. FailoverShard).
	faults.Add(emu.Fault{Service: "memorydb", Action: "CreateSnapshot", Kind: emu.FaultThrottle, Count: 1})
	err := snap("s1")
	wantCode(t, err, "APICallRateForCustomerExceededFault")
	if s := httpStatus(t, err); s != 400 {
		t.Fatalf("throttle status %d", s)
	}
	// … through a rate limit too.
	faults.SetRateLimit(emu.RateLimit{Service: "memorydb", Action: "DescribeClusters", Rate: 1, Burst: 1})
	must[*memorydb.DescribeClustersOutput](t)(c.DescribeClusters(ctx, &memorydb.DescribeClustersInput{}))
	_, err = c.DescribeClusters(ctx, &memorydb.DescribeClustersInput{})
	wantCode(t, err, "APICallRateForCustomerExceededFault")
	h.advance(time.Second)
	must[*memorydb.DescribeClustersOutput](t)(c.DescribeClusters(ctx, &memorydb.DescribeClustersInput{}))
	faults.SetRateLimit(emu.RateLimit{Service: "memorydb", Action: "DescribeClusters"})

	// Internal failure: HTTP 500.
	faults.Add(emu.Fault{Service: "memorydb", Action: "DescribeSnapshots", Kind: emu.FaultInternal, Count: 1})
	_, err = c.DescribeSnapshots(ctx, &memorydb.DescribeSnapshotsInput{})
	wantCode(t, err, "InternalFailure")
	if s := httpStatus(t, err); s != 500 {
		t.Fatalf("internal status %d", s)
	}

	// Access denied.
	faults.Add(emu.Fault{Service: "memorydb", Action: "CreateSnapshot", Kind: emu.FaultAccessDenied, Count: 1})
	wantCode(t, snap("s1"), "AccessDeniedException")

	// Busy and quota, matched by resource.
	faults.Add(emu.Fault{Service: "memorydb", Resource: "cluster/orders", Kind: emu.FaultBusy, Count: 1})
	wantErr[*types.InvalidClusterStateFault](t, snap("s1"))
	faults.Add(emu.Fault{Service: "memorydb", Resource: "cluster/orders", Kind: emu.FaultQuota, Count: 1})
	wantErr[*types.SnapshotQuotaExceededFault](t, snap("s1"))
	// None of the faulted calls counted against the real quota or started
	// a snapshot.
	if st := aws.ToString(h.clusterOf(c, "orders", false).Status); st != "available" {
		t.Fatalf("cluster after faults: %s", st)
	}

	// A snapshot that ends failed; the cluster is usable again afterwards,
	// and a failed snapshot can be deleted.
	faults.Add(emu.Fault{Service: "memorydb", Action: "CreateSnapshot", Kind: emu.FaultSnapshotFailed, Count: 1})
	out := must[*memorydb.CreateSnapshotOutput](t)(c.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{ClusterName: aws.String("orders"), SnapshotName: aws.String("s1")}))
	if aws.ToString(out.Snapshot.Status) != "creating" {
		t.Fatalf("failing snapshot starts %s", aws.ToString(out.Snapshot.Status))
	}
	h.advance(30 * time.Second)
	if st := aws.ToString(h.snapshotOf(c, "s1", true).Status); st != "failed" {
		t.Fatalf("failed snapshot: %s", st)
	}
	_, err = c.CopySnapshot(ctx, &memorydb.CopySnapshotInput{SourceSnapshotName: aws.String("s1"), TargetSnapshotName: aws.String("c1")})
	wantErr[*types.InvalidSnapshotStateFault](t, err)
	must[*memorydb.CreateSnapshotOutput](t)(c.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{ClusterName: aws.String("orders"), SnapshotName: aws.String("s2")}))
	must[*memorydb.DeleteSnapshotOutput](t)(c.DeleteSnapshot(ctx, &memorydb.DeleteSnapshotInput{SnapshotName: aws.String("s1")}))
	h.advance(30 * time.Second)

	// Busy on a snapshot operation is the snapshot's invalid-state fault.
	faults.Add(emu.Fault{Service: "memorydb", Action: "DeleteSnapshot", Kind: emu.FaultBusy, Count: 1})
	_, err = c.DeleteSnapshot(ctx, &memorydb.DeleteSnapshotInput{SnapshotName: aws.String("s2")})
	wantErr[*types.InvalidSnapshotStateFault](t, err)

	// A copy that ends failed.
	faults.Add(emu.Fault{Service: "memorydb", Action: "CopySnapshot", Kind: emu.FaultSnapshotFailed, Count: 1})
	must[*memorydb.CopySnapshotOutput](t)(c.CopySnapshot(ctx, &memorydb.CopySnapshotInput{SourceSnapshotName: aws.String("s2"), TargetSnapshotName: aws.String("c2")}))
	h.advance(30 * time.Second)
	if st := aws.ToString(h.snapshotOf(c, "c2", false).Status); st != "failed" {
		t.Fatalf("failed copy: %s", st)
	}

	// Every call recorded its resource and, for faults, the fault kind.
	var kinds []string
	for _, r := range h.calls {
		if r.Fault != "" {
			kinds = append(kinds, r.Fault+":"+r.ErrorCode)
		}
	}
	want := []string{
		"throttle:APICallRateForCustomerExceededFault", "rate-limit:APICallRateForCustomerExceededFault",
		"internal:InternalFailure", "access-denied:AccessDeniedException", "busy:InvalidClusterStateFault",
		"quota:SnapshotQuotaExceededFault", "snapshot-failed:", "busy:InvalidSnapshotStateFault", "snapshot-failed:",
	}
	if len(kinds) != len(want) {
		t.Fatalf("faults recorded %v", kinds)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("faults recorded %v, want %v", kinds, want)
		}
	}
	if r := h.calls[0]; r.Resource != "arn:aws:memorydb:us-east-1:123456789012:cluster/orders" {
		t.Fatalf("resource %q", r.Resource)
	}
}
