package localredshiftserverless

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	rss "github.com/aws/aws-sdk-go-v2/service/redshiftserverless"
	"github.com/aws/aws-sdk-go-v2/service/redshiftserverless/types"
)

// recorded is what a call's record should say beyond its resource.
type recorded struct {
	resources                 []string
	params                    map[string]string // exactly these
	requestTags, resourceTags map[string]string // nil: not recorded
}

// lastCall checks what the last call h served recorded on its request
// (what the router copies into the call's record).
func (h *harness) lastCall(action string, want recorded) {
	h.t.Helper()
	h.mu.Lock()
	req := h.reqs[len(h.reqs)-1]
	h.mu.Unlock()
	if req.Action != action {
		h.t.Fatalf("last call %s, want %s", req.Action, action)
	}
	if got := req.AllResources(); !slices.Equal(got, want.resources) {
		h.t.Errorf("%s: resources %v, want %v", action, got, want.resources)
	}
	if !maps.Equal(req.Params, want.params) {
		h.t.Errorf("%s: params %v, want %v", action, req.Params, want.params)
	}
	for _, m := range []struct {
		what      string
		got, want map[string]string
	}{{"request tags", req.RequestTags, want.requestTags}, {"resource tags", req.ResourceTags, want.resourceTags}} {
		if (m.got == nil) != (m.want == nil) || !maps.Equal(m.got, m.want) {
			h.t.Errorf("%s: %s %#v, want %#v", action, m.what, m.got, m.want)
		}
	}
}

func rssTags(kv ...string) []types.Tag {
	var out []types.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return out
}

func TestRecordSnapshots(t *testing.T) {
	h := newHarness(t, Options{})
	c := h.east()
	ns := h.namespace(c, "analytics", 64)
	nsARN := aws.ToString(ns.NamespaceArn)
	if _, err := c.TagResource(ctx, &rss.TagResourceInput{ResourceArn: aws.String(nsARN), Tags: rssTags("backup", "nightly")}); err != nil {
		t.Fatal(err)
	}
	managed := map[string]string{"snapflow:managed": "true"}

	out, err := c.CreateSnapshot(ctx, &rss.CreateSnapshotInput{NamespaceName: aws.String("analytics"), SnapshotName: aws.String("sf-1"),
		RetentionPeriod: aws.Int32(7), Tags: rssTags("snapflow:managed", "true")})
	if err != nil {
		t.Fatal(err)
	}
	snARN := aws.ToString(out.Snapshot.SnapshotArn)
	// The new snapshot's ARN ends in a generated ID: recorded once known.
	h.lastCall("CreateSnapshot", recorded{
		resources:    []string{nsARN, snARN},
		params:       map[string]string{"namespaceName": "analytics", "snapshotName": "sf-1"},
		requestTags:  managed,
		resourceTags: map[string]string{"backup": "nightly"},
	})
	h.advance(time.Hour)

	h.get(c, "sf-1")
	h.lastCall("GetSnapshot", recorded{
		resources: []string{snARN}, params: map[string]string{"snapshotName": "sf-1"}, resourceTags: managed,
	})
	if _, err := c.ListSnapshots(ctx, &rss.ListSnapshotsInput{NamespaceName: aws.String("analytics")}); err != nil {
		t.Fatal(err)
	}
	h.lastCall("ListSnapshots", recorded{
		resources: []string{nsARN}, params: map[string]string{"namespaceName": "analytics"}, resourceTags: map[string]string{"backup": "nightly"},
	})
	if _, err := c.TagResource(ctx, &rss.TagResourceInput{ResourceArn: aws.String(snARN), Tags: rssTags("done", "yes")}); err != nil {
		t.Fatal(err)
	}
	h.lastCall("TagResource", recorded{
		resources: []string{snARN}, params: map[string]string{"resourceArn": snARN},
		requestTags: map[string]string{"done": "yes"}, resourceTags: managed,
	})
	all := map[string]string{"snapflow:managed": "true", "done": "yes"}
	if _, err := c.ListTagsForResource(ctx, &rss.ListTagsForResourceInput{ResourceArn: aws.String(snARN)}); err != nil {
		t.Fatal(err)
	}
	h.lastCall("ListTagsForResource", recorded{resources: []string{snARN}, params: map[string]string{"resourceArn": snARN}, resourceTags: all})

	// The delete records the tags the snapshot had before it.
	if _, err := c.DeleteSnapshot(ctx, &rss.DeleteSnapshotInput{SnapshotName: aws.String("sf-1")}); err != nil {
		t.Fatal(err)
	}
	h.lastCall("DeleteSnapshot", recorded{resources: []string{snARN}, params: map[string]string{"snapshotName": "sf-1"}, resourceTags: all})
	// A snapshot that does not exist: its name, no tags.
	_, err = c.DeleteSnapshot(ctx, &rss.DeleteSnapshotInput{SnapshotName: aws.String("sf-1")})
	wantCode(t, err, "ResourceNotFoundException")
	h.lastCall("DeleteSnapshot", recorded{resources: []string{"sf-1"}, params: map[string]string{"snapshotName": "sf-1"}})
}
