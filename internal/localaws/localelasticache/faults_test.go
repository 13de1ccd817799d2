package localelasticache

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"

	"github.com/snapflow/snapflow/internal/awsclient"
	"github.com/snapflow/snapflow/internal/localaws/emu"
)

func faultFixture(t *testing.T) *harness {
	h := newHarness(t)
	h.seed(`{"replicationGroups": [{"id": "rg", "snapshotSeconds": 10}],
	         "cacheClusters": [{"id": "cc", "snapshotSeconds": 10}],
	         "serverlessCaches": [{"name": "sc", "snapshotSeconds": 10}]}`)
	return h
}

func TestThrottleAndRateLimit(t *testing.T) {
	h := faultFixture(t)
	h.env.Faults.Add(emu.Fault{Service: "elasticache", Action: "DescribeSnapshots", Kind: emu.FaultThrottle, Count: 1})
	_, err := h.ec.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{})
	wantCode(t, err, "APICallRateForCustomerExceeded", 400, "")
	_, err = h.ec.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{})
	must(t, err)

	// The SDK's standard retryer does not retry this code: the error
	// reaches the caller even though the next attempt would succeed.
	std := elasticache.New(elasticache.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(h.url),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", ""),
		HTTPClient:  awsclient.HTTPClient(),
	})
	h.env.Faults.Add(emu.Fault{Service: "elasticache", Action: "DescribeSnapshots", Kind: emu.FaultThrottle, Count: 1})
	_, err = std.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{})
	wantCode(t, err, "APICallRateForCustomerExceeded", 400, "")

	// Token bucket in simulated time.
	h.env.Faults.SetRateLimit(emu.RateLimit{Service: "elasticache", Rate: 1, Burst: 2})
	for i := 0; i < 2; i++ {
		_, err = h.ec.DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{})
		must(t, err)
	}
	_, err = h.ec.DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{})
	wantCode(t, err, "APICallRateForCustomerExceeded", 400, "")
	h.advance(time.Second)
	_, err = h.ec.DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{})
	must(t, err)
}

func TestAccessDeniedAndInternalFaults(t *testing.T) {
	h := faultFixture(t)
	h.env.Faults.Add(emu.Fault{Service: "elasticache", Action: "CreateSnapshot", Kind: emu.FaultAccessDenied, Count: 1})
	_, err := h.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String("rg"), SnapshotName: aws.String("s")})
	wantCode(t, err, "AccessDenied", 403, "is not authorized to perform: elasticache:CreateSnapshot on resource: arn:aws:elasticache:us-east-1:123456789012:replicationgroup:rg")

	h.env.Faults.Add(emu.Fault{Service: "elasticache", Kind: emu.FaultInternal, Count: 1})
	_, err = h.ec.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{})
	wantCode(t, err, "InternalFailure", 500, "")

	// Faults match by resource.
	h.env.Faults.Add(emu.Fault{Service: "elasticache", Resource: "cluster:cc", Kind: emu.FaultInternal})
	_, err = h.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String("rg"), SnapshotName: aws.String("s")})
	must(t, err)
	_, err = h.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{CacheClusterId: aws.String("cc"), SnapshotName: aws.String("s2")})
	wantCode(t, err, "InternalFailure", 500, "")
	calls := h.env.Recorder.Calls()
	last := calls[len(calls)-1]
	if last.Resource != "arn:aws:elasticache:us-east-1:123456789012:cluster:cc" || last.Fault != "internal" || last.ErrorCode != "InternalFailure" {
		t.Fatalf("recorded: %+v", last)
	}
}

func TestBusyAndQuotaFaults(t *testing.T) {
	h := faultFixture(t)
	busy := func(action string) {
		h.env.Faults.Add(emu.Fault{Service: "elasticache", Action: action, Kind: emu.FaultBusy, Count: 1})
	}
	quota := func(action string) {
		h.env.Faults.Add(emu.Fault{Service: "elasticache", Action: action, Kind: emu.FaultQuota, Count: 1})
	}

	busy("CreateSnapshot")
	_, err := h.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String("rg"), SnapshotName: aws.String("s")})
	wantErr[*types.InvalidReplicationGroupStateFault](t, err)
	busy("CreateSnapshot")
	_, err = h.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{CacheClusterId: aws.String("cc"), SnapshotName: aws.String("s")})
	wantErr[*types.InvalidCacheClusterStateFault](t, err)
	busy("CreateServerlessCacheSnapshot")
	_, err = h.ec.CreateServerlessCacheSnapshot(ctx, &elasticache.CreateServerlessCacheSnapshotInput{ServerlessCacheName: aws.String("sc"), ServerlessCacheSnapshotName: aws.String("s")})
	wantErr[*types.InvalidServerlessCacheStateFault](t, err)
	quota("CreateSnapshot")
	_, err = h.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String("rg"), SnapshotName: aws.String("s")})
	wantErr[*types.SnapshotQuotaExceededFault](t, err)
	quota("CreateServerlessCacheSnapshot")
	_, err = h.ec.CreateServerlessCacheSnapshot(ctx, &elasticache.CreateServerlessCacheSnapshotInput{ServerlessCacheName: aws.String("sc"), ServerlessCacheSnapshotName: aws.String("s")})
	wantErr[*types.ServerlessCacheSnapshotQuotaExceededFault](t, err)

	// No fault left: both work, and their snapshots become available.
	_, err = h.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String("rg"), SnapshotName: aws.String("s")})
	must(t, err)
	_, err = h.ec.CreateServerlessCacheSnapshot(ctx, &elasticache.CreateServerlessCacheSnapshotInput{ServerlessCacheName: aws.String("sc"), ServerlessCacheSnapshotName: aws.String("s")})
	must(t, err)
	h.advance(10 * time.Second)
	busy("DeleteSnapshot")
	_, err = h.ec.DeleteSnapshot(ctx, &elasticache.DeleteSnapshotInput{SnapshotName: aws.String("s")})
	wantErr[*types.InvalidSnapshotStateFault](t, err)
	busy("DeleteServerlessCacheSnapshot")
	_, err = h.ec.DeleteServerlessCacheSnapshot(ctx, &elasticache.DeleteServerlessCacheSnapshotInput{ServerlessCacheSnapshotName: aws.String("s")})
	wantErr[*types.InvalidServerlessCacheSnapshotStateFault](t, err)
}

func TestSnapshotFailedFault(t *testing.T) {
	h := faultFixture(t)
	h.env.Faults.Add(emu.Fault{Service: "elasticache", Action: "CreateSnapshot", Resource: "replicationgroup:rg", Kind: emu.FaultSnapshotFailed, Count: 1})
	out, err := h.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String("rg"), SnapshotName: aws.String("bad")})
	must(t, err)
	if aws.ToString(out.Snapshot.SnapshotStatus) != "creating" || groupStatus(t, h, "rg") != "snapshotting" {
		t.Fatalf("while running: %q", aws.ToString(out.Snapshot.SnapshotStatus))
	}
	h.advance(10 * time.Second)
	if st := aws.ToString(describeSnapshot(t, h, "bad").SnapshotStatus); st != "failed" {
		t.Fatalf("failed snapshot: %q", st)
	}
	if groupStatus(t, h, "rg") != "available" {
		t.Fatal("group not available after a failed snapshot")
	}
	// A failed snapshot cannot be copied or exported, but can be deleted.
	_, err = h.ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String("bad"), TargetSnapshotName: aws.String("c")})
	wantErr[*types.InvalidSnapshotStateFault](t, err)
	_, err = h.ec.DeleteSnapshot(ctx, &elasticache.DeleteSnapshotInput{SnapshotName: aws.String("bad")})
	must(t, err)

	// Copies and serverless snapshots fail the same way.
	_, err = h.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{CacheClusterId: aws.String("cc"), SnapshotName: aws.String("good")})
	must(t, err)
	h.advance(10 * time.Second)
	h.env.Faults.Add(emu.Fault{Service: "elasticache", Action: "CopySnapshot", Kind: emu.FaultSnapshotFailed, Count: 1})
	_, err = h.ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String("good"), TargetSnapshotName: aws.String("good-copy")})
	must(t, err)
	h.env.Faults.Add(emu.Fault{Service: "elasticache", Action: "CreateServerlessCacheSnapshot", Kind: emu.FaultSnapshotFailed, Count: 1})
	_, err = h.ec.CreateServerlessCacheSnapshot(ctx, &elasticache.CreateServerlessCacheSnapshotInput{ServerlessCacheName: aws.String("sc"), ServerlessCacheSnapshotName: aws.String("sl-bad")})
	must(t, err)
	h.advance(10 * time.Second)
	if st := aws.ToString(describeSnapshot(t, h, "good-copy").SnapshotStatus); st != "failed" {
		t.Fatalf("copy: %q", st)
	}
	if st := aws.ToString(describeServerlessSnapshot(t, h, "sl-bad").Status); st != "failed" {
		t.Fatalf("serverless: %q", st)
	}
}

// TestWireFormat checks what the SDK does not show: the awsQuery envelope
// and the error document.
func TestWireFormat(t *testing.T) {
	h := faultFixture(t)
	post := func(form url.Values) (int, string) {
		resp, err := http.PostForm(h.url, form)
		must(t, err)
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return resp.StatusCode, b.String()
	}
	status, body := post(url.Values{"Action": {"DescribeSnapshots"}, "Version": {"2015-02-02"}})
	if status != 200 || !strings.Contains(body, `<DescribeSnapshotsResponse xmlns="http://elasticache.amazonaws.com/doc/2015-02-02/">`) ||
		!strings.Contains(body, "<DescribeSnapshotsResult>") || !strings.Contains(body, "<RequestId>") {
		t.Fatalf("%d %s", status, body)
	}
	status, body = post(url.Values{"Action": {"DescribeSnapshots"}, "Version": {"2015-02-02"}, "SnapshotName": {"ghost"}})
	if status != 404 || !strings.Contains(body, "<ErrorResponse") || !strings.Contains(body, "<Code>SnapshotNotFoundFault</Code>") || !strings.Contains(body, "<Type>Sender</Type>") {
		t.Fatalf("%d %s", status, body)
	}
	status, body = post(url.Values{"Action": {"RebootCacheCluster"}, "Version": {"2015-02-02"}})
	if status != 400 || !strings.Contains(body, "<Code>InvalidAction</Code>") {
		t.Fatalf("%d %s", status, body)
	}
	status, body = post(url.Values{"Action": {"CreateSnapshot"}, "Version": {"2015-02-02"}, "CacheClusterId": {"cc"}})
	if status != 400 || !strings.Contains(body, "<Code>MissingParameter</Code>") {
		t.Fatalf("%d %s", status, body)
	}
	status, body = post(url.Values{"Action": {"DescribeServerlessCaches"}, "Version": {"2015-02-02"}})
	if status != 200 || !strings.Contains(body, "<ServerlessCaches><member>") {
		t.Fatalf("%d %s", status, body)
	}
}
