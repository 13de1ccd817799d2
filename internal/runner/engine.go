package runner

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

//go:embed engine.mjs
var engineScript []byte

// engine runs state machine executions on aws-local-stepfunctions in a
// Node.js child process (engine.mjs) and is the scheduler of the one clock:
//
//   - The engine's timers (Wait states, Retry intervals, Task and execution
//     timeouts) are registered here and fire when the local AWS's clock
//     reaches them.
//   - While anything is in flight — a task this process runs (a Lambda
//     invocation, an SNS or EventBridge call) or a message the engine has
//     not finished reacting to — the clock runs at its speed (1: real
//     time), as time passes in AWS while a handler works.
//   - When nothing is in flight, every execution is waiting on a timer:
//     the clock jumps to the earliest one and fires it. An hour-long
//     snapshot costs the time its polls take to run, no more, and each
//     wait lasts exactly the simulated seconds the workflow asked for.
//   - Go's own timers (hostTimer: the local scheduler's invocations) take
//     part the same way: the clock jumps to them too, and they fire when
//     it reaches them.
//
// All engine state is owned by one goroutine (loop); others post closures
// to it.
type engine struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	clock *emu.Clock
	onMsg func(*engineMsg) // a task or event, on the loop goroutine

	posts chan func()
	msgs  chan *engineMsg
	done  chan struct{} // closed when the loop ends
	err   error         // why the engine stopped
	ready chan map[string][]string

	// owned by the loop
	seq         int
	pendingAcks int
	inflight    int
	timers      map[int64]time.Time
	hostTimers  []*hostTimer
	hostSeq     int64
	execs       map[string]*Execution
	script      string

	// payloadLimit and historyLimit fail an execution whose state input or
	// output exceeds that many bytes, or whose history exceeds that many
	// events, as Step Functions does (0: not enforced). Set before the
	// first execution starts.
	payloadLimit int
	historyLimit int
}

// engineMsg is any message from engine.mjs.
type engineMsg struct {
	Op        string          `json:"op"`
	Seq       int             `json:"seq"`
	Call      int             `json:"call"`
	Exec      string          `json:"exec"`
	State     string          `json:"state"`
	StateType string          `json:"stateType"`
	Resource  string          `json:"resource"`
	Input     json.RawMessage `json:"input"`
	ID        int64           `json:"id"`
	MS        float64         `json:"ms"`
	Type      string          `json:"type"`
	Index     *int            `json:"index"`
	Error     string          `json:"error"`
	Cause     string          `json:"cause"`
	OK        bool            `json:"ok"`
	InBytes   int             `json:"inBytes"`
	OutBytes  int             `json:"outBytes"`
	Output    json.RawMessage `json:"output"`
	Status    string          `json:"status"`
	Machines  map[string]struct {
		Tasks []string `json:"tasks"`
	} `json:"machines"`
}

// Execution is one state machine execution on the engine.
type Execution struct {
	ARN, Name string
	// Machine is the state machine's name.
	Machine string
	Input   json.RawMessage
	// Parent is the execution whose task started this one (nil for a run).
	Parent *Execution
	// Start and Stop are simulated times.
	Start, Stop time.Time
	// Status is RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED.
	Status       string
	Output       json.RawMessage
	Error, Cause string
	// Transitions counts the state transitions Step Functions bills: every
	// state entered and every retry.
	Transitions int
	// IndexTransitions counts them per Map iteration (by item index).
	IndexTransitions map[int]int
	// Events is the execution's event log, with simulated times.
	Events []Event
	// HistoryEvents estimates the events of the execution's history in
	// Step Functions (limit: 25,000), modelled from the engine's events
	// (historyWeight).
	HistoryEvents int
	// MaxPayloadBytes is the largest state input or output of the
	// execution (limit: 256 KiB), in MaxPayloadState.
	MaxPayloadBytes int
	MaxPayloadState string

	done   chan struct{}
	onDone []func(*Execution) // on the loop goroutine
}

// Event is one entry of an execution's event log.
type Event struct {
	Time      time.Time `json:"time"`
	Type      string    `json:"type"`
	State     string    `json:"state,omitempty"`
	StateType string    `json:"stateType,omitempty"`
	Index     *int      `json:"index,omitempty"`
	Error     string    `json:"error,omitempty"`
	Cause     string    `json:"cause,omitempty"`
}

// Done is closed when the execution has ended.
func (e *Execution) Done() <-chan struct{} { return e.done }

// Wait blocks until the execution ends or ctx is done.
func (e *Execution) Wait(ctx context.Context) error {
	select {
	case <-e.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// startEngine starts node on the script with the state machines and waits
// until it has loaded them (and validated them: an invalid definition
// fails here).
func startEngine(ctx context.Context, node, module string, clock *emu.Clock, machines map[string]json.RawMessage, log io.Writer, onMsg func(*engineMsg)) (*engine, error) {
	f, err := os.CreateTemp("", "snapflow-engine-*.mjs")
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(engineScript); err != nil {
		f.Close()
		return nil, err
	}
	f.Close()
	cmd := exec.Command(node, f.Name(), module)
	cmd.Stderr = &prefixWriter{w: log, prefix: "[engine] "}
	setEngineProcAttrs(cmd)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		os.Remove(f.Name())
		return nil, fmt.Errorf("starting %s: %w", node, err)
	}
	e := &engine{
		cmd: cmd, stdin: stdin, clock: clock, onMsg: onMsg, script: f.Name(),
		posts: make(chan func(), 64), msgs: make(chan *engineMsg, 256), done: make(chan struct{}),
		ready:  make(chan map[string][]string, 1),
		timers: map[int64]time.Time{}, execs: map[string]*Execution{},
	}
	go e.read(stdout)
	go e.loop()
	e.post(func() {
		e.send(map[string]any{"op": "init", "machines": machines})
	})
	select {
	case <-e.ready:
		return e, nil
	case <-e.done:
		e.close()
		return nil, fmt.Errorf("the Step Functions engine did not start: %w", e.err)
	case <-ctx.Done():
		e.close()
		return nil, ctx.Err()
	case <-time.After(60 * time.Second):
		e.close()
		return nil, errors.New("the Step Functions engine did not start within 60 s")
	}
}

func (e *engine) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		m := &engineMsg{}
		if err := json.Unmarshal(sc.Bytes(), m); err != nil {
			m = &engineMsg{Op: "fatal", Error: "bad message from the engine: " + err.Error()}
		}
		e.msgs <- m
	}
	close(e.msgs)
}

// post runs f on the loop goroutine.
func (e *engine) post(f func()) {
	select {
	case e.posts <- f:
	case <-e.done:
	}
}

// call runs f on the loop goroutine and waits for it.
func (e *engine) call(f func()) error {
	ran := make(chan struct{})
	select {
	case e.posts <- func() { f(); close(ran) }:
	case <-e.done:
		return e.stopErr()
	}
	select {
	case <-ran:
		return nil
	case <-e.done:
		return e.stopErr()
	}
}

func (e *engine) stopErr() error {
	if e.err != nil {
		return e.err
	}
	return errors.New("the Step Functions engine stopped")
}

// send writes one message to the engine (loop goroutine only).
func (e *engine) send(m map[string]any) {
	e.seq++
	m["seq"] = e.seq
	now := e.clock.Now()
	m["now"] = float64(now.UnixNano()) / 1e6
	m["speed"] = e.clock.Speed()
	data, err := json.Marshal(m)
	if err != nil {
		e.fail(fmt.Errorf("encoding a message for the engine: %w", err))
		return
	}
	e.pendingAcks++
	if _, err := e.stdin.Write(append(data, '\n')); err != nil {
		e.fail(fmt.Errorf("writing to the engine: %w", err))
	}
}

// fail stops everything: every running execution fails with err.
func (e *engine) fail(err error) {
	if e.err == nil {
		e.err = err
	}
	for _, x := range e.execs {
		if x.Status == "RUNNING" {
			e.finish(x, "FAILED", nil, "States.Runtime", "the local Step Functions engine failed: "+err.Error())
		}
	}
}

// startExecution starts machine with input (loop goroutine only).
func (e *engine) startExecution(machine, name string, input json.RawMessage, parent *Execution) *Execution {
	if name == "" {
		name = newUUID()
	}
	x := &Execution{
		ARN:     fmt.Sprintf("arn:%s:states:%s:%s:execution:%s:%s", Partition, Region, AccountID, machine, name),
		Name:    name,
		Machine: machine,
		Input:   input,
		Parent:  parent,
		Start:   e.clock.Now(),
		Status:  "RUNNING",
		done:    make(chan struct{}),

		IndexTransitions: map[int]int{},
	}
	e.execs[x.ARN] = x
	if e.err != nil {
		e.finish(x, "FAILED", nil, "States.Runtime", e.err.Error())
		return x
	}
	context := map[string]any{
		"Execution": map[string]any{
			"Id":           x.ARN,
			"Name":         name,
			"RoleArn":      "arn:aws:iam::" + AccountID + ":role/" + machine,
			"Input":        json.RawMessage(input),
			"RedriveCount": 0,
		},
		"StateMachine": map[string]any{
			"Id":   fmt.Sprintf("arn:%s:states:%s:%s:stateMachine:%s", Partition, Region, AccountID, machine),
			"Name": machine,
		},
	}
	e.send(map[string]any{"op": "start", "exec": x.ARN, "machine": machine, "input": json.RawMessage(input), "context": context})
	return x
}

func (e *engine) finish(x *Execution, status string, output json.RawMessage, errName, cause string) {
	if x.Status != "RUNNING" {
		return
	}
	x.Status, x.Output, x.Error, x.Cause = status, output, errName, cause
	x.Stop = e.clock.Now()
	close(x.done)
	// A .sync task that ends with its execution stops the child, as Step
	// Functions does (StopExecution).
	for _, c := range e.execs {
		if c.Parent == x && c.Status == "RUNNING" {
			e.send(map[string]any{"op": "abort", "exec": c.ARN})
		}
	}
	for _, f := range x.onDone {
		f(x)
	}
}

// result answers a task (loop goroutine only).
func (e *engine) result(call int, value json.RawMessage, errName, cause string) {
	m := map[string]any{"op": "result", "call": call}
	if errName != "" {
		m["ok"], m["error"], m["cause"] = false, errName, cause
	} else {
		if value == nil {
			value = json.RawMessage("null")
		}
		m["ok"], m["value"] = true, value
	}
	e.send(m)
}

// async runs work off the loop; the clock counts it as in flight until its
// result is sent to the engine.
func (e *engine) async(call int, work func() (json.RawMessage, string, string)) {
	e.inflight++
	go func() {
		v, name, cause := work()
		e.post(func() {
			e.inflight--
			e.result(call, v, name, cause)
		})
	}()
}

func (e *engine) handle(m *engineMsg) {
	switch m.Op {
	case "ack":
		e.pendingAcks--
	case "timer":
		e.timers[m.ID] = e.clock.Now().Add(time.Duration(m.MS * float64(time.Millisecond)))
	case "clear":
		delete(e.timers, m.ID)
	case "ready":
		tasks := map[string][]string{}
		for k, v := range m.Machines {
			tasks[k] = v.Tasks
		}
		select {
		case e.ready <- tasks:
		default:
		}
	case "event":
		if x := e.execs[m.Exec]; x != nil {
			x.Events = append(x.Events, Event{Time: e.clock.Now(), Type: m.Type, State: m.State, StateType: m.StateType, Index: m.Index, Error: m.Error, Cause: m.Cause})
			if m.Type == "StateEntered" || m.Type == "StateRetried" {
				x.Transitions++
				if m.Index != nil {
					x.IndexTransitions[*m.Index]++
				}
			}
			x.HistoryEvents += historyWeight(m.Type, m.StateType)
			if b := max(m.InBytes, m.OutBytes); b > x.MaxPayloadBytes {
				x.MaxPayloadBytes, x.MaxPayloadState = b, m.State
			}
			e.enforceLimits(x, m)
		}
		e.onMsg(m)
	case "task":
		e.onMsg(m)
	case "done":
		if x := e.execs[m.Exec]; x != nil {
			status := m.Status
			if status == "" {
				status = "FAILED"
				if m.OK {
					status = "SUCCEEDED"
				}
			}
			e.finish(x, status, m.Output, m.Error, m.Cause)
		}
	case "fatal":
		e.fail(errors.New(m.Error))
	}
}

func (e *engine) earliest() (time.Time, bool) {
	var t time.Time
	ok := false
	for _, d := range e.timers {
		if !ok || d.Before(t) {
			t, ok = d, true
		}
	}
	for _, h := range e.hostTimers {
		if !ok || h.at.Before(t) {
			t, ok = h.at, true
		}
	}
	return t, ok
}

// hostTimer is a timer of Go's: fn runs on the loop goroutine when the
// clock reaches at (timers due together run in (at, registration) order).
type hostTimer struct {
	at  time.Time
	seq int64
	fn  func()
}

// addHostTimer registers fn to run at `at` (loop goroutine only).
func (e *engine) addHostTimer(at time.Time, fn func()) *hostTimer {
	e.hostSeq++
	h := &hostTimer{at: at, seq: e.hostSeq, fn: fn}
	e.hostTimers = append(e.hostTimers, h)
	return h
}

// removeHostTimers forgets timers that have not fired (loop goroutine only).
func (e *engine) removeHostTimers(hs []*hostTimer) {
	e.hostTimers = slices.DeleteFunc(e.hostTimers, func(h *hostTimer) bool { return slices.Contains(hs, h) })
}

// fireHostTimers runs the host timers whose time has come.
func (e *engine) fireHostTimers(now time.Time) {
	var due []*hostTimer
	for _, h := range e.hostTimers {
		if !h.at.After(now) {
			due = append(due, h)
		}
	}
	if len(due) == 0 {
		return
	}
	e.removeHostTimers(due)
	sort.Slice(due, func(i, j int) bool {
		if !due[i].at.Equal(due[j].at) {
			return due[i].at.Before(due[j].at)
		}
		return due[i].seq < due[j].seq
	})
	for _, h := range due {
		h.fn()
	}
}

// fireDue fires the timers whose deadline has come, in deadline order.
func (e *engine) fireDue() {
	now := e.clock.Now()
	e.fireHostTimers(now)
	type due struct {
		id int64
		at time.Time
	}
	var list []due
	for id, at := range e.timers {
		if !at.After(now) {
			list = append(list, due{id, at})
		}
	}
	if len(list) == 0 {
		return
	}
	sort.Slice(list, func(i, j int) bool {
		if !list[i].at.Equal(list[j].at) {
			return list[i].at.Before(list[j].at)
		}
		return list[i].id < list[j].id
	})
	ids := make([]int64, len(list))
	for i, d := range list {
		ids[i] = d.id
		delete(e.timers, d.id)
	}
	e.send(map[string]any{"op": "fire", "ids": ids})
}

func (e *engine) running() int {
	n := 0
	for _, x := range e.execs {
		if x.Status == "RUNNING" {
			n++
		}
	}
	return n
}

func (e *engine) loop() {
	defer close(e.done)
	var wake *time.Timer
	for {
		if e.err == nil {
			e.fireDue()
			if e.pendingAcks == 0 && e.inflight == 0 {
				if at, ok := e.earliest(); ok {
					// Every execution waits on a timer: jump to it.
					e.clock.AdvanceTo(at)
					continue
				}
				if e.running() > 0 {
					e.fail(errors.New("stalled: executions are running but none has a task in flight or a timer pending"))
				}
			}
		}
		var wakeC <-chan time.Time
		if at, ok := e.earliest(); ok && e.clock.Speed() > 0 {
			d := time.Duration(float64(at.Sub(e.clock.Now())) / e.clock.Speed())
			if d < time.Millisecond {
				d = time.Millisecond
			}
			wake = time.NewTimer(d)
			wakeC = wake.C
		}
		select {
		case m, ok := <-e.msgs:
			if !ok {
				err := e.cmd.Wait()
				e.fail(fmt.Errorf("node exited: %v", err))
				e.drain()
				return
			}
			e.handle(m)
		case f := <-e.posts:
			f()
		case <-wakeC:
		}
		if wake != nil {
			wake.Stop()
			wake = nil
		}
	}
}

// drain answers posts after the engine is gone, so no caller hangs.
func (e *engine) drain() {
	for {
		select {
		case f := <-e.posts:
			f()
		default:
			return
		}
	}
}

// close stops node and the loop.
func (e *engine) close() {
	_ = e.stdin.Close()
	select {
	case <-e.done:
	case <-time.After(3 * time.Second):
		killEngine(e.cmd)
		<-e.done
	}
	os.Remove(e.script)
}

// prefixWriter writes lines with a prefix.
type prefixWriter struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, b...)
	for {
		i := strings.IndexByte(string(p.buf), '\n')
		if i < 0 {
			break
		}
		_, _ = io.WriteString(p.w, p.prefix+string(p.buf[:i+1]))
		p.buf = p.buf[i+1:]
	}
	return len(b), nil
}

// nodeBinary returns the Node.js >= 22 the project installs under
// node_modules (the npm package "node"), or an error that says how to get
// it.
func nodeBinary(root string) (string, error) {
	for _, p := range []string{
		filepath.Join(root, "node_modules", "node", "bin", "node"),
		filepath.Join(root, "node_modules", ".bin", "node"),
	} {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("no Node.js 22 under %s/node_modules: run `npm ci` (package.json pins node and aws-local-stepfunctions)", root)
}

// engineModule is aws-local-stepfunctions' Node ESM build.
func engineModule(root string) (string, error) {
	p := filepath.Join(root, "node_modules", "aws-local-stepfunctions", "build", "main.node.esm.js")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("aws-local-stepfunctions is not installed (%s): run `npm ci`", p)
	}
	return p, nil
}

// Step Functions quotas ("Step Functions service quotas", Developer Guide):
// a state's input or output is at most 256 KiB of UTF-8 JSON, and an
// execution's history at most 25,000 events.
const (
	PayloadLimit = 256 * 1024
	HistoryLimit = 25000
)

// historyWeight is how many Step Functions history events one engine event
// stands for. The engine logs a state's entry and exit; Step Functions also
// logs a Task's TaskScheduled, TaskStarted and TaskSucceeded (or
// TaskFailed), and a Map's MapStateStarted and MapStateSucceeded. A
// .sync task's TaskSubmitted is not counted (one event per child, in the
// parent).
func historyWeight(typ, stateType string) int {
	switch typ {
	case "StateEntered":
		switch stateType {
		case "Task":
			return 3 // TaskStateEntered, TaskScheduled, TaskStarted
		case "Map", "Parallel":
			return 2 // …StateEntered, …StateStarted
		}
		return 1
	case "StateExited":
		switch stateType {
		case "Task", "Map", "Parallel":
			return 2 // TaskSucceeded / MapStateSucceeded, …StateExited
		}
		return 1
	case "StateRetried":
		return 2 // TaskScheduled, TaskStarted of the next attempt
	case "StateFailed", "StateCaught", "MapIterationStarted", "MapIterationSucceeded", "MapIterationFailed",
		"ParallelBranchStarted", "ParallelBranchSucceeded", "ParallelBranchFailed",
		"ExecutionStarted", "ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut", "ExecutionTerminated":
		return 1
	}
	return 1
}

// enforceLimits fails x (and stops it on the engine) when the event took it
// past a quota: States.DataLimitExceeded for a payload, as Step Functions
// fails the execution; States.Runtime for the history.
func (e *engine) enforceLimits(x *Execution, m *engineMsg) {
	if x.Status != "RUNNING" {
		return
	}
	errName, cause := "", ""
	switch {
	case e.payloadLimit > 0 && max(m.InBytes, m.OutBytes) > e.payloadLimit:
		errName = "States.DataLimitExceeded"
		cause = fmt.Sprintf("The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit (%d bytes: %d)",
			m.State, e.payloadLimit, max(m.InBytes, m.OutBytes))
	case e.historyLimit > 0 && x.HistoryEvents > e.historyLimit:
		errName = "States.Runtime"
		cause = fmt.Sprintf("The execution reached the maximum number of history events (%d)", e.historyLimit)
	default:
		return
	}
	e.send(map[string]any{"op": "abort", "exec": x.ARN})
	e.finish(x, "FAILED", nil, errName, cause)
}
