// Command snapflow-local runs snapflow's synthesized stack on this machine:
// the state machines of cdk.out on aws-local-stepfunctions, the real
// handler binaries behind a local Lambda runtime API, against the local
// AWS provisioned from the same template, on one simulated clock
// (internal/runner; docs/demo.md).
//
//	snapflow-local demo                 # the guided tour (`make demo`)
//	snapflow-local run [flags] input.json
//	snapflow-local schedule [--days N]  # the stack's schedules fire over simulated days
//	snapflow-local request policy       # a Run Requested event starts a run
//
// Run `make build` (LAMBDA_GOARCH=<native> saves a rebuild) and `make
// synth` first; `npm ci` installs Node.js 22 and aws-local-stepfunctions.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/snapflow/snapflow/internal/runner"
)

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	code := 0
	switch os.Args[1] {
	case "demo":
		code, err = demo(ctx, os.Args[2:])
	case "run":
		code, err = runCmd(ctx, os.Args[2:])
	case "schedule":
		code, err = scheduleCmd(ctx, os.Args[2:])
	case "request":
		code, err = requestCmd(ctx, os.Args[2:])
	case "-h", "--help", "help":
		usage()
		return
	default:
		usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "snapflow-local:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

func usage() {
	fmt.Fprint(os.Stderr, `usage:
  snapflow-local demo [flags]             the local demo: a fleet, two policies, live progress, a re-run
  snapflow-local run [flags] input.json   one execution of the run state machine; the report as JSON
  snapflow-local schedule [flags]         the stack's schedules fire over --days simulated days; one line per run
  snapflow-local request [flags] policy [reason]
                                          a "Snapflow Run Requested" event on the local EventBridge; the runs it starts

Run 'snapflow-local <command> -h' for the flags.
`)
}

// common are the flags every command takes.
type common struct {
	template, seed, logFile, start string
	speed                          float64
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.template, "template", "", "synthesized template (default: the one cdk.out/*.template.json)")
	fs.StringVar(&c.seed, "seed", "", "local AWS seed file with the fleet")
	fs.StringVar(&c.logFile, "log", "", "write the handlers' and the engine's logs to this file")
	fs.StringVar(&c.start, "start", "", "simulated start time, RFC 3339 (default: now)")
	fs.Float64Var(&c.speed, "speed", 1, "simulated seconds per real second while a task is in flight (waits are skipped regardless)")
}

func (c *common) options() (runner.Options, func(), error) {
	opts := runner.Options{Template: c.template, Speed: c.speed}
	closeLog := func() {}
	if c.logFile != "" {
		f, err := os.Create(c.logFile)
		if err != nil {
			return opts, closeLog, err
		}
		opts.Log = f
		closeLog = func() { f.Close() }
	}
	if c.seed != "" {
		data, err := os.ReadFile(c.seed)
		if err != nil {
			return opts, closeLog, err
		}
		opts.Seed = data
	}
	if c.start != "" {
		t, err := time.Parse(time.RFC3339, c.start)
		if err != nil {
			return opts, closeLog, fmt.Errorf("--start: %w", err)
		}
		opts.Start = t
	}
	return opts, closeLog, nil
}

// runCmd runs one execution input against a seed and prints the report.
func runCmd(ctx context.Context, args []string) (int, error) {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	var c common
	c.register(fs)
	calls := fs.Bool("calls", false, "include every API call and invocation in the report")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: snapflow-local run [flags] input.json   (exit status 0: SUCCEEDED, 3: the execution did not succeed)")
		fs.PrintDefaults()
	}
	_ = fs.Parse(args)
	if fs.NArg() != 1 {
		fs.Usage()
		return 2, nil
	}
	input, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return 1, err
	}
	if !json.Valid(input) {
		return 1, fmt.Errorf("%s is not JSON", fs.Arg(0))
	}
	opts, closeLog, err := c.options()
	defer closeLog()
	if err != nil {
		return 1, err
	}
	if opts.Seed == nil {
		opts.Seed = defaultSeed()
	}
	r, err := runner.New(ctx, opts)
	if err != nil {
		return 1, err
	}
	defer r.Close()
	rep, err := r.Run(ctx, input)
	if err != nil {
		return 1, err
	}
	out := struct {
		*runner.Report
		Calls       any `json:"calls,omitempty"`
		Invocations any `json:"invocationList,omitempty"`
	}{Report: rep}
	if *calls {
		out.Calls, out.Invocations = rep.Calls, invocationsJSON(rep.InvocationList)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return 1, err
	}
	if rep.Status != "SUCCEEDED" {
		return 3, nil
	}
	return 0, nil
}

func invocationsJSON(list []*runner.Invocation) []map[string]any {
	var out []map[string]any
	for _, inv := range list {
		out = append(out, map[string]any{
			"function": inv.Function, "state": inv.State, "execution": inv.Exec.ARN, "requestId": inv.RequestID,
			"sandbox": inv.Sandbox, "cold": inv.Cold, "initMs": inv.InitDuration.Milliseconds(), "durationMs": inv.Duration.Milliseconds(),
			"start": inv.Start, "end": inv.End, "errorType": inv.ErrorType, "calls": len(inv.Calls),
		})
	}
	return out
}

var errUnexpected = errors.New("a target failed unexpectedly")

var _ io.Writer = os.Stdout
