package localaws_test

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	ectypes "github.com/aws/aws-sdk-go-v2/service/elasticache/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// TestCallRecordDetail checks that the router copies what the services
// record about a request into the call (Resources, Params, RequestTags,
// ResourceTags), and that the admin API's JSON keeps an empty map apart
// from an absent one.
func TestCallRecordDetail(t *testing.T) {
	t.Parallel()
	f := newFleet(t)
	f.aws.ResetCalls()
	ec := "arn:aws:elasticache:us-east-1:" + account + ":"
	try(f.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String("orders"), SnapshotName: aws.String("Rec-1"),
		Tags: []ectypes.Tag{{Key: aws.String("snapflow:managed"), Value: aws.String("true")}}})).must(t)
	f.advance(time.Hour)
	try(f.ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String("rec-1"), TargetSnapshotName: aws.String("rec-1-export"),
		TargetBucket: aws.String("snapflow-exports")})).must(t)
	f.advance(time.Hour)
	try(f.ec.DeleteSnapshot(ctx, &elasticache.DeleteSnapshotInput{SnapshotName: aws.String("rec-1")})).must(t)
	try(f.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("snapflow-exports")})).must(t)

	type want struct {
		action               string
		resources            []string
		params               map[string]string
		requestTags, resTags map[string]string
	}
	wants := []want{
		{"CreateSnapshot", []string{ec + "replicationgroup:orders", ec + "snapshot:rec-1"},
			map[string]string{"ReplicationGroupId": "orders", "SnapshotName": "Rec-1"},
			map[string]string{"snapflow:managed": "true"}, map[string]string{"team": "payments", "env": "prod", "backup": "daily"}},
		{"CopySnapshot", []string{ec + "snapshot:rec-1", "arn:aws:s3:::snapflow-exports"},
			map[string]string{"SourceSnapshotName": "rec-1", "TargetSnapshotName": "rec-1-export", "TargetBucket": "snapflow-exports"},
			map[string]string{}, map[string]string{"snapflow:managed": "true"}},
		{"DeleteSnapshot", []string{ec + "snapshot:rec-1"}, map[string]string{"SnapshotName": "rec-1"},
			nil, map[string]string{"snapflow:managed": "true"}},
		{"ListObjectsV2", []string{"arn:aws:s3:::snapflow-exports"}, nil, nil, nil},
	}
	check := func(how string, calls []emu.Call) {
		t.Helper()
		if len(calls) != len(wants) {
			t.Fatalf("%s: %d calls, want %d: %+v", how, len(calls), len(wants), calls)
		}
		for i, w := range wants {
			c := calls[i]
			if c.Action != w.action || !slices.Equal(c.Resources, w.resources) || c.Resources[0] != c.Resource {
				t.Errorf("%s: call %d %s resources %v (resource %q), want %s %v", how, i+1, c.Action, c.Resources, c.Resource, w.action, w.resources)
			}
			if (c.Params == nil) != (w.params == nil) || !maps.Equal(c.Params, w.params) {
				t.Errorf("%s: call %d %s params %v, want %v", how, i+1, c.Action, c.Params, w.params)
			}
			if (c.RequestTags == nil) != (w.requestTags == nil) || !maps.Equal(c.RequestTags, w.requestTags) {
				t.Errorf("%s: call %d %s request tags %#v, want %#v", how, i+1, c.Action, c.RequestTags, w.requestTags)
			}
			if (c.ResourceTags == nil) != (w.resTags == nil) || !maps.Equal(c.ResourceTags, w.resTags) {
				t.Errorf("%s: call %d %s resource tags %#v, want %#v", how, i+1, c.Action, c.ResourceTags, w.resTags)
			}
		}
	}
	check("Calls", f.aws.Calls())
	var viaAdmin []emu.Call
	if st := f.admin("GET", "calls", nil, &viaAdmin); st != 200 {
		t.Fatalf("GET calls: %d", st)
	}
	check("admin API", viaAdmin)
}
