package runner

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/snapflow/snapflow/events"
)

//go:embed testdata/seed.json
var testSeed []byte

// slot is the schedule slot the tests run (a fixed one keeps names stable).
var slot = time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)

// e2eRoot returns the repository root when the local runner can run here:
// Node 22 and aws-local-stepfunctions from `npm ci`, a template from `make
// synth`. Outside CI a missing prerequisite skips the test with what to
// run; in CI (CI set) it fails.
func e2eRoot(t *testing.T) string {
	t.Helper()
	root, err := FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	if _, err := engineModule(root); err != nil {
		missing = append(missing, "npm ci (node_modules/aws-local-stepfunctions)")
	}
	if _, err := nodeBinary(root); err != nil {
		missing = append(missing, "npm ci (node_modules/node)")
	}
	if os.Getenv("SNAPFLOW_LOCAL_TEMPLATE") == "" {
		if _, err := FindTemplate(filepath.Join(root, "cdk.out")); err != nil {
			missing = append(missing, "make synth (cdk.out/*.template.json)")
		}
	}
	if len(missing) > 0 {
		msg := "end-to-end tests need: " + strings.Join(missing, ", ")
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg + " (skipped: CI is not set)")
	}
	return root
}

// testLog collects the handlers' and the engine's output and prints it
// when the test fails.
type testLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *testLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir.dir != "" {
		os.RemoveAll(buildDir.dir)
	}
	os.Exit(code)
}

var buildDir struct {
	once sync.Once
	dir  string
}

// newRunner starts a local stack for one test; opts may be changed by fn.
func newRunner(t *testing.T, fn func(*Options)) *Runner {
	t.Helper()
	root := e2eRoot(t)
	buildDir.once.Do(func() {
		d, err := os.MkdirTemp("", "snapflow-e2e-handlers-")
		if err != nil {
			t.Fatal(err)
		}
		buildDir.dir = d
	})
	logs := &testLog{}
	opts := Options{
		Root:     root,
		Template: os.Getenv("SNAPFLOW_LOCAL_TEMPLATE"),
		Seed:     testSeed,
		Start:    slot.Add(-2 * time.Minute),
		Log:      logs,
		BuildDir: buildDir.dir,
		StandIn:  os.Getenv("CI") == "",
	}
	if fn != nil {
		fn(&opts)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r, err := New(ctx, opts)
	if err != nil {
		t.Fatalf("starting the local stack: %v\n%s", err, logs.String())
	}
	t.Cleanup(func() {
		r.Close()
		if t.Failed() {
			out := logs.String()
			if len(out) > 60000 {
				out = "…" + out[len(out)-60000:]
			}
			t.Logf("logs:\n%s", out)
		}
	})
	return r
}

// policy returns an execution input for slot.
func policy(name string, targets []events.Target, extra map[string]any) json.RawMessage {
	p := map[string]any{
		"name":          name,
		"targets":       targets,
		"scheduledTime": slot.Format(time.RFC3339),
		"timeZone":      "UTC",
	}
	for k, v := range extra {
		p[k] = v
	}
	data, _ := json.Marshal(p)
	return data
}

func run(t *testing.T, r *Runner, input json.RawMessage) *Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	started := time.Now()
	rep, err := r.Run(ctx, input)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %s in %v simulated, %v real; %d transitions, %d invocations, %d API calls",
		rep.Execution[strings.LastIndexByte(rep.Execution, ':')+1:], rep.Status, rep.SimDuration, time.Since(started).Round(time.Millisecond),
		rep.Transitions, rep.Invocations, rep.APICalls)
	for _, tr := range rep.Targets {
		t.Logf("  %-24s %-9s %-28s copy=%s objects=%d pruned=%d transitions=%d invocations=%d calls=%d throttled=%d sim=%v notice=%v %s",
			tr.Target.Service+"/"+tr.Target.ID, tr.Status, tr.Snapshot, tr.Copy, len(tr.ExportedObjects), len(tr.Pruned),
			tr.Transitions, tr.Invocations, tr.APICalls, tr.Throttled, tr.SimDuration, tr.NoticeDelay, tr.Error)
	}
	return rep
}

func target(rep *Report, id string) *TargetReport {
	for i := range rep.Targets {
		if rep.Targets[i].Target.ID == id {
			return &rep.Targets[i]
		}
	}
	return nil
}

var (
	orders    = events.Target{Service: events.ServiceElastiCache, ID: "orders"}
	sessions  = events.Target{Service: events.ServiceElastiCache, ID: "sessions"}
	carts     = events.Target{Service: events.ServiceElastiCacheServerless, ID: "carts"}
	ledger    = events.Target{Service: events.ServiceMemoryDB, ID: "ledger"}
	analytics = events.Target{Service: events.ServiceRedshiftServerless, ID: "analytics"}
	caches    = []events.Target{orders, sessions, carts, ledger}
)

// cachesPolicy copies, exports and prunes the caches.
func cachesPolicy(r *Runner, extra map[string]any) json.RawMessage {
	p := map[string]any{
		"copy":      map[string]any{},
		"export":    map[string]any{"bucket": r.ExportBucket(), "prefix": "e2e/"},
		"retention": map[string]any{"keepLast": 3},
	}
	for k, v := range extra {
		p[k] = v
	}
	return policy("caches", caches, p)
}
