package localelasticache

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// lastCall checks the record of the last call h served.
func (h *harness) lastCall(action string, want emu.Recorded) {
	h.t.Helper()
	calls := h.env.Recorder.Calls()
	if len(calls) == 0 {
		h.t.Fatal("no call recorded")
	}
	c := calls[len(calls)-1]
	if c.Action != action {
		h.t.Fatalf("last call %s, want %s", c.Action, action)
	}
	if len(c.Resources) > 0 && c.Resources[0] != c.Resource {
		h.t.Errorf("%s: resources %v do not start with the resource %q", action, c.Resources, c.Resource)
	}
	for _, d := range c.Recorded().Diff(want) {
		h.t.Errorf("%s: %s", action, d)
	}
}

func ecTags(kv ...string) []types.Tag {
	var out []types.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return out
}

const ecARN = "arn:aws:elasticache:us-east-1:123456789012:"

func TestRecordNodeSnapshots(t *testing.T) {
	h := newHarness(t)
	h.seed(`{"replicationGroups": [{"id": "orders", "snapshotSeconds": 10, "tags": {"backup": "nightly"}}]}`)
	managed := map[string]string{"snapflow:managed": "true"}

	_, err := h.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String("orders"),
		SnapshotName: aws.String("SF-1"), KmsKeyId: aws.String("alias/k"), Tags: ecTags("snapflow:managed", "true")})
	must(t, err)
	h.lastCall("CreateSnapshot", emu.Recorded{
		Resources:    []string{ecARN + "replicationgroup:orders", ecARN + "snapshot:sf-1"},
		Params:       map[string]string{"ReplicationGroupId": "orders", "SnapshotName": "SF-1", "KmsKeyId": "alias/k"},
		RequestTags:  managed,
		ResourceTags: map[string]string{"backup": "nightly"},
	})
	h.advance(10 * time.Second)

	_, err = h.ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String("sf-1"), TargetSnapshotName: aws.String("sfc-1"),
		Tags: ecTags("snapflow:managed", "true", "snapflow:copy-of", "sf-1")})
	must(t, err)
	h.lastCall("CopySnapshot", emu.Recorded{
		Resources:    []string{ecARN + "snapshot:sf-1", ecARN + "snapshot:sfc-1"},
		Params:       map[string]string{"SourceSnapshotName": "sf-1", "TargetSnapshotName": "sfc-1"},
		RequestTags:  map[string]string{"snapflow:managed": "true", "snapflow:copy-of": "sf-1"},
		ResourceTags: managed,
	})
	h.advance(10 * time.Second)

	h.store.add("exports", "us-east-1", "BucketOwnerPreferred", granted())
	_, err = exportTo(h, "sf-1", "exports/sf-1", "exports")
	must(t, err)
	h.lastCall("CopySnapshot", emu.Recorded{
		Resources:    []string{ecARN + "snapshot:sf-1", "arn:aws:s3:::exports"},
		Params:       map[string]string{"SourceSnapshotName": "sf-1", "TargetSnapshotName": "exports/sf-1", "TargetBucket": "exports"},
		RequestTags:  map[string]string{},
		ResourceTags: managed,
	})

	_, err = h.ec.AddTagsToResource(ctx, &elasticache.AddTagsToResourceInput{ResourceName: aws.String(ecARN + "snapshot:sfc-1"), Tags: ecTags("done", "yes")})
	must(t, err)
	h.lastCall("AddTagsToResource", emu.Recorded{
		Resources:    []string{ecARN + "snapshot:sfc-1"},
		Params:       map[string]string{"ResourceName": ecARN + "snapshot:sfc-1"},
		RequestTags:  map[string]string{"done": "yes"},
		ResourceTags: map[string]string{"snapflow:managed": "true", "snapflow:copy-of": "sf-1"},
	})
	_, err = h.ec.ListTagsForResource(ctx, &elasticache.ListTagsForResourceInput{ResourceName: aws.String(ecARN + "snapshot:sfc-1")})
	must(t, err)
	h.lastCall("ListTagsForResource", emu.Recorded{
		Resources:    []string{ecARN + "snapshot:sfc-1"},
		Params:       map[string]string{"ResourceName": ecARN + "snapshot:sfc-1"},
		ResourceTags: map[string]string{"snapflow:managed": "true", "snapflow:copy-of": "sf-1", "done": "yes"},
	})
	_, err = h.ec.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{ReplicationGroupId: aws.String("orders")})
	must(t, err)
	h.lastCall("DescribeSnapshots", emu.Recorded{
		Resources:    []string{ecARN + "replicationgroup:orders"},
		Params:       map[string]string{"ReplicationGroupId": "orders"},
		ResourceTags: map[string]string{"backup": "nightly"},
	})

	// The delete records the tags the snapshot had: the managed tag its
	// policy is conditioned on.
	_, err = h.ec.DeleteSnapshot(ctx, &elasticache.DeleteSnapshotInput{SnapshotName: aws.String("sfc-1")})
	must(t, err)
	h.lastCall("DeleteSnapshot", emu.Recorded{
		Resources:    []string{ecARN + "snapshot:sfc-1"},
		Params:       map[string]string{"SnapshotName": "sfc-1"},
		ResourceTags: map[string]string{"snapflow:managed": "true", "snapflow:copy-of": "sf-1", "done": "yes"},
	})
	// A snapshot that does not exist has no tags to record.
	_, err = h.ec.DeleteSnapshot(ctx, &elasticache.DeleteSnapshotInput{SnapshotName: aws.String("none")})
	wantErr[*types.SnapshotNotFoundFault](t, err)
	h.lastCall("DeleteSnapshot", emu.Recorded{Resources: []string{ecARN + "snapshot:none"}, Params: map[string]string{"SnapshotName": "none"}})
}

func TestRecordServerlessSnapshots(t *testing.T) {
	h := newHarness(t)
	h.seed(`{"serverlessCaches": [{"name": "carts", "snapshotSeconds": 10, "tags": {"backup": "nightly"}}]}`)
	managed := map[string]string{"snapflow:managed": "true"}
	sl := ecARN + "serverlesscachesnapshot:"

	_, err := h.ec.CreateServerlessCacheSnapshot(ctx, &elasticache.CreateServerlessCacheSnapshotInput{ServerlessCacheName: aws.String("carts"),
		ServerlessCacheSnapshotName: aws.String("sf-1"), Tags: ecTags("snapflow:managed", "true")})
	must(t, err)
	h.lastCall("CreateServerlessCacheSnapshot", emu.Recorded{
		Resources:    []string{ecARN + "serverlesscache:carts", sl + "sf-1"},
		Params:       map[string]string{"ServerlessCacheName": "carts", "ServerlessCacheSnapshotName": "sf-1"},
		RequestTags:  managed,
		ResourceTags: map[string]string{"backup": "nightly"},
	})
	h.advance(10 * time.Second)

	_, err = h.ec.CopyServerlessCacheSnapshot(ctx, &elasticache.CopyServerlessCacheSnapshotInput{SourceServerlessCacheSnapshotName: aws.String("sf-1"),
		TargetServerlessCacheSnapshotName: aws.String("sfc-1"), KmsKeyId: aws.String("alias/k")})
	must(t, err)
	h.lastCall("CopyServerlessCacheSnapshot", emu.Recorded{
		Resources:    []string{sl + "sf-1", sl + "sfc-1"},
		Params:       map[string]string{"SourceServerlessCacheSnapshotName": "sf-1", "TargetServerlessCacheSnapshotName": "sfc-1", "KmsKeyId": "alias/k"},
		RequestTags:  map[string]string{},
		ResourceTags: managed,
	})
	h.advance(10 * time.Second)

	h.store.add("exports", "us-east-1", "BucketOwnerPreferred", granted())
	_, err = h.ec.ExportServerlessCacheSnapshot(ctx, &elasticache.ExportServerlessCacheSnapshotInput{ServerlessCacheSnapshotName: aws.String("sf-1"),
		S3BucketName: aws.String("exports")})
	must(t, err)
	h.lastCall("ExportServerlessCacheSnapshot", emu.Recorded{
		Resources:    []string{sl + "sf-1", "arn:aws:s3:::exports"},
		Params:       map[string]string{"ServerlessCacheSnapshotName": "sf-1", "S3BucketName": "exports"},
		ResourceTags: managed,
	})

	_, err = h.ec.DescribeServerlessCacheSnapshots(ctx, &elasticache.DescribeServerlessCacheSnapshotsInput{ServerlessCacheSnapshotName: aws.String("sfc-1")})
	must(t, err)
	h.lastCall("DescribeServerlessCacheSnapshots", emu.Recorded{
		Resources:    []string{sl + "sfc-1"},
		Params:       map[string]string{"ServerlessCacheSnapshotName": "sfc-1"},
		ResourceTags: map[string]string{},
	})
	_, err = h.ec.DeleteServerlessCacheSnapshot(ctx, &elasticache.DeleteServerlessCacheSnapshotInput{ServerlessCacheSnapshotName: aws.String("sfc-1")})
	must(t, err)
	h.lastCall("DeleteServerlessCacheSnapshot", emu.Recorded{
		Resources:    []string{sl + "sfc-1"},
		Params:       map[string]string{"ServerlessCacheSnapshotName": "sfc-1"},
		ResourceTags: map[string]string{},
	})
}
