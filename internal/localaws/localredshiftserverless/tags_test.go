package localredshiftserverless

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	rss "github.com/aws/aws-sdk-go-v2/service/redshiftserverless"
	"github.com/aws/aws-sdk-go-v2/service/redshiftserverless/types"
)

func TestTagging(t *testing.T) {
	h := newHarness(t, Options{})
	c := h.east()
	ns := h.namespace(c, "sales", 0)
	out, err := c.CreateSnapshot(ctx, &rss.CreateSnapshotInput{NamespaceName: aws.String("sales"), SnapshotName: aws.String("tagged-1"),
		Tags: []types.Tag{{Key: aws.String("snapflow:policy"), Value: aws.String("daily")}, {Key: aws.String("env"), Value: aws.String("")}}})
	if err != nil {
		t.Fatal(err)
	}
	snapARN := out.Snapshot.SnapshotArn

	tags, err := c.ListTagsForResource(ctx, &rss.ListTagsForResourceInput{ResourceArn: snapARN})
	if err != nil || len(tags.Tags) != 2 || aws.ToString(tags.Tags[0].Key) != "env" || aws.ToString(tags.Tags[1].Key) != "snapflow:policy" {
		t.Fatalf("snapshot tags %v %+v", err, tags)
	}
	if _, err := c.TagResource(ctx, &rss.TagResourceInput{ResourceArn: ns.NamespaceArn, Tags: []types.Tag{
		{Key: aws.String("team"), Value: aws.String("bi")}, {Key: aws.String("cost center"), Value: aws.String("a/b=c+d-e@f.g_h")},
	}}); err != nil {
		t.Fatal(err)
	}
	// Overwrite a value, then remove a key (and an absent one).
	if _, err := c.TagResource(ctx, &rss.TagResourceInput{ResourceArn: ns.NamespaceArn, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("ops")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagResource(ctx, &rss.UntagResourceInput{ResourceArn: ns.NamespaceArn, TagKeys: []string{"cost center", "absent"}}); err != nil {
		t.Fatal(err)
	}
	tags, _ = c.ListTagsForResource(ctx, &rss.ListTagsForResourceInput{ResourceArn: ns.NamespaceArn})
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Value) != "ops" {
		t.Fatalf("namespace tags %+v", tags.Tags)
	}

	// 50 tags per resource.
	var batch []types.Tag
	for i := 0; i < 49; i++ {
		batch = append(batch, types.Tag{Key: aws.String(fmt.Sprintf("k%02d", i)), Value: aws.String("v")})
	}
	if _, err := c.TagResource(ctx, &rss.TagResourceInput{ResourceArn: ns.NamespaceArn, Tags: batch}); err != nil {
		t.Fatal(err)
	}
	_, err = c.TagResource(ctx, &rss.TagResourceInput{ResourceArn: ns.NamespaceArn, Tags: []types.Tag{{Key: aws.String("one-more"), Value: aws.String("v")}}})
	tm := wantErr[*types.TooManyTagsException](t, err)
	if aws.ToString(tm.ResourceName) != aws.ToString(ns.NamespaceArn) {
		t.Fatalf("resourceName %q", aws.ToString(tm.ResourceName))
	}
	// Overwriting an existing key at the limit is fine.
	if _, err := c.TagResource(ctx, &rss.TagResourceInput{ResourceArn: ns.NamespaceArn, Tags: []types.Tag{{Key: aws.String("k00"), Value: aws.String("w")}}}); err != nil {
		t.Fatal(err)
	}

	for _, bad := range []types.Tag{
		{Key: aws.String("aws:reserved"), Value: aws.String("x")},
		{Key: aws.String(strings.Repeat("k", 129)), Value: aws.String("x")},
		{Key: aws.String("ok"), Value: aws.String(strings.Repeat("v", 257))},
		{Key: aws.String("bad#char"), Value: aws.String("x")},
		{Key: aws.String(""), Value: aws.String("x")},
	} {
		_, err = c.TagResource(ctx, &rss.TagResourceInput{ResourceArn: snapARN, Tags: []types.Tag{bad}})
		wantErr[*types.ValidationException](t, err)
	}
	_, err = c.TagResource(ctx, &rss.TagResourceInput{ResourceArn: aws.String("arn:aws:redshift-serverless:us-east-1:123456789012:snapshot/missing"), Tags: []types.Tag{}})
	wantErr[*types.ResourceNotFoundException](t, err)
	_, err = c.ListTagsForResource(ctx, &rss.ListTagsForResourceInput{ResourceArn: aws.String("not-an-arn")})
	wantErr[*types.ValidationException](t, err)
	_, err = c.ListTagsForResource(ctx, &rss.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:s3:::bucket/x")})
	wantErr[*types.ValidationException](t, err)
	// A resource is found only in its own Region.
	_, err = h.client("us-west-2").ListTagsForResource(ctx, &rss.ListTagsForResourceInput{ResourceArn: snapARN})
	wantErr[*types.ResourceNotFoundException](t, err)

	// The tagging API sees namespaces, workgroups and snapshots.
	res := h.svc.TaggedResources("us-east-1")
	kinds := map[string]int{}
	for _, r := range res {
		switch {
		case strings.Contains(r.ARN, ":namespace/"):
			kinds["namespace"]++
			if len(r.Tags) != 50 {
				t.Fatalf("namespace tags %d", len(r.Tags))
			}
		case strings.Contains(r.ARN, ":workgroup/"):
			kinds["workgroup"]++
		case strings.Contains(r.ARN, ":snapshot/"):
			kinds["snapshot"]++
			if r.Tags["snapflow:policy"] != "daily" {
				t.Fatalf("snapshot tags %v", r.Tags)
			}
		}
	}
	if kinds["namespace"] != 1 || kinds["workgroup"] != 1 || kinds["snapshot"] != 1 {
		t.Fatalf("tagged resources %v", kinds)
	}
	if len(h.svc.TaggedResources("eu-west-1")) != 0 {
		t.Fatal("resources leaked into another Region")
	}
}
