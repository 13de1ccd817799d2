package localelasticache

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"
)

func listTags(t *testing.T, h *harness, arn string) map[string]string {
	t.Helper()
	out, err := h.ec.ListTagsForResource(ctx, &elasticache.ListTagsForResourceInput{ResourceName: aws.String(arn)})
	must(t, err)
	m := map[string]string{}
	for _, tg := range out.TagList {
		m[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	return m
}

func TestTagsOnEveryResourceKind(t *testing.T) {
	h := newHarness(t)
	h.seed(`{"replicationGroups": [{"id": "rg", "replicasPerShard": 1, "snapshotSeconds": 1}],
	         "cacheClusters": [{"id": "cc", "snapshotSeconds": 1, "tags": {"seeded": "yes"}}],
	         "serverlessCaches": [{"name": "sc", "snapshotSeconds": 1}]}`)
	_, err := h.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{CacheClusterId: aws.String("cc"), SnapshotName: aws.String("snap")})
	must(t, err)
	_, err = h.ec.CreateServerlessCacheSnapshot(ctx, &elasticache.CreateServerlessCacheSnapshotInput{ServerlessCacheName: aws.String("sc"), ServerlessCacheSnapshotName: aws.String("slsnap")})
	must(t, err)
	h.advance(time.Second)

	arn := func(kind, name string) string {
		return "arn:aws:elasticache:us-east-1:123456789012:" + kind + ":" + name
	}
	for _, r := range []string{arn("replicationgroup", "rg"), arn("cluster", "cc"), arn("snapshot", "snap"), arn("serverlesscache", "sc"), arn("serverlesscachesnapshot", "slsnap")} {
		out, err := h.ec.AddTagsToResource(ctx, &elasticache.AddTagsToResourceInput{ResourceName: aws.String(r),
			Tags: []types.Tag{{Key: aws.String("owner"), Value: aws.String("me")}, {Key: aws.String("empty")}}})
		must(t, err)
		if len(out.TagList) < 2 {
			t.Fatalf("%s: %+v", r, out.TagList)
		}
		// Same key replaces the value.
		_, err = h.ec.AddTagsToResource(ctx, &elasticache.AddTagsToResourceInput{ResourceName: aws.String(r), Tags: []types.Tag{{Key: aws.String("owner"), Value: aws.String("you")}}})
		must(t, err)
		if got := listTags(t, h, r); got["owner"] != "you" || got["empty"] != "" {
			t.Fatalf("%s: %v", r, got)
		}
		rm, err := h.ec.RemoveTagsFromResource(ctx, &elasticache.RemoveTagsFromResourceInput{ResourceName: aws.String(r), TagKeys: []string{"owner"}})
		must(t, err)
		for _, tg := range rm.TagList {
			if aws.ToString(tg.Key) == "owner" {
				t.Fatalf("%s: owner left", r)
			}
		}
		_, err = h.ec.RemoveTagsFromResource(ctx, &elasticache.RemoveTagsFromResourceInput{ResourceName: aws.String(r), TagKeys: []string{"owner"}})
		wantErr[*types.TagNotFoundFault](t, err)
	}
	if got := listTags(t, h, arn("cluster", "cc")); got["seeded"] != "yes" {
		t.Fatalf("seeded tags: %v", got)
	}
	// Group tags are replicated to its nodes.
	if got := listTags(t, h, arn("cluster", "rg-002")); len(got) != 1 || got["empty"] != "" {
		t.Fatalf("member tags: %v", got)
	}

	// TaggedResources lists every resource of the region.
	res := h.svc.TaggedResources("us-east-1")
	seen := map[string]bool{}
	for _, r := range res {
		seen[r.ARN] = true
	}
	for _, want := range []string{arn("replicationgroup", "rg"), arn("cluster", "rg-001"), arn("cluster", "cc"), arn("snapshot", "snap"), arn("serverlesscache", "sc"), arn("serverlesscachesnapshot", "slsnap")} {
		if !seen[want] {
			t.Errorf("TaggedResources misses %s", want)
		}
	}
	if len(h.svc.TaggedResources("eu-west-1")) != 0 {
		t.Error("other region not empty")
	}
}

func TestTagErrors(t *testing.T) {
	h := newHarness(t)
	h.seed(`{"cacheClusters": [{"id": "cc"}]}`)
	cc := "arn:aws:elasticache:us-east-1:123456789012:cluster:cc"
	add := func(r string, tags []types.Tag) error {
		_, err := h.ec.AddTagsToResource(ctx, &elasticache.AddTagsToResourceInput{ResourceName: aws.String(r), Tags: tags})
		return err
	}
	one := func(k, v string) []types.Tag { return []types.Tag{{Key: aws.String(k), Value: aws.String(v)}} }

	wantErr[*types.InvalidParameterValueException](t, add(cc, one("aws:cloudformation:stack", "x")))
	wantErr[*types.InvalidParameterValueException](t, add(cc, one("AWS:x", "x")))
	wantErr[*types.InvalidParameterValueException](t, add(cc, one(strings.Repeat("k", 129), "x")))
	wantErr[*types.InvalidParameterValueException](t, add(cc, one("k", strings.Repeat("v", 257))))
	must(t, add(cc, one(strings.Repeat("k", 128), strings.Repeat("v", 256))))
	must(t, add(cc, manyTags(49)))
	wantErr[*types.TagQuotaPerResourceExceeded](t, add(cc, one("fifty-one", "x")))
	if got := listTags(t, h, cc); len(got) != 50 {
		t.Fatalf("tags after refused add: %d", len(got))
	}
	// Replacing a value does not count as a new tag.
	must(t, add(cc, one("k0000", "new")))

	wantErr[*types.InvalidARNFault](t, add("not-an-arn", one("k", "v")))
	wantErr[*types.InvalidARNFault](t, add("arn:aws:s3:::bucket", one("k", "v")))
	wantErr[*types.InvalidARNFault](t, add("arn:aws:elasticache:us-east-1:123456789012:parametergroup:p", one("k", "v")))
	wantErr[*types.InvalidARNFault](t, add("arn:aws:elasticache:eu-west-1:123456789012:cluster:cc", one("k", "v")))
	wantErr[*types.CacheClusterNotFoundFault](t, add("arn:aws:elasticache:us-east-1:123456789012:cluster:ghost", one("k", "v")))
	wantErr[*types.ReplicationGroupNotFoundFault](t, add("arn:aws:elasticache:us-east-1:123456789012:replicationgroup:ghost", one("k", "v")))
	wantErr[*types.SnapshotNotFoundFault](t, add("arn:aws:elasticache:us-east-1:123456789012:snapshot:ghost", one("k", "v")))
	wantErr[*types.ServerlessCacheNotFoundFault](t, add("arn:aws:elasticache:us-east-1:123456789012:serverlesscache:ghost", one("k", "v")))
	wantErr[*types.ServerlessCacheSnapshotNotFoundFault](t, add("arn:aws:elasticache:us-east-1:123456789012:serverlesscachesnapshot:ghost", one("k", "v")))
	_, err := h.ec.ListTagsForResource(ctx, &elasticache.ListTagsForResourceInput{ResourceName: aws.String("arn:aws:elasticache:us-east-1:123456789012:snapshot:ghost")})
	wantErr[*types.SnapshotNotFoundFault](t, err)
}
