package localelasticache

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
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/smithy-go"

	"github.com/snapflow/snapflow/internal/awsclient"
	"github.com/snapflow/snapflow/internal/localaws/emu"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// harness runs the service behind a minimal router, as the local AWS does,
// and talks to it with the real SDK client.
type harness struct {
	t     *testing.T
	svc   *Service
	env   *emu.Env
	clock *emu.Clock
	store *fakeStore
	url   string
	ec    *elasticache.Client // us-east-1
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	clock := emu.NewClock(t0, 0)
	store := newFakeStore()
	env := &emu.Env{
		Clock:         clock,
		Faults:        emu.NewFaults(clock),
		Recorder:      &emu.Recorder{},
		AccountID:     emu.DefaultAccountID,
		Store:         store,
		SnapshotModel: emu.DefaultDurationModel,
	}
	svc := New(env)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		region, _ := emu.SigV4Scope(r)
		req := &emu.Request{
			Context:   r.Context(),
			Service:   "elasticache",
			Action:    r.PostForm.Get("Action"),
			Region:    region,
			AccountID: env.AccountID,
			RequestID: emu.NewRequestID(),
		}
		svc.ServeAWS(w, r, req)
		env.Recorder.Record(emu.Call{Service: req.Service, Action: req.Action, Region: req.Region,
			Resource: req.Resource, ErrorCode: req.ErrorCode, Fault: req.Fault, RequestID: req.RequestID,
			Resources: req.AllResources(), Params: req.Params, RequestTags: req.RequestTags, ResourceTags: req.ResourceTags})
	}))
	t.Cleanup(srv.Close)
	h := &harness{t: t, svc: svc, env: env, clock: clock, store: store, url: srv.URL}
	h.ec = h.client("us-east-1")
	return h
}

// client returns an SDK client for region, without retries.
func (h *harness) client(region string) *elasticache.Client {
	return elasticache.New(elasticache.Options{
		Region:       region,
		BaseEndpoint: aws.String(h.url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", ""),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   awsclient.HTTPClient(),
	})
}

func (h *harness) advance(d time.Duration) { h.clock.Advance(d) }

func (h *harness) seed(js string) {
	h.t.Helper()
	if err := h.svc.Seed("us-east-1", []byte(js)); err != nil {
		h.t.Fatalf("seed: %v", err)
	}
}

var ctx = context.Background()

// must fails the test on err.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// wantErr asserts err is the SDK's typed error T.
func wantErr[T error](t *testing.T, err error) T {
	t.Helper()
	var target T
	if err == nil {
		t.Fatalf("want %T, got no error", target)
	}
	if !errors.As(err, &target) {
		t.Fatalf("want %T, got %v", target, err)
	}
	return target
}

// wantCode asserts err carries the API error code and, when given, an
// HTTP status and a message substring.
func wantCode(t *testing.T, err error, code string, status int, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want API error %s, got %v", code, err)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("want code %s, got %s (%s)", code, ae.ErrorCode(), ae.ErrorMessage())
	}
	if msg != "" && !strings.Contains(ae.ErrorMessage(), msg) {
		t.Fatalf("want message containing %q, got %q", msg, ae.ErrorMessage())
	}
	if status != 0 {
		var re *awshttp.ResponseError
		if !errors.As(err, &re) || re.HTTPStatusCode() != status {
			t.Fatalf("want HTTP %d, got %v", status, err)
		}
	}
}

// --- a small emu.ObjectStore standing in for the local S3 ---

type fakeStore struct {
	mu      sync.Mutex
	buckets map[string]*fakeBucket
}

func newFakeStore() *fakeStore { return &fakeStore{buckets: map[string]*fakeBucket{}} }

func (s *fakeStore) Bucket(name string) (emu.Bucket, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[name]
	if !ok {
		return nil, false
	}
	return b, true
}

// add creates a bucket; acl maps canonical user IDs to permissions.
func (s *fakeStore) add(name, region, ownership string, acl map[string][]string) *fakeBucket {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := &fakeBucket{name: name, region: region, ownership: ownership, acl: acl, objects: map[string][]byte{}}
	s.buckets[name] = b
	return b
}

type policyStatement struct{ principal, action, resource string }

type fakeBucket struct {
	mu        sync.Mutex
	name      string
	region    string
	ownership string
	acl       map[string][]string
	policy    []policyStatement
	objects   map[string][]byte
}

func (b *fakeBucket) Name() string            { return b.name }
func (b *fakeBucket) Region() string          { return b.region }
func (b *fakeBucket) ObjectOwnership() string { return b.ownership }

func (b *fakeBucket) ACLPermissions(id string) []string { return b.acl[id] }

// PolicyAllows matches statements exactly, or by a resource ending in "*".
func (b *fakeBucket) PolicyAllows(principal, action, resource string) bool {
	for _, st := range b.policy {
		if st.principal != principal || (st.action != action && st.action != "s3:*") {
			continue
		}
		if st.resource == resource || (strings.HasSuffix(st.resource, "*") && strings.HasPrefix(resource, strings.TrimSuffix(st.resource, "*"))) {
			return true
		}
	}
	return false
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
	var out []string
	for k := range b.objects {
		out = append(out, k)
	}
	return out
}

func (b *fakeBucket) object(key string) []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.objects[key]
}

// granted is the ACL ElastiCache's export needs in a default region.
func granted() map[string][]string {
	return map[string][]string{CanonicalUserID("us-east-1"): {"READ", "WRITE", "READ_ACP"}}
}
