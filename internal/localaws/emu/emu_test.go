package emu

import (
	"context"
	"net/url"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func TestClockStoppedAndAdvanced(t *testing.T) {
	c := NewClock(t0, 0)
	time.Sleep(2 * time.Millisecond)
	if got := c.Now(); !got.Equal(t0) {
		t.Fatalf("stopped clock moved: %v", got)
	}
	c.Advance(90 * time.Second)
	if got := c.Now(); !got.Equal(t0.Add(90 * time.Second)) {
		t.Fatalf("Advance: got %v", got)
	}
	c.AdvanceTo(t0) // earlier: ignored
	if got := c.Now(); !got.Equal(t0.Add(90 * time.Second)) {
		t.Fatalf("AdvanceTo went back: %v", got)
	}
}

func TestClockScaled(t *testing.T) {
	c := NewClock(t0, 3600) // an hour per second
	start := time.Now()
	if err := c.Sleep(context.Background(), 30*time.Minute); err != nil {
		t.Fatal(err)
	}
	if real := time.Since(start); real > 5*time.Second {
		t.Fatalf("30 simulated minutes took %v of real time at speed 3600", real)
	}
	if got := c.Now().Sub(t0); got < 30*time.Minute {
		t.Fatalf("slept only %v of simulated time", got)
	}
}

func TestClockSleepWokenByAdvance(t *testing.T) {
	c := NewClock(t0, 0)
	done := make(chan error, 1)
	go func() { done <- c.Sleep(context.Background(), time.Minute) }()
	time.Sleep(5 * time.Millisecond)
	c.Advance(2 * time.Minute)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Sleep not woken by Advance")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Sleep(ctx, time.Minute); err == nil {
		t.Fatal("Sleep ignored a cancelled context")
	}
}

var codes = FaultCodes{
	Throttle:     APIError{Code: "Throttled", Status: 400},
	AccessDenied: APIError{Code: "Denied", Status: 403},
	Internal:     APIError{Code: "Internal", Status: 500, Server: true},
	Busy:         func(r string) *APIError { return Errorf("Busy", "%s is busy", r) },
}

func TestFaultsMatchAfterCount(t *testing.T) {
	f := NewFaults(NewClock(t0, 0))
	f.Add(Fault{Service: "elasticache", Action: "CreateSnapshot", Resource: "orders", Kind: FaultThrottle, After: 1, Count: 2})
	var got []string
	for i := 0; i < 5; i++ {
		req := &Request{Service: "elasticache", Action: "CreateSnapshot"}
		_, err := f.Admit(req, "arn:aws:elasticache:us-east-1:1:replicationgroup:orders", &codes)
		if err != nil {
			got = append(got, err.Code)
		} else {
			got = append(got, "ok")
		}
	}
	want := []string{"ok", "Throttled", "Throttled", "ok", "ok"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("call outcomes = %v, want %v", got, want)
		}
	}
	// Other resources, actions and services are untouched.
	for _, r := range []*Request{{Service: "elasticache", Action: "DescribeSnapshots"}, {Service: "memorydb", Action: "CreateSnapshot"}} {
		if _, err := f.Admit(r, "orders", &codes); err != nil {
			t.Fatalf("%s/%s got %v", r.Service, r.Action, err)
		}
	}
}

func TestFaultKinds(t *testing.T) {
	for _, tc := range []struct {
		kind     FaultKind
		wantCode string
		wantFail bool
	}{
		{FaultThrottle, "Throttled", false},
		{FaultInternal, "Internal", false},
		{FaultAccessDenied, "Denied", false},
		{FaultBusy, "Busy", false},
		{FaultQuota, "", false}, // no Quota builder: ignored
		{FaultSnapshotFailed, "", true},
	} {
		f := NewFaults(NewClock(t0, 0))
		f.Add(Fault{Kind: tc.kind})
		req := &Request{Service: "s", Action: "A"}
		adm, err := f.Admit(req, "r", &codes)
		code := ""
		if err != nil {
			code = err.Code
		}
		if code != tc.wantCode || adm.FailSnapshot != tc.wantFail {
			t.Errorf("%s: code %q fail %v, want %q %v", tc.kind, code, adm.FailSnapshot, tc.wantCode, tc.wantFail)
		}
		if req.Fault != string(tc.kind) || req.Resource != "r" {
			t.Errorf("%s: request not marked: %+v", tc.kind, req)
		}
	}
}

func TestRateLimitTokenBucket(t *testing.T) {
	clock := NewClock(t0, 0)
	f := NewFaults(clock)
	f.SetRateLimit(RateLimit{Service: "memorydb", Rate: 2, Burst: 3})
	admit := func() bool {
		_, err := f.Admit(&Request{Service: "memorydb", Action: "DescribeSnapshots"}, "", &codes)
		return err == nil
	}
	ok := 0
	for i := 0; i < 10; i++ {
		if admit() {
			ok++
		}
	}
	if ok != 3 {
		t.Fatalf("burst admitted %d calls, want 3", ok)
	}
	clock.Advance(time.Second) // 2 tokens
	ok = 0
	for i := 0; i < 10; i++ {
		if admit() {
			ok++
		}
	}
	if ok != 2 {
		t.Fatalf("after 1 s at 2/s admitted %d, want 2", ok)
	}
	f.SetRateLimit(RateLimit{Service: "memorydb"}) // removed
	if !admit() {
		t.Fatal("rate limit not removed")
	}
}

func TestPage(t *testing.T) {
	items := []int{1, 2, 3, 4, 5}
	var all []int
	token := ""
	pages := 0
	for {
		p, next, err := Page(items, token, 2)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, p...)
		pages++
		if next == "" {
			break
		}
		token = next
	}
	if len(all) != 5 || pages != 3 {
		t.Fatalf("paged %v in %d pages", all, pages)
	}
	if _, _, err := Page(items, "bogus", 2); err == nil {
		t.Fatal("bad token accepted")
	}
}

func TestQueryLists(t *testing.T) {
	form := url.Values{
		"TagKeys.member.1": {"a"}, "TagKeys.member.2": {"b"},
		"Tags.Tag.1.Key": {"k1"}, "Tags.Tag.1.Value": {"v1"}, "Tags.Tag.2.Key": {"k2"},
	}
	if got := QueryList(form, "TagKeys.member"); len(got) != 2 || got[1] != "b" {
		t.Fatalf("QueryList = %v", got)
	}
	got := QueryStructs(form, "Tags.Tag")
	if len(got) != 2 || got[0]["Value"] != "v1" || got[1]["Key"] != "k2" {
		t.Fatalf("QueryStructs = %v", got)
	}
}

func TestParseARN(t *testing.T) {
	a, ok := ParseARN("arn:aws:elasticache:us-east-1:123456789012:snapshot:my-snap")
	if !ok || a.Service != "elasticache" || a.Resource != "snapshot:my-snap" || a.Region != "us-east-1" {
		t.Fatalf("ParseARN = %+v %v", a, ok)
	}
	if _, ok := ParseARN("my-snap"); ok {
		t.Fatal("non-ARN parsed")
	}
}
