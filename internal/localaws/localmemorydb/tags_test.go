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

func tag(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }

func tagMap(tags []types.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func TestTagging(t *testing.T) {
	h := newHarness(t)
	h.seed(`{"clusters":[{"name":"orders","nodeType":"db.r7g.large","snapshotSeconds":10,"tags":{"team":"payments"}}]}`)
	c := h.client("us-east-1")
	clusterARN := "arn:aws:memorydb:us-east-1:123456789012:cluster/orders"
	snapARN := "arn:aws:memorydb:us-east-1:123456789012:snapshot/s1"
	must[*memorydb.CreateSnapshotOutput](t)(c.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{
		ClusterName: aws.String("orders"), SnapshotName: aws.String("s1"), Tags: []types.Tag{tag("snapflow:managed", "true")},
	}))
	h.advance(10 * time.Second)

	got := must[*memorydb.ListTagsOutput](t)(c.ListTags(ctx, &memorydb.ListTagsInput{ResourceArn: aws.String(clusterARN)}))
	if m := tagMap(got.TagList); len(m) != 1 || m["team"] != "payments" {
		t.Fatalf("cluster tags %v", m)
	}
	tr := must[*memorydb.TagResourceOutput](t)(c.TagResource(ctx, &memorydb.TagResourceInput{
		ResourceArn: aws.String(snapARN), Tags: []types.Tag{tag("policy", "daily"), tag("snapflow:managed", "yes")},
	}))
	if m := tagMap(tr.TagList); len(m) != 2 || m["snapflow:managed"] != "yes" || m["policy"] != "daily" {
		t.Fatalf("after TagResource %v", m)
	}
	ut := must[*memorydb.UntagResourceOutput](t)(c.UntagResource(ctx, &memorydb.UntagResourceInput{ResourceArn: aws.String(snapARN), TagKeys: []string{"policy"}}))
	if m := tagMap(ut.TagList); len(m) != 1 || m["policy"] != "daily" {
		t.Fatalf("UntagResource answer %v", m)
	}
	got = must[*memorydb.ListTagsOutput](t)(c.ListTags(ctx, &memorydb.ListTagsInput{ResourceArn: aws.String(snapARN)}))
	if m := tagMap(got.TagList); len(m) != 1 || m["snapflow:managed"] != "yes" {
		t.Fatalf("after UntagResource %v", m)
	}
	_, err := c.UntagResource(ctx, &memorydb.UntagResourceInput{ResourceArn: aws.String(snapARN), TagKeys: []string{"policy"}})
	wantErr[*types.TagNotFoundFault](t, err)

	// Limits: 50 tags per resource, keys up to 128, values up to 256, no "aws:".
	many := make([]types.Tag, 0, 50)
	for i := range 50 {
		many = append(many, tag(fmt.Sprintf("k%02d", i), "v"))
	}
	_, err = c.TagResource(ctx, &memorydb.TagResourceInput{ResourceArn: aws.String(snapARN), Tags: many})
	wantErr[*types.TagQuotaPerResourceExceeded](t, err)
	must[*memorydb.TagResourceOutput](t)(c.TagResource(ctx, &memorydb.TagResourceInput{ResourceArn: aws.String(snapARN), Tags: many[:49]}))
	for _, bad := range []types.Tag{tag("aws:owner", "x"), tag(strings.Repeat("k", 129), "x"), tag("k", strings.Repeat("v", 257)), {Value: aws.String("no key")}} {
		_, err = c.TagResource(ctx, &memorydb.TagResourceInput{ResourceArn: aws.String(clusterARN), Tags: []types.Tag{bad}})
		wantErr[*types.InvalidParameterValueException](t, err)
	}
	_, err = c.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{ClusterName: aws.String("orders"), SnapshotName: aws.String("s2"), Tags: append(many, tag("one", "more"))})
	wantErr[*types.TagQuotaPerResourceExceeded](t, err)

	// ARNs.
	for _, arn := range []string{"orders", "arn:aws:elasticache:us-east-1:123456789012:cluster:orders", "arn:aws:memorydb:us-east-1:123456789012:user/bob", "arn:aws:memorydb:us-east-1:123456789012:cluster"} {
		_, err = c.ListTags(ctx, &memorydb.ListTagsInput{ResourceArn: aws.String(arn)})
		wantErr[*types.InvalidARNFault](t, err)
	}
	_, err = c.ListTags(ctx, &memorydb.ListTagsInput{ResourceArn: aws.String("arn:aws:memorydb:us-east-1:123456789012:cluster/nope")})
	wantErr[*types.ClusterNotFoundFault](t, err)
	_, err = c.TagResource(ctx, &memorydb.TagResourceInput{ResourceArn: aws.String("arn:aws:memorydb:us-east-1:123456789012:snapshot/nope"), Tags: []types.Tag{tag("a", "b")}})
	wantErr[*types.SnapshotNotFoundFault](t, err)
	// A us-east-1 ARN asked in eu-west-1 names nothing there.
	_, err = h.client("eu-west-1").ListTags(ctx, &memorydb.ListTagsInput{ResourceArn: aws.String(clusterARN)})
	wantErr[*types.ClusterNotFoundFault](t, err)

	// The tagging API's view.
	res := h.svc.TaggedResources("us-east-1")
	if len(res) != 2 || res[0].ARN != clusterARN || res[1].ARN != snapARN || res[0].Tags["team"] != "payments" || len(res[1].Tags) != 50 {
		t.Fatalf("TaggedResources %+v", res)
	}
	if res := h.svc.TaggedResources("eu-west-1"); len(res) != 0 {
		t.Fatalf("eu-west-1: %+v", res)
	}
}
