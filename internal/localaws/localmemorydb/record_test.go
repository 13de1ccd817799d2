package localmemorydb

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/memorydb"
	"github.com/aws/aws-sdk-go-v2/service/memorydb/types"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// lastCall checks what the last call h served recorded on its request
// (what the router copies into the call's record).
func (h *harness) lastCall(action string, want emu.Recorded) {
	h.t.Helper()
	h.mu.Lock()
	req := h.calls[len(h.calls)-1]
	h.mu.Unlock()
	if req.Action != action {
		h.t.Fatalf("last call %s, want %s", req.Action, action)
	}
	for _, d := range req.Recorded().Diff(want) {
		h.t.Errorf("%s: %s", action, d)
	}
}

func mdbTags(kv ...string) []types.Tag {
	var out []types.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return out
}

func TestRecordSnapshots(t *testing.T) {
	h := newHarness(t)
	h.seed(`{"clusters":[{"name":"ledger","nodeType":"db.r7g.large","numShards":2,"snapshotSeconds":60,"tags":{"backup":"nightly"}}]}`)
	c := h.client("us-east-1")
	arn := "arn:aws:memorydb:us-east-1:" + emu.DefaultAccountID + ":"
	managed := map[string]string{"snapflow:managed": "true"}

	must[*memorydb.CreateSnapshotOutput](t)(c.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{ClusterName: aws.String("ledger"),
		SnapshotName: aws.String("SF-1"), KmsKeyId: aws.String("alias/k"), Tags: mdbTags("snapflow:managed", "true")}))
	h.lastCall("CreateSnapshot", emu.Recorded{
		Resources:    []string{arn + "cluster/ledger", arn + "snapshot/sf-1"},
		Params:       map[string]string{"ClusterName": "ledger", "SnapshotName": "SF-1", "KmsKeyId": "alias/k"},
		RequestTags:  managed,
		ResourceTags: map[string]string{"backup": "nightly"},
	})
	h.advance(time.Minute)

	must[*memorydb.CopySnapshotOutput](t)(c.CopySnapshot(ctx, &memorydb.CopySnapshotInput{SourceSnapshotName: aws.String("sf-1"),
		TargetSnapshotName: aws.String("sfc-1"), Tags: mdbTags("snapflow:managed", "true", "snapflow:copy-of", "sf-1")}))
	h.lastCall("CopySnapshot", emu.Recorded{
		Resources:    []string{arn + "snapshot/sf-1", arn + "snapshot/sfc-1"},
		Params:       map[string]string{"SourceSnapshotName": "sf-1", "TargetSnapshotName": "sfc-1"},
		RequestTags:  map[string]string{"snapflow:managed": "true", "snapflow:copy-of": "sf-1"},
		ResourceTags: managed,
	})
	h.advance(time.Minute)

	h.store.add("exports", "us-east-1", "BucketOwnerPreferred", exportActions...)
	must[*memorydb.CopySnapshotOutput](t)(exportTo(c, "sf-1", "exports/sf-1", "exports"))
	h.lastCall("CopySnapshot", emu.Recorded{
		Resources:    []string{arn + "snapshot/sf-1", "arn:aws:s3:::exports"},
		Params:       map[string]string{"SourceSnapshotName": "sf-1", "TargetSnapshotName": "exports/sf-1", "TargetBucket": "exports"},
		RequestTags:  map[string]string{},
		ResourceTags: managed,
	})

	must[*memorydb.TagResourceOutput](t)(c.TagResource(ctx, &memorydb.TagResourceInput{ResourceArn: aws.String(arn + "snapshot/sfc-1"), Tags: mdbTags("done", "yes")}))
	h.lastCall("TagResource", emu.Recorded{
		Resources:    []string{arn + "snapshot/sfc-1"},
		Params:       map[string]string{"ResourceArn": arn + "snapshot/sfc-1"},
		RequestTags:  map[string]string{"done": "yes"},
		ResourceTags: map[string]string{"snapflow:managed": "true", "snapflow:copy-of": "sf-1"},
	})
	all := map[string]string{"snapflow:managed": "true", "snapflow:copy-of": "sf-1", "done": "yes"}
	must[*memorydb.ListTagsOutput](t)(c.ListTags(ctx, &memorydb.ListTagsInput{ResourceArn: aws.String(arn + "snapshot/sfc-1")}))
	h.lastCall("ListTags", emu.Recorded{
		Resources:    []string{arn + "snapshot/sfc-1"},
		Params:       map[string]string{"ResourceArn": arn + "snapshot/sfc-1"},
		ResourceTags: all,
	})
	must[*memorydb.DescribeSnapshotsOutput](t)(c.DescribeSnapshots(ctx, &memorydb.DescribeSnapshotsInput{ClusterName: aws.String("ledger")}))
	h.lastCall("DescribeSnapshots", emu.Recorded{
		Resources:    []string{arn + "cluster/ledger"},
		Params:       map[string]string{"ClusterName": "ledger"},
		ResourceTags: map[string]string{"backup": "nightly"},
	})

	// The delete records the tags the snapshot had before it.
	must[*memorydb.DeleteSnapshotOutput](t)(c.DeleteSnapshot(ctx, &memorydb.DeleteSnapshotInput{SnapshotName: aws.String("sfc-1")}))
	h.lastCall("DeleteSnapshot", emu.Recorded{
		Resources:    []string{arn + "snapshot/sfc-1"},
		Params:       map[string]string{"SnapshotName": "sfc-1"},
		ResourceTags: all,
	})
	_, err := c.DeleteSnapshot(ctx, &memorydb.DeleteSnapshotInput{SnapshotName: aws.String("none")})
	wantErr[*types.SnapshotNotFoundFault](t, err)
	h.lastCall("DeleteSnapshot", emu.Recorded{Resources: []string{arn + "snapshot/none"}, Params: map[string]string{"SnapshotName": "none"}})
}
