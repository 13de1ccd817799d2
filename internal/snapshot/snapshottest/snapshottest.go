// Package snapshottest is the conformance suite every snapshot.Adapter
// runs, as go-cloud's drivertest: RunConformance drives an adapter through
// the real local AWS (internal/localaws) with real SDK clients, from a
// small Harness that says what the adapter is, what to seed and what the
// service can do. Each subtest gets a fresh local AWS whose clock stands
// still; the suite moves it. Error classes are provoked through the local
// AWS's faults and real states, never through mocks.
package snapshottest

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/snapflow/snapflow/internal/awsclient"
	"github.com/snapflow/snapflow/internal/errclass"
	"github.com/snapflow/snapflow/internal/localaws"
	"github.com/snapflow/snapflow/internal/localaws/emu"
	"github.com/snapflow/snapflow/internal/naming"
	"github.com/snapflow/snapflow/internal/snapshot"
)

// Ref names a source of the seed.
type Ref struct {
	ID   string
	Kind string // "" for the service's default kind
}

// Harness describes one adapter under test and the local AWS it runs
// against.
type Harness struct {
	// Service is what the adapter's Service must answer (snapshot.Services).
	Service string
	// NewAdapter builds the adapter under test over SDK clients made from
	// cfg. The suite points cfg at a fresh local AWS for every subtest and
	// chooses its retryer (awsclient.NewRetryer, or aws.NopRetryer where a
	// fault must reach the adapter).
	NewAdapter func(cfg aws.Config) snapshot.Adapter
	// Seed is the local AWS seed file (JSON) of every subtest: the sources
	// and buckets named below.
	Seed string
	// Source is a source that can snapshot; Shards is what Source reports
	// for it.
	Source Ref
	Shards int
	// ExportObjects is how many objects an export of its snapshot writes
	// (default Shards). ElastiCache Serverless does not report its internal
	// shards, so its Shards is 1 whatever the cache writes.
	ExportObjects int
	// Bucket is an export bucket set up for the service; DeniedBucket is
	// one without the grant or policy it needs. Both empty without export.
	Bucket, DeniedBucket string
	// Caps is what Capabilities must report (Reason aside).
	Caps snapshot.Capabilities
	// CannotSnapshot are sources for which Source must report CanSnapshot
	// false with a reason, and Create must be errclass.Unsupported.
	CannotSnapshot []Ref
	// CannotExport are sources that can snapshot but whose snapshots cannot
	// be exported: Source says so with a reason, Export is Unsupported.
	CannotExport []Ref
	// DailyQuota is how many manual snapshots Source may take in any 24
	// hours: the suite takes that many and expects QuotaExceeded for the
	// next. 0 skips that test (an injected fault still provokes the class).
	DailyQuota int
	// Step is how far the clock moves between two polls (default 30 s).
	Step time.Duration
}

// Start is the simulated time every subtest starts at: the schedule slot
// of the snapshots it names.
var Start = time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)

// Policy is the policy name in the snapshots' names and managed tags.
const Policy = "nightly"

// signingNames maps services to the SigV4 names the local AWS records
// their calls and matches faults under.
var signingNames = map[string]string{
	snapshot.ElastiCache:           "elasticache",
	snapshot.ElastiCacheServerless: "elasticache",
	snapshot.MemoryDB:              "memorydb",
	snapshot.RedshiftServerless:    "redshift-serverless",
}

// RunConformance runs the conformance suite against the adapter h
// describes.
func RunConformance(t *testing.T, h Harness) {
	t.Helper()
	if h.NewAdapter == nil || h.Source.ID == "" {
		t.Fatal("snapshottest: the harness needs NewAdapter and Source")
	}
	if _, ok := signingNames[h.Service]; !ok {
		t.Fatalf("snapshottest: unknown service %q", h.Service)
	}
	if h.Step <= 0 {
		h.Step = 30 * time.Second
	}
	if h.Shards <= 0 {
		h.Shards = 1
	}
	if h.ExportObjects <= 0 {
		h.ExportObjects = h.Shards
	}
	tests := []struct {
		name string
		run  func(*env)
	}{
		{"Capabilities", testCapabilities},
		{"Source", testSource},
		{"Lifecycle", testLifecycle},
		{"AlreadyExists", testAlreadyExists},
		{"Throttled", testThrottled},
		{"ThrottledRetried", testThrottledRetried},
		{"TargetBusy", testTargetBusy},
		{"NotFound", testNotFound},
		{"QuotaExceeded", testQuotaExceeded},
		{"DailyQuota", testDailyQuota},
		{"InvalidInput", testInvalidInput},
		{"Unsupported", testUnsupported},
		{"AccessDenied", testAccessDenied},
		{"SnapshotFailed", testSnapshotFailed},
		{"ExportFailed", testExportFailed},
		{"Transient", testTransient},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(newEnv(t, h))
		})
	}
}

// env is one subtest's local AWS and the adapters over it.
type env struct {
	t       *testing.T
	h       Harness
	ctx     context.Context
	aws     *localaws.AWS
	cfg     aws.Config
	a       snapshot.Adapter // awsclient.NewRetryer (short backoff)
	nop     snapshot.Adapter // aws.NopRetryer
	s3      *s3.Client
	signing string
}

// Local starts a local AWS for t with its clock stopped at Start, seeds it
// and returns it with a config for its clients (awsclient.NewRetryer, its
// backoff cut to a millisecond so that retries do not slow tests).
func Local(t *testing.T, seed string) (*localaws.AWS, aws.Config) {
	t.Helper()
	local := localaws.New(localaws.Options{Speed: 0, Start: Start})
	if err := local.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = local.Close() })
	if err := local.Seed([]byte(seed)); err != nil {
		t.Fatalf("seed: %v", err)
	}
	return local, Config(local.URL(), func() aws.Retryer {
		return retry.AddWithMaxBackoffDelay(awsclient.NewRetryer(), time.Millisecond)
	})
}

func newEnv(t *testing.T, h Harness) *env {
	t.Helper()
	local, cfg := Local(t, h.Seed)
	nopCfg := cfg.Copy()
	nopCfg.Retryer = func() aws.Retryer { return aws.NopRetryer{} }
	return &env{
		t:       t,
		h:       h,
		ctx:     context.Background(),
		aws:     local,
		cfg:     cfg,
		a:       h.NewAdapter(cfg),
		nop:     h.NewAdapter(nopCfg),
		s3:      s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }),
		signing: signingNames[h.Service],
	}
}

// Config returns an aws.Config for the local AWS at url: us-east-1, static
// credentials, awsclient.HTTPClient and the given retryer.
func Config(url string, retryer func() aws.Retryer) aws.Config {
	return aws.Config{
		Region:       emu.DefaultRegion,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDSNAPFLOWTEST", "secret", ""),
		BaseEndpoint: aws.String(url),
		HTTPClient:   awsclient.HTTPClient(),
		Retryer:      retryer,
	}
}

// --- names and helpers ---

func (e *env) name(target string) string {
	return naming.SnapshotName(e.h.Service, Policy, target, Start)
}

func (e *env) copyName(target string) string {
	return naming.CopyName(e.h.Service, "", Policy, target, Start)
}

// tags are the managed tags of a snapshot of target plus a user tag.
func tags(target string) map[string]string {
	m := naming.ManagedTags(Policy, target, Start)
	m["team"] = "payments"
	return m
}

func (e *env) create(a snapshot.Adapter, src Ref, name string) (snapshot.Snapshot, error) {
	return a.Create(e.ctx, snapshot.CreateInput{SourceID: src.ID, SourceKind: src.Kind, Name: name, Tags: tags(src.ID)})
}

// mustCreate creates a snapshot of src and waits until it is available.
func (e *env) mustCreate(src Ref, name string) snapshot.Snapshot {
	e.t.Helper()
	if _, err := e.create(e.a, src, name); err != nil {
		e.t.Fatalf("Create %s: %v", name, err)
	}
	sn := e.wait(name)
	if sn.Status != snapshot.Available {
		e.t.Fatalf("%s ended %s (%s), want available", name, sn.Status, sn.RawStatus)
	}
	return sn
}

// wait polls Describe, moving the clock between polls, until the snapshot
// is no longer in progress.
func (e *env) wait(name string) snapshot.Snapshot {
	e.t.Helper()
	for range 1000 {
		sn, err := e.a.Describe(e.ctx, name)
		if err != nil {
			e.t.Fatalf("Describe %s: %v", name, err)
		}
		if !sn.Status.InProgress() {
			if sn.Status == snapshot.Unknown {
				e.t.Fatalf("Describe %s: status %q not normalised", name, sn.RawStatus)
			}
			return sn
		}
		step := e.h.Step
		if s := time.Duration(sn.EstimatedSecondsToCompletion) * time.Second; s > 0 && s < step {
			step = s
		}
		e.aws.Clock().Advance(step)
	}
	e.t.Fatalf("%s still in progress after 1000 polls", name)
	return snapshot.Snapshot{}
}

// waitGone polls Describe until the snapshot is NotFound.
func (e *env) waitGone(name string) {
	e.t.Helper()
	for range 1000 {
		sn, err := e.a.Describe(e.ctx, name)
		if errclass.Is(err, errclass.NotFound) {
			return
		}
		if err != nil {
			e.t.Fatalf("Describe %s after Delete: %v", name, err)
		}
		if sn.Status != snapshot.Deleting && sn.Status != snapshot.Deleted {
			e.t.Fatalf("%s after Delete is %s (%s), want deleting or gone", name, sn.Status, sn.RawStatus)
		}
		e.aws.Clock().Advance(e.h.Step)
	}
	e.t.Fatalf("%s not gone after 1000 polls", name)
}

// mark returns the number of calls made so far, for since.
func (e *env) mark() int { return len(e.aws.Calls()) }

// since returns the calls to the adapter's service made after mark.
func (e *env) since(mark int) []emu.Call {
	var out []emu.Call
	for _, c := range e.aws.Calls()[mark:] {
		if c.Service == e.signing {
			out = append(out, c)
		}
	}
	return out
}

func actions(calls []emu.Call) []string {
	out := make([]string, len(calls))
	for i, c := range calls {
		out[i] = c.Action
		if c.ErrorCode != "" {
			out[i] += "(" + c.ErrorCode + ")"
		}
	}
	return out
}

// fault injects a fault into the adapter's service.
func (e *env) fault(f emu.Fault) {
	f.Service = e.signing
	e.aws.Faults().Add(f)
}

// wantClass asserts err is an *errclass.Error of class whose message
// mentions the resource, and returns it.
func wantClass(t *testing.T, err error, class errclass.Class, mentions string) *errclass.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("want %s, got no error", class)
	}
	var ce *errclass.Error
	if !errors.As(err, &ce) {
		t.Fatalf("want %s, got %T: %v", class, err, err)
	}
	if ce.Class != class {
		t.Fatalf("want %s, got %v", class, err)
	}
	if mentions != "" && !strings.Contains(ce.Message, mentions) {
		t.Fatalf("%s message %q does not mention %q", class, ce.Message, mentions)
	}
	return ce
}

// wantAWS asserts the error keeps the AWS answer: the code, and the SDK
// error (code and message) as its cause.
func wantAWS(t *testing.T, ce *errclass.Error, codes ...string) {
	t.Helper()
	var api smithy.APIError
	if ce.Code == "" || !errors.As(ce, &api) || api.ErrorCode() != ce.Code || api.ErrorMessage() == "" {
		t.Fatalf("%v: the AWS code and message are not kept (Code %q)", ce, ce.Code)
	}
	if len(codes) > 0 && !contains(codes, ce.Code) {
		t.Fatalf("%v: AWS code %q, want one of %v", ce, ce.Code, codes)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// wantManagedTags asserts a snapshot carries the managed tags of target.
func wantManagedTags(t *testing.T, sn snapshot.Snapshot, target string) {
	t.Helper()
	for k, v := range naming.ManagedTags(Policy, target, Start) {
		if sn.Tags[k] != v {
			t.Fatalf("%s: tag %s = %q, want %q (tags %v)", sn.Name, k, sn.Tags[k], v, sn.Tags)
		}
	}
}

// --- the tests ---

func testCapabilities(e *env) {
	t := e.t
	if got := e.a.Service(); got != e.h.Service {
		t.Fatalf("Service() = %q, want %q", got, e.h.Service)
	}
	c := e.a.Capabilities()
	if c.Copy != e.h.Caps.Copy || c.Export != e.h.Caps.Export {
		t.Fatalf("Capabilities() = %+v, want copy %v export %v", c, e.h.Caps.Copy, e.h.Caps.Export)
	}
	if (!c.Copy || !c.Export) && c.Reason == "" {
		t.Fatalf("Capabilities() = %+v: a missing capability needs a reason", c)
	}
}

func testSource(e *env) {
	t := e.t
	mark := e.mark()
	src, err := e.a.Source(e.ctx, e.h.Source.ID, e.h.Source.Kind)
	if err != nil {
		t.Fatalf("Source: %v", err)
	}
	if src.ID != e.h.Source.ID || src.Kind == "" || src.ARN == "" || src.Engine == "" {
		t.Fatalf("Source = %+v", src)
	}
	if !strings.EqualFold(src.Status, "available") {
		t.Fatalf("Source status %q, want available", src.Status)
	}
	if !src.CanSnapshot || src.CanExport != e.h.Caps.Export || src.Shards != e.h.Shards {
		t.Fatalf("Source = %+v, want CanSnapshot, CanExport %v, %d shards", src, e.h.Caps.Export, e.h.Shards)
	}
	if !src.CanExport && src.Reason == "" {
		t.Fatalf("Source = %+v: CanExport false needs a reason", src)
	}
	if e.h.Source.Kind == "" {
		// The default kind is the one reported.
		again, err := e.a.Source(e.ctx, e.h.Source.ID, src.Kind)
		if err != nil || again.ID != src.ID {
			t.Fatalf("Source with kind %q: %+v %v", src.Kind, again, err)
		}
	}
	if n := len(e.since(mark)); n > 4 {
		t.Fatalf("Source made %d calls", n)
	}
	for _, ref := range e.h.CannotSnapshot {
		src, err := e.a.Source(e.ctx, ref.ID, ref.Kind)
		if err != nil {
			t.Fatalf("Source %s: %v", ref.ID, err)
		}
		if src.CanSnapshot || src.CanExport || src.Reason == "" {
			t.Fatalf("Source %s = %+v, want it unable to snapshot, with a reason", ref.ID, src)
		}
	}
	for _, ref := range e.h.CannotExport {
		src, err := e.a.Source(e.ctx, ref.ID, ref.Kind)
		if err != nil {
			t.Fatalf("Source %s: %v", ref.ID, err)
		}
		if !src.CanSnapshot || src.CanExport || src.Reason == "" {
			t.Fatalf("Source %s = %+v, want it able to snapshot but not to export, with a reason", ref.ID, src)
		}
	}
}

// testLifecycle: Create → poll → Tag → Copy → poll → Export → poll →
// verify the objects → List → Delete → gone, counting calls where the
// interface promises a number.
func testLifecycle(e *env) {
	t := e.t
	src := e.h.Source
	name, copyName := e.name(src.ID), e.copyName(src.ID)
	want := tags(src.ID)

	mark := e.mark()
	sn, err := e.create(e.a, src, name)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if calls := e.since(mark); len(calls) != 1 {
		t.Fatalf("Create made calls %v, want one (tags on create)", actions(calls))
	}
	if sn.Name != name || sn.Status != snapshot.Creating || sn.RawStatus == "" || sn.ARN == "" || !maps.Equal(sn.Tags, want) {
		t.Fatalf("Create = %+v", sn)
	}

	mark = e.mark()
	sn, err = e.a.Describe(e.ctx, name)
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	if calls := e.since(mark); len(calls) > 2 {
		t.Fatalf("Describe made calls %v, want at most two", actions(calls))
	}
	if sn.Status != snapshot.Creating || sn.SourceID != src.ID || !maps.Equal(sn.Tags, want) {
		t.Fatalf("Describe while creating = %+v", sn)
	}
	sn = e.wait(name)
	if sn.Status != snapshot.Available || sn.CreatedAt.IsZero() {
		t.Fatalf("after creating: %+v", sn)
	}
	if e.h.Shards > 1 && sn.Shards != e.h.Shards {
		t.Fatalf("snapshot shards %d, want %d", sn.Shards, e.h.Shards)
	}

	// Tag by name, then by ARN (one call).
	if err := e.a.Tag(e.ctx, name, map[string]string{"extra": "1"}); err != nil {
		t.Fatalf("Tag: %v", err)
	}
	mark = e.mark()
	if err := e.a.Tag(e.ctx, sn.ARN, map[string]string{"extra": "2"}); err != nil {
		t.Fatalf("Tag by ARN: %v", err)
	}
	if calls := e.since(mark); len(calls) != 1 {
		t.Fatalf("Tag by ARN made calls %v, want one", actions(calls))
	}
	if sn, err = e.a.Describe(e.ctx, name); err != nil || sn.Tags["extra"] != "2" {
		t.Fatalf("after Tag: %+v %v", sn, err)
	}
	wantManagedTags(t, sn, src.ID)

	listed := []string{name}
	if e.h.Caps.Copy {
		cp, err := e.a.Copy(e.ctx, snapshot.CopyInput{SourceName: name, TargetName: copyName, Tags: want})
		if err != nil {
			t.Fatalf("Copy: %v", err)
		}
		if cp.Name != copyName || cp.Status != snapshot.Creating || !maps.Equal(cp.Tags, want) {
			t.Fatalf("Copy = %+v", cp)
		}
		if cp = e.wait(copyName); cp.Status != snapshot.Available {
			t.Fatalf("copy ended %+v", cp)
		}
		wantManagedTags(t, cp, src.ID)
		if sn = e.wait(name); sn.Status != snapshot.Available {
			t.Fatalf("source of the copy ended %+v", sn)
		}
		listed = append(listed, copyName)
	}

	if e.h.Caps.Export {
		ex, err := e.a.Export(e.ctx, snapshot.ExportInput{SnapshotName: name, Name: name, Bucket: e.h.Bucket})
		if err != nil {
			t.Fatalf("Export: %v", err)
		}
		if ex.Bucket != e.h.Bucket || ex.SnapshotName != name || !strings.HasSuffix(ex.KeyPrefix, "-") ||
			(len(ex.Keys) > 0 && len(ex.Keys) != e.h.ExportObjects) {
			t.Fatalf("Export = %+v, want %d keys", ex, e.h.ExportObjects)
		}
		for _, k := range ex.Keys {
			if !strings.HasPrefix(k, ex.KeyPrefix) || !strings.HasSuffix(k, ".rdb") {
				t.Fatalf("Export key %q outside %q", k, ex.KeyPrefix)
			}
		}
		if sn, err = e.a.Describe(e.ctx, ex.SnapshotName); err != nil || !sn.Status.InProgress() {
			t.Fatalf("while exporting: %+v %v", sn, err)
		}
		if err := snapshot.VerifyExport(e.ctx, e.s3, ex, e.h.ExportObjects); !errclass.Is(err, errclass.ExportFailed) {
			t.Fatalf("objects %s verified before the export ended: %v", describeKeys(ex), err)
		}
		if sn = e.wait(ex.SnapshotName); sn.Status != snapshot.Available {
			t.Fatalf("after exporting: %+v", sn)
		}
		if err := snapshot.VerifyExport(e.ctx, e.s3, ex, e.h.ExportObjects); err != nil {
			t.Fatalf("exported objects %s: %v", describeKeys(ex), err)
		}
		// A re-run of the same export finds its objects.
		_, err = e.a.Export(e.ctx, snapshot.ExportInput{SnapshotName: name, Name: name, Bucket: e.h.Bucket})
		wantAWS(t, wantClass(t, err, errclass.AlreadyExists, name))
	}

	mark = e.mark()
	list, err := e.a.List(e.ctx, src.ID, src.Kind)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if calls := e.since(mark); len(calls) != 1+len(list) {
		t.Fatalf("List of %d snapshots made calls %v, want one page and one tag call each", len(list), actions(calls))
	}
	byName := map[string]snapshot.Snapshot{}
	for _, s := range list {
		byName[s.Name] = s
	}
	for _, n := range listed {
		s, ok := byName[n]
		if !ok {
			t.Fatalf("List = %v, missing %s", list, n)
		}
		if s.Status != snapshot.Available || s.SourceID != src.ID || s.ARN == "" {
			t.Fatalf("List: %+v", s)
		}
		wantManagedTags(t, s, src.ID)
	}

	for _, n := range listed {
		if err := e.a.Delete(e.ctx, n); err != nil {
			t.Fatalf("Delete %s: %v", n, err)
		}
	}
	for _, n := range listed {
		e.waitGone(n)
		err := e.a.Delete(e.ctx, n)
		wantAWS(t, wantClass(t, err, errclass.NotFound, n))
	}
	if list, err = e.a.List(e.ctx, src.ID, src.Kind); err != nil || len(list) != 0 {
		t.Fatalf("List after Delete = %v, %v", list, err)
	}
}

func testAlreadyExists(e *env) {
	t := e.t
	src := e.h.Source
	name := e.name(src.ID)
	e.mustCreate(src, name)
	_, err := e.create(e.a, src, name)
	wantAWS(t, wantClass(t, err, errclass.AlreadyExists, name))
	if e.h.Caps.Copy {
		copyName := e.copyName(src.ID)
		if _, err := e.a.Copy(e.ctx, snapshot.CopyInput{SourceName: name, TargetName: copyName}); err != nil {
			t.Fatalf("Copy: %v", err)
		}
		e.wait(copyName)
		e.wait(name)
		_, err := e.a.Copy(e.ctx, snapshot.CopyInput{SourceName: name, TargetName: copyName})
		wantAWS(t, wantClass(t, err, errclass.AlreadyExists, copyName))
		// A copy may not take a snapshot's name either.
		_, err = e.a.Copy(e.ctx, snapshot.CopyInput{SourceName: copyName, TargetName: name})
		wantAWS(t, wantClass(t, err, errclass.AlreadyExists, name))
	}
}

// testThrottled: the service's throttling error, with no SDK retry, is
// Throttled.
func testThrottled(e *env) {
	t := e.t
	name := e.name(e.h.Source.ID)
	e.fault(emu.Fault{Kind: emu.FaultThrottle})
	_, err := e.create(e.nop, e.h.Source, name)
	wantAWS(t, wantClass(t, err, errclass.Throttled, name))
	_, err = e.nop.Source(e.ctx, e.h.Source.ID, e.h.Source.Kind)
	wantAWS(t, wantClass(t, err, errclass.Throttled, e.h.Source.ID))
}

// testThrottledRetried: awsclient.NewRetryer retries the service's
// throttling code: a call throttled twice succeeds on the third attempt,
// and one always throttled stops after awsclient.MaxAttempts attempts.
func testThrottledRetried(e *env) {
	t := e.t
	name := e.name(e.h.Source.ID)
	e.fault(emu.Fault{Kind: emu.FaultThrottle, Count: 2})
	mark := e.mark()
	if _, err := e.create(e.a, e.h.Source, name); err != nil {
		t.Fatalf("Create throttled twice: %v", err)
	}
	calls := e.since(mark)
	if len(calls) != 3 || calls[0].ErrorCode == "" || calls[1].ErrorCode == "" || calls[2].ErrorCode != "" {
		t.Fatalf("calls %v, want two throttled attempts and a third that succeeds", actions(calls))
	}
	e.aws.Faults().Reset()
	e.fault(emu.Fault{Kind: emu.FaultThrottle})
	mark = e.mark()
	_, err := e.a.Describe(e.ctx, name)
	wantClass(t, err, errclass.Throttled, name)
	if calls := e.since(mark); len(calls) != awsclient.MaxAttempts {
		t.Fatalf("calls %v, want %d attempts", actions(calls), awsclient.MaxAttempts)
	}
}

// testTargetBusy: a second snapshot while one runs, a delete of a snapshot
// being created, and the busy fault.
func testTargetBusy(e *env) {
	t := e.t
	src := e.h.Source
	name := e.name(src.ID)
	if _, err := e.create(e.a, src, name); err != nil {
		t.Fatalf("Create: %v", err)
	}
	other := naming.SnapshotName(e.h.Service, Policy, src.ID, Start.Add(time.Hour))
	_, err := e.create(e.a, src, other)
	wantAWS(t, wantClass(t, err, errclass.TargetBusy, other))
	err = e.a.Delete(e.ctx, name)
	wantAWS(t, wantClass(t, err, errclass.TargetBusy, name))
	e.wait(name)

	e.fault(emu.Fault{Kind: emu.FaultBusy, Resource: name, Count: 1})
	err = e.nop.Delete(e.ctx, name)
	wantAWS(t, wantClass(t, err, errclass.TargetBusy, name))
	if err := e.a.Delete(e.ctx, name); err != nil {
		t.Fatalf("Delete after the busy fault: %v", err)
	}
}

func testNotFound(e *env) {
	t := e.t
	const missing = "sf-no-such-thing"
	_, err := e.a.Source(e.ctx, "no-such-source", e.h.Source.Kind)
	wantClass(t, err, errclass.NotFound, "no-such-source")
	_, err = e.a.Create(e.ctx, snapshot.CreateInput{SourceID: "no-such-source", SourceKind: e.h.Source.Kind, Name: e.name("no-such-source")})
	wantAWS(t, wantClass(t, err, errclass.NotFound, "no-such-source"))
	_, err = e.a.Describe(e.ctx, missing)
	wantAWS(t, wantClass(t, err, errclass.NotFound, missing))
	err = e.a.Delete(e.ctx, missing)
	wantAWS(t, wantClass(t, err, errclass.NotFound, missing))
	err = e.a.Tag(e.ctx, missing, map[string]string{"a": "b"})
	wantAWS(t, wantClass(t, err, errclass.NotFound, missing))
	if e.h.Caps.Copy {
		_, err = e.a.Copy(e.ctx, snapshot.CopyInput{SourceName: missing, TargetName: "sfc-copy"})
		wantAWS(t, wantClass(t, err, errclass.NotFound, missing))
	}
	if e.h.Caps.Export {
		_, err = e.a.Export(e.ctx, snapshot.ExportInput{SnapshotName: missing, Name: missing, Bucket: e.h.Bucket})
		wantAWS(t, wantClass(t, err, errclass.NotFound, missing))
		name := e.name(e.h.Source.ID)
		e.mustCreate(e.h.Source, name)
		_, err = e.a.Export(e.ctx, snapshot.ExportInput{SnapshotName: name, Name: name, Bucket: "sf-no-such-bucket"})
		wantAWS(t, wantClass(t, err, errclass.NotFound, "sf-no-such-bucket"))
	}
}

func testQuotaExceeded(e *env) {
	t := e.t
	name := e.name(e.h.Source.ID)
	e.fault(emu.Fault{Kind: emu.FaultQuota, Count: 1})
	_, err := e.create(e.a, e.h.Source, name)
	wantAWS(t, wantClass(t, err, errclass.QuotaExceeded, name))
	e.mustCreate(e.h.Source, name) // the quota fault fired once
}

// testDailyQuota takes the source's whole 24-hour quota of manual
// snapshots, then one more.
func testDailyQuota(e *env) {
	t := e.t
	if e.h.DailyQuota == 0 {
		t.Skip("the harness gives no daily quota")
	}
	for i := range e.h.DailyQuota {
		e.mustCreate(e.h.Source, naming.SnapshotName(e.h.Service, Policy, e.h.Source.ID, Start.Add(time.Duration(i)*time.Minute)))
	}
	over := naming.SnapshotName(e.h.Service, Policy, e.h.Source.ID, Start.Add(23*time.Hour))
	_, err := e.create(e.a, e.h.Source, over)
	wantAWS(t, wantClass(t, err, errclass.QuotaExceeded, over))
	// A day after the first one, there is room again.
	e.aws.Clock().AdvanceTo(Start.Add(24*time.Hour + time.Minute))
	e.mustCreate(e.h.Source, over)
}

func testInvalidInput(e *env) {
	t := e.t
	bad := "Bad_Name-" + strings.Repeat("x", 300)
	_, err := e.create(e.a, e.h.Source, bad)
	wantAWS(t, wantClass(t, err, errclass.InvalidInput, bad))
	mark := e.mark()
	_, err = e.a.Source(e.ctx, e.h.Source.ID, "no-such-kind")
	wantClass(t, err, errclass.InvalidInput, "no-such-kind")
	_, err = e.a.Create(e.ctx, snapshot.CreateInput{SourceID: e.h.Source.ID, SourceKind: "no-such-kind", Name: e.name(e.h.Source.ID)})
	wantClass(t, err, errclass.InvalidInput, "no-such-kind")
	_, err = e.a.List(e.ctx, e.h.Source.ID, "no-such-kind")
	wantClass(t, err, errclass.InvalidInput, "no-such-kind")
	if calls := e.since(mark); len(calls) != 0 {
		t.Fatalf("an unknown kind reached AWS: %v", actions(calls))
	}
}

func testUnsupported(e *env) {
	t := e.t
	for _, ref := range e.h.CannotSnapshot {
		name := e.name(ref.ID)
		_, err := e.create(e.a, ref, name)
		wantAWS(t, wantClass(t, err, errclass.Unsupported, name))
	}
	for _, ref := range e.h.CannotExport {
		name := e.name(ref.ID)
		e.mustCreate(ref, name)
		_, err := e.a.Export(e.ctx, snapshot.ExportInput{SnapshotName: name, Name: name, Bucket: e.h.Bucket})
		wantAWS(t, wantClass(t, err, errclass.Unsupported, name))
	}
	name := e.name(e.h.Source.ID)
	mark := e.mark()
	if !e.h.Caps.Copy {
		_, err := e.a.Copy(e.ctx, snapshot.CopyInput{SourceName: name, TargetName: e.copyName(e.h.Source.ID)})
		wantClass(t, err, errclass.Unsupported, name)
	}
	if !e.h.Caps.Export {
		_, err := e.a.Export(e.ctx, snapshot.ExportInput{SnapshotName: name, Name: name, Bucket: "sf-exports"})
		wantClass(t, err, errclass.Unsupported, name)
	}
	if calls := e.since(mark); len(calls) != 0 {
		t.Fatalf("an unsupported step reached AWS: %v", actions(calls))
	}
}

func testAccessDenied(e *env) {
	t := e.t
	name := e.name(e.h.Source.ID)
	e.fault(emu.Fault{Kind: emu.FaultAccessDenied, Count: 1})
	_, err := e.create(e.nop, e.h.Source, name)
	wantAWS(t, wantClass(t, err, errclass.AccessDenied, name))
	if e.h.Caps.Export && e.h.DeniedBucket != "" {
		e.mustCreate(e.h.Source, name)
		_, err := e.a.Export(e.ctx, snapshot.ExportInput{SnapshotName: name, Name: name, Bucket: e.h.DeniedBucket})
		wantAWS(t, wantClass(t, err, errclass.AccessDenied, e.h.DeniedBucket))
	}
}

// testSnapshotFailed: a snapshot (and a copy) that the service accepts but
// ends failed shows Failed with the raw status kept, and can be deleted.
func testSnapshotFailed(e *env) {
	t := e.t
	name := e.name(e.h.Source.ID)
	e.fault(emu.Fault{Kind: emu.FaultSnapshotFailed, Count: 1})
	if _, err := e.create(e.a, e.h.Source, name); err != nil {
		t.Fatalf("Create: %v", err)
	}
	sn := e.wait(name)
	if sn.Status != snapshot.Failed || !strings.EqualFold(sn.RawStatus, "failed") {
		t.Fatalf("after a failed snapshot: %+v", sn)
	}
	if err := e.a.Delete(e.ctx, name); err != nil {
		t.Fatalf("Delete of a failed snapshot: %v", err)
	}
	e.waitGone(name)
	if e.h.Caps.Copy {
		e.mustCreate(e.h.Source, name)
		copyName := e.copyName(e.h.Source.ID)
		e.fault(emu.Fault{Kind: emu.FaultSnapshotFailed, Count: 1})
		if _, err := e.a.Copy(e.ctx, snapshot.CopyInput{SourceName: name, TargetName: copyName}); err != nil {
			t.Fatalf("Copy: %v", err)
		}
		if cp := e.wait(copyName); cp.Status != snapshot.Failed {
			t.Fatalf("after a failed copy: %+v", cp)
		}
	}
}

// testExportFailed: an export that the service accepts but that writes
// nothing is found by snapshot.VerifyExport.
func testExportFailed(e *env) {
	t := e.t
	if !e.h.Caps.Export {
		t.Skip("no export")
	}
	name := e.name(e.h.Source.ID)
	e.mustCreate(e.h.Source, name)
	e.fault(emu.Fault{Kind: emu.FaultSnapshotFailed, Count: 1})
	ex, err := e.a.Export(e.ctx, snapshot.ExportInput{SnapshotName: name, Name: name, Bucket: e.h.Bucket})
	if err != nil {
		t.Fatalf("Export: %v", err)
	}
	if sn := e.wait(ex.SnapshotName); sn.Status != snapshot.Available {
		t.Fatalf("after the export: %+v", sn)
	}
	err = snapshot.VerifyExport(e.ctx, e.s3, ex, e.h.ExportObjects)
	wantClass(t, err, errclass.ExportFailed, name)
}

// testTransient: a 5xx left after the retries, a refused connection and a
// cancelled context are Transient.
func testTransient(e *env) {
	t := e.t
	name := e.name(e.h.Source.ID)
	e.fault(emu.Fault{Kind: emu.FaultInternal, Count: 1})
	_, err := e.create(e.nop, e.h.Source, name)
	wantAWS(t, wantClass(t, err, errclass.Transient, name))

	// Nothing listens on port 1 of the loopback interface.
	down := e.h.NewAdapter(Config("http://127.0.0.1:1", func() aws.Retryer { return aws.NopRetryer{} }))
	_, err = down.Describe(e.ctx, name)
	wantClass(t, err, errclass.Transient, name)

	ctx, cancel := context.WithCancel(e.ctx)
	cancel()
	_, err = e.a.Describe(ctx, name)
	wantClass(t, err, errclass.Transient, name)
}

// describeKeys names the objects of an export in failure messages.
func describeKeys(ex snapshot.Export) string {
	if len(ex.Keys) > 0 {
		return strings.Join(ex.Keys, ", ")
	}
	return ex.KeyPrefix + "*"
}
