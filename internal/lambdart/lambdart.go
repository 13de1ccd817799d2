// Package lambdart is a local AWS Lambda: it runs each function's
// `bootstrap` executable as Lambda's provided.al2023 runtime does, behind
// the Lambda runtime API (version 2018-06-01, "Using the Lambda runtime API
// for custom runtimes", AWS Lambda Developer Guide), so the real handler
// binaries run unchanged:
//
//	GET  /2018-06-01/runtime/invocation/next              → the next event, with the
//	     Lambda-Runtime-Aws-Request-Id, -Deadline-Ms, -Invoked-Function-Arn and -Trace-Id headers
//	POST /2018-06-01/runtime/invocation/{requestId}/response
//	POST /2018-06-01/runtime/invocation/{requestId}/error  ({errorMessage, errorType, stackTrace})
//	POST /2018-06-01/runtime/init/error
//
// Each execution environment (sandbox) is one process with its own runtime
// API listener on a loopback port. Sandboxes stay warm between invocations;
// when every warm one is busy another is started, up to the function's
// concurrency cap (further invocations queue). Lambda's own failures are
// reported as Lambda reports them: a function that outlives its timeout is
// killed and its invocation fails with errorType "Sandbox.Timedout"; a
// runtime that exits fails the invocation with "Runtime.ExitError" and its
// sandbox is replaced on the next invocation; an init failure is
// "Runtime.ExitError" (the process exited) or the errorType the runtime
// posted to /init/error.
package lambdart

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Clock is the time a Server enforces function timeouts in. The local
// runner gives it the local AWS's simulated clock, so a timeout means the
// same thing as every other duration of the run.
type Clock interface {
	Now() time.Time
	// Sleep blocks until d has passed on the clock or ctx is done.
	Sleep(ctx context.Context, d time.Duration) error
	// Speed is how many clock seconds pass per real second (> 0).
	Speed() float64
}

// RealClock is wall-clock time.
type RealClock struct{}

// Now returns time.Now.
func (RealClock) Now() time.Time { return time.Now() }

// Sleep sleeps d of real time.
func (RealClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Speed is 1.
func (RealClock) Speed() float64 { return 1 }

// Function is one Lambda function.
type Function struct {
	// Name is the function name (AWS_LAMBDA_FUNCTION_NAME).
	Name string
	// ARN is the function ARN (Lambda-Runtime-Invoked-Function-Arn).
	ARN string
	// Bootstrap is the executable to run (the zip's "bootstrap").
	Bootstrap string
	// Handler is _HANDLER ("bootstrap" for provided.al2023).
	Handler string
	// Env is the function's environment: the template's variables plus
	// whatever the caller adds (endpoint, credentials). The process gets
	// only these and the variables Lambda defines, not the caller's.
	Env map[string]string
	// Timeout is the function timeout (default 3 s, Lambda's default).
	Timeout time.Duration
	// MemoryMB is AWS_LAMBDA_FUNCTION_MEMORY_SIZE (default 128; not enforced).
	MemoryMB int
	// MaxConcurrency caps the sandboxes running at once (default 10).
	MaxConcurrency int
	// Log receives the processes' stdout and stderr and the platform's
	// START/END/REPORT lines (default: discarded).
	Log io.Writer
	// SandboxEnv, when set, adds variables per sandbox (its index counts
	// from 1): the local runner gives each sandbox its own access key.
	SandboxEnv func(index int) map[string]string
	// Crash, when set, injects a crash (fault tests): it is asked for each
	// invocation as it answers, n counting the function's invocations from
	// 1, with its payload, and when it
	// answers true the runtime process is killed as it posts the
	// invocation's response or error, i.e. after the handler did its work
	// and made its AWS calls. The invocation fails with Runtime.ExitError
	// and the sandbox is replaced, as for any crash.
	Crash func(n int, payload []byte) bool
}

// Options configure a Server.
type Options struct {
	// Region is AWS_REGION (default us-east-1).
	Region string
	// Clock enforces timeouts (default RealClock).
	Clock Clock
}

// Server runs functions.
type Server struct {
	region string
	clock  Clock

	mu     sync.Mutex
	fns    map[string]*function // by name and by ARN
	closed bool
}

// New returns a Server without functions.
func New(opts Options) *Server {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Clock == nil {
		opts.Clock = RealClock{}
	}
	return &Server{region: opts.Region, clock: opts.Clock, fns: map[string]*function{}}
}

// Register adds a function; it is started on its first invocation.
func (s *Server) Register(f Function) error {
	if f.Name == "" || f.Bootstrap == "" {
		return errors.New("lambdart: a function needs a Name and a Bootstrap")
	}
	if _, err := os.Stat(f.Bootstrap); err != nil {
		return fmt.Errorf("lambdart: %s: %w", f.Name, err)
	}
	if f.Timeout <= 0 {
		f.Timeout = 3 * time.Second
	}
	if f.MemoryMB <= 0 {
		f.MemoryMB = 128
	}
	if f.MaxConcurrency <= 0 {
		f.MaxConcurrency = 10
	}
	if f.Handler == "" {
		f.Handler = "bootstrap"
	}
	if f.Log == nil {
		f.Log = io.Discard
	}
	if f.ARN == "" {
		f.ARN = "arn:aws:lambda:" + s.region + ":123456789012:function:" + f.Name
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.fns[f.Name]; ok {
		return fmt.Errorf("lambdart: function %s registered twice", f.Name)
	}
	fn := &function{srv: s, spec: f, freed: make(chan struct{}, 1)}
	s.fns[f.Name] = fn
	s.fns[f.ARN] = fn
	return nil
}

// Functions lists the registered function names.
func (s *Server) Functions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k, f := range s.fns {
		if k == f.spec.Name {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// FunctionError is an invocation's error as Lambda returns it (the body of
// an Invoke with X-Amz-Function-Error set). Step Functions names the error
// by ErrorType.
type FunctionError struct {
	ErrorType    string   `json:"errorType"`
	ErrorMessage string   `json:"errorMessage"`
	StackTrace   []string `json:"stackTrace,omitempty"`
}

func (e *FunctionError) Error() string { return e.ErrorType + ": " + e.ErrorMessage }

// Result is the outcome of one invocation.
type Result struct {
	RequestID string
	Function  string
	// Payload is the function's response (nil when Err is set).
	Payload json.RawMessage
	// Err is the function error, if any.
	Err *FunctionError
	// Sandbox identifies the execution environment (function name and index).
	Sandbox string
	// SandboxIndex counts the function's sandboxes from 1.
	SandboxIndex int
	// Cold is set when the sandbox was started for this invocation;
	// InitDuration is then its init phase (process start to its first
	// /next call), in real time.
	Cold         bool
	InitDuration time.Duration
	// Duration is the invoke phase in real time.
	Duration time.Duration
	// Start and End are on the Server's clock.
	Start, End time.Time
}

// Invoke runs the function name (or ARN) with payload and waits for the
// result. The error is for failures to invoke at all (unknown function,
// ctx done); function errors, timeouts and crashes are Result.Err.
func (s *Server) Invoke(ctx context.Context, name string, payload []byte) (*Result, error) {
	s.mu.Lock()
	fn, ok := s.fns[name]
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return nil, errors.New("lambdart: server closed")
	}
	if !ok {
		return nil, &FunctionError{ErrorType: "ResourceNotFoundException", ErrorMessage: "Function not found: " + name}
	}
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	if len(payload) > maxPayload {
		return nil, &FunctionError{ErrorType: "RequestTooLargeException", ErrorMessage: fmt.Sprintf("Request must be smaller than %d bytes for the InvokeFunction operation", maxPayload)}
	}
	return fn.invoke(ctx, payload)
}

// maxPayload is the synchronous invocation payload quota (6 MB, request
// and response; Lambda quotas).
const maxPayload = 6 * 1024 * 1024

// Close kills every sandbox.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	var fns []*function
	for k, f := range s.fns {
		if k == f.spec.Name {
			fns = append(fns, f)
		}
	}
	s.mu.Unlock()
	for _, f := range fns {
		f.closeAll()
	}
	return nil
}

// function is a registered function and its sandboxes.
type function struct {
	srv  *Server
	spec Function

	mu    sync.Mutex
	idle  []*sandbox
	count int // sandboxes alive or starting
	next  int // index of the next sandbox
	all   map[*sandbox]struct{}
	freed chan struct{} // a sandbox went idle or away

	invocations int // counted for Function.Crash (under mu)
}

func (f *function) invoke(ctx context.Context, payload []byte) (*Result, error) {
	reqID := newRequestID()
	var crash func() bool
	if f.spec.Crash != nil {
		f.mu.Lock()
		f.invocations++
		n := f.invocations
		f.mu.Unlock()
		crash = func() bool { return f.spec.Crash(n, payload) }
	}
	for {
		sb, cold, err := f.acquire(ctx)
		if err != nil {
			return nil, err
		}
		res := &Result{RequestID: reqID, Function: f.spec.Name, Sandbox: sb.name, SandboxIndex: sb.index, Cold: cold}
		if cold {
			initErr := sb.waitInit(ctx, f.spec.Timeout, f.srv.clock)
			res.InitDuration = sb.initTook()
			if initErr != nil {
				f.discard(sb)
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				res.Err = initErr
				res.Start, res.End = f.srv.clock.Now(), f.srv.clock.Now()
				fmt.Fprintf(f.spec.Log, "INIT_REPORT RequestId: %s Init Duration: %.2f ms Phase: init Status: error Error Type: %s\n",
					reqID, ms(sb.initTook()), initErr.ErrorType)
				return res, nil
			}
		}
		out := sb.run(ctx, reqID, payload, res, crash)
		switch out {
		case runOK:
			f.release(sb)
		case runDead:
			f.discard(sb)
		case runCancelled:
			f.discard(sb)
			return nil, ctx.Err()
		}
		return res, nil
	}
}

// acquire returns an idle sandbox or starts one; cold reports a new one.
func (f *function) acquire(ctx context.Context) (*sandbox, bool, error) {
	for {
		f.mu.Lock()
		if n := len(f.idle); n > 0 {
			sb := f.idle[n-1]
			f.idle = f.idle[:n-1]
			f.mu.Unlock()
			return sb, false, nil
		}
		if f.count < f.spec.MaxConcurrency {
			f.count++
			f.next++
			idx := f.next
			f.mu.Unlock()
			sb, err := startSandbox(f, idx)
			if err != nil {
				f.mu.Lock()
				f.count--
				f.mu.Unlock()
				return nil, false, err
			}
			f.mu.Lock()
			if f.all == nil {
				f.all = map[*sandbox]struct{}{}
			}
			f.all[sb] = struct{}{}
			f.mu.Unlock()
			return sb, true, nil
		}
		f.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, false, ctx.Err()
		case <-f.freed:
		}
	}
}

func (f *function) release(sb *sandbox) {
	f.mu.Lock()
	f.idle = append(f.idle, sb)
	f.mu.Unlock()
	f.signal()
}

func (f *function) discard(sb *sandbox) {
	sb.kill()
	f.mu.Lock()
	delete(f.all, sb)
	f.count--
	f.mu.Unlock()
	f.signal()
}

func (f *function) signal() {
	select {
	case f.freed <- struct{}{}:
	default:
	}
}

func (f *function) closeAll() {
	f.mu.Lock()
	var list []*sandbox
	for sb := range f.all {
		list = append(list, sb)
	}
	f.idle = nil
	f.mu.Unlock()
	for _, sb := range list {
		sb.kill()
	}
}

// lambdaEnv is the environment Lambda defines for a provided.al2023
// function ("Defined runtime environment variables", AWS Lambda Developer
// Guide), less what has no meaning locally.
func (f *function) lambdaEnv(sb *sandbox) map[string]string {
	spec := f.spec
	env := map[string]string{
		"AWS_LAMBDA_RUNTIME_API":          sb.addr,
		"AWS_LAMBDA_FUNCTION_NAME":        spec.Name,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(spec.MemoryMB),
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + spec.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME":      time.Now().UTC().Format("2006/01/02") + "/[$LATEST]" + sb.id,
		"AWS_REGION":                      f.srv.region,
		"AWS_DEFAULT_REGION":              f.srv.region,
		"_HANDLER":                        spec.Handler,
		"LAMBDA_TASK_ROOT":                filepath.Dir(spec.Bootstrap),
		"LAMBDA_RUNTIME_DIR":              filepath.Dir(spec.Bootstrap),
		"TZ":                              ":UTC",
		"LANG":                            "en_US.UTF-8",
		"PATH":                            "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
		// No instance metadata service in Lambda (nor here).
		"AWS_EC2_METADATA_DISABLED": "true",
	}
	for k, v := range spec.Env {
		env[k] = v
	}
	if spec.SandboxEnv != nil {
		for k, v := range spec.SandboxEnv(sb.index) {
			env[k] = v
		}
	}
	return env
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// traceID is an X-Ray trace header for one invocation (not sampled).
func traceID(now time.Time) string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0", now.Unix(), h[:24], h[24:40])
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
