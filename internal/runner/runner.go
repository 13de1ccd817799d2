// Package runner runs snapflow's synthesized stack locally: the state
// machines of cdk.out/<stack>.template.json on aws-local-stepfunctions (in a
// Node.js 22 child process), every Lambda task on the real handler binary
// behind a local Lambda runtime API (internal/lambdart), against the local
// AWS (internal/localaws) provisioned from the same template, all on one
// simulated clock. It powers `snapflow-local demo|run` and the end-to-end
// tests; docs/architecture.md, "Local runner", explains the design.
package runner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"

	"github.com/snapflow/snapflow/events"
	"github.com/snapflow/snapflow/internal/lambdart"
	"github.com/snapflow/snapflow/internal/localaws"
	"github.com/snapflow/snapflow/internal/localaws/emu"
	"github.com/snapflow/snapflow/internal/simclock"
	"github.com/snapflow/snapflow/internal/steps"
)

// Options configure a Runner.
type Options struct {
	// Root is the repository (functions/, cdk.out/, node_modules/);
	// default: found upwards from the working directory by go.mod.
	Root string
	// Template is the synthesized template; default: the one
	// <Root>/cdk.out/*.template.json.
	Template string
	// Edit, when set, may change the template before it is used (tests
	// break the stack this way).
	Edit func(*Template) error
	// Seed is the local AWS's seed file (the fleet to snapshot).
	Seed []byte
	// Start is the simulated time at start (default: now).
	Start time.Time
	// Speed is how fast the clock runs while a task is in flight, in
	// simulated seconds per real second (default 1: as in AWS).
	Speed float64
	// Durations models snapshot durations (default emu.DefaultDurationModel).
	Durations *emu.DurationModel
	// Log receives the handlers' and the engine's output (default: discarded).
	Log io.Writer
	// BuildDir holds the native handler binaries (default <Root>/build/local).
	BuildDir string
	// StandIn builds a stand-in for a handler whose functions/<name> does
	// not exist yet (tests, while the handlers are written).
	StandIn bool
	// MaxSandboxes caps each function's concurrent sandboxes (default 10).
	MaxSandboxes int
	// PayloadLimit and HistoryLimit fail an execution whose state input or
	// output is larger (bytes) or whose history is longer (events), as Step
	// Functions does; 0: its quotas (PayloadLimit, HistoryLimit), negative:
	// not enforced.
	PayloadLimit, HistoryLimit int
	// Progress, when set, is told about every state a target's execution
	// enters and how it ends. It runs on the scheduler: keep it quick.
	Progress func(Progress)
	// Crash, when set, injects handler crashes (fault tests): it is asked
	// for every invocation of a handler (plan, create, …), n counting that
	// handler's invocations from 1, with its payload; true kills its process
	// as it answers, after its AWS calls (lambdart.Function.Crash):
	// Runtime.ExitError.
	Crash func(handler string, n int, payload json.RawMessage) bool
}

// Progress is one step of one target.
type Progress struct {
	Time time.Time // simulated
	// Run is the run's execution ARN; Execution the target's.
	Run, Execution string
	Policy         string
	Target         events.Target
	// State is the state entered; Status is set when the target's
	// execution ends (SUCCEEDED, FAILED, ...), with Error.
	State, Status, Error string
}

// Runner is one local stack: the local AWS, the functions and the engine.
type Runner struct {
	opts Options
	root string

	Template    *Template
	Provisioned *Provisioned
	// Handlers says where each handler's bootstrap came from.
	Handlers map[string]string

	res    *resolver
	aws    *localaws.AWS
	lambda *lambdart.Server
	eng    *engine
	seed   seedIndex
	model  emu.DurationModel

	ctx    context.Context
	cancel context.CancelFunc

	functions     map[string]*function // by name, ARN and logical ID
	machines      map[string]json.RawMessage
	runMachine    string
	targetMachine string
	machineByARN  map[string]string

	bootstraps map[string]string // handler → executable

	mu           sync.Mutex
	invocations  []*Invocation
	integrations map[*Execution]*integrationRecord
	children     map[*Execution]*events.WorkItem
	triggers     map[*Execution]*Trigger // runs a schedule or a rule started
	byEvent      map[string][]*Execution // runs started for an event, by event ID

	schedules []*Schedule // the local scheduler's (schedules.go)
	fireMu    sync.Mutex  // serializes FireSchedules
}

// function is one AWS::Lambda::Function of the template.
type function struct {
	Handler   string // the functions/<name> it runs
	LogicalID string
	Name, ARN string
	Timeout   time.Duration
	MemoryMB  int
	Env       map[string]string
}

// Invocation is one Lambda invocation made by a task.
type Invocation struct {
	Function     string // handler name (plan, create, ...)
	FunctionName string
	Exec         *Execution
	State        string
	RequestID    string
	Sandbox      string
	AccessKey    string
	Cold         bool
	InitDuration time.Duration
	Duration     time.Duration
	Start, End   time.Time // simulated
	ErrorType    string
	Output       json.RawMessage
	// Calls are the AWS API calls the invocation made (filled by reports).
	Calls []emu.Call

	toSeq int
}

type integrationRecord struct {
	messageIDs []string
	eventIDs   []string
}

// New builds the local stack: the local AWS (seeded), the template's
// resources on it, the handler binaries, the functions and the engine.
// Close it.
func New(ctx context.Context, opts Options) (*Runner, error) {
	if opts.Speed <= 0 {
		opts.Speed = 1
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if opts.MaxSandboxes <= 0 {
		opts.MaxSandboxes = 10
	}
	root := opts.Root
	if root == "" {
		var err error
		if root, err = FindRoot(); err != nil {
			return nil, err
		}
	}
	path := opts.Template
	if path == "" {
		var err error
		if path, err = FindTemplate(filepath.Join(root, "cdk.out")); err != nil {
			return nil, err
		}
	}
	tmpl, err := LoadTemplate(path)
	if err != nil {
		return nil, err
	}
	if opts.Edit != nil {
		if err := opts.Edit(tmpl); err != nil {
			return nil, err
		}
	}
	node, err := nodeBinary(root)
	if err != nil {
		return nil, err
	}
	module, err := engineModule(root)
	if err != nil {
		return nil, err
	}
	rctx, cancel := context.WithCancel(context.Background())
	r := &Runner{
		opts: opts, root: root, Template: tmpl, res: newResolver(tmpl), ctx: rctx, cancel: cancel,
		functions: map[string]*function{}, machines: map[string]json.RawMessage{}, machineByARN: map[string]string{},
		integrations: map[*Execution]*integrationRecord{}, children: map[*Execution]*events.WorkItem{},
		triggers: map[*Execution]*Trigger{}, byEvent: map[string][]*Execution{},
		model: emu.DefaultDurationModel,
	}
	if opts.Durations != nil {
		r.model = *opts.Durations
	}
	ok := false
	defer func() {
		if !ok {
			r.Close()
		}
	}()
	if err := r.loadMachines(); err != nil {
		return nil, err
	}
	if err := r.loadFunctions(); err != nil {
		return nil, err
	}

	r.aws = localaws.New(localaws.Options{Region: Region, AccountID: AccountID, Start: opts.Start, Speed: opts.Speed, Durations: opts.Durations})
	if err := r.aws.Start("127.0.0.1:0"); err != nil {
		return nil, err
	}
	if len(opts.Seed) > 0 {
		if err := r.aws.Seed(opts.Seed); err != nil {
			return nil, err
		}
		r.seed = indexSeed(opts.Seed)
	}
	if r.Provisioned, err = provision(ctx, tmpl, r.res, r.aws.URL()); err != nil {
		return nil, err
	}
	if err := r.loadSchedules(); err != nil {
		return nil, err
	}
	if err := r.startFunctions(ctx); err != nil {
		return nil, err
	}
	r.eng, err = startEngine(ctx, node, module, r.aws.Clock(), r.machines, opts.Log, r.onMessage)
	if err != nil {
		return nil, err
	}
	_ = r.eng.call(func() {
		r.eng.payloadLimit = limit(opts.PayloadLimit, PayloadLimit)
		r.eng.historyLimit = limit(opts.HistoryLimit, HistoryLimit)
	})
	// Events that match the stack's rules start executions from now on.
	r.aws.EventBridge().SetDelivery(r.deliver)
	ok = true
	return r, nil
}

// FindRoot returns the nearest directory upwards that holds go.mod.
func FindRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory: run from the repository")
		}
		dir = parent
	}
}

// Close stops the engine, the functions and the local AWS.
func (r *Runner) Close() error {
	if r.eng != nil {
		r.eng.close()
	}
	r.cancel()
	if r.lambda != nil {
		_ = r.lambda.Close()
	}
	if r.aws != nil {
		_ = r.aws.Close()
	}
	return nil
}

// AWS is the local AWS.
func (r *Runner) AWS() *localaws.AWS { return r.aws }

// Clock is the one clock.
func (r *Runner) Clock() *emu.Clock { return r.aws.Clock() }

// AWSConfig returns an SDK configuration for the local AWS with the given
// access key.
func (r *Runner) AWSConfig(accessKey string) aws.Config { return awsConfig(r.aws.URL(), accessKey) }

// RunMachine and TargetMachine name the two state machines.
func (r *Runner) RunMachine() string    { return r.runMachine }
func (r *Runner) TargetMachine() string { return r.targetMachine }

// loadMachines resolves the state machines' definitions and tells the run
// (the one that starts executions of another) from the target machine.
func (r *Runner) loadMachines() error {
	for _, id := range r.Template.OfType("AWS::StepFunctions::StateMachine") {
		res := r.Template.Resources[id]
		name := r.res.names[id]
		var def any
		if d, ok := res.Properties["DefinitionString"]; ok {
			v, err := r.res.resolve(d)
			if err != nil {
				return fmt.Errorf("state machine %s: %w", id, err)
			}
			s, ok := v.(string)
			if !ok {
				return fmt.Errorf("state machine %s: DefinitionString is not a string", id)
			}
			if err := json.Unmarshal([]byte(s), &def); err != nil {
				return fmt.Errorf("state machine %s: definition is not JSON: %w", id, err)
			}
		} else if d, ok := res.Properties["Definition"]; ok {
			v, err := r.res.resolve(d)
			if err != nil {
				return fmt.Errorf("state machine %s: %w", id, err)
			}
			def = v
		} else {
			return fmt.Errorf("state machine %s has no definition", id)
		}
		if m, ok := def.(map[string]any); ok && m["QueryLanguage"] == "JSONata" {
			return fmt.Errorf("state machine %s uses JSONata, which aws-local-stepfunctions ignores", name)
		}
		defaultTaskTimeouts(def)
		raw, _ := json.Marshal(def)
		r.machines[name] = raw
		r.machineByARN[fmt.Sprint(r.res.phys[id].ref)] = name
		if strings.Contains(string(raw), ":states:::states:startExecution") {
			r.runMachine = name
		}
	}
	if len(r.machines) == 0 {
		return errors.New("the template has no AWS::StepFunctions::StateMachine")
	}
	for name := range r.machines {
		if name != r.runMachine {
			r.targetMachine = name
		}
	}
	if r.runMachine == "" {
		if len(r.machines) != 1 {
			return errors.New("cannot tell the run state machine: none starts another")
		}
		r.runMachine = r.targetMachine
	}
	return nil
}

// loadFunctions maps the AWS::Lambda::Function resources the state
// machines invoke to handlers: functions/<name> by the construct path
// (<stack>/Functions/<name>/Resource), else the description
// ("snapflow <name>").
func (r *Runner) loadFunctions() error {
	var defs strings.Builder
	for _, d := range r.machines {
		defs.Write(d)
	}
	for _, id := range r.Template.OfType("AWS::Lambda::Function") {
		res := r.Template.Resources[id]
		arn := fmt.Sprint(r.res.phys[id].attrs["Arn"])
		if !strings.Contains(defs.String(), arn) {
			continue // not used by the workflow (e.g. the custom resource provider)
		}
		handler := ""
		parts := strings.Split(res.CDKPath(), "/")
		if len(parts) >= 2 && parts[len(parts)-1] == "Resource" {
			handler = parts[len(parts)-2]
		}
		if d := str(res.Properties, "Description"); handler == "" && strings.HasPrefix(d, "snapflow ") {
			handler = strings.TrimPrefix(d, "snapflow ")
		}
		if handler == "" {
			return fmt.Errorf("function %s: cannot tell which functions/<name> it runs", id)
		}
		props, err := r.res.resolve(res.Properties)
		if err != nil {
			return fmt.Errorf("function %s: %w", id, err)
		}
		p := props.(map[string]any)
		fn := &function{Handler: handler, LogicalID: id, Name: r.res.names[id], ARN: arn, Timeout: 3 * time.Second, MemoryMB: 128, Env: map[string]string{}}
		if t, ok := number(p["Timeout"]); ok {
			fn.Timeout = time.Duration(t) * time.Second
		}
		if m, ok := number(p["MemorySize"]); ok {
			fn.MemoryMB = int(m)
		}
		if env, ok := p["Environment"].(map[string]any); ok {
			if vars, ok := env["Variables"].(map[string]any); ok {
				for k, v := range vars {
					fn.Env[k] = fmt.Sprint(v)
				}
			}
		}
		r.functions[fn.Name] = fn
		r.functions[fn.ARN] = fn
		r.functions[id] = fn
	}
	return nil
}

func (r *Runner) allFunctions() []*function {
	seen := map[*function]bool{}
	var out []*function
	for _, f := range r.functions {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Handler < out[j].Handler })
	return out
}

// startFunctions prepares the handler binaries and registers the
// functions with the local Lambda.
func (r *Runner) startFunctions(ctx context.Context) error {
	dir := r.opts.BuildDir
	if dir == "" {
		dir = filepath.Join(r.root, "build", "local")
	}
	fns := r.allFunctions()
	assets := map[string]string{}
	var names []string
	for _, f := range fns {
		names = append(names, f.Handler)
		if a, ok := r.Template.Resources[f.LogicalID].Metadata["aws:asset:path"].(string); ok {
			assets[f.Handler] = filepath.Join(r.Template.Dir, a)
		}
	}
	srcs, err := prepareHandlers(ctx, r.root, dir, assets, names, r.opts.StandIn)
	if err != nil {
		return err
	}
	r.Handlers = map[string]string{}
	r.bootstraps = map[string]string{}
	r.lambda = lambdart.New(lambdart.Options{Region: Region, Clock: r.aws.Clock()})
	for _, f := range fns {
		src := srcs[f.Handler]
		r.Handlers[f.Handler] = src.Origin
		r.bootstraps[f.Handler] = src.Path
		env := r.functionEnv(f.Env)
		logicalID := f.LogicalID
		var crash func(int, []byte) bool
		if r.opts.Crash != nil {
			handler := f.Handler
			crash = func(n int, payload []byte) bool { return r.opts.Crash(handler, n, payload) }
		}
		if err := r.lambda.Register(lambdart.Function{
			Crash: crash,
			Name:  f.Name, ARN: f.ARN, Bootstrap: src.Path, Handler: "bootstrap",
			Env: env, Timeout: f.Timeout, MemoryMB: f.MemoryMB, MaxConcurrency: r.opts.MaxSandboxes,
			Log: &prefixWriter{w: r.opts.Log, prefix: "[" + f.Handler + "] "},
			SandboxEnv: func(i int) map[string]string {
				return map[string]string{"AWS_ACCESS_KEY_ID": SandboxAccessKey(logicalID, i)}
			},
		}); err != nil {
			return err
		}
	}
	return nil
}

// functionEnv is a function's environment on the local runner: the
// template's, then the local AWS's endpoint (path-style S3), the simulated
// clock and the secret of the local credentials (the access key is the
// sandbox's, SandboxAccessKey).
func (r *Runner) functionEnv(template map[string]string) map[string]string {
	env := maps.Clone(template)
	if env == nil {
		env = map[string]string{}
	}
	env["AWS_ENDPOINT_URL"] = r.aws.URL()
	env["SNAPFLOW_S3_PATH_STYLE"] = "true"
	env[simclock.EnvURL] = r.aws.URL() + "/_localaws/clock"
	env["AWS_SECRET_ACCESS_KEY"] = "local"
	env["AWS_SESSION_TOKEN"] = "local"
	return env
}

// SandboxAccessKey is the access key of a function's sandbox: the
// function's logical ID and the sandbox's number, so every call in the
// local AWS's record names the function that made it (and the sandbox:
// Lambda gives each execution environment its own role session).
func SandboxAccessKey(logicalID string, sandbox int) string {
	return logicalID + "-" + strconv.Itoa(sandbox)
}

// FunctionOfAccessKey returns the handler name of an access key made by
// SandboxAccessKey ("" for other callers).
func (r *Runner) FunctionOfAccessKey(key string) string {
	i := strings.LastIndexByte(key, '-')
	if i < 0 {
		return ""
	}
	if f, ok := r.functions[key[:i]]; ok && f.LogicalID == key[:i] {
		return f.Handler
	}
	return ""
}

// Start starts an execution of the run state machine with input (an
// events.Policy); name may be empty. Wait on the execution, then Report.
func (r *Runner) Start(input json.RawMessage, name string) (*Execution, error) {
	if !json.Valid(input) {
		return nil, errors.New("the execution input is not JSON")
	}
	var x *Execution
	err := r.eng.call(func() {
		x = r.eng.startExecution(r.runMachine, name, input, nil)
	})
	return x, err
}

// Run runs one execution of the run state machine to its end and reports.
func (r *Runner) Run(ctx context.Context, input json.RawMessage) (*Report, error) {
	x, err := r.Start(input, "")
	if err != nil {
		return nil, err
	}
	if err := x.Wait(ctx); err != nil {
		return nil, err
	}
	return r.Report(x), nil
}

// onMessage handles the engine's tasks and events (on the scheduler).
func (r *Runner) onMessage(m *engineMsg) {
	x := r.eng.execs[m.Exec]
	if x == nil {
		return
	}
	switch m.Op {
	case "event":
		if m.Type == "StateEntered" && x.Parent != nil && r.opts.Progress != nil {
			r.progress(x, m.State, "", "")
		}
	case "task":
		r.task(x, m)
	}
}

func (r *Runner) progress(x *Execution, state, status, errName string) {
	r.mu.Lock()
	item := r.children[x]
	r.mu.Unlock()
	if item == nil || r.opts.Progress == nil {
		return
	}
	root := x
	for root.Parent != nil {
		root = root.Parent
	}
	r.opts.Progress(Progress{Time: r.aws.Clock().Now(), Run: root.ARN, Execution: x.ARN, Policy: item.Policy, Target: item.Target, State: state, Status: status, Error: errName})
}

// task runs one Task state's resource (on the scheduler: long work goes
// through eng.async).
func (r *Runner) task(x *Execution, m *engineMsg) {
	res := m.Resource
	switch {
	case strings.HasSuffix(res, ":states:::lambda:invoke"):
		var p struct {
			FunctionName string          `json:"FunctionName"`
			Payload      json.RawMessage `json:"Payload"`
		}
		if err := json.Unmarshal(m.Input, &p); err != nil {
			r.eng.result(m.Call, nil, "States.Runtime", "lambda:invoke parameters: "+err.Error())
			return
		}
		r.invokeTask(x, m, p.FunctionName, p.Payload, true)
	case strings.Contains(res, ":lambda:") && strings.Contains(res, ":function:"):
		r.invokeTask(x, m, res, m.Input, false)
	case strings.Contains(res, ":states:::states:startExecution"):
		r.startChild(x, m)
	case strings.HasSuffix(res, ":states:::sns:publish"):
		r.eng.async(m.Call, func() (json.RawMessage, string, string) { return r.publish(x, m.Input) })
	case strings.HasSuffix(res, ":states:::events:putEvents"):
		r.eng.async(m.Call, func() (json.RawMessage, string, string) { return r.putEvents(x, m.Input) })
	default:
		r.eng.result(m.Call, nil, "States.Runtime", "the local runner does not run Task resource "+res)
	}
}

func (r *Runner) invokeTask(x *Execution, m *engineMsg, name string, payload json.RawMessage, optimized bool) {
	fn := r.lookupFunction(name)
	if fn == nil {
		r.eng.result(m.Call, nil, "Lambda.ResourceNotFoundException", "Function not found: "+name)
		return
	}
	if payload == nil {
		payload = json.RawMessage("{}")
	}
	state := m.State
	r.eng.async(m.Call, func() (json.RawMessage, string, string) {
		res, err := r.lambda.Invoke(r.ctx, fn.Name, payload)
		if err != nil {
			var fe *lambdart.FunctionError
			if errors.As(err, &fe) {
				return nil, "Lambda." + fe.ErrorType, fe.ErrorMessage
			}
			return nil, "Lambda.ServiceException", err.Error()
		}
		inv := &Invocation{
			Function: fn.Handler, FunctionName: fn.Name, Exec: x, State: state, RequestID: res.RequestID,
			Sandbox: res.Sandbox, AccessKey: SandboxAccessKey(fn.LogicalID, res.SandboxIndex), Cold: res.Cold,
			InitDuration: res.InitDuration, Duration: res.Duration, Start: res.Start, End: res.End,
			Output: res.Payload, toSeq: len(r.aws.Calls()),
		}
		if res.Err != nil {
			inv.ErrorType = res.Err.ErrorType
		}
		r.mu.Lock()
		r.invocations = append(r.invocations, inv)
		r.mu.Unlock()
		if res.Err != nil {
			// Step Functions names the error by errorType; the cause is
			// the error payload.
			cause, _ := json.Marshal(res.Err)
			return nil, res.Err.ErrorType, string(cause)
		}
		if !optimized {
			return res.Payload, "", ""
		}
		out, _ := json.Marshal(map[string]any{
			"ExecutedVersion":     "$LATEST",
			"Payload":             res.Payload,
			"SdkHttpMetadata":     map[string]any{"HttpStatusCode": 200},
			"SdkResponseMetadata": map[string]any{"RequestId": res.RequestID},
			"StatusCode":          200,
		})
		return out, "", ""
	})
}

func (r *Runner) lookupFunction(name string) *function {
	if f, ok := r.functions[name]; ok {
		return f
	}
	// A partial or qualified ARN: ...:function:<name>[:qualifier].
	if i := strings.Index(name, ":function:"); i >= 0 {
		n := name[i+len(":function:"):]
		n, _, _ = strings.Cut(n, ":")
		return r.functions[n]
	}
	return nil
}

// startChild runs arn:aws:states:::states:startExecution[.sync[:2]]: a
// child execution on the same engine. .sync waits for it and returns its
// DescribeExecution output (.sync:2 with Input and Output as JSON); a
// child that did not succeed fails the task with States.TaskFailed and
// that output as the cause ("Start a new AWS Step Functions state machine
// from a running execution", Step Functions Developer Guide).
func (r *Runner) startChild(x *Execution, m *engineMsg) {
	var p struct {
		StateMachineArn string          `json:"StateMachineArn"`
		Input           json.RawMessage `json:"Input"`
		Name            string          `json:"Name"`
	}
	if err := json.Unmarshal(m.Input, &p); err != nil {
		r.eng.result(m.Call, nil, "States.Runtime", "startExecution parameters: "+err.Error())
		return
	}
	machine, ok := r.machineByARN[p.StateMachineArn]
	if !ok {
		r.eng.result(m.Call, nil, "StepFunctions.StateMachineDoesNotExistException", "State Machine Does Not Exist: '"+p.StateMachineArn+"'")
		return
	}
	input := p.Input
	var s string
	if json.Unmarshal(input, &s) == nil { // Input given as a JSON string
		input = json.RawMessage(s)
	}
	if len(input) == 0 {
		input = json.RawMessage("{}")
	}
	child := r.eng.startExecution(machine, p.Name, input, x)
	var in steps.StartInput
	if json.Unmarshal(input, &in) == nil && in.Item == nil && in.Policy.Name != "" {
		// The plan's compact item: the work item as create builds it
		// (the report needs the target and the snapshot name).
		it := steps.WorkItem(in.Policy, in.Target, in.Slot, "")
		in.Item = &it
	}
	if in.Item != nil {
		r.mu.Lock()
		r.children[child] = in.Item
		r.mu.Unlock()
	}
	sync2 := strings.HasSuffix(m.Resource, ".sync:2")
	if !strings.Contains(m.Resource, ".sync") {
		out, _ := json.Marshal(map[string]any{"ExecutionArn": child.ARN, "StartDate": child.Start.UnixMilli()})
		r.eng.result(m.Call, out, "", "")
		return
	}
	call := m.Call
	child.onDone = append(child.onDone, func(c *Execution) {
		r.progress(c, "", c.Status, c.Error)
		desc, _ := json.Marshal(describeExecution(c, sync2))
		if c.Status == "SUCCEEDED" {
			r.eng.result(call, desc, "", "")
		} else {
			r.eng.result(call, nil, "States.TaskFailed", string(desc))
		}
	})
}

// describeExecution is DescribeExecution's output for x, as .sync
// integrations return it.
func describeExecution(x *Execution, jsonIO bool) map[string]any {
	d := map[string]any{
		"ExecutionArn":    x.ARN,
		"StateMachineArn": fmt.Sprintf("arn:%s:states:%s:%s:stateMachine:%s", Partition, Region, AccountID, x.Machine),
		"Name":            x.Name,
		"Status":          x.Status,
		"StartDate":       x.Start.UnixMilli(),
		"StopDate":        x.Stop.UnixMilli(),
		"InputDetails":    map[string]any{"Included": true},
		"RedriveCount":    0,
		"RedriveStatus":   "NOT_REDRIVABLE",
	}
	if jsonIO {
		d["Input"] = x.Input
	} else {
		d["Input"] = string(x.Input)
	}
	if x.Status == "SUCCEEDED" {
		d["OutputDetails"] = map[string]any{"Included": true}
		if jsonIO {
			d["Output"] = x.Output
		} else {
			d["Output"] = string(x.Output)
		}
	} else {
		d["Error"], d["Cause"] = x.Error, x.Cause
	}
	return d
}

// serviceError names an SDK error as Step Functions names a service
// integration's errors: <Service>.<error code>.
func serviceError(service string, err error) (json.RawMessage, string, string) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return nil, service + "." + ae.ErrorCode(), ae.ErrorMessage()
	}
	return nil, "States.TaskFailed", err.Error()
}

func jsonString(v json.RawMessage) *string {
	if len(v) == 0 {
		return nil
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return &s
	}
	t := string(v)
	return &t
}

// publish runs arn:aws:states:::sns:publish on the local SNS.
func (r *Runner) publish(x *Execution, input json.RawMessage) (json.RawMessage, string, string) {
	var p struct {
		TopicArn, TargetArn, PhoneNumber, MessageStructure, MessageGroupId, MessageDeduplicationId string
		Message, Subject                                                                           json.RawMessage
	}
	if err := json.Unmarshal(input, &p); err != nil {
		return nil, "States.Runtime", "sns:publish parameters: " + err.Error()
	}
	in := &sns.PublishInput{Message: jsonString(p.Message), Subject: jsonString(p.Subject)}
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return aws.String(s)
	}
	in.TopicArn, in.TargetArn, in.PhoneNumber = opt(p.TopicArn), opt(p.TargetArn), opt(p.PhoneNumber)
	in.MessageStructure, in.MessageGroupId, in.MessageDeduplicationId = opt(p.MessageStructure), opt(p.MessageGroupId), opt(p.MessageDeduplicationId)
	out, err := sns.NewFromConfig(r.AWSConfig(StatesAccessKey)).Publish(r.ctx, in)
	if err != nil {
		return serviceError("SNS", err)
	}
	r.mu.Lock()
	r.record(x).messageIDs = append(r.record(x).messageIDs, aws.ToString(out.MessageId))
	r.mu.Unlock()
	v, _ := json.Marshal(map[string]any{"MessageId": aws.ToString(out.MessageId), "SdkHttpMetadata": map[string]any{"HttpStatusCode": 200}})
	return v, "", ""
}

// putEvents runs arn:aws:states:::events:putEvents on the local
// EventBridge; a failed entry fails the task with EventBridge.FailedEntry.
func (r *Runner) putEvents(x *Execution, input json.RawMessage) (json.RawMessage, string, string) {
	var p struct {
		Entries []struct {
			Detail                           json.RawMessage
			DetailType, Source, EventBusName string
			Resources                        []string
		}
	}
	if err := json.Unmarshal(input, &p); err != nil {
		return nil, "States.Runtime", "events:putEvents parameters: " + err.Error()
	}
	in := &eventbridge.PutEventsInput{}
	for _, e := range p.Entries {
		entry := ebtypes.PutEventsRequestEntry{Detail: jsonString(e.Detail), DetailType: aws.String(e.DetailType), Source: aws.String(e.Source), Resources: e.Resources}
		if e.EventBusName != "" {
			entry.EventBusName = aws.String(e.EventBusName)
		}
		in.Entries = append(in.Entries, entry)
	}
	out, err := eventbridge.NewFromConfig(r.AWSConfig(StatesAccessKey)).PutEvents(r.ctx, in)
	if err != nil {
		return serviceError("EventBridge", err)
	}
	type entry struct {
		EventID      string `json:"EventId,omitempty"`
		ErrorCode    string `json:"ErrorCode,omitempty"`
		ErrorMessage string `json:"ErrorMessage,omitempty"`
	}
	res := struct {
		Entries          []entry
		FailedEntryCount int32
	}{FailedEntryCount: out.FailedEntryCount}
	r.mu.Lock()
	for _, e := range out.Entries {
		res.Entries = append(res.Entries, entry{aws.ToString(e.EventId), aws.ToString(e.ErrorCode), aws.ToString(e.ErrorMessage)})
		if e.EventId != nil {
			r.record(x).eventIDs = append(r.record(x).eventIDs, *e.EventId)
		}
	}
	r.mu.Unlock()
	v, _ := json.Marshal(res)
	if out.FailedEntryCount > 0 {
		return nil, "EventBridge.FailedEntry", string(v)
	}
	return v, "", ""
}

// record returns x's integration record (r.mu held).
func (r *Runner) record(x *Execution) *integrationRecord {
	rec := r.integrations[x]
	if rec == nil {
		rec = &integrationRecord{}
		r.integrations[x] = rec
	}
	return rec
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// ExportBucket is the stack's export bucket: the plan function's
// SNAPFLOW_EXPORT_BUCKET ("" when the stack has none).
func (r *Runner) ExportBucket() string {
	for _, f := range r.allFunctions() {
		if b := f.Env["SNAPFLOW_EXPORT_BUCKET"]; b != "" {
			return b
		}
	}
	return ""
}

// awsTaskTimeout is the TimeoutSeconds a Task state has in AWS when it
// names none ("Task workflow state", Step Functions Developer Guide: the
// default is 99999999).
const awsTaskTimeout = 99999999

// defaultTaskTimeouts writes AWS's default TimeoutSeconds into the Task
// states that set none: aws-local-stepfunctions defaults to 60 seconds,
// which would time out a .sync child execution that takes minutes.
func defaultTaskTimeouts(def any) {
	m, ok := def.(map[string]any)
	if !ok {
		return
	}
	states, _ := m["States"].(map[string]any)
	for _, s := range states {
		st, ok := s.(map[string]any)
		if !ok {
			continue
		}
		switch st["Type"] {
		case "Task":
			_, a := st["TimeoutSeconds"]
			_, b := st["TimeoutSecondsPath"]
			if !a && !b {
				st["TimeoutSeconds"] = awsTaskTimeout
			}
		case "Map":
			if p, ok := st["ItemProcessor"]; ok {
				defaultTaskTimeouts(p)
			}
			if p, ok := st["Iterator"]; ok {
				defaultTaskTimeouts(p)
			}
		case "Parallel":
			for _, b := range list(st["Branches"]) {
				defaultTaskTimeouts(b)
			}
		}
	}
}

// limit is an Options limit: 0 the default, negative none.
func limit(v, def int) int {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}
