package localelasticache

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// recorded is what a call's record should say beyond its resource.
type recorded struct {
	resources                 []string
	params                    map[string]string
	requestTags, resourceTags map[string]string // nil: not recorded
}

// lastCall checks the record of the last call h served.
func (h *harness) lastCall(action string, want recorded) {
	h.t.Helper()
	calls := h.env.Recorder.Calls()
	if len(calls) == 0 {
		h.t.Fatal("no call recorded")
	}
	c := calls[len(calls)-1]
	if c.Action != action {
		h.t.Fatalf("last call %s, want %s", c.Action, action)
	}
	checkRecord(h.t, c, want)
}

func checkRecord(t *testing.T, c emu.Call, want recorded) {
	t.Helper()
	if !slices.Equal(c.Resources, want.resources) || (len(c.Resources) > 0 && c.Resources[0] != c.Resource) {
		t.Errorf("%s: resources %v (resource %q), want %v", c.Action, c.Resources, c.Resource, want.resources)
	}
	if want.params != nil {
		for k, v := range want.params {
			if c.Params[k] != v {
				t.Errorf("%s: param %s = %q, want %q (params %v)", c.Action, k, c.Params[k], v, c.Params)
			}
		}
		for k := range c.Params {
			if _, ok := want.params[k]; !ok {
				t.Errorf("%s: param %s recorded, not expected (params %v)", c.Action, k, c.Params)
			}
		}
	}
	for _, m := range []struct {
		what      string
		got, want map[string]string
	}{{"request tags", c.RequestTags, want.requestTags}, {"resource tags", c.ResourceTags, want.resourceTags}} {
		if (m.got == nil) != (m.want == nil) || !maps.Equal(m.got, m.want) {
			t.Errorf("%s: %s %#v, want %#v", c.Action, m.what, m.got, m.want)
		}
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
	h.lastCall("CreateSnapshot", recorded{
		resources:    []string{ecARN + "replicationgroup:orders", ecARN + "snapshot:sf-1"},
		params:       map[string]string{"ReplicationGroupId": "orders", "SnapshotName": "SF-1", "KmsKeyId": "alias/k"},
		requestTags:  managed,
		resourceTags: map[string]string{"backup": "nightly"},
	})
	h.advance(10 * time.Second)

	_, err = h.ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String("sf-1"), TargetSnapshotName: aws.String("sfc-1"),
		Tags: ecTags("snapflow:managed", "true", "snapflow:copy-of", "sf-1")})
	must(t, err)
	h.lastCall("CopySnapshot", recorded{
		resources:    []string{ecARN + "snapshot:sf-1", ecARN + "snapshot:sfc-1"},
		params:       map[string]string{"SourceSnapshotName": "sf-1", "TargetSnapshotName": "sfc-1"},
		requestTags:  map[string]string{"snapflow:managed": "true", "snapflow:copy-of": "sf-1"},
		resourceTags: managed,
	})
	h.advance(10 * time.Second)

	h.store.add("exports", "us-east-1", "BucketOwnerPreferred", granted())
	_, err = exportTo(h, "sf-1", "exports/sf-1", "exports")
	must(t, err)
	h.lastCall("CopySnapshot", recorded{
		resources:    []string{ecARN + "snapshot:sf-1", "arn:aws:s3:::exports"},
		params:       map[string]string{"SourceSnapshotName": "sf-1", "TargetSnapshotName": "exports/sf-1", "TargetBucket": "exports"},
		requestTags:  map[string]string{},
		resourceTags: managed,
	})

	_, err = h.ec.AddTagsToResource(ctx, &elasticache.AddTagsToResourceInput{ResourceName: aws.String(ecARN + "snapshot:sfc-1"), Tags: ecTags("done", "yes")})
	must(t, err)
	h.lastCall("AddTagsToResource", recorded{
		resources:    []string{ecARN + "snapshot:sfc-1"},
		params:       map[string]string{"ResourceName": ecARN + "snapshot:sfc-1"},
		requestTags:  map[string]string{"done": "yes"},
		resourceTags: map[string]string{"snapflow:managed": "true", "snapflow:copy-of": "sf-1"},
	})
	_, err = h.ec.ListTagsForResource(ctx, &elasticache.ListTagsForResourceInput{ResourceName: aws.String(ecARN + "snapshot:sfc-1")})
	must(t, err)
	h.lastCall("ListTagsForResource", recorded{
		resources:    []string{ecARN + "snapshot:sfc-1"},
		params:       map[string]string{"ResourceName": ecARN + "snapshot:sfc-1"},
		resourceTags: map[string]string{"snapflow:managed": "true", "snapflow:copy-of": "sf-1", "done": "yes"},
	})
	_, err = h.ec.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{ReplicationGroupId: aws.String("orders")})
	must(t, err)
	h.lastCall("DescribeSnapshots", recorded{
		resources:    []string{ecARN + "replicationgroup:orders"},
		params:       map[string]string{"ReplicationGroupId": "orders"},
		resourceTags: map[string]string{"backup": "nightly"},
	})

	// The delete records the tags the snapshot had: the managed tag its
	// policy is conditioned on.
	_, err = h.ec.DeleteSnapshot(ctx, &elasticache.DeleteSnapshotInput{SnapshotName: aws.String("sfc-1")})
	must(t, err)
	h.lastCall("DeleteSnapshot", recorded{
		resources:    []string{ecARN + "snapshot:sfc-1"},
		params:       map[string]string{"SnapshotName": "sfc-1"},
		resourceTags: map[string]string{"snapflow:managed": "true", "snapflow:copy-of": "sf-1", "done": "yes"},
	})
	// A snapshot that does not exist has no tags to record.
	_, err = h.ec.DeleteSnapshot(ctx, &elasticache.DeleteSnapshotInput{SnapshotName: aws.String("none")})
	wantErr[*types.SnapshotNotFoundFault](t, err)
	h.lastCall("DeleteSnapshot", recorded{resources: []string{ecARN + "snapshot:none"}, params: map[string]string{"SnapshotName": "none"}})
}

func TestRecordServerlessSnapshots(t *testing.T) {
	h := newHarness(t)
	h.seed(`{"serverlessCaches": [{"name": "carts", "snapshotSeconds": 10, "tags": {"backup": "nightly"}}]}`)
	managed := map[string]string{"snapflow:managed": "true"}
	sl := ecARN + "serverlesscachesnapshot:"

	_, err := h.ec.CreateServerlessCacheSnapshot(ctx, &elasticache.CreateServerlessCacheSnapshotInput{ServerlessCacheName: aws.String("carts"),
		ServerlessCacheSnapshotName: aws.String("sf-1"), Tags: ecTags("snapflow:managed", "true")})
	must(t, err)
	h.lastCall("CreateServerlessCacheSnapshot", recorded{
		resources:    []string{ecARN + "serverlesscache:carts", sl + "sf-1"},
		params:       map[string]string{"ServerlessCacheName": "carts", "ServerlessCacheSnapshotName": "sf-1"},
		requestTags:  managed,
		resourceTags: map[string]string{"backup": "nightly"},
	})
	h.advance(10 * time.Second)

	_, err = h.ec.CopyServerlessCacheSnapshot(ctx, &elasticache.CopyServerlessCacheSnapshotInput{SourceServerlessCacheSnapshotName: aws.String("sf-1"),
		TargetServerlessCacheSnapshotName: aws.String("sfc-1"), KmsKeyId: aws.String("alias/k")})
	must(t, err)
	h.lastCall("CopyServerlessCacheSnapshot", recorded{
		resources:    []string{sl + "sf-1", sl + "sfc-1"},
		params:       map[string]string{"SourceServerlessCacheSnapshotName": "sf-1", "TargetServerlessCacheSnapshotName": "sfc-1", "KmsKeyId": "alias/k"},
		requestTags:  map[string]string{},
		resourceTags: managed,
	})
	h.advance(10 * time.Second)

	h.store.add("exports", "us-east-1", "BucketOwnerPreferred", granted())
	_, err = h.ec.ExportServerlessCacheSnapshot(ctx, &elasticache.ExportServerlessCacheSnapshotInput{ServerlessCacheSnapshotName: aws.String("sf-1"),
		S3BucketName: aws.String("exports")})
	must(t, err)
	h.lastCall("ExportServerlessCacheSnapshot", recorded{
		resources:    []string{sl + "sf-1", "arn:aws:s3:::exports"},
		params:       map[string]string{"ServerlessCacheSnapshotName": "sf-1", "S3BucketName": "exports"},
		resourceTags: managed,
	})

	_, err = h.ec.DescribeServerlessCacheSnapshots(ctx, &elasticache.DescribeServerlessCacheSnapshotsInput{ServerlessCacheSnapshotName: aws.String("sfc-1")})
	must(t, err)
	h.lastCall("DescribeServerlessCacheSnapshots", recorded{
		resources:    []string{sl + "sfc-1"},
		params:       map[string]string{"ServerlessCacheSnapshotName": "sfc-1"},
		resourceTags: map[string]string{},
	})
	_, err = h.ec.DeleteServerlessCacheSnapshot(ctx, &elasticache.DeleteServerlessCacheSnapshotInput{ServerlessCacheSnapshotName: aws.String("sfc-1")})
	must(t, err)
	h.lastCall("DeleteServerlessCacheSnapshot", recorded{
		resources:    []string{sl + "sfc-1"},
		params:       map[string]string{"ServerlessCacheSnapshotName": "sfc-1"},
		resourceTags: map[string]string{},
	})
}
