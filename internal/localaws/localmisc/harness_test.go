package localmisc

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
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

var (
	t0  = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	ctx = context.Background()
)

// harness serves SNS, EventBridge and the tagging API behind a minimal
// router like the local AWS's: the SigV4 scope picks the service, the form
// Action or X-Amz-Target the operation.
type harness struct {
	t       *testing.T
	env     *emu.Env
	clock   *emu.Clock
	sns     *SNS
	events  *Events
	tagging *Tagging
	srv     *httptest.Server
	mu      sync.Mutex
	calls   []emu.Request
}

func newHarness(t *testing.T, sources ...emu.TagSource) *harness {
	t.Helper()
	clock := emu.NewClock(t0, 0)
	env := &emu.Env{Clock: clock, Faults: emu.NewFaults(clock), Recorder: &emu.Recorder{}, AccountID: emu.DefaultAccountID}
	h := &harness{t: t, env: env, clock: clock, sns: NewSNS(env), events: NewEvents(env)}
	h.tagging = NewTagging(env, sources...)
	services := map[string]emu.Service{"sns": h.sns, "events": h.events, "tagging": h.tagging}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		region, name := emu.SigV4Scope(r)
		svc, ok := services[name]
		if !ok {
			http.Error(w, "no service "+name, http.StatusBadRequest)
			return
		}
		req := &emu.Request{Context: r.Context(), Service: name, Region: region, AccountID: env.AccountID, RequestID: emu.NewRequestID()}
		if target := r.Header.Get("X-Amz-Target"); target != "" {
			_, req.Action, _ = strings.Cut(target, ".")
		} else {
			_ = r.ParseForm()
			req.Action = r.PostForm.Get("Action")
		}
		svc.ServeAWS(w, r, req)
		h.mu.Lock()
		h.calls = append(h.calls, *req)
		h.mu.Unlock()
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *harness) cfg(region string) aws.Config {
	return aws.Config{
		Region:       region,
		BaseEndpoint: aws.String(h.srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", ""),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
	}
}

func (h *harness) snsClient(region string) *sns.Client { return sns.NewFromConfig(h.cfg(region)) }

func (h *harness) ebClient(region string) *eventbridge.Client {
	return eventbridge.NewFromConfig(h.cfg(region))
}

func (h *harness) taggingClient(region string) *resourcegroupstaggingapi.Client {
	return resourcegroupstaggingapi.NewFromConfig(h.cfg(region))
}

func (h *harness) lastCall(action string) emu.Request {
	h.t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := len(h.calls) - 1; i >= 0; i-- {
		if h.calls[i].Action == action {
			return h.calls[i]
		}
	}
	h.t.Fatalf("no call %s recorded", action)
	return emu.Request{}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// mustAs asserts that err is (wraps) the typed SDK error T.
func mustAs[T error](t *testing.T, err error) T {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("want %T, got %v", target, err)
	}
	return target
}

func mustCode(t *testing.T, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		t.Fatalf("want error code %s, got %v", code, err)
	}
}
