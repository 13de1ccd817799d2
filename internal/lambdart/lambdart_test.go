package lambdart

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	handler   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if handler != "" && buildErr == nil {
		os.RemoveAll(filepath.Dir(handler))
	}
	os.Exit(code)
}

// testHandler builds testdata/handler once per test binary.
func testHandler(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "lambdart-handler-")
		if err != nil {
			buildErr = err
			return
		}
		handler = filepath.Join(dir, "bootstrap")
		cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", handler, "./testdata/handler")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = err
			handler = string(out)
		}
	})
	if buildErr != nil {
		t.Fatalf("building the test handler: %v\n%s", buildErr, handler)
	}
	return handler
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newServer(t *testing.T, f Function) (*Server, *syncBuffer) {
	t.Helper()
	s := New(Options{})
	t.Cleanup(func() { _ = s.Close() })
	logs := &syncBuffer{}
	f.Bootstrap = testHandler(t)
	if f.Name == "" {
		f.Name = "fn"
	}
	f.Log = logs
	if err := s.Register(f); err != nil {
		t.Fatal(err)
	}
	return s, logs
}

func invoke(t *testing.T, s *Server, payload string) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := s.Invoke(ctx, "fn", []byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestInvokeWarmAndCold(t *testing.T) {
	s, logs := newServer(t, Function{Env: map[string]string{"GREETING": "hi"}, Timeout: 10 * time.Second, MemoryMB: 256})
	first := invoke(t, s, `{"echo": {"a": 1}}`)
	if first.Err != nil || !first.Cold || first.InitDuration <= 0 {
		t.Fatalf("first: %+v", first)
	}
	var out struct {
		Echo             json.RawMessage `json:"echo"`
		RequestID        string          `json:"requestId"`
		ARN              string          `json:"arn"`
		PID              int             `json:"pid"`
		DeadlineInFuture bool            `json:"deadlineInFuture"`
	}
	if err := json.Unmarshal(first.Payload, &out); err != nil {
		t.Fatal(err)
	}
	if string(out.Echo) != `{"a":1}` || out.RequestID != first.RequestID || out.ARN != "arn:aws:lambda:us-east-1:123456789012:function:fn" || !out.DeadlineInFuture {
		t.Errorf("payload %s", first.Payload)
	}
	second := invoke(t, s, `{"echo": 2}`)
	var out2 struct{ PID int }
	_ = json.Unmarshal(second.Payload, &out2)
	if second.Cold || out2.PID != out.PID || second.RequestID == first.RequestID {
		t.Errorf("second invocation should reuse the warm sandbox: %+v (pid %d vs %d)", second, out2.PID, out.PID)
	}
	for _, v := range []struct{ name, want string }{
		{"GREETING", "hi"}, {"AWS_LAMBDA_FUNCTION_NAME", "fn"}, {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256"},
		{"AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"}, {"_HANDLER", "bootstrap"}, {"AWS_REGION", "us-east-1"},
		{"HOME", ""}, // not the caller's environment
	} {
		res := invoke(t, s, `{"env": "`+v.name+`"}`)
		if !strings.Contains(string(res.Payload), `"value":"`+v.want+`"`) {
			t.Errorf("%s: %s, want %q", v.name, res.Payload, v.want)
		}
	}
	if l := logs.String(); !strings.Contains(l, "REPORT RequestId: "+first.RequestID) || !strings.Contains(l, "Init Duration:") {
		t.Errorf("logs:\n%s", l)
	}
}

func TestFunctionError(t *testing.T) {
	s, _ := newServer(t, Function{Timeout: 10 * time.Second})
	res := invoke(t, s, `{"fail": "Snapflow.Throttled"}`)
	if res.Err == nil || res.Err.ErrorType != "Snapflow.Throttled" || res.Err.ErrorMessage != "failed as asked" || res.Payload != nil {
		t.Fatalf("%+v", res)
	}
	// The sandbox survives a function error.
	if next := invoke(t, s, `{}`); next.Err != nil || next.Cold {
		t.Errorf("after an error: %+v", next)
	}
}

func TestTimeoutKillsAndRestarts(t *testing.T) {
	s, _ := newServer(t, Function{Timeout: 300 * time.Millisecond})
	invoke(t, s, `{}`) // warm up: the init phase is not the invocation
	res := invoke(t, s, `{"sleepMs": 5000}`)
	if res.Err == nil || res.Err.ErrorType != "Sandbox.Timedout" || !strings.Contains(res.Err.ErrorMessage, "Task timed out after 0.30 seconds") {
		t.Fatalf("%+v", res.Err)
	}
	if res.Duration > 3*time.Second {
		t.Errorf("took %v", res.Duration)
	}
	next := invoke(t, s, `{}`)
	if next.Err != nil || !next.Cold {
		t.Errorf("after a timeout the next invocation starts a new sandbox: %+v", next)
	}
}

func TestCrashIsRuntimeExitError(t *testing.T) {
	s, _ := newServer(t, Function{Timeout: 10 * time.Second})
	invoke(t, s, `{}`)
	res := invoke(t, s, `{"exit": 2}`)
	if res.Err == nil || res.Err.ErrorType != "Runtime.ExitError" || !strings.Contains(res.Err.ErrorMessage, "Runtime exited with error: exit status 2") ||
		!strings.Contains(res.Err.ErrorMessage, res.RequestID) {
		t.Fatalf("%+v", res.Err)
	}
	if next := invoke(t, s, `{}`); next.Err != nil || !next.Cold {
		t.Errorf("a crashed sandbox is replaced: %+v", next)
	}
}

// TestInjectedCrash: Function.Crash kills the process of the marked
// invocation after its work, as it answers: Runtime.ExitError, and the
// sandbox is replaced.
func TestInjectedCrash(t *testing.T) {
	s, _ := newServer(t, Function{Timeout: 10 * time.Second, Crash: func(n int, _ []byte) bool { return n == 2 }})
	if res := invoke(t, s, `{}`); res.Err != nil {
		t.Fatalf("first: %+v", res.Err)
	}
	res := invoke(t, s, `{}`)
	if res.Err == nil || res.Err.ErrorType != "Runtime.ExitError" || res.Payload != nil {
		t.Fatalf("second: %+v %s", res.Err, res.Payload)
	}
	if next := invoke(t, s, `{}`); next.Err != nil || !next.Cold {
		t.Errorf("a crashed sandbox is replaced: %+v", next)
	}
}

func TestInitFailure(t *testing.T) {
	s, logs := newServer(t, Function{Timeout: 10 * time.Second, Env: map[string]string{"INIT_FAIL": "1"}})
	res := invoke(t, s, `{}`)
	if res.Err == nil || res.Err.ErrorType != "Runtime.ExitError" || !strings.Contains(res.Err.ErrorMessage, "exit status 3") {
		t.Fatalf("%+v", res.Err)
	}
	if !strings.Contains(logs.String(), "init failed on purpose") {
		t.Errorf("the process's stderr is in the log:\n%s", logs.String())
	}
}

func TestConcurrencyCap(t *testing.T) {
	s, _ := newServer(t, Function{Timeout: 10 * time.Second, MaxConcurrency: 2})
	var wg sync.WaitGroup
	results := make([]*Result, 5)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := s.Invoke(context.Background(), "fn", []byte(`{"sleepMs": 200}`))
			if err != nil {
				t.Error(err)
				return
			}
			results[i] = res
		}()
	}
	wg.Wait()
	sandboxes := map[string]bool{}
	for _, r := range results {
		if r == nil {
			continue
		}
		if r.Err != nil {
			t.Errorf("%+v", r.Err)
		}
		sandboxes[r.Sandbox] = true
	}
	if len(sandboxes) != 2 {
		t.Errorf("sandboxes %v, want 2 (the cap)", sandboxes)
	}
}

func TestResponseTooLarge(t *testing.T) {
	s, _ := newServer(t, Function{Timeout: 10 * time.Second})
	res := invoke(t, s, `{"huge": 7000000}`)
	if res.Err == nil || res.Err.ErrorType != "Function.ResponseSizeTooLarge" {
		t.Fatalf("%+v", res.Err)
	}
}

func TestUnknownFunction(t *testing.T) {
	s := New(Options{})
	if _, err := s.Invoke(context.Background(), "nope", nil); err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Errorf("%v", err)
	}
}
