package localredshiftserverless

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	rss "github.com/aws/aws-sdk-go-v2/service/redshiftserverless"
	"github.com/aws/aws-sdk-go-v2/service/redshiftserverless/types"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// lastCall checks what the last call h served recorded on its request
// (what the router copies into the call's record).
func (h *harness) lastCall(action string, want emu.Recorded) {
	h.t.Helper()
	h.mu.Lock()
	req := h.reqs[len(h.reqs)-1]
	h.mu.Unlock()
	if req.Action != action {
		h.t.Fatalf("last call %s, want %s", req.Action, action)
	}
	for _, d := range req.Recorded().Diff(want) {
		h.t.Errorf("%s: %s", action, d)
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
	h.lastCall("CreateSnapshot", emu.Recorded{
		Resources:    []string{nsARN, snARN},
		Params:       map[string]string{"namespaceName": "analytics", "snapshotName": "sf-1"},
		RequestTags:  managed,
		ResourceTags: map[string]string{"backup": "nightly"},
	})
	h.advance(time.Hour)

	h.get(c, "sf-1")
	h.lastCall("GetSnapshot", emu.Recorded{
		Resources: []string{snARN}, Params: map[string]string{"snapshotName": "sf-1"}, ResourceTags: managed,
	})
	if _, err := c.ListSnapshots(ctx, &rss.ListSnapshotsInput{NamespaceName: aws.String("analytics")}); err != nil {
		t.Fatal(err)
	}
	h.lastCall("ListSnapshots", emu.Recorded{
		Resources: []string{nsARN}, Params: map[string]string{"namespaceName": "analytics"}, ResourceTags: map[string]string{"backup": "nightly"},
	})
	if _, err := c.TagResource(ctx, &rss.TagResourceInput{ResourceArn: aws.String(snARN), Tags: rssTags("done", "yes")}); err != nil {
		t.Fatal(err)
	}
	h.lastCall("TagResource", emu.Recorded{
		Resources: []string{snARN}, Params: map[string]string{"resourceArn": snARN},
		RequestTags: map[string]string{"done": "yes"}, ResourceTags: managed,
	})
	all := map[string]string{"snapflow:managed": "true", "done": "yes"}
	if _, err := c.ListTagsForResource(ctx, &rss.ListTagsForResourceInput{ResourceArn: aws.String(snARN)}); err != nil {
		t.Fatal(err)
	}
	h.lastCall("ListTagsForResource", emu.Recorded{Resources: []string{snARN}, Params: map[string]string{"resourceArn": snARN}, ResourceTags: all})

	// The delete records the tags the snapshot had before it.
	if _, err := c.DeleteSnapshot(ctx, &rss.DeleteSnapshotInput{SnapshotName: aws.String("sf-1")}); err != nil {
		t.Fatal(err)
	}
	h.lastCall("DeleteSnapshot", emu.Recorded{Resources: []string{snARN}, Params: map[string]string{"snapshotName": "sf-1"}, ResourceTags: all})
	// A snapshot that does not exist: its name, no tags.
	_, err = c.DeleteSnapshot(ctx, &rss.DeleteSnapshotInput{SnapshotName: aws.String("sf-1")})
	wantCode(t, err, "ResourceNotFoundException")
	h.lastCall("DeleteSnapshot", emu.Recorded{Resources: []string{"sf-1"}, Params: map[string]string{"snapshotName": "sf-1"}})
}
