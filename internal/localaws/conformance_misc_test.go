package localaws_test

import (
	"encoding/json"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/memorydb"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	tagtypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/snapflow/snapflow/internal/localaws/localmisc"
)

// getResources runs GetResourcesPaginator and returns the ARNs found.
func (f *fleet) getResources(in *resourcegroupstaggingapi.GetResourcesInput) (arns []string, pages int) {
	f.t.Helper()
	p := resourcegroupstaggingapi.NewGetResourcesPaginator(f.tag, in)
	for p.HasMorePages() {
		page := try(p.NextPage(ctx)).must(f.t)
		pages++
		for _, m := range page.ResourceTagMappingList {
			arns = append(arns, *m.ResourceARN)
		}
	}
	return arns, pages
}

// TestTaggingAcrossServices: the Resource Groups Tagging API finds the
// resources of every service by tag, over several pages.
func TestTaggingAcrossServices(t *testing.T) {
	t.Parallel()
	f := newFleet(t)
	ns := f.namespace("finance")

	payments, _ := f.getResources(&resourcegroupstaggingapi.GetResourcesInput{
		TagFilters: []tagtypes.TagFilter{{Key: aws.String("team"), Values: []string{"payments"}}},
	})
	for _, want := range []string{
		"arn:aws:elasticache:us-east-1:" + account + ":replicationgroup:orders",
		"arn:aws:elasticache:us-east-1:" + account + ":cluster:orders-001", // nodes carry their group's tags
		"arn:aws:elasticache:us-east-1:" + account + ":serverlesscache:carts",
		"arn:aws:memorydb:us-east-1:" + account + ":cluster/ledger",
		*ns.NamespaceArn,
	} {
		if !slices.Contains(payments, want) {
			t.Errorf("team=payments does not find %s; found %v", want, payments)
		}
	}
	for _, a := range payments {
		if strings.Contains(a, ":s3:") || strings.Contains(a, "identity") {
			t.Errorf("team=payments found %s", a)
		}
	}

	platform, _ := f.getResources(&resourcegroupstaggingapi.GetResourcesInput{
		TagFilters: []tagtypes.TagFilter{{Key: aws.String("team"), Values: []string{"platform"}}, {Key: aws.String("env"), Values: []string{"prod", "dev"}}},
	})
	slices.Sort(platform)
	want := []string{
		"arn:aws:s3:::snapflow-exports",
		"arn:aws:s3:::snapflow-nogrant",
		"arn:aws:sns:us-east-1:" + account + ":snapflow-alerts",
	}
	if !slices.Equal(platform, want) {
		t.Errorf("team=platform, env in (prod, dev): %v, want %v", platform, want)
	}

	// Snapshots made with tags are found by type and tag.
	try(f.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String("orders"), SnapshotName: aws.String("managed-1"), Tags: ecTags("snapflow:managed", "true")})).must(t)
	try(f.mdb.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{ClusterName: aws.String("ledger"), SnapshotName: aws.String("managed-2"), Tags: mdbTags("snapflow:managed", "true")})).must(t)
	managed, _ := f.getResources(&resourcegroupstaggingapi.GetResourcesInput{TagFilters: []tagtypes.TagFilter{{Key: aws.String("snapflow:managed")}}})
	if len(managed) != 2 {
		t.Errorf("snapflow:managed: %v", managed)
	}
	ecSnaps, _ := f.getResources(&resourcegroupstaggingapi.GetResourcesInput{ResourceTypeFilters: []string{"elasticache:snapshot"}})
	if !slices.Equal(ecSnaps, []string{"arn:aws:elasticache:us-east-1:" + account + ":snapshot:managed-1"}) {
		t.Errorf("elasticache:snapshot: %v", ecSnaps)
	}
	memdb, _ := f.getResources(&resourcegroupstaggingapi.GetResourcesInput{ResourceTypeFilters: []string{"memorydb"}})
	if len(memdb) != 3 { // 2 clusters + 1 snapshot
		t.Errorf("memorydb: %v", memdb)
	}

	// Pages: the paginator walks them all.
	all, _ := f.getResources(&resourcegroupstaggingapi.GetResourcesInput{})
	paged, pages := f.getResources(&resourcegroupstaggingapi.GetResourcesInput{ResourcesPerPage: aws.Int32(4)})
	if pages < 5 || !slices.Equal(all, paged) {
		t.Errorf("%d pages of 4: %d resources, one page: %d", pages, len(paged), len(all))
	}
	// Regions are separate: the us-west-2 bucket is found there only.
	west := resourcegroupstaggingapi.NewFromConfig(f.config("us-west-2"))
	out := try(west.GetResources(ctx, &resourcegroupstaggingapi.GetResourcesInput{})).must(t)
	if len(out.ResourceTagMappingList) != 1 || *out.ResourceTagMappingList[0].ResourceARN != "arn:aws:s3:::snapflow-exports-usw2" {
		t.Errorf("us-west-2: %+v", out.ResourceTagMappingList)
	}
	if slices.Contains(all, "arn:aws:s3:::snapflow-exports-usw2") {
		t.Error("us-east-1 lists the us-west-2 bucket")
	}
	// Untagged resources are not listed (pages, the Memcached cluster, is tagged; its
	// nodes are not separate resources); tags removed drop a resource.
	try(f.ec.RemoveTagsFromResource(ctx, &elasticache.RemoveTagsFromResourceInput{ResourceName: aws.String("arn:aws:elasticache:us-east-1:" + account + ":snapshot:managed-1"), TagKeys: []string{"snapflow:managed"}})).must(t)
	managed, _ = f.getResources(&resourcegroupstaggingapi.GetResourcesInput{TagFilters: []tagtypes.TagFilter{{Key: aws.String("snapflow:managed")}}})
	if len(managed) != 1 {
		t.Errorf("after untagging: %v", managed)
	}
}

// TestSNSAndEventBridge: Publish and PutEvents are accepted and kept for
// inspection, in-process and through the admin API.
func TestSNSAndEventBridge(t *testing.T) {
	t.Parallel()
	f := newFleet(t)
	topic := try(f.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("snapflow-alerts")})).must(t).TopicArn // idempotent
	if *topic != "arn:aws:sns:us-east-1:"+account+":snapflow-alerts" {
		t.Fatalf("topic ARN %s", *topic)
	}
	pub := try(f.sns.Publish(ctx, &sns.PublishInput{TopicArn: topic, Subject: aws.String("snapflow: 1 target failed"), Message: aws.String(`{"failed":["orders"]}`),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{"policy": {DataType: aws.String("String"), StringValue: aws.String("daily")}}})).must(t)
	if aws.ToString(pub.MessageId) == "" {
		t.Fatal("no MessageId")
	}
	_, err := f.sns.Publish(ctx, &sns.PublishInput{TopicArn: aws.String("arn:aws:sns:us-east-1:" + account + ":nope"), Message: aws.String("x")})
	wantErr[*snstypes.NotFoundException](t, err)
	_, err = f.sns.Publish(ctx, &sns.PublishInput{TopicArn: topic, Message: aws.String("x"), Subject: aws.String("two\nlines")})
	wantErr[*snstypes.InvalidParameterException](t, err)

	msgs := f.aws.SNS().Messages()
	if len(msgs) != 1 || msgs[0].MessageID != *pub.MessageId || msgs[0].TopicArn != *topic || msgs[0].Subject != "snapflow: 1 target failed" ||
		msgs[0].Attributes["policy"].StringValue != "daily" || !msgs[0].Time.Equal(t0) {
		t.Errorf("SNS().Messages(): %+v", msgs)
	}
	var adminMsgs []localmisc.Message
	f.admin("GET", "sns/messages", nil, &adminMsgs)
	if len(adminMsgs) != 1 || adminMsgs[0].Message != `{"failed":["orders"]}` {
		t.Errorf("/_localaws/sns/messages: %+v", adminMsgs)
	}

	f.advance(time.Minute)
	detail := `{"policy":"daily","targets":3,"failed":1}`
	put := try(f.eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{
		{Source: aws.String("snapflow"), DetailType: aws.String("Snapflow Run Summary"), Detail: aws.String(detail), EventBusName: aws.String("snapflow"),
			Resources: []string{"arn:aws:elasticache:us-east-1:" + account + ":replicationgroup:orders"}},
		{Source: aws.String("snapflow"), DetailType: aws.String("Snapflow Run Summary"), Detail: aws.String("not json")},
	}})).must(t)
	if put.FailedEntryCount != 1 || aws.ToString(put.Entries[0].EventId) == "" || aws.ToString(put.Entries[1].ErrorCode) == "" {
		t.Errorf("PutEvents: %d failed, entries %+v", put.FailedEntryCount, put.Entries)
	}
	evs := f.aws.EventBridge().Events()
	if len(evs) != 1 || evs[0].EventBusName != "snapflow" || evs[0].DetailType != "Snapflow Run Summary" || !evs[0].Time.Equal(t0.Add(time.Minute)) {
		t.Fatalf("EventBridge().Events(): %+v", evs)
	}
	var d map[string]any
	if err := json.Unmarshal(evs[0].Detail, &d); err != nil || d["targets"] != 3.0 {
		t.Errorf("event detail %s", evs[0].Detail)
	}
	var adminEvents []localmisc.Event
	f.admin("GET", "events", nil, &adminEvents)
	if len(adminEvents) != 1 || adminEvents[0].Source != "snapflow" || adminEvents[0].Resources[0] != "arn:aws:elasticache:us-east-1:"+account+":replicationgroup:orders" {
		t.Errorf("/_localaws/events: %+v", adminEvents)
	}
}

// TestS3Basics: the export bucket as S3 shows it, path-style, and the
// region rules snapflow's verify step meets.
func TestS3Basics(t *testing.T) {
	t.Parallel()
	f := newFleet(t)
	loc := try(f.s3.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("snapflow-exports-usw2")})).must(t)
	if loc.LocationConstraint != "us-west-2" {
		t.Errorf("location: %q", loc.LocationConstraint)
	}
	// A request signed for the wrong region is refused, as S3 does.
	_, err := f.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("snapflow-exports-usw2")})
	if err == nil {
		t.Error("us-east-1 client listed a us-west-2 bucket")
	}
	west := s3.NewFromConfig(f.config("us-west-2"), func(o *s3.Options) { o.UsePathStyle = true })
	try(west.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("snapflow-exports-usw2")})).must(t)

	try(f.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("snapflow-exports"), Key: aws.String("manifests/run-1.json"), Body: strings.NewReader(`{"ok":true}`)})).must(t)
	obj := try(f.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("snapflow-exports"), Key: aws.String("manifests/run-1.json")})).must(t)
	body, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	if string(body) != `{"ok":true}` || !obj.LastModified.Equal(t0) {
		t.Errorf("object %q modified %v", body, obj.LastModified)
	}
	_, err = f.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("snapflow-missing")})
	wantCode(t, err, "NotFound")
}
