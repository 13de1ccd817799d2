package lambdart

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// sandbox is one execution environment: a bootstrap process and its
// runtime API.
type sandbox struct {
	f     *function
	index int
	name  string
	id    string
	addr  string
	ln    net.Listener
	srv   *http.Server
	cmd   *exec.Cmd

	started      time.Time
	initDuration time.Duration
	ready        chan struct{} // closed on the first /next
	readyOnce    sync.Once
	initErr      chan *FunctionError
	exited       chan struct{} // closed when the process is gone
	exitErr      error

	next chan *invocation // the event the next /next returns

	mu      sync.Mutex
	current *invocation
	killed  bool
}

// invocation is one event handed to a sandbox.
type invocation struct {
	id       string
	payload  []byte
	header   http.Header
	done     chan struct{}
	doneOnce sync.Once
	response []byte
	err      *FunctionError
	crash    func() bool // Function.Crash: kill the process when it answers
}

func (inv *invocation) finish(response []byte, err *FunctionError) bool {
	finished := false
	inv.doneOnce.Do(func() {
		inv.response, inv.err = response, err
		close(inv.done)
		finished = true
	})
	return finished
}

func startSandbox(f *function, index int) (*sandbox, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("lambdart: %s: runtime API listener: %w", f.spec.Name, err)
	}
	sb := &sandbox{
		f:       f,
		index:   index,
		name:    fmt.Sprintf("%s#%d", f.spec.Name, index),
		id:      newRequestID()[:8],
		addr:    ln.Addr().String(),
		ln:      ln,
		ready:   make(chan struct{}),
		initErr: make(chan *FunctionError, 1),
		exited:  make(chan struct{}),
		next:    make(chan *invocation, 1),
	}
	mux := http.NewServeMux()
	const base = "/2018-06-01/runtime/"
	mux.HandleFunc("GET "+base+"invocation/next", sb.handleNext)
	mux.HandleFunc("POST "+base+"invocation/{id}/response", sb.handleResponse)
	mux.HandleFunc("POST "+base+"invocation/{id}/error", sb.handleError)
	mux.HandleFunc("POST "+base+"init/error", sb.handleInitError)
	sb.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}

	env := f.lambdaEnv(sb)
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	cmd := exec.Command(f.spec.Bootstrap)
	cmd.Dir = env["LAMBDA_TASK_ROOT"]
	for _, k := range keys {
		cmd.Env = append(cmd.Env, k+"="+env[k])
	}
	logw := &lineWriter{w: f.spec.Log, prefix: "[" + sb.name + "] "}
	cmd.Stdout, cmd.Stderr = logw, logw
	setProcAttrs(cmd)
	sb.cmd = cmd
	sb.started = time.Now()
	go func() { _ = sb.srv.Serve(ln) }()
	if err := cmd.Start(); err != nil {
		_ = sb.srv.Close()
		return nil, fmt.Errorf("lambdart: %s: starting %s: %w", f.spec.Name, f.spec.Bootstrap, err)
	}
	go func() {
		sb.exitErr = cmd.Wait()
		logw.flush()
		close(sb.exited)
	}()
	return sb, nil
}

// waitInit waits for the init phase to end: the runtime's first /next.
func (sb *sandbox) waitInit(ctx context.Context, timeout time.Duration, clock Clock) *FunctionError {
	tctx, cancel := context.WithCancel(ctx)
	defer cancel()
	timedOut := make(chan struct{})
	go func() {
		if clock.Sleep(tctx, timeout) == nil {
			close(timedOut)
		}
	}()
	select {
	case <-sb.ready:
		return nil
	case e := <-sb.initErr:
		sb.setInitDuration()
		return e
	case <-sb.exited:
		sb.setInitDuration()
		return &FunctionError{ErrorType: "Runtime.ExitError", ErrorMessage: "Error: Runtime exited with error: " + exitText(sb.exitErr)}
	case <-timedOut:
		sb.setInitDuration()
		return &FunctionError{ErrorType: "Sandbox.Timedout", ErrorMessage: fmt.Sprintf("Error: Task timed out after %.2f seconds", timeout.Seconds())}
	case <-ctx.Done():
		return &FunctionError{ErrorType: "Runtime.Cancelled", ErrorMessage: ctx.Err().Error()}
	}
}

// setInitDuration records the init phase's length, once.
func (sb *sandbox) setInitDuration() {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	if sb.initDuration == 0 {
		sb.initDuration = time.Since(sb.started)
	}
}

// initTook returns the init phase's length.
func (sb *sandbox) initTook() time.Duration {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	return sb.initDuration
}

type runOutcome int

const (
	runOK        runOutcome = iota // the sandbox can take more
	runDead                        // the sandbox is gone (crash, timeout)
	runCancelled                   // ctx ended the invocation
)

// run hands one event to the sandbox and waits for its outcome, filling res.
func (sb *sandbox) run(ctx context.Context, reqID string, payload []byte, res *Result, crash func() bool) runOutcome {
	f := sb.f
	clock := f.srv.clock
	timeout := f.spec.Timeout
	now := clock.Now()
	speed := clock.Speed()
	if speed <= 0 {
		speed = 1
	}
	realDeadline := time.Now().Add(time.Duration(float64(timeout) / speed))
	h := http.Header{}
	h.Set("Lambda-Runtime-Aws-Request-Id", reqID)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(realDeadline.UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", f.spec.ARN)
	h.Set("Lambda-Runtime-Trace-Id", traceID(now))
	h.Set("Content-Type", "application/json")
	inv := &invocation{id: reqID, payload: payload, header: h, done: make(chan struct{}), crash: crash}

	sb.mu.Lock()
	sb.current = inv
	sb.mu.Unlock()
	defer func() {
		sb.mu.Lock()
		sb.current = nil
		sb.mu.Unlock()
	}()

	res.Start = now
	realStart := time.Now()
	fmt.Fprintf(f.spec.Log, "START RequestId: %s Version: $LATEST\n", reqID)
	sb.next <- inv

	tctx, cancel := context.WithCancel(ctx)
	defer cancel()
	timedOut := make(chan struct{})
	go func() {
		if clock.Sleep(tctx, timeout) == nil {
			close(timedOut)
		}
	}()

	outcome := runOK
	select {
	case <-inv.done:
		if inv.err != nil {
			res.Err = inv.err
		} else {
			res.Payload = json.RawMessage(inv.response)
		}
	case <-sb.exited:
		// It may have answered just before exiting.
		select {
		case <-inv.done:
			res.Err, res.Payload = inv.err, inv.response
		default:
			res.Err = &FunctionError{ErrorType: "Runtime.ExitError",
				ErrorMessage: fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %s", reqID, exitText(sb.exitErr))}
		}
		outcome = runDead
	case <-timedOut:
		if !inv.finish(nil, nil) { // answered meanwhile
			res.Err = inv.err
			if inv.err == nil {
				res.Payload = inv.response
			}
			break
		}
		res.Err = &FunctionError{ErrorType: "Sandbox.Timedout",
			ErrorMessage: fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", reqID, timeout.Seconds())}
		outcome = runDead
	case <-ctx.Done():
		outcome = runCancelled
	}
	res.End = clock.Now()
	res.Duration = time.Since(realStart)
	if res.Err != nil && res.Payload != nil {
		res.Payload = nil
	}
	status := ""
	if res.Err != nil {
		status = " Status: error Error Type: " + res.Err.ErrorType
	}
	initPart := ""
	if res.Cold {
		initPart = fmt.Sprintf(" Init Duration: %.2f ms", ms(res.InitDuration))
	}
	fmt.Fprintf(f.spec.Log, "END RequestId: %s\n", reqID)
	fmt.Fprintf(f.spec.Log, "REPORT RequestId: %s Duration: %.2f ms Billed Duration: %d ms Memory Size: %d MB%s%s\n",
		reqID, ms(res.Duration), int64(res.Duration/time.Millisecond)+1, f.spec.MemoryMB, initPart, status)
	return outcome
}

func (sb *sandbox) handleNext(w http.ResponseWriter, r *http.Request) {
	sb.readyOnce.Do(func() {
		sb.setInitDuration()
		close(sb.ready)
	})
	select {
	case inv := <-sb.next:
		for k, v := range inv.header {
			w.Header()[k] = v
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(inv.payload)
	case <-r.Context().Done():
	case <-sb.exited:
	}
}

// invocationFor returns the current invocation when id names it.
func (sb *sandbox) invocationFor(w http.ResponseWriter, r *http.Request) *invocation {
	id := r.PathValue("id")
	sb.mu.Lock()
	inv := sb.current
	sb.mu.Unlock()
	if inv == nil || inv.id != id {
		writeAPIError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID: "+id)
		return nil
	}
	return inv
}

func (sb *sandbox) handleResponse(w http.ResponseWriter, r *http.Request) {
	inv := sb.invocationFor(w, r)
	if inv == nil || sb.crashed(inv) {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPayload+1))
	if err == nil {
		if t := r.Trailer.Get("Lambda-Runtime-Function-Error-Type"); t != "" {
			inv.finish(nil, &FunctionError{ErrorType: t, ErrorMessage: "the function's response stream failed"})
			w.WriteHeader(http.StatusAccepted)
			return
		}
	}
	switch {
	case err != nil:
		inv.finish(nil, &FunctionError{ErrorType: "Runtime.InvalidResponse", ErrorMessage: err.Error()})
	case len(body) > maxPayload:
		inv.finish(nil, &FunctionError{ErrorType: "Function.ResponseSizeTooLarge",
			ErrorMessage: fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", maxPayload)})
		writeAPIError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "response too large")
		return
	case !json.Valid(body):
		inv.finish(nil, &FunctionError{ErrorType: "Runtime.InvalidResponsePayload", ErrorMessage: "the function's response is not JSON"})
	default:
		inv.finish(body, nil)
	}
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte(`{"status":"OK"}`))
}

// errorBody decodes a runtime's error report; the type header wins when
// the body names none.
func errorBody(r *http.Request) *FunctionError {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var fe FunctionError
	if err := json.Unmarshal(body, &fe); err != nil || (fe.ErrorType == "" && fe.ErrorMessage == "") {
		fe = FunctionError{ErrorMessage: strings.TrimSpace(string(body))}
	}
	if fe.ErrorType == "" {
		fe.ErrorType = r.Header.Get("Lambda-Runtime-Function-Error-Type")
	}
	if fe.ErrorType == "" {
		fe.ErrorType = "Unhandled"
	}
	return &fe
}

func (sb *sandbox) handleError(w http.ResponseWriter, r *http.Request) {
	inv := sb.invocationFor(w, r)
	if inv == nil || sb.crashed(inv) {
		return
	}
	inv.finish(nil, errorBody(r))
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte(`{"status":"OK"}`))
}

// crashed kills the process of an invocation that Function.Crash marked,
// before its answer is taken: run then sees the process exit
// (Runtime.ExitError).
func (sb *sandbox) crashed(inv *invocation) bool {
	if inv.crash == nil || !inv.crash() {
		return false
	}
	killProcess(sb.cmd)
	return true
}

func (sb *sandbox) handleInitError(w http.ResponseWriter, r *http.Request) {
	select {
	case sb.initErr <- errorBody(r):
	default:
	}
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte(`{"status":"OK"}`))
}

func writeAPIError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"errorType": typ, "errorMessage": msg})
}

// kill ends the process (and its process group) and the runtime API.
func (sb *sandbox) kill() {
	sb.mu.Lock()
	if sb.killed {
		sb.mu.Unlock()
		return
	}
	sb.killed = true
	sb.mu.Unlock()
	killProcess(sb.cmd)
	select {
	case <-sb.exited:
	case <-time.After(5 * time.Second):
	}
	_ = sb.srv.Close()
}

func exitText(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ProcessState.String() // "exit status 1", "signal: killed"
	}
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// lineWriter writes whole lines with a prefix.
type lineWriter struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
	buf    bytes.Buffer
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	for {
		i := bytes.IndexByte(l.buf.Bytes(), '\n')
		if i < 0 {
			break
		}
		line := l.buf.Next(i + 1)
		_, _ = io.WriteString(l.w, l.prefix+string(line))
	}
	return len(p), nil
}

func (l *lineWriter) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buf.Len() > 0 {
		_, _ = io.WriteString(l.w, l.prefix+l.buf.String()+"\n")
		l.buf.Reset()
	}
}
