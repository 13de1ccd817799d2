package localmemorydb

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/memorydb"
	"github.com/aws/aws-sdk-go-v2/service/memorydb/types"
	"github.com/aws/smithy-go"

	"github.com/snapflow/snapflow/internal/awsclient"
	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// t0 is the simulated start of every test.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// harness runs one local MemoryDB behind a minimal awsJson router, as the
// shared router will: region from the SigV4 scope, action from X-Amz-Target.
type harness struct {
	t     *testing.T
	svc   *Service
	env   *emu.Env
	store *fakeStore
	srv   *httptest.Server
	calls []*emu.Request
	mu    sync.Mutex
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	clock := emu.NewClock(t0, 0)
	store := &fakeStore{buckets: map[string]*fakeBucket{}}
	env := &emu.Env{
		Clock:         clock,
		Faults:        emu.NewFaults(clock),
		Recorder:      &emu.Recorder{},
		AccountID:     emu.DefaultAccountID,
		Store:         store,
		SnapshotModel: emu.DefaultDurationModel,
	}
	h := &harness{t: t, svc: New(env), env: env, store: store}
	h.srv = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *harness) serve(w http.ResponseWriter, r *http.Request) {
	region, service := emu.SigV4Scope(r)
	if region == "" {
		region = emu.DefaultRegion
	}
	target := r.Header.Get("X-Amz-Target")
	prefix, action, _ := strings.Cut(target, ".")
	if prefix != "AmazonMemoryDB" || (service != "" && service != "memorydb") {
		http.Error(w, "not memorydb", http.StatusBadRequest)
		return
	}
	req := &emu.Request{
		Context: r.Context(), Service: "memorydb", Action: action, Region: region,
		AccountID: h.env.AccountID, RequestID: emu.NewRequestID(),
	}
	h.svc.ServeAWS(w, r, req)
	h.mu.Lock()
	h.calls = append(h.calls, req)
	h.mu.Unlock()
}

// client returns a MemoryDB client for region that never retries.
func (h *harness) client(region string) *memorydb.Client {
	return memorydb.New(memorydb.Options{
		Region:       region,
		BaseEndpoint: aws.String(h.srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", ""),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   awsclient.HTTPClient(),
	})
}

func (h *harness) advance(d time.Duration) { h.env.Clock.Advance(d) }

// seed loads a "memorydb" seed section in us-east-1 or fails the test.
func (h *harness) seed(section string) {
	h.t.Helper()
	if err := h.svc.Seed("us-east-1", []byte(section)); err != nil {
		h.t.Fatalf("seed: %v", err)
	}
}

var ctx = context.Background()

// wantErr checks that err is the SDK's typed error T.
func wantErr[T error](t *testing.T, err error) T {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("got error %v (%T), want %T", err, err, target)
	}
	return target
}

// wantCode checks the error code of any smithy API error.
func wantCode(t *testing.T, err error, code string) smithy.APIError {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got error %v (%T), want API error %s", err, err, code)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("got error code %s (%v), want %s", ae.ErrorCode(), err, code)
	}
	return ae
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// snapshotOf describes one snapshot.
func (h *harness) snapshotOf(c *memorydb.Client, name string, detail bool) types.Snapshot {
	h.t.Helper()
	out, err := c.DescribeSnapshots(ctx, &memorydb.DescribeSnapshotsInput{SnapshotName: aws.String(name), ShowDetail: aws.Bool(detail)})
	if err != nil {
		h.t.Fatalf("DescribeSnapshots %s: %v", name, err)
	}
	if len(out.Snapshots) != 1 {
		h.t.Fatalf("DescribeSnapshots %s: %d snapshots", name, len(out.Snapshots))
	}
	return out.Snapshots[0]
}

// clusterOf describes one cluster.
func (h *harness) clusterOf(c *memorydb.Client, name string, shards bool) types.Cluster {
	h.t.Helper()
	out, err := c.DescribeClusters(ctx, &memorydb.DescribeClustersInput{ClusterName: aws.String(name), ShowShardDetails: aws.Bool(shards)})
	if err != nil {
		h.t.Fatalf("DescribeClusters %s: %v", name, err)
	}
	if len(out.Clusters) != 1 {
		h.t.Fatalf("DescribeClusters %s: %d clusters", name, len(out.Clusters))
	}
	return out.Clusters[0]
}

// --- a small fake S3 (the real one lives in locals3) ---

type fakeStore struct {
	mu      sync.Mutex
	buckets map[string]*fakeBucket
}

func (s *fakeStore) Bucket(name string) (emu.Bucket, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[name]
	if !ok {
		return nil, false
	}
	return b, true
}

// add creates a bucket; allow lists the s3 actions its policy grants the
// MemoryDB snapshot principal of region on the bucket and its objects.
func (s *fakeStore) add(name, region, ownership string, allow ...string) *fakeBucket {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := &fakeBucket{name: name, region: region, ownership: ownership, objects: map[string][]byte{}, allowed: map[string]bool{}}
	for _, a := range allow {
		b.allowed[region+".memorydb-snapshot.amazonaws.com|"+a] = true
	}
	s.buckets[name] = b
	return b
}

// exportActions is the policy the MemoryDB guide asks for (Step 2).
var exportActions = []string{"s3:PutObject", "s3:GetObject", "s3:ListBucket", "s3:GetBucketAcl", "s3:ListMultipartUploadParts", "s3:ListBucketMultipartUploads"}

type fakeBucket struct {
	mu                      sync.Mutex
	name, region, ownership string
	allowed                 map[string]bool // principal|action
	objects                 map[string][]byte
}

func (b *fakeBucket) Name() string                             { return b.name }
func (b *fakeBucket) Region() string                           { return b.region }
func (b *fakeBucket) ObjectOwnership() string                  { return b.ownership }
func (b *fakeBucket) ACLPermissions(canonical string) []string { return nil }

func (b *fakeBucket) PolicyAllows(principal, action, resource string) bool {
	arn := "arn:aws:s3:::" + b.name
	if resource != arn && !strings.HasPrefix(resource, arn+"/") {
		return false
	}
	return b.allowed[principal+"|"+action]
}

func (b *fakeBucket) ObjectExists(key string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.objects[key]
	return ok
}

func (b *fakeBucket) PutObject(key string, body []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.objects[key] = append([]byte(nil), body...)
	return nil
}

func (b *fakeBucket) keys() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return emu.SortedKeys(b.objects)
}
