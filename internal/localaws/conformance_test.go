package localaws_test

// The conformance suite of the local AWS (issue 2): every snapshot
// operation of ElastiCache (node-based and serverless), MemoryDB and
// Redshift Serverless, plus S3, the Resource Groups Tagging API, SNS and
// EventBridge, driven through the full router on a loopback port with the
// real aws-sdk-go-v2 clients and their paginators. The clock is stopped
// (Speed 0) and moved by Clock().Advance, so every test is deterministic.
//
// This file holds the harness, routing, the SDK configured from the
// environment, the admin API, the call record and the faults; the
// conformance_<service>_test.go files hold each service's operations.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	ectypes "github.com/aws/aws-sdk-go-v2/service/elasticache/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/memorydb"
	mdbtypes "github.com/aws/aws-sdk-go-v2/service/memorydb/types"
	"github.com/aws/aws-sdk-go-v2/service/redshiftserverless"
	rsstypes "github.com/aws/aws-sdk-go-v2/service/redshiftserverless/types"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"

	"github.com/snapflow/snapflow/internal/awsclient"
	"github.com/snapflow/snapflow/internal/localaws"
	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// t0 is the simulated time every test starts at.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const (
	account   = "123456789012"
	accessKey = "AKIDCONFORMANCE"
	// ecCanonicalUser is ElastiCache's S3 canonical user in the standard
	// regions (the fleet's export buckets grant it).
	ecCanonicalUser = "540804c33a284a299d2547575ce1010f2312ef3da9b3a053c8bc45bf233e4353"
)

var ctx = context.Background()

var (
	fleetOnce sync.Once
	fleetJSON []byte
	fleetErr  error
)

// fleetSeed returns testdata/fleet.json.
func fleetSeed(t *testing.T) []byte {
	t.Helper()
	fleetOnce.Do(func() { fleetJSON, fleetErr = os.ReadFile(filepath.Join("testdata", "fleet.json")) })
	if fleetErr != nil {
		t.Fatal(fleetErr)
	}
	return fleetJSON
}

// fleet is one local AWS on a loopback port, seeded with testdata/fleet.json,
// and SDK clients for us-east-1 that do not retry (so that every injected
// error reaches the test).
type fleet struct {
	t   *testing.T
	aws *localaws.AWS
	url string

	ec  *elasticache.Client
	mdb *memorydb.Client
	rss *redshiftserverless.Client
	s3  *s3.Client
	tag *resourcegroupstaggingapi.Client
	sns *sns.Client
	eb  *eventbridge.Client
}

func newFleet(t *testing.T) *fleet {
	t.Helper()
	a := localaws.New(localaws.Options{Speed: 0, Start: t0})
	if err := a.Seed(fleetSeed(t)); err != nil {
		t.Fatalf("seed: %v", err)
	}
	if err := a.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	f := &fleet{t: t, aws: a, url: a.URL()}
	cfg := f.config("us-east-1")
	f.ec = elasticache.NewFromConfig(cfg)
	f.mdb = memorydb.NewFromConfig(cfg)
	f.rss = redshiftserverless.NewFromConfig(cfg)
	f.s3 = s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	f.tag = resourcegroupstaggingapi.NewFromConfig(cfg)
	f.sns = sns.NewFromConfig(cfg)
	f.eb = eventbridge.NewFromConfig(cfg)
	return f
}

// config is an aws.Config for region pointing at the local AWS, without
// retries, with snapflow's HTTP client.
func (f *fleet) config(region string) aws.Config {
	return aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(accessKey, "secret", ""),
		BaseEndpoint: aws.String(f.url),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
		HTTPClient:   awsclient.HTTPClient(),
	}
}

func (f *fleet) advance(d time.Duration) { f.aws.Clock().Advance(d) }

func (f *fleet) now() time.Time { return f.aws.Clock().Now() }

// until advances the clock by step until done reports true, failing after
// limit of simulated time. It returns the simulated time it took.
func (f *fleet) until(step, limit time.Duration, what string, done func() bool) time.Duration {
	f.t.Helper()
	start := f.now()
	for !done() {
		if f.now().Sub(start) >= limit {
			f.t.Fatalf("%s: not done after %v of simulated time", what, limit)
		}
		f.advance(step)
	}
	return f.now().Sub(start)
}

// result is the result of an SDK call: try(client.Op(ctx, in)).must(t).
type result[T any] struct {
	v   T
	err error
}

func try[T any](v T, err error) result[T] { return result[T]{v, err} }

// must returns the call's output, failing the test on an error.
func (r result[T]) must(t *testing.T) T {
	t.Helper()
	if r.err != nil {
		t.Fatalf("unexpected error: %v", r.err)
	}
	return r.v
}

// noErr fails the test on err.
func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// wantErr checks that err is (wraps) a T, the SDK's typed error, and returns it.
func wantErr[T error](t *testing.T, err error) T {
	t.Helper()
	var target T
	if err == nil {
		t.Fatalf("got no error, want %T", target)
	}
	if !errors.As(err, &target) {
		t.Fatalf("got %v (%T), want %T", err, err, target)
	}
	return target
}

// wantCode checks the API error code of err and returns the error.
func wantCode(t *testing.T, err error, code string) smithy.APIError {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got %v, want an API error %s", err, code)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("error code %q (%v), want %q", ae.ErrorCode(), err, code)
	}
	return ae
}

// wantMessage checks that err's message contains text.
func wantMessage(t *testing.T, err error, text string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), text) {
		t.Fatalf("error %v does not say %q", err, text)
	}
}

// admin calls the admin API and decodes its JSON answer into out (if not nil).
func (f *fleet) admin(method, path string, body any, out any) int {
	f.t.Helper()
	var rd io.Reader
	if body != nil {
		if s, ok := body.(string); ok {
			rd = strings.NewReader(s)
		} else {
			b, err := json.Marshal(body)
			if err != nil {
				f.t.Fatal(err)
			}
			rd = bytes.NewReader(b)
		}
	}
	req, err := http.NewRequest(method, f.url+"/_localaws/"+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(data, out); err != nil {
			f.t.Fatalf("%s %s: decoding %q: %v", method, path, data, err)
		}
	}
	return resp.StatusCode
}

// --- the seed ---

func TestFleetSeed(t *testing.T) {
	t.Parallel()
	f := newFleet(t)
	rgs := try(f.ec.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{})).must(t)
	got := map[string]ectypes.ReplicationGroup{}
	for _, g := range rgs.ReplicationGroups {
		got[*g.ReplicationGroupId] = g
		if *g.Status != "available" {
			t.Errorf("seeded group %s is %s, want available", *g.ReplicationGroupId, *g.Status)
		}
	}
	if g := got["orders"]; g.ClusterEnabled == nil || *g.ClusterEnabled || len(g.NodeGroups) != 1 || len(g.MemberClusters) != 2 {
		t.Errorf("orders: want cluster mode disabled, 1 node group, 2 members; got %+v", g)
	}
	if g := got["sessions"]; g.ClusterEnabled == nil || !*g.ClusterEnabled || len(g.NodeGroups) != 3 || len(g.MemberClusters) != 6 {
		t.Errorf("sessions: want cluster mode enabled with 3 shards of 2 nodes; got %+v", g)
	}
	if g := got["clickstream"]; g.DataTiering != ectypes.DataTieringStatusEnabled || *g.CacheNodeType != "cache.r6gd.xlarge" {
		t.Errorf("clickstream: want data tiering on r6gd; got %s %s", g.DataTiering, aws.ToString(g.CacheNodeType))
	}
	ccs := try(f.ec.DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{ShowCacheClustersNotInReplicationGroups: aws.Bool(true)})).must(t)
	engines := map[string]string{}
	for _, c := range ccs.CacheClusters {
		engines[*c.CacheClusterId] = *c.Engine
	}
	if engines["leaderboard"] != "valkey" || engines["pages"] != "memcached" {
		t.Errorf("standalone cache clusters: %v", engines)
	}
	scs := try(f.ec.DescribeServerlessCaches(ctx, &elasticache.DescribeServerlessCachesInput{})).must(t)
	if len(scs.ServerlessCaches) != 2 {
		t.Errorf("serverless caches: %d, want 2", len(scs.ServerlessCaches))
	}
	cls := try(f.mdb.DescribeClusters(ctx, &memorydb.DescribeClustersInput{ShowShardDetails: aws.Bool(true)})).must(t)
	mdb := map[string]mdbtypes.Cluster{}
	for _, c := range cls.Clusters {
		mdb[*c.Name] = c
	}
	if c := mdb["ledger"]; aws.ToInt32(c.NumberOfShards) != 2 || len(c.Shards) != 2 || *c.Status != "available" {
		t.Errorf("ledger: %+v", c)
	}
	if c := mdb["telemetry"]; c.DataTiering != mdbtypes.DataTieringStatusTrue {
		t.Errorf("telemetry: data tiering %q", c.DataTiering)
	}
	nss := try(f.rss.ListNamespaces(ctx, &redshiftserverless.ListNamespacesInput{})).must(t)
	if len(nss.Namespaces) != 3 {
		t.Errorf("namespaces: %d, want 3", len(nss.Namespaces))
	}
	buckets := try(f.s3.ListBuckets(ctx, &s3.ListBucketsInput{})).must(t)
	if len(buckets.Buckets) != 3 {
		t.Errorf("buckets: %d, want 3", len(buckets.Buckets))
	}
	oc := try(f.s3.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String("snapflow-exports")})).must(t)
	if r := oc.OwnershipControls.Rules[0].ObjectOwnership; r != "BucketOwnerPreferred" {
		t.Errorf("export bucket ownership %s", r)
	}
	acl := try(f.s3.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("snapflow-exports")})).must(t)
	var perms []string
	for _, g := range acl.Grants {
		if aws.ToString(g.Grantee.ID) == ecCanonicalUser {
			perms = append(perms, string(g.Permission))
		}
	}
	slices.Sort(perms)
	if !slices.Equal(perms, []string{"READ", "READ_ACP", "WRITE"}) {
		t.Errorf("ElastiCache's grants on the export bucket: %v", perms)
	}
	pol := try(f.s3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("snapflow-exports")})).must(t)
	for _, p := range []string{"us-east-1.elasticache-snapshot.amazonaws.com", "us-east-1.memorydb-snapshot.amazonaws.com"} {
		if !strings.Contains(aws.ToString(pol.Policy), p) {
			t.Errorf("export bucket policy does not name %s", p)
		}
	}
	topics := try(f.sns.ListTopics(ctx, &sns.ListTopicsInput{})).must(t)
	if len(topics.Topics) != 1 || !strings.HasSuffix(*topics.Topics[0].TopicArn, ":snapflow-alerts") {
		t.Errorf("topics: %+v", topics.Topics)
	}

	// The seed can be applied once only: the names are taken.
	err := f.aws.Seed(fleetSeed(t))
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("seeding twice: %v", err)
	}
	// Unknown sections and fields are errors, so typos do not go unnoticed.
	if err := f.aws.Seed([]byte(`{"elasticcache": {}}`)); err == nil {
		t.Error("unknown section accepted")
	}
	if err := f.aws.Seed([]byte(`{"memorydb": {"clusters": [{"name": "x", "nodeType": "db.r7g.large", "shards": 2}]}}`)); err == nil {
		t.Error("unknown field accepted")
	}
}

// --- routing ---

// rawCall sends a hand-made request to the local AWS.
func (f *fleet) rawCall(method, path string, header http.Header, body string) (int, string) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.url+path, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// lastCall returns the latest recorded call.
func (f *fleet) lastCall() emu.Call {
	f.t.Helper()
	calls := f.aws.Calls()
	if len(calls) == 0 {
		f.t.Fatal("no call recorded")
	}
	return calls[len(calls)-1]
}

func TestRouting(t *testing.T) {
	t.Parallel()
	f := newFleet(t)
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}
	jsonHdr := func(target string) http.Header {
		return http.Header{"Content-Type": {"application/x-amz-json-1.1"}, "X-Amz-Target": {target}}
	}
	signed := func(h http.Header, region, service string) http.Header {
		h = h.Clone()
		h.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDROUTE/20260302/"+region+"/"+service+"/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000")
		return h
	}

	t.Run("SigV4 scope", func(t *testing.T) {
		// The signing name wins over everything else: a MemoryDB target
		// signed for Redshift Serverless goes to Redshift Serverless.
		status, body := f.rawCall("POST", "/", signed(jsonHdr("AmazonMemoryDB.DescribeClusters"), "us-east-1", "redshift-serverless"), "{}")
		c := f.lastCall()
		if c.Service != "redshift-serverless" || status != 400 || !strings.Contains(body, "UnknownOperationException") {
			t.Fatalf("scope redshift-serverless: routed to %s, %d %s", c.Service, status, body)
		}
		// The scope's region is the request's region.
		status, body = f.rawCall("POST", "/", signed(jsonHdr("AmazonMemoryDB.DescribeClusters"), "eu-west-1", "memorydb"), "{}")
		c = f.lastCall()
		if c.Service != "memorydb" || c.Region != "eu-west-1" || c.AccessKeyID != "AKIDROUTE" || status != 200 || !strings.Contains(body, `"Clusters":[]`) {
			t.Fatalf("scope memorydb/eu-west-1: %+v %d %s", c, status, body)
		}
		// And the real SDK signs every call: the record shows the scope.
		try(f.rss.ListNamespaces(ctx, &redshiftserverless.ListNamespacesInput{})).must(t)
		if c := f.lastCall(); c.Service != "redshift-serverless" || c.Action != "ListNamespaces" || c.Region != "us-east-1" || c.AccessKeyID != accessKey {
			t.Fatalf("SDK call recorded as %+v", c)
		}
	})

	t.Run("X-Amz-Target without signature", func(t *testing.T) {
		for _, tc := range []struct{ target, service, want string }{
			{"AmazonMemoryDB.DescribeClusters", "memorydb", `"Name":"ledger"`},
			{"RedshiftServerless.ListNamespaces", "redshift-serverless", `"namespaceName":"analytics"`},
			{"ResourceGroupsTaggingAPI_20170126.GetResources", "tagging", `"ResourceTagMappingList"`},
			{"AWSEvents.ListEventBuses", "events", `"Name":"snapflow"`},
		} {
			status, body := f.rawCall("POST", "/", jsonHdr(tc.target), "{}")
			c := f.lastCall()
			if status != 200 || c.Service != tc.service || c.Region != "us-east-1" || !strings.Contains(body, tc.want) {
				t.Errorf("%s: %d, routed to %s (%s): %.200s", tc.target, status, c.Service, c.Region, body)
			}
		}
	})

	t.Run("awsQuery Version", func(t *testing.T) {
		status, body := f.rawCall("POST", "/", form, url.Values{"Action": {"DescribeReplicationGroups"}, "Version": {"2015-02-02"}}.Encode())
		if c := f.lastCall(); status != 200 || c.Service != "elasticache" || !strings.Contains(body, "<DescribeReplicationGroupsResponse xmlns=\"http://elasticache.amazonaws.com/doc/2015-02-02/\">") {
			t.Errorf("ElastiCache by Version: %d %s %.300s", status, c.Service, body)
		}
		status, body = f.rawCall("POST", "/", form, url.Values{"Action": {"ListTopics"}, "Version": {"2010-03-31"}}.Encode())
		if c := f.lastCall(); status != 200 || c.Service != "sns" || !strings.Contains(body, "snapflow-alerts") {
			t.Errorf("SNS by Version: %d %s %.300s", status, c.Service, body)
		}
		// An awsQuery error is an ErrorResponse document.
		status, body = f.rawCall("POST", "/", form, url.Values{"Action": {"DescribeSnapshots"}, "Version": {"2015-02-02"}, "SnapshotName": {"nope"}}.Encode())
		if status != 404 || !strings.Contains(body, "<ErrorResponse") || !strings.Contains(body, "<Code>SnapshotNotFoundFault</Code>") || !strings.Contains(body, "<Type>Sender</Type>") {
			t.Errorf("ElastiCache error: %d %s", status, body)
		}
	})

	t.Run("S3 by default", func(t *testing.T) {
		status, body := f.rawCall("GET", "/snapflow-exports?list-type=2", nil, "")
		c := f.lastCall()
		if status != 200 || c.Service != "s3" || c.Action != "ListObjectsV2" || !strings.Contains(body, "<ListBucketResult") {
			t.Errorf("unsigned GET: %d %+v %.300s", status, c, body)
		}
		// A form POST without a known Version is not awsQuery: S3.
		f.rawCall("POST", "/snapflow-exports", form, "Action=Whatever")
		if c := f.lastCall(); c.Service != "s3" {
			t.Errorf("unknown form POST routed to %s", c.Service)
		}
		// An unknown signing name is answered, not dropped.
		status, body = f.rawCall("POST", "/", signed(jsonHdr("DynamoDB_20120810.ListTables"), "us-east-1", "dynamodb"), "{}")
		if status != 400 || !strings.Contains(body, "does not emulate") {
			t.Errorf("unknown service: %d %s", status, body)
		}
	})
}

// --- the SDK configured from the environment ---

// TestSDKFromEnvironment reaches the local AWS the way snapflow's binaries
// do: config.LoadDefaultConfig with AWS_ENDPOINT_URL (all services) and
// AWS_ENDPOINT_URL_<SERVICE> (one service, which wins). Not parallel:
// t.Setenv.
func TestSDKFromEnvironment(t *testing.T) {
	f := newFleet(t)
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	// AWS_CA_BUNDLE (set on some machines) cannot be combined with a
	// custom *http.Client: LoadDefaultConfig fails with "unable to add
	// custom RootCAs HTTPClient".
	t.Setenv("AWS_CA_BUNDLE", "")
	os.Unsetenv("AWS_CA_BUNDLE")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ENDPOINT_URL", f.url)
	for _, s := range []string{"ELASTICACHE", "MEMORYDB", "REDSHIFT_SERVERLESS", "S3", "RESOURCE_GROUPS_TAGGING_API", "SNS", "EVENTBRIDGE"} {
		t.Setenv("AWS_ENDPOINT_URL_"+s, "")
		os.Unsetenv("AWS_ENDPOINT_URL_" + s)
	}

	load := func() aws.Config {
		t.Helper()
		cfg, err := config.LoadDefaultConfig(ctx, config.WithHTTPClient(awsclient.HTTPClient()))
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	cfg := load()
	if out := try(elasticache.NewFromConfig(cfg).DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{})).must(t); len(out.ReplicationGroups) != 3 {
		t.Errorf("replication groups: %d", len(out.ReplicationGroups))
	}
	if out := try(memorydb.NewFromConfig(cfg).DescribeClusters(ctx, &memorydb.DescribeClustersInput{})).must(t); len(out.Clusters) != 2 {
		t.Errorf("memorydb clusters: %d", len(out.Clusters))
	}
	if out := try(redshiftserverless.NewFromConfig(cfg).ListNamespaces(ctx, &redshiftserverless.ListNamespacesInput{})).must(t); len(out.Namespaces) != 3 {
		t.Errorf("namespaces: %d", len(out.Namespaces))
	}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	try(s3c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("snapflow-exports")})).must(t)
	try(resourcegroupstaggingapi.NewFromConfig(cfg).GetResources(ctx, &resourcegroupstaggingapi.GetResourcesInput{})).must(t)
	try(sns.NewFromConfig(cfg).ListTopics(ctx, &sns.ListTopicsInput{})).must(t)
	try(eventbridge.NewFromConfig(cfg).ListEventBuses(ctx, &eventbridge.ListEventBusesInput{})).must(t)
	if c := f.lastCall(); c.AccessKeyID != "AKIDENV" || c.Service != "events" {
		t.Errorf("last call %+v", c)
	}

	// AWS_ENDPOINT_URL_<SERVICE> wins over AWS_ENDPOINT_URL: with the
	// general one pointing nowhere, only the named services get through.
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	t.Setenv("AWS_ENDPOINT_URL_ELASTICACHE", f.url)
	t.Setenv("AWS_ENDPOINT_URL_MEMORYDB", f.url)
	t.Setenv("AWS_ENDPOINT_URL_REDSHIFT_SERVERLESS", f.url)
	t.Setenv("AWS_ENDPOINT_URL_S3", f.url)
	cfg = load()
	try(elasticache.NewFromConfig(cfg).DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{})).must(t)
	try(memorydb.NewFromConfig(cfg).DescribeSnapshots(ctx, &memorydb.DescribeSnapshotsInput{})).must(t)
	try(redshiftserverless.NewFromConfig(cfg).ListSnapshots(ctx, &redshiftserverless.ListSnapshotsInput{})).must(t)
	try(s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).ListBuckets(ctx, &s3.ListBucketsInput{})).must(t)
	noRetry := func(o *sns.Options) { o.Retryer = aws.NopRetryer{} }
	if _, err := sns.NewFromConfig(cfg, noRetry).ListTopics(ctx, &sns.ListTopicsInput{}); err == nil {
		t.Error("SNS reached the local AWS although only AWS_ENDPOINT_URL (a dead address) applies to it")
	}
}

// --- the admin API ---

func TestAdminAPI(t *testing.T) {
	t.Parallel()
	f := newFleet(t)

	var health map[string]any
	if f.admin("GET", "health", nil, &health) != 200 || health["ok"] != true || health["region"] != "us-east-1" || health["accountId"] != account {
		t.Fatalf("health: %v", health)
	}

	t.Run("faults", func(t *testing.T) {
		var added struct{ ID int }
		if st := f.admin("POST", "faults", emu.Fault{Service: "elasticache", Action: "DescribeSnapshots", Kind: emu.FaultThrottle, Count: 1}, &added); st != 200 || added.ID == 0 {
			t.Fatalf("add fault: %d %+v", st, added)
		}
		var list []emu.Fault
		f.admin("GET", "faults", nil, &list)
		if len(list) != 1 || list[0].ID != added.ID || list[0].Kind != emu.FaultThrottle {
			t.Fatalf("faults: %+v", list)
		}
		_, err := f.ec.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{})
		wantCode(t, err, "APICallRateForCustomerExceeded")
		try(f.ec.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{})).must(t) // Count 1: spent

		// A fault by JSON, as a user would post it with curl, then removed by ID.
		var second struct{ ID int }
		f.admin("POST", "faults", `{"service":"memorydb","action":"CreateSnapshot","resource":"ledger","kind":"internal"}`, &second)
		_, err = f.mdb.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{ClusterName: aws.String("ledger"), SnapshotName: aws.String("admin-1")})
		wantCode(t, err, "InternalFailure")
		if st := f.admin("DELETE", fmt.Sprintf("faults/%d", second.ID), nil, nil); st != 200 {
			t.Fatalf("delete fault: %d", st)
		}
		try(f.mdb.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{ClusterName: aws.String("ledger"), SnapshotName: aws.String("admin-1")})).must(t)

		f.admin("POST", "faults", emu.Fault{Service: "s3", Kind: emu.FaultAccessDenied}, nil)
		_, err = f.s3.ListBuckets(ctx, &s3.ListBucketsInput{})
		wantCode(t, err, "AccessDenied")
		f.admin("DELETE", "faults", nil, nil)
		f.admin("GET", "faults", nil, &list)
		if len(list) != 0 {
			t.Fatalf("faults after DELETE: %+v", list)
		}
		try(f.s3.ListBuckets(ctx, &s3.ListBucketsInput{})).must(t)

		if st := f.admin("POST", "faults", `{"kind": `, nil); st != 400 {
			t.Errorf("bad JSON: %d", st)
		}
		if st := f.admin("DELETE", "faults/x", nil, nil); st != 400 {
			t.Errorf("bad fault ID: %d", st)
		}
	})

	t.Run("rate limits", func(t *testing.T) {
		if st := f.admin("POST", "ratelimits", `{"service":"redshift-serverless","action":"ListSnapshots","rate":0.5,"burst":2}`, nil); st != 200 {
			t.Fatalf("rate limit: %d", st)
		}
		list := func() error {
			_, err := f.rss.ListSnapshots(ctx, &redshiftserverless.ListSnapshotsInput{})
			return err
		}
		noErr(t, list())
		noErr(t, list())
		wantCode(t, list(), "ThrottlingException")
		try(f.rss.ListNamespaces(ctx, &redshiftserverless.ListNamespacesInput{})).must(t) // other actions pass
		f.admin("POST", "clock", localaws.ClockChange{Advance: "2s"}, nil)                // one token at 0.5/s
		noErr(t, list())
		wantCode(t, list(), "ThrottlingException")
		f.admin("POST", "ratelimits", `{"service":"redshift-serverless","action":"ListSnapshots"}`, nil) // rate 0: removed
		for range 5 {
			noErr(t, list())
		}
	})

	t.Run("clock", func(t *testing.T) {
		var st localaws.ClockState
		f.admin("GET", "clock", nil, &st)
		if st.Speed != 0 || st.Now.Before(t0) {
			t.Fatalf("clock: %+v", st)
		}
		before := st.Now
		f.admin("POST", "clock", `{"advance": "90s"}`, &st)
		if !st.Now.Equal(before.Add(90 * time.Second)) {
			t.Fatalf("advance 90s: %v -> %v", before, st.Now)
		}
		target := before.Add(time.Hour)
		f.admin("POST", "clock", localaws.ClockChange{AdvanceTo: &target}, &st)
		if !st.Now.Equal(target) || !f.now().Equal(target) {
			t.Fatalf("advanceTo: %v", st.Now)
		}
		f.admin("POST", "clock", localaws.ClockChange{AdvanceTo: &before}, &st) // the past: ignored
		if !st.Now.Equal(target) {
			t.Fatalf("advanceTo the past moved the clock to %v", st.Now)
		}
		speed := 3600.0
		f.admin("POST", "clock", localaws.ClockChange{Speed: &speed}, &st)
		time.Sleep(20 * time.Millisecond)
		f.admin("GET", "clock", nil, &st)
		if st.Speed != 3600 || st.Now.Sub(target) < time.Minute {
			t.Fatalf("at speed 3600 for 20 ms the clock moved %v", st.Now.Sub(target))
		}
		zero := 0.0
		f.admin("POST", "clock", localaws.ClockChange{Speed: &zero}, &st)
		stopped := st.Now
		time.Sleep(5 * time.Millisecond)
		f.admin("GET", "clock", nil, &st)
		if !st.Now.Equal(stopped) {
			t.Fatalf("stopped clock moved from %v to %v", stopped, st.Now)
		}
		if code := f.admin("POST", "clock", `{"advance": "soon"}`, nil); code != 400 {
			t.Errorf("bad duration: %d", code)
		}
	})

	t.Run("calls", func(t *testing.T) {
		f.admin("DELETE", "calls", nil, nil)
		try(f.ec.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String("orders")})).must(t)
		_, err := f.mdb.DescribeSnapshots(ctx, &memorydb.DescribeSnapshotsInput{SnapshotName: aws.String("missing")})
		wantErr[*mdbtypes.SnapshotNotFoundFault](t, err)
		var calls []emu.Call
		f.admin("GET", "calls", nil, &calls)
		if len(calls) != 2 {
			t.Fatalf("calls: %+v", calls)
		}
		if c := calls[0]; c.Seq != 1 || c.Service != "elasticache" || c.Action != "DescribeReplicationGroups" || c.Status != 200 ||
			c.Resource != "arn:aws:elasticache:us-east-1:"+account+":replicationgroup:orders" || c.ErrorCode != "" || c.RequestID == "" {
			t.Errorf("call 1: %+v", c)
		}
		if c := calls[1]; c.Service != "memorydb" || c.Action != "DescribeSnapshots" || c.Status != 400 || c.ErrorCode != "SnapshotNotFoundFault" ||
			c.Resource != "arn:aws:memorydb:us-east-1:"+account+":snapshot/missing" {
			t.Errorf("call 2: %+v", c)
		}
		f.admin("DELETE", "calls", nil, nil)
		f.admin("GET", "calls", nil, &calls)
		if len(calls) != 0 {
			t.Errorf("calls after DELETE: %d", len(calls))
		}
	})

	t.Run("seed", func(t *testing.T) {
		seed := `{"region": "us-east-1",
		  "memorydb": {"clusters": [{"name": "late", "nodeType": "db.t4g.small", "numShards": 1, "dataSizeMB": 10}]},
		  "sns": {"topics": [{"name": "late-topic"}]}}`
		if st := f.admin("POST", "seed", seed, nil); st != 200 {
			t.Fatalf("seed: %d", st)
		}
		out := try(f.mdb.DescribeClusters(ctx, &memorydb.DescribeClustersInput{ClusterName: aws.String("late")})).must(t)
		if *out.Clusters[0].Status != "available" {
			t.Errorf("seeded cluster: %s", *out.Clusters[0].Status)
		}
		if st := f.admin("POST", "seed", `{"memorydb": {"clusters": [{"name": "late", "nodeType": "db.t4g.small"}]}}`, nil); st != 400 {
			t.Errorf("seeding an existing name: %d", st)
		}
		if st := f.admin("POST", "seed", `{"dynamodb": {}}`, nil); st != 400 {
			t.Errorf("unknown section: %d", st)
		}
	})

	if st := f.admin("GET", "nowhere", nil, nil); st != 404 {
		t.Errorf("unknown admin route: %d", st)
	}
}

// --- the call record ---

func TestCallRecord(t *testing.T) {
	t.Parallel()
	f := newFleet(t)
	f.aws.ResetCalls()
	try(f.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String("orders"), SnapshotName: aws.String("rec-1")})).must(t)
	_, err := f.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{CacheClusterId: aws.String("leaderboard"), SnapshotName: aws.String("rec-1")})
	wantErr[*ectypes.SnapshotAlreadyExistsFault](t, err)
	f.advance(time.Hour)
	try(f.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("snapflow-exports")})).must(t)
	_, err = f.rss.GetSnapshot(ctx, &redshiftserverless.GetSnapshotInput{SnapshotName: aws.String("none")})
	wantCode(t, err, "ResourceNotFoundException")

	calls := f.aws.Calls()
	want := []emu.Call{
		{Service: "elasticache", Action: "CreateSnapshot", Resource: "arn:aws:elasticache:us-east-1:" + account + ":replicationgroup:orders", Status: 200},
		{Service: "elasticache", Action: "CreateSnapshot", Resource: "arn:aws:elasticache:us-east-1:" + account + ":cluster:leaderboard", Status: 400, ErrorCode: "SnapshotAlreadyExistsFault"},
		{Service: "s3", Action: "ListObjectsV2", Resource: "arn:aws:s3:::snapflow-exports", Status: 200},
		{Service: "redshift-serverless", Action: "GetSnapshot", Resource: "none", Status: 400, ErrorCode: "ResourceNotFoundException"},
	}
	if len(calls) != len(want) {
		t.Fatalf("%d calls recorded, want %d: %+v", len(calls), len(want), calls)
	}
	for i, w := range want {
		c := calls[i]
		if c.Service != w.Service || c.Action != w.Action || c.Resource != w.Resource || c.Status != w.Status || c.ErrorCode != w.ErrorCode {
			t.Errorf("call %d = %+v, want %+v", i+1, c, w)
		}
		if c.Seq != i+1 || c.Region != "us-east-1" || c.AccessKeyID != accessKey || c.RequestID == "" {
			t.Errorf("call %d: seq/region/key/request ID %+v", i+1, c)
		}
	}
	if !calls[0].Time.Equal(t0) || !calls[2].Time.Equal(t0.Add(time.Hour)) {
		t.Errorf("call times (simulated) %v, %v", calls[0].Time, calls[2].Time)
	}
	if !calls[0].Mutating() || calls[2].Mutating() {
		t.Error("Mutating: CreateSnapshot should be, ListObjectsV2 not")
	}
}

// --- faults ---

// TestThrottleCodes injects a throttle on one call of each service and
// checks the code the SDK reports, and whether snapflow's retryer (and the
// SDK's default one) would retry it.
func TestThrottleCodes(t *testing.T) {
	t.Parallel()
	f := newFleet(t)
	for _, tc := range []struct {
		service, code string
		call          func() error
		sdkRetries    bool // retry.NewStandard's default retryables
	}{
		{"elasticache", "APICallRateForCustomerExceeded", func() error {
			_, err := f.ec.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{})
			return err
		}, false},
		{"memorydb", "APICallRateForCustomerExceededFault", func() error {
			_, err := f.mdb.DescribeSnapshots(ctx, &memorydb.DescribeSnapshotsInput{})
			return err
		}, false},
		{"redshift-serverless", "ThrottlingException", func() error {
			_, err := f.rss.ListSnapshots(ctx, &redshiftserverless.ListSnapshotsInput{})
			return err
		}, true},
		{"s3", "SlowDown", func() error {
			_, err := f.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("snapflow-exports")})
			return err
		}, true},
		{"tagging", "ThrottledException", func() error {
			_, err := f.tag.GetResources(ctx, &resourcegroupstaggingapi.GetResourcesInput{})
			return err
		}, true},
		{"sns", "ThrottlingException", func() error {
			_, err := f.sns.ListTopics(ctx, &sns.ListTopicsInput{})
			return err
		}, true},
		{"events", "ThrottlingException", func() error {
			_, err := f.eb.ListEventBuses(ctx, &eventbridge.ListEventBusesInput{})
			return err
		}, true},
	} {
		t.Run(tc.service, func(t *testing.T) {
			f.aws.Faults().Add(emu.Fault{Service: tc.service, Kind: emu.FaultThrottle, Count: 1})
			err := tc.call()
			wantCode(t, err, tc.code)
			if c := f.lastCall(); c.Fault != "throttle" || c.ErrorCode != tc.code {
				t.Errorf("recorded %+v", c)
			}
			if got := retry.NewStandard().IsErrorRetryable(err); got != tc.sdkRetries {
				t.Errorf("SDK standard retryer retries %s: %v, want %v", tc.code, got, tc.sdkRetries)
			}
			if tc.service == "elasticache" || tc.service == "memorydb" {
				if !awsclient.NewRetryer().IsErrorRetryable(err) {
					t.Errorf("awsclient's retryer does not retry %s", tc.code)
				}
			}
			if err := tc.call(); err != nil { // Count 1: spent
				t.Errorf("second call: %v", err)
			}
		})
	}
}

func TestFaultKinds(t *testing.T) {
	t.Parallel()
	f := newFleet(t)
	faults := f.aws.Faults()

	// 500s: each service's internal error, typed where the model has it.
	id := faults.Add(emu.Fault{Service: "elasticache", Kind: emu.FaultInternal})
	_, err := f.ec.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{})
	wantCode(t, err, "InternalFailure")
	if re := wantErr[*awshttp.ResponseError](t, err); re.HTTPStatusCode() != 500 {
		t.Errorf("status %d", re.HTTPStatusCode())
	}
	faults.Remove(id)
	id = faults.Add(emu.Fault{Service: "redshift-serverless", Kind: emu.FaultInternal})
	_, err = f.rss.ListNamespaces(ctx, &redshiftserverless.ListNamespacesInput{})
	wantErr[*rsstypes.InternalServerException](t, err)
	faults.Remove(id)

	// Access denied.
	id = faults.Add(emu.Fault{Service: "memorydb", Action: "DescribeClusters", Kind: emu.FaultAccessDenied})
	_, err = f.mdb.DescribeClusters(ctx, &memorydb.DescribeClustersInput{})
	wantCode(t, err, "AccessDeniedException")
	faults.Remove(id)
	id = faults.Add(emu.Fault{Service: "elasticache", Kind: emu.FaultAccessDenied})
	_, err = f.ec.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{})
	wantCode(t, err, "AccessDenied")
	wantMessage(t, err, "is not authorized to perform: elasticache:DescribeSnapshots")
	faults.Remove(id)

	// Busy and quota, per resource: only the named resource is hit.
	id = faults.Add(emu.Fault{Service: "elasticache", Action: "CreateSnapshot", Resource: "replicationgroup:orders", Kind: emu.FaultBusy})
	_, err = f.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String("orders"), SnapshotName: aws.String("busy-1")})
	wantErr[*ectypes.InvalidReplicationGroupStateFault](t, err)
	try(f.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String("sessions"), SnapshotName: aws.String("busy-2")})).must(t)
	faults.Remove(id)
	id = faults.Add(emu.Fault{Service: "memorydb", Action: "CreateSnapshot", Kind: emu.FaultQuota})
	_, err = f.mdb.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{ClusterName: aws.String("ledger"), SnapshotName: aws.String("q-1")})
	wantErr[*mdbtypes.SnapshotQuotaExceededFault](t, err)
	faults.Remove(id)

	// A fault that fires after a number of matching calls, a number of times.
	id = faults.Add(emu.Fault{Service: "sns", Action: "ListTopics", Kind: emu.FaultError, Code: "InvalidParameter", Message: "injected", Status: 400, After: 1, Count: 1})
	try(f.sns.ListTopics(ctx, &sns.ListTopicsInput{})).must(t)
	_, err = f.sns.ListTopics(ctx, &sns.ListTopicsInput{})
	wantCode(t, err, "InvalidParameter")
	try(f.sns.ListTopics(ctx, &sns.ListTopicsInput{})).must(t)
	faults.Remove(id)

	// Snapshots that end failed, in each service.
	faults.Add(emu.Fault{Action: "CreateSnapshot", Kind: emu.FaultSnapshotFailed})
	faults.Add(emu.Fault{Action: "CreateServerlessCacheSnapshot", Kind: emu.FaultSnapshotFailed})
	ec := try(f.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{CacheClusterId: aws.String("leaderboard"), SnapshotName: aws.String("doomed-ec")})).must(t)
	sl := try(f.ec.CreateServerlessCacheSnapshot(ctx, &elasticache.CreateServerlessCacheSnapshotInput{ServerlessCacheName: aws.String("carts"), ServerlessCacheSnapshotName: aws.String("doomed-sl")})).must(t)
	md := try(f.mdb.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{ClusterName: aws.String("ledger"), SnapshotName: aws.String("doomed-mdb")})).must(t)
	rs := try(f.rss.CreateSnapshot(ctx, &redshiftserverless.CreateSnapshotInput{NamespaceName: aws.String("finance"), SnapshotName: aws.String("doomed-rss")})).must(t)
	if *ec.Snapshot.SnapshotStatus != "creating" || *sl.ServerlessCacheSnapshot.Status != "creating" || *md.Snapshot.Status != "creating" || rs.Snapshot.Status != "CREATING" {
		t.Fatalf("doomed snapshots start creating: %s %s %s %s", *ec.Snapshot.SnapshotStatus, *sl.ServerlessCacheSnapshot.Status, *md.Snapshot.Status, rs.Snapshot.Status)
	}
	f.advance(2 * time.Hour)
	ecd := try(f.ec.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{SnapshotName: aws.String("doomed-ec")})).must(t)
	sld := try(f.ec.DescribeServerlessCacheSnapshots(ctx, &elasticache.DescribeServerlessCacheSnapshotsInput{ServerlessCacheSnapshotName: aws.String("doomed-sl")})).must(t)
	mdd := try(f.mdb.DescribeSnapshots(ctx, &memorydb.DescribeSnapshotsInput{SnapshotName: aws.String("doomed-mdb")})).must(t)
	rsd := try(f.rss.GetSnapshot(ctx, &redshiftserverless.GetSnapshotInput{SnapshotName: aws.String("doomed-rss")})).must(t)
	if *ecd.Snapshots[0].SnapshotStatus != "failed" || *sld.ServerlessCacheSnapshots[0].Status != "failed" || *mdd.Snapshots[0].Status != "failed" || rsd.Snapshot.Status != "FAILED" {
		t.Errorf("doomed snapshots end: %s %s %s %s", *ecd.Snapshots[0].SnapshotStatus, *sld.ServerlessCacheSnapshots[0].Status, *mdd.Snapshots[0].Status, rsd.Snapshot.Status)
	}
	// A failed snapshot can be deleted.
	try(f.ec.DeleteSnapshot(ctx, &elasticache.DeleteSnapshotInput{SnapshotName: aws.String("doomed-ec")})).must(t)
	try(f.mdb.DeleteSnapshot(ctx, &memorydb.DeleteSnapshotInput{SnapshotName: aws.String("doomed-mdb")})).must(t)
	try(f.rss.DeleteSnapshot(ctx, &redshiftserverless.DeleteSnapshotInput{SnapshotName: aws.String("doomed-rss")})).must(t)
	faults.Reset()
}

// TestSlowFault: a slow response does the call, then holds the answer back
// for simulated time, outside the service's lock: other calls to the same
// service (and S3, which settles exports first) go on meanwhile.
func TestSlowFault(t *testing.T) {
	t.Parallel()
	f := newFleet(t)
	cases := []struct {
		service, action string
		slow, other     func() error
	}{
		{"redshift-serverless", "ListNamespaces",
			func() error {
				_, err := f.rss.ListNamespaces(ctx, &redshiftserverless.ListNamespacesInput{})
				return err
			},
			func() error { _, err := f.rss.ListSnapshots(ctx, &redshiftserverless.ListSnapshotsInput{}); return err }},
		{"elasticache", "DescribeReplicationGroups",
			func() error {
				_, err := f.ec.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{})
				return err
			},
			func() error { _, err := f.ec.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{}); return err }},
		{"memorydb", "DescribeClusters",
			func() error { _, err := f.mdb.DescribeClusters(ctx, &memorydb.DescribeClustersInput{}); return err },
			func() error { _, err := f.mdb.DescribeSnapshots(ctx, &memorydb.DescribeSnapshotsInput{}); return err }},
	}
	for _, tc := range cases {
		f.aws.Faults().Add(emu.Fault{Service: tc.service, Action: tc.action, Kind: emu.FaultSlow, Delay: 30 * time.Second, Count: 1})
		done := make(chan error, 1)
		go func() { done <- tc.slow() }()
		select {
		case err := <-done:
			t.Fatalf("%s: slow call returned before the clock moved: %v", tc.service, err)
		case <-time.After(50 * time.Millisecond):
		}
		// Other calls to the same service and to S3 are not held up.
		if err := tc.other(); err != nil {
			t.Fatalf("%s: other call: %v", tc.service, err)
		}
		try(f.s3.ListBuckets(ctx, &s3.ListBucketsInput{})).must(t)
		f.advance(30 * time.Second)
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: slow call not released by Advance", tc.service)
		}
	}
}

// TestRateLimit: a token bucket in simulated time per service (or action);
// calls beyond it get the service's throttle code.
func TestRateLimit(t *testing.T) {
	t.Parallel()
	f := newFleet(t)
	f.aws.Faults().SetRateLimit(emu.RateLimit{Service: "memorydb", Rate: 1, Burst: 2})
	describe := func() error {
		_, err := f.mdb.DescribeClusters(ctx, &memorydb.DescribeClustersInput{})
		return err
	}
	noErr(t, describe())
	noErr(t, describe())
	// The SDK types APICallRateForCustomerExceededFault only for the
	// operations whose model lists it (FailoverShard); elsewhere it is a
	// generic API error with that code.
	wantCode(t, describe(), "APICallRateForCustomerExceededFault")
	if c := f.lastCall(); c.Fault != "rate-limit" {
		t.Errorf("recorded fault %q", c.Fault)
	}
	// Another service is not limited.
	try(f.ec.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{})).must(t)
	f.advance(time.Second)
	noErr(t, describe())
	wantCode(t, describe(), "APICallRateForCustomerExceededFault")
	f.aws.Faults().SetRateLimit(emu.RateLimit{Service: "memorydb"})
	noErr(t, describe())
}
