package localmisc

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	tagapi "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// fakeSource is a TagSource whose resources a test changes at will.
type fakeSource struct {
	mu  sync.Mutex
	res map[string][]emu.TaggedResource // by region
}

func (f *fakeSource) TaggedResources(region string) []emu.TaggedResource {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]emu.TaggedResource(nil), f.res[region]...)
}

func (f *fakeSource) add(region, arn string, tags map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.res[region] = append(f.res[region], emu.TaggedResource{ARN: arn, Tags: tags})
}

const acct = "123456789012"

func newFake() *fakeSource {
	f := &fakeSource{res: map[string][]emu.TaggedResource{}}
	managed := map[string]string{"snapflow:managed": "true", "snapflow:policy": "nightly"}
	f.add("us-east-1", "arn:aws:elasticache:us-east-1:"+acct+":replicationgroup:orders", map[string]string{"env": "prod", "team": "a"})
	f.add("us-east-1", "arn:aws:elasticache:us-east-1:"+acct+":cluster:orders-001", map[string]string{"env": "prod"})
	f.add("us-east-1", "arn:aws:elasticache:us-east-1:"+acct+":serverlesscache:sessions", map[string]string{"env": "dev", "team": "b"})
	f.add("us-east-1", "arn:aws:elasticache:us-east-1:"+acct+":snapshot:orders-2025-03-01", managed)
	f.add("us-east-1", "arn:aws:elasticache:us-east-1:"+acct+":serverlesscachesnapshot:sessions-2025-03-01", managed)
	f.add("us-east-1", "arn:aws:memorydb:us-east-1:"+acct+":cluster/ledger", map[string]string{"env": "prod", "team": "c"})
	f.add("us-east-1", "arn:aws:memorydb:us-east-1:"+acct+":snapshot/ledger-2025-03-01", managed)
	f.add("us-east-1", "arn:aws:redshift-serverless:us-east-1:"+acct+":namespace/6a9b-1c2d", map[string]string{"env": "prod"})
	f.add("us-east-1", "arn:aws:redshift-serverless:us-east-1:"+acct+":snapshot/0f1e-2d3c", managed)
	f.add("us-east-1", "arn:aws:elasticache:us-east-1:"+acct+":cluster:untagged", map[string]string{})
	f.add("eu-west-1", "arn:aws:memorydb:eu-west-1:"+acct+":cluster/far", map[string]string{"env": "prod"})
	return f
}

func arns(out *tagapi.GetResourcesOutput) []string {
	var a []string
	for _, m := range out.ResourceTagMappingList {
		a = append(a, aws.ToString(m.ResourceARN))
	}
	return a
}

func short(list []string) string {
	var out []string
	for _, a := range list {
		p, _ := emu.ParseARN(a)
		out = append(out, p.Service+":"+p.Resource)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func TestResourceType(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:elasticache:us-east-1:1:replicationgroup:rg":    "elasticache:replicationgroup",
		"arn:aws:elasticache:us-east-1:1:cluster:c":              "elasticache:cluster",
		"arn:aws:elasticache:us-east-1:1:serverlesscache:s":      "elasticache:serverlesscache",
		"arn:aws:elasticache:us-east-1:1:snapshot:s":             "elasticache:snapshot",
		"arn:aws:memorydb:us-east-1:1:cluster/c":                 "memorydb:cluster",
		"arn:aws:redshift-serverless:us-east-1:1:namespace/uuid": "redshift-serverless:namespace",
		"arn:aws:redshift-serverless:us-east-1:1:snapshot/uuid":  "redshift-serverless:snapshot",
		"arn:aws:s3:::bucket":                                    "s3:bucket",
		"arn:aws:sns:us-east-1:1:alerts":                         "sns:topic",
		"arn:aws:events:us-east-1:1:event-bus/snapflow":          "events:event-bus",
		"arn:aws:events:us-east-1:1:rule/snapflow/run":           "events:rule",
		"not an arn": "",
	} {
		if got := ResourceType(arn); got != want {
			t.Errorf("%s: %q, want %q", arn, got, want)
		}
	}
}

func TestGetResourcesFilters(t *testing.T) {
	fake := newFake()
	h := newHarness(t, fake)
	c := h.taggingClient("us-east-1")
	get := func(in *tagapi.GetResourcesInput) []string {
		t.Helper()
		out, err := c.GetResources(ctx, in)
		must(t, err)
		if out.PaginationToken != nil && *out.PaginationToken != "" {
			t.Fatalf("unexpected second page")
		}
		return arns(out)
	}

	all := get(&tagapi.GetResourcesInput{})
	if len(all) != 9 { // the untagged cluster and the eu-west-1 cluster are not listed
		t.Fatalf("all: %s", short(all))
	}
	// AND across filters, OR within values, empty values = key exists.
	got := get(&tagapi.GetResourcesInput{TagFilters: []types.TagFilter{{Key: aws.String("env"), Values: []string{"prod"}}, {Key: aws.String("team")}}})
	if short(got) != "elasticache:replicationgroup:orders,memorydb:cluster/ledger" {
		t.Fatalf("AND: %s", short(got))
	}
	got = get(&tagapi.GetResourcesInput{TagFilters: []types.TagFilter{{Key: aws.String("team"), Values: []string{"a", "b"}}}})
	if short(got) != "elasticache:replicationgroup:orders,elasticache:serverlesscache:sessions" {
		t.Fatalf("OR: %s", short(got))
	}
	got = get(&tagapi.GetResourcesInput{TagFilters: []types.TagFilter{{Key: aws.String("snapflow:managed")}}})
	if len(got) != 4 {
		t.Fatalf("exists: %s", short(got))
	}
	// Types.
	got = get(&tagapi.GetResourcesInput{ResourceTypeFilters: []string{"elasticache:replicationgroup", "elasticache:cluster"}})
	if short(got) != "elasticache:cluster:orders-001,elasticache:replicationgroup:orders" {
		t.Fatalf("types: %s", short(got))
	}
	got = get(&tagapi.GetResourcesInput{ResourceTypeFilters: []string{"memorydb"}})
	if len(got) != 2 {
		t.Fatalf("service filter: %s", short(got))
	}
	got = get(&tagapi.GetResourcesInput{ResourceTypeFilters: []string{"redshift-serverless:namespace", "elasticache:serverlesscache"},
		TagFilters: []types.TagFilter{{Key: aws.String("env"), Values: []string{"prod"}}}})
	if short(got) != "redshift-serverless:namespace/6a9b-1c2d" {
		t.Fatalf("types and tags: %s", short(got))
	}
	got = get(&tagapi.GetResourcesInput{ResourceTypeFilters: []string{"elasticache:snapshot", "memorydb:snapshot", "redshift-serverless:snapshot"},
		TagFilters: []types.TagFilter{{Key: aws.String("snapflow:policy"), Values: []string{"nightly"}}}})
	if len(got) != 3 {
		t.Fatalf("snapshots: %s", short(got))
	}
	// ARN list: unknown ARNs are simply left out.
	got = get(&tagapi.GetResourcesInput{ResourceARNList: []string{all[0], "arn:aws:memorydb:us-east-1:" + acct + ":cluster/ghost"}})
	if len(got) != 1 || got[0] != all[0] {
		t.Fatalf("arn list: %v", got)
	}
	// Tags come as Key/Value pairs.
	out, err := c.GetResources(ctx, &tagapi.GetResourcesInput{ResourceARNList: []string{"arn:aws:elasticache:us-east-1:" + acct + ":replicationgroup:orders"},
		IncludeComplianceDetails: aws.Bool(true)})
	must(t, err)
	m := out.ResourceTagMappingList[0]
	if len(m.Tags) != 2 || aws.ToString(m.Tags[0].Key) != "env" || aws.ToString(m.Tags[0].Value) != "prod" || !aws.ToBool(m.ComplianceDetails.ComplianceStatus) {
		t.Fatalf("mapping %+v", m)
	}
	// The other region sees its own.
	eu, err := h.taggingClient("eu-west-1").GetResources(ctx, &tagapi.GetResourcesInput{})
	must(t, err)
	if len(eu.ResourceTagMappingList) != 1 {
		t.Fatalf("eu: %v", arns(eu))
	}

	// Live state: a resource tagged after the first call shows up.
	fake.add("us-east-1", "arn:aws:memorydb:us-east-1:"+acct+":cluster/new", map[string]string{"env": "prod"})
	if got := get(&tagapi.GetResourcesInput{ResourceTypeFilters: []string{"memorydb:cluster"}}); len(got) != 2 {
		t.Fatalf("live: %s", short(got))
	}

	// Invalid requests.
	for _, in := range []*tagapi.GetResourcesInput{
		{ResourceARNList: []string{all[0]}, TagFilters: []types.TagFilter{{Key: aws.String("env")}}},
		{ResourceARNList: []string{all[0]}, ResourceTypeFilters: []string{"memorydb"}},
		{ResourceARNList: []string{all[0]}, ResourcesPerPage: aws.Int32(5)},
		{ResourcesPerPage: aws.Int32(101)},
		{TagsPerPage: aws.Int32(50)},
		{ExcludeCompliantResources: aws.Bool(true)},
		{TagFilters: []types.TagFilter{{Values: []string{"x"}}}},
		{PaginationToken: aws.String("garbage")},
	} {
		_, err := c.GetResources(ctx, in)
		mustAs[*types.InvalidParameterException](t, err)
	}
}

func TestGetResourcesPagination(t *testing.T) {
	fake := &fakeSource{res: map[string][]emu.TaggedResource{}}
	for i := 0; i < 7; i++ {
		tags := map[string]string{"snapflow:managed": "true"}
		for j := 0; j < 30; j++ {
			tags[fmt.Sprintf("k%02d", j)] = "v"
		}
		fake.add("us-east-1", fmt.Sprintf("arn:aws:memorydb:us-east-1:%s:snapshot/s-%d", acct, i), tags)
	}
	h := newHarness(t, fake)
	c := h.taggingClient("us-east-1")

	var seen []string
	pages := 0
	p := tagapi.NewGetResourcesPaginator(c, &tagapi.GetResourcesInput{ResourcesPerPage: aws.Int32(3)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		must(t, err)
		pages++
		seen = append(seen, arns(out)...)
	}
	if pages != 3 || len(seen) != 7 || seen[0] == seen[3] {
		t.Fatalf("%d pages: %v", pages, seen)
	}

	// TagsPerPage 100 with 31 tags a resource: 3 resources a page, never split.
	out, err := c.GetResources(ctx, &tagapi.GetResourcesInput{TagsPerPage: aws.Int32(100)})
	must(t, err)
	if len(out.ResourceTagMappingList) != 3 || aws.ToString(out.PaginationToken) == "" {
		t.Fatalf("tags per page: %d", len(out.ResourceTagMappingList))
	}

	// A token is good for 15 minutes of (simulated) time.
	first, err := c.GetResources(ctx, &tagapi.GetResourcesInput{ResourcesPerPage: aws.Int32(2)})
	must(t, err)
	h.clock.Advance(14 * time.Minute)
	_, err = c.GetResources(ctx, &tagapi.GetResourcesInput{ResourcesPerPage: aws.Int32(2), PaginationToken: first.PaginationToken})
	must(t, err)
	h.clock.Advance(2 * time.Minute)
	_, err = c.GetResources(ctx, &tagapi.GetResourcesInput{ResourcesPerPage: aws.Int32(2), PaginationToken: first.PaginationToken})
	mustAs[*types.PaginationTokenExpiredException](t, err)
	// A token belongs to its query.
	second, err := c.GetResources(ctx, &tagapi.GetResourcesInput{ResourcesPerPage: aws.Int32(2)})
	must(t, err)
	_, err = c.GetResources(ctx, &tagapi.GetResourcesInput{ResourcesPerPage: aws.Int32(2), PaginationToken: second.PaginationToken,
		ResourceTypeFilters: []string{"elasticache"}})
	mustAs[*types.InvalidParameterException](t, err)
}

func TestTaggingOverLocalServicesAndFaults(t *testing.T) {
	h := newHarness(t)
	h.tagging.AddSource(h.sns)
	h.tagging.AddSource(h.events)
	sc := h.snsClient("us-east-1")
	_, err := sc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("alerts"), Tags: []snstypes.Tag{{Key: aws.String("app"), Value: aws.String("snapflow")}}})
	must(t, err)
	c := h.taggingClient("us-east-1")
	out, err := c.GetResources(ctx, &tagapi.GetResourcesInput{ResourceTypeFilters: []string{"sns:topic"}})
	must(t, err)
	if len(out.ResourceTagMappingList) != 1 {
		t.Fatalf("sns topic via tagging: %v", arns(out))
	}
	keys, err := c.GetTagKeys(ctx, &tagapi.GetTagKeysInput{})
	must(t, err)
	if len(keys.TagKeys) != 1 || keys.TagKeys[0] != "app" {
		t.Fatalf("keys %v", keys.TagKeys)
	}
	vals, err := c.GetTagValues(ctx, &tagapi.GetTagValuesInput{Key: aws.String("app")})
	must(t, err)
	if len(vals.TagValues) != 1 || vals.TagValues[0] != "snapflow" {
		t.Fatalf("values %v", vals.TagValues)
	}

	h.env.Faults.Add(emu.Fault{Service: "tagging", Action: "GetResources", Kind: emu.FaultThrottle, Count: 1})
	_, err = c.GetResources(ctx, &tagapi.GetResourcesInput{})
	mustAs[*types.ThrottledException](t, err)
	h.env.Faults.Add(emu.Fault{Service: "tagging", Action: "GetResources", Kind: emu.FaultInternal, Count: 1})
	_, err = c.GetResources(ctx, &tagapi.GetResourcesInput{})
	mustAs[*types.InternalServiceException](t, err)
	if call := h.lastCall("GetResources"); call.Fault != "internal" || call.ErrorCode != "InternalServiceException" {
		t.Fatalf("call %+v", call)
	}
}
