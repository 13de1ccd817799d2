// Command reliability runs snapflow's fault matrix end to end on the local
// runner (internal/runner, MatrixCases: the same cases `go test` runs in
// TestFaultMatrix), the IAM proof over every call they made, and writes
// docs/reliability.md with each case's expected and actual outcome.
//
//	go run ./cmd/reliability [-out docs/reliability.md] [-run regexp]
//
// It needs what the end-to-end tests need: `npm ci` (Node 22,
// aws-local-stepfunctions) and `make synth` (cdk.out). It exits 1 when a
// case fails or IAM would deny a call.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/snapflow/snapflow/internal/runner"
)

func main() {
	out := flag.String("out", "docs/reliability.md", "the report to write")
	only := flag.String("run", "", "run only the cases whose step/fault matches")
	flag.Parse()
	if err := run(*out, *only); err != nil {
		fmt.Fprintln(os.Stderr, "reliability:", err)
		os.Exit(1)
	}
}

func run(out, only string) error {
	root, err := runner.FindRoot()
	if err != nil {
		return err
	}
	tmpl, err := runner.FindTemplate(filepath.Join(root, "cdk.out"))
	if err != nil {
		return fmt.Errorf("%w (run make synth)", err)
	}
	seed, err := os.ReadFile(filepath.Join(root, "internal", "runner", "testdata", "seed.json"))
	if err != nil {
		return err
	}
	build, err := os.MkdirTemp("", "snapflow-reliability-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(build)
	base := runner.Options{Root: root, Template: tmpl, Seed: seed, BuildDir: build}
	var re *regexp.Regexp
	if only != "" {
		if re, err = regexp.Compile(only); err != nil {
			return err
		}
	}
	started := time.Now()
	var results []*runner.MatrixResult
	var sets []runner.IAMCalls
	failed := 0
	for _, c := range runner.MatrixCases() {
		if re != nil && !re.MatchString(c.Name()) {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		res, err := runner.RunMatrixCase(ctx, base, c)
		cancel()
		if err != nil {
			return err
		}
		status := "PASS"
		if c.NA != "" {
			status = "n/a"
		} else if !res.Pass() {
			status = "FAIL"
			failed++
		}
		fmt.Fprintf(os.Stderr, "%-4s %-40s %-32s %v\n", status, c.Name(), res.Actual, res.Real.Round(time.Millisecond))
		for _, p := range res.Problems {
			fmt.Fprintln(os.Stderr, "     ", p)
		}
		results = append(results, res)
		if c.NA == "" {
			sets = append(sets, runner.IAMCalls{Calls: res.Calls, FunctionOf: res.FunctionOf, StatesPrincipal: res.StatesPrincipal})
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	cov, _, err := runner.CoverageRun(ctx, base)
	cancel()
	if err != nil {
		return err
	}
	iam, err := runner.IAMProof(tmpl, append(sets, cov))
	if err != nil {
		return err
	}
	took := time.Since(started)
	if err := os.WriteFile(filepath.Join(root, out), []byte(report(results, iam.String(), len(iam.Denied), took)), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%d cases, %d failed, IAM: %d denied; %v; wrote %s\n", len(results), failed, len(iam.Denied), took.Round(time.Second), out)
	if failed > 0 || len(iam.Denied) > 0 {
		return fmt.Errorf("%d failed cases, %d denied authorizations", failed, len(iam.Denied))
	}
	return nil
}

func cell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}

func report(results []*runner.MatrixResult, iam string, denied int, took time.Duration) string {
	var b strings.Builder
	b.WriteString("# Reliability\n\n")
	b.WriteString("Written by `make reliability` (`go run ./cmd/reliability`); do not edit. The same cases run in\n")
	b.WriteString("`go test ./internal/runner` (TestFaultMatrix). " + time.Now().UTC().Format("2006-01-02 15:04 UTC") +
		fmt.Sprintf(", %v.\n\n", took.Round(time.Second)))
	b.WriteString(`## How a case runs

Each case starts the synthesized stack on the local runner (internal/runner: the real state machines
on aws-local-stepfunctions, the real handler binaries, the local AWS), seeds the managed snapshot
and copy of two earlier slots for each of two targets — **orders** (ElastiCache, node-based; the
target the fault hits) and **ledger** (MemoryDB; the bystander, which must succeed whatever
happens to orders) — and
one unmanaged snapshot each (` + "`manual-<id>`" + `, no managed tags), and runs the policy ` + "`matrix`" + `
(copy, export to the stack's bucket, keep the last 2, a policy tag). The fault is injected into the
local AWS when orders' execution enters the step's state, restricted to orders' resources, so only
that step meets it; a crash kills the handler's process as it answers, after its AWS calls
(runner.Options.Crash → lambdart.Function.Crash; Lambda reports Runtime.ExitError).

Outcomes: **recovered** (the run succeeds: SDK retries and the state machine's Retry absorbed the
fault); **failed <Error>** (orders failed with that error name and a cause, ledger completed, the
summary names the error, the run fails with Snapflow.TargetsFailed and publishes one alert naming
orders); **run failed <Error>** (plan: the run fails before any target); **alert/event
sent/lost** (the notify integrations).

After every run — and after the re-run that re-drives every failed run on the same slot without the
fault — the case checks:

- **no orphan**: every snapshot or copy that appeared carries the managed tags of this policy,
  target and slot and the policy's tags, its target is in the run summary, and when the target
  succeeded it is the snapshot or copy the run reported; every new export object is this slot's
  export of a target and, when it succeeded, exactly the objects it reported;
- **no duplicate**: at most one snapshot and one copy per target for the slot (export keys derive
  from the slot, so one export);
- **nothing unmanaged deleted**: the unmanaged snapshots survive, and every snapshot that went was
  this policy's managed one;
- after a run that succeeded (first run or re-run): **exactly one** available snapshot, one
  available copy and an export per target for the slot (the idempotent re-run requirement), and
  retention's result: the oldest slot's snapshot and copy are gone, the newer slot's kept;
- **no unconfigured tag value in the logs**: a canary tag value on the sources and the unmanaged
  snapshots, which no policy configures, never appears in the handlers' output.

A case whose fault never fired fails (it would have tested nothing).

## Matrix

| step | fault | how | expected | actual | re-run | result |
|---|---|---|---|---|---|---|
`)
	for _, r := range results {
		c := r.Case
		if c.NA != "" {
			fmt.Fprintf(&b, "| %s | %s | n/a: %s | | | | n/a |\n", c.Step, c.Fault, cell(c.NA))
			continue
		}
		exp := c.Expect
		if c.Also != "" {
			exp += " (or " + c.Also + ")"
		}
		result := "PASS"
		if !r.Pass() {
			result = "**FAIL**: " + cell(strings.Join(r.Problems, "; "))
		}
		actual := r.Actual
		if r.Detail != "" && r.Actual != runner.Recovered {
			d := r.Detail
			if len(d) > 220 {
				d = d[:220] + "…"
			}
			actual += "<br><sub>" + cell(d) + "</sub>"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", c.Step, c.Fault, cell(c.How), exp, actual, r.Rerun, result)
	}
	b.WriteString("\n## IAM proof\n\nEvery AWS call of the cases above and of the coverage run (runner.CoverageRun: every service and\n")
	b.WriteString("step over three daily slots and the last one again: the five caches, a standalone cache cluster\n")
	b.WriteString("among them, with copy, export and keep-last 1, so later runs prune earlier snapshots and copies;\n")
	b.WriteString("Redshift Serverless by a tag selector; failed snapshots and copies of a slot that create and copy\n")
	b.WriteString("delete and make again; a re-run that resumes everything) checked against the calling function's (or,\n")
	b.WriteString("for SNS and EventBridge, the run state machine's) IAM policy in the synthesized template\n")
	b.WriteString("(internal/iamcheck).")
	fmt.Fprintf(&b, " **%d denied.** Grants no call used are listed below with the reason when\n", denied)
	b.WriteString("iamcheck knows it (unobservable: logs, X-Ray, KMS on the service's behalf, the state machines'\n")
	b.WriteString("Lambda and Step Functions integrations, which the local runner runs itself, and the export bucket\n")
	b.WriteString("rights the export guides ask of an export's caller, which a service checks inside CopySnapshot if at\n")
	b.WriteString("all; inapplicable: the\n")
	b.WriteString("action is never authorized on that resource type, i.e. the statement lists a resource type the\n")
	b.WriteString("action ignores).\n\n```\n")
	lines := strings.Split(strings.TrimRight(iam, "\n"), "\n")
	sort.SliceStable(lines, func(i, j int) bool { return false })
	b.WriteString(strings.Join(lines, "\n"))
	b.WriteString("\n```\n")
	return b.String()
}
