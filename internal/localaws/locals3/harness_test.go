package locals3

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// harness runs the S3 behind a minimal router, as the local AWS's router
// will: it builds the emu.Request from the SigV4 scope and records the call.
type harness struct {
	t     *testing.T
	env   *emu.Env
	svc   *Service
	srv   *httptest.Server
	mu    sync.Mutex
	calls []emu.Request
}

func newHarness(t *testing.T, tls bool) *harness {
	t.Helper()
	clock := emu.NewClock(t0, 0)
	env := &emu.Env{Clock: clock, Faults: emu.NewFaults(clock), Recorder: &emu.Recorder{}, AccountID: emu.DefaultAccountID}
	h := &harness{t: t, env: env}
	h.svc = New(env)
	env.Store = h.svc
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		region, _ := emu.SigV4Scope(r)
		if region == "" {
			region = emu.DefaultRegion
		}
		req := &emu.Request{Context: r.Context(), Service: "s3", Region: region, AccountID: env.AccountID, RequestID: emu.NewRequestID()}
		h.svc.ServeAWS(w, r, req)
		h.mu.Lock()
		h.calls = append(h.calls, *req)
		h.mu.Unlock()
	})
	if tls {
		h.srv = httptest.NewTLSServer(handler)
	} else {
		h.srv = httptest.NewServer(handler)
	}
	t.Cleanup(h.srv.Close)
	return h
}

// client returns a real S3 client for region, path-style, without retries.
func (h *harness) client(region string) *s3.Client {
	return s3.New(s3.Options{
		Region:       region,
		BaseEndpoint: aws.String(h.srv.URL),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", ""),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   h.srv.Client(),
		// What config.LoadDefaultConfig gives: checksums whenever supported.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	})
}

// lastCall returns the last recorded call with the given action.
func (h *harness) lastCall(action string) emu.Request {
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

var ctx = context.Background()

// mustCode asserts that err is an API error with the code.
func mustCode(t *testing.T, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want API error %s, got %v", code, err)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("want error code %s, got %s (%v)", code, ae.ErrorCode(), err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (h *harness) createBucket(c *s3.Client, name string, fns ...func(*s3.CreateBucketInput)) {
	h.t.Helper()
	in := &s3.CreateBucketInput{Bucket: aws.String(name)}
	for _, f := range fns {
		f(in)
	}
	if _, err := c.CreateBucket(ctx, in); err != nil {
		h.t.Fatalf("CreateBucket %s: %v", name, err)
	}
}
