package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/snapflow/snapflow/internal/runner"
)

// configuredFleet is the seed with the sources snapflow.yaml's policies
// name (the end-to-end tests of the schedules use it too).
const configuredFleet = "internal/runner/testdata/configured-fleet.json"

// triggerFlags are the flags of schedule and request: the common ones and
// --json.
func triggerFlags(name, usage, about string) (*flag.FlagSet, *common, *bool) {
	fs := flag.NewFlagSet(name, flag.ExitOnError)
	c := &common{}
	c.register(fs)
	asJSON := fs.Bool("json", false, "print the runs' reports as JSON instead of a table")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), usage)
		fmt.Fprintln(fs.Output(), about)
		fs.PrintDefaults()
	}
	return fs, c, asJSON
}

// parseAndStart parses the flags and, when valid says they are, starts the
// local stack for schedule or request, on the configured fleet unless
// --seed names another; done stops it. When r is nil, code is the exit
// status (2: usage, 1: err).
func parseAndStart(ctx context.Context, fs *flag.FlagSet, c *common, args []string, valid func() bool) (r *runner.Runner, done func(), code int, err error) {
	_ = fs.Parse(args)
	if !valid() {
		fs.Usage()
		return nil, nil, 2, nil
	}
	opts, closeLog, err := c.options()
	if err == nil && opts.Seed == nil {
		root, rerr := runner.FindRoot()
		if rerr == nil {
			opts.Seed, rerr = os.ReadFile(filepath.Join(root, configuredFleet))
		}
		if rerr != nil {
			err = fmt.Errorf("the configured fleet (%s): %w; name a seed with --seed", configuredFleet, rerr)
		}
	}
	if err == nil {
		r, err = runner.New(ctx, opts)
	}
	if err != nil {
		closeLog()
		return nil, nil, 1, err
	}
	return r, func() { r.Close(); closeLog() }, 0, nil
}

// textOut is where the table goes: stderr when stdout has the JSON.
func textOut(asJSON bool) io.Writer {
	if asJSON {
		return os.Stderr
	}
	return os.Stdout
}

// scheduleCmd fires the stack's schedules over simulated days and prints
// every run they start.
func scheduleCmd(ctx context.Context, args []string) (int, error) {
	fs, c, asJSON := triggerFlags("schedule",
		"usage: snapflow-local schedule [flags]   (exit status 0: every run succeeded, 3: one did not)",
		"EventBridge Scheduler on the simulated clock: the template's schedules (cron or rate, in their time zones) start the run state machine.")
	days := fs.Int("days", 1, "simulated days to fire the schedules over")
	only := fs.String("policy", "", "fire only these policies' schedules (comma-separated; default: every enabled one)")
	r, done, code, err := parseAndStart(ctx, fs, c, args, func() bool { return fs.NArg() == 0 && *days >= 1 })
	if r == nil {
		return code, err
	}
	defer done()
	out := textOut(*asJSON)
	policies := strings.FieldsFunc(*only, func(r rune) bool { return r == ',' })
	for _, p := range policies {
		if !slices.Contains(policyNames(r), p) {
			return 2, fmt.Errorf("--policy %s: no schedule runs it (the configured policies: %s)", p, strings.Join(policyNames(r), ", "))
		}
	}
	begin := r.Clock().Now()
	fmt.Fprintf(out, "Stack %s from %s; schedules (EventBridge Scheduler on the local clock, created %s):\n", r.Template.Stack, rel(r.Template.Path), begin.UTC().Format(time.RFC3339))
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	for _, s := range r.Schedules() {
		if len(policies) > 0 && !slices.Contains(policies, s.Policy) {
			s.State = "DISABLED" // as UpdateSchedule would
		}
		next := "-"
		if t, ok := s.Next(begin); ok {
			next = t.In(s.Location()).Format("2006-01-02 15:04 MST")
		}
		window := "off"
		if s.FlexibleWindow > 0 {
			window = s.FlexibleWindow.String()
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\tflexible window %s\tnext %s\n", s.Policy, s.Expression, s.TimeZone, s.State, window, next)
	}
	tw.Flush()
	fmt.Fprintf(out, "Firing them over %d simulated day(s), a day at a time:\n\n", *days)

	var all []*runner.Report
	header := true
	for d := 1; d <= *days; d++ {
		reps, err := r.FireSchedules(ctx, begin.Add(time.Duration(d)*24*time.Hour))
		if err != nil {
			return 1, err
		}
		if !*asJSON {
			printRuns(out, r, reps, header)
			header = header && len(reps) == 0
		}
		all = append(all, reps...)
	}
	return finishRuns(out, all, *asJSON)
}

// requestCmd puts a Snapflow Run Requested event for a policy on the local
// EventBridge and prints the runs the stack's rules start.
func requestCmd(ctx context.Context, args []string) (int, error) {
	fs, c, asJSON := triggerFlags("request",
		"usage: snapflow-local request [flags] policy [reason]   (exit status 0: a run started and succeeded, 3: none started or one failed)",
		"Puts a \"Snapflow Run Requested\" event (source snapflow, detail {policy, reason}) through the EventBridge SDK client; the stack's rule for the policy starts a run.")
	r, done, code, err := parseAndStart(ctx, fs, c, args, func() bool { return fs.NArg() == 1 || fs.NArg() == 2 })
	if r == nil {
		return code, err
	}
	defer done()
	reps, err := r.RunRequested(ctx, fs.Arg(0), fs.Arg(1))
	if err != nil {
		return 1, err
	}
	out := textOut(*asJSON)
	if len(reps) == 0 {
		fmt.Fprintf(out, "No rule matched a Run Requested event for %q: no run started (the configured policies: %s)\n", fs.Arg(0), strings.Join(policyNames(r), ", "))
		return 3, nil
	}
	if !*asJSON {
		printRuns(out, r, reps, true)
	}
	return finishRuns(out, reps, *asJSON)
}

func policyNames(r *runner.Runner) []string {
	var names []string
	for _, s := range r.Schedules() {
		names = append(names, s.Policy)
	}
	sort.Strings(names)
	return names
}

// printRuns prints one line per run: what started it, the slot, the
// result. Fixed columns, so that the lines of successive days align.
func printRuns(out io.Writer, r *runner.Runner, reps []*runner.Report, header bool) {
	pw := len("POLICY")
	for _, p := range policyNames(r) {
		pw = max(pw, len(p))
	}
	row := func(cols ...string) {
		fmt.Fprintf(out, "%-8s  %-25s  %-*s  %-16s  %-8s  %-10s  %-9s  %-30s  %s\n",
			cols[0], cols[1], pw, cols[2], cols[3], cols[4], cols[5], cols[6], cols[7], cols[8])
	}
	if header {
		row("TRIGGER", "DUE", "POLICY", "SLOT (UTC)", "STARTED", "TARGETS OK", "SIMULATED", "RESULT", "SNAPSHOTS")
	}
	for _, rep := range reps {
		trigger, due := "-", "-"
		if t := rep.Trigger; t != nil {
			trigger = t.Kind
			if t.Kind == "schedule" {
				due = t.ScheduledTime.In(scheduleZone(r, t.Name)).Format("Mon 2006-01-02 15:04 MST")
			}
		}
		policy, slot := "?", "-"
		if rep.Plan != nil {
			policy, slot = rep.Plan.Policy, rep.Plan.Slot.Format("2006-01-02 15:04")
		}
		ok, names := 0, []string{}
		for _, t := range rep.Targets {
			if t.Status == "SUCCEEDED" {
				ok++
			}
			names = append(names, t.Snapshot)
		}
		result := rep.Status
		if rep.Error != "" {
			result += " " + rep.Error
		}
		row(trigger, due, policy, slot, rep.Start.UTC().Format("15:04:05"), fmt.Sprintf("%d/%d", ok, len(rep.Targets)),
			fmtDuration(rep.SimDuration), result, strings.Join(names, " "))
	}
}

func scheduleZone(r *runner.Runner, name string) *time.Location {
	for _, s := range r.Schedules() {
		if s.Name == name {
			return s.Location()
		}
	}
	return time.UTC
}

// finishRuns prints the totals (or the reports as JSON) and returns the
// exit status: 3 when a run or a target did not succeed.
func finishRuns(out io.Writer, reps []*runner.Report, asJSON bool) (int, error) {
	failed := 0
	byPolicy := map[string]int{}
	for _, rep := range reps {
		if rep.Plan != nil {
			byPolicy[rep.Plan.Policy]++
		}
		bad := rep.Status != "SUCCEEDED"
		for _, t := range rep.Targets {
			bad = bad || t.Status != "SUCCEEDED"
		}
		if bad {
			failed++
		}
	}
	if asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(reps); err != nil {
			return 1, err
		}
	}
	var parts []string
	for p, n := range byPolicy {
		parts = append(parts, fmt.Sprintf("%s %d", p, n))
	}
	sort.Strings(parts)
	fmt.Fprintf(out, "\n%d run(s) (%s), %d with a failure\n", len(reps), strings.Join(parts, ", "), failed)
	if failed > 0 {
		return 3, nil
	}
	return 0, nil
}
