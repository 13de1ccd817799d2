package localredshiftserverless

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
	rss "github.com/aws/aws-sdk-go-v2/service/redshiftserverless"
	"github.com/aws/aws-sdk-go-v2/service/redshiftserverless/types"
	"github.com/aws/smithy-go"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// harness runs the service behind a minimal awsJson router on an httptest
// server, as the shared router will, so the real SDK client can talk to it.
type harness struct {
	t      *testing.T
	clock  *emu.Clock
	faults *emu.Faults
	rec    *emu.Recorder
	svc    *Service
	srv    *httptest.Server

	mu   sync.Mutex
	reqs []*emu.Request
}

func newHarness(t *testing.T, opts Options) *harness {
	t.Helper()
	clock := emu.NewClock(t0, 0)
	h := &harness{t: t, clock: clock, faults: emu.NewFaults(clock), rec: &emu.Recorder{}}
	h.svc = NewWithOptions(&emu.Env{
		Clock: clock, Faults: h.faults, Recorder: h.rec, AccountID: emu.DefaultAccountID,
		SnapshotModel: emu.DefaultDurationModel,
	}, opts)
	h.srv = httptest.NewServer(http.HandlerFunc(h.route))
	t.Cleanup(h.srv.Close)
	return h
}

// route is a minimal awsJson1_1 router: action from X-Amz-Target, region
// from the SigV4 credential scope.
func (h *harness) route(w http.ResponseWriter, r *http.Request) {
	region, service := emu.SigV4Scope(r)
	if region == "" {
		region = emu.DefaultRegion
	}
	target := r.Header.Get("X-Amz-Target")
	action, ok := strings.CutPrefix(target, TargetPrefix+".")
	if !ok || service != SigningName {
		http.Error(w, "bad target "+target+" for "+service, http.StatusBadRequest)
		return
	}
	req := &emu.Request{Context: r.Context(), Service: service, Action: action, Region: region,
		AccountID: emu.DefaultAccountID, RequestID: emu.NewRequestID()}
	rw := &statusWriter{ResponseWriter: w, status: 200}
	h.svc.ServeAWS(rw, r, req)
	h.rec.Record(emu.Call{Time: h.clock.Now(), Service: req.Service, Action: req.Action, Region: req.Region,
		Resource: req.Resource, Status: rw.status, ErrorCode: req.ErrorCode, Fault: req.Fault, RequestID: req.RequestID})
	h.mu.Lock()
	h.reqs = append(h.reqs, req)
	h.mu.Unlock()
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (h *harness) client(region string) *rss.Client {
	return rss.New(rss.Options{
		Region:       region,
		BaseEndpoint: aws.String(h.srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", ""),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   h.srv.Client(),
	})
}

func (h *harness) east() *rss.Client { return h.client("us-east-1") }

func (h *harness) advance(d time.Duration) { h.clock.Advance(d) }

var ctx = context.Background()

// seedNamespace creates a namespace and workgroup through the API and sets
// its data size (the API has no such parameter).
func (h *harness) namespace(c *rss.Client, name string, dataSizeMB int64) *types.Namespace {
	h.t.Helper()
	out, err := c.CreateNamespace(ctx, &rss.CreateNamespaceInput{NamespaceName: aws.String(name), AdminUsername: aws.String("admin")})
	if err != nil {
		h.t.Fatalf("CreateNamespace %s: %v", name, err)
	}
	if _, err := c.CreateWorkgroup(ctx, &rss.CreateWorkgroupInput{NamespaceName: aws.String(name), WorkgroupName: aws.String(name + "-wg")}); err != nil {
		h.t.Fatalf("CreateWorkgroup %s: %v", name, err)
	}
	h.svc.mu.Lock()
	for _, n := range h.svc.namespaces {
		if n.arn == aws.ToString(out.Namespace.NamespaceArn) {
			n.dataSizeMB = dataSizeMB
		}
	}
	h.svc.mu.Unlock()
	return out.Namespace
}

func (h *harness) snapshot(c *rss.Client, ns, name string, retention *int32) *types.Snapshot {
	h.t.Helper()
	out, err := c.CreateSnapshot(ctx, &rss.CreateSnapshotInput{NamespaceName: aws.String(ns), SnapshotName: aws.String(name), RetentionPeriod: retention})
	if err != nil {
		h.t.Fatalf("CreateSnapshot %s: %v", name, err)
	}
	return out.Snapshot
}

func (h *harness) get(c *rss.Client, name string) *types.Snapshot {
	h.t.Helper()
	out, err := c.GetSnapshot(ctx, &rss.GetSnapshotInput{SnapshotName: aws.String(name)})
	if err != nil {
		h.t.Fatalf("GetSnapshot %s: %v", name, err)
	}
	return out.Snapshot
}

// wantErr asserts err is (or wraps) a T and returns it.
func wantErr[T error](t *testing.T, err error) T {
	t.Helper()
	var target T
	if err == nil {
		t.Fatalf("want %T, got no error", target)
	}
	if !errors.As(err, &target) {
		t.Fatalf("want %T, got %T: %v", target, err, err)
	}
	return target
}

// wantCode asserts the API error code of err.
func wantCode(t *testing.T, err error, code string) smithy.APIError {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want API error %s, got %v", code, err)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("want code %s, got %s (%s)", code, ae.ErrorCode(), ae.ErrorMessage())
	}
	return ae
}

func i32(v int32) *int32 { return &v }
