package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/snapflow/snapflow/events"
	"github.com/snapflow/snapflow/internal/runner"
	"github.com/snapflow/snapflow/internal/snapshot/adapters"
)

// fleetSeed is the demo's fleet when the local AWS's own test fleet
// (internal/localaws/testdata/fleet.json) is not there or lacks a target.
//
//go:embed fleet.json
var fleetSeed []byte

// The demo's fleet: one of each kind of source snapflow snapshots.
var (
	cacheTargets = []events.Target{
		{Service: events.ServiceElastiCache, ID: "orders"},          // replication group, cluster mode disabled
		{Service: events.ServiceElastiCache, ID: "sessions"},        // replication group, cluster mode enabled (3 shards)
		{Service: events.ServiceElastiCacheServerless, ID: "carts"}, // serverless cache
		{Service: events.ServiceMemoryDB, ID: "ledger"},             // MemoryDB cluster
	}
	warehouseTargets = []events.Target{{Service: events.ServiceRedshiftServerless, ID: "analytics"}}
)

const (
	cachesPolicy    = "nightly-caches"
	warehousePolicy = "nightly-warehouse"
	historyDays     = 3
	keepLast        = 2
)

// defaultSeed is internal/localaws/testdata/fleet.json when it has every
// demo target, else the embedded fleet.
func defaultSeed() []byte {
	root, err := runner.FindRoot()
	if err != nil {
		return fleetSeed
	}
	data, err := os.ReadFile(filepath.Join(root, "internal", "localaws", "testdata", "fleet.json"))
	if err != nil {
		return fleetSeed
	}
	for _, t := range append(append([]events.Target(nil), cacheTargets...), warehouseTargets...) {
		if !strings.Contains(string(data), `"`+t.ID+`"`) {
			return fleetSeed
		}
	}
	return data
}

func demo(ctx context.Context, args []string) (int, error) {
	fs := flag.NewFlagSet("demo", flag.ExitOnError)
	var c common
	c.register(fs)
	plain := fs.Bool("plain", false, "plain progress lines even on a terminal")
	_ = fs.Parse(args)
	opts, closeLog, err := c.options()
	defer closeLog()
	if err != nil {
		return 1, err
	}
	if opts.Seed == nil {
		opts.Seed = defaultSeed()
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	out := os.Stdout
	began := time.Now()

	// Tonight's 02:00 UTC slot, with three nights of history before it.
	now := time.Now().UTC()
	if !opts.Start.IsZero() {
		now = opts.Start
	}
	slot := time.Date(now.Year(), now.Month(), now.Day(), 2, 0, 0, 0, time.UTC)
	if slot.After(now) {
		slot = slot.Add(-24 * time.Hour)
	}
	opts.Start = slot.Add(-time.Duration(historyDays)*24*time.Hour - time.Hour)
	disp := newDisplay(out, isTerminal(out) && !*plain, slot)
	opts.Progress = disp.update

	fmt.Fprintln(out, "snapflow local demo")
	fmt.Fprintln(out, "===================")
	fmt.Fprintln(out, "Starting the local AWS, provisioning it from the synthesized stack, building the handlers…")
	r, err := runner.New(ctx, opts)
	if err != nil {
		return 1, err
	}
	defer r.Close()
	fmt.Fprintf(out, "Stack %s from %s (%.1fs)\n", r.Template.Stack, rel(r.Template.Path), time.Since(began).Seconds())
	for _, p := range r.Provisioned.Created {
		fmt.Fprintf(out, "  provisioned %s\n", p)
	}
	for _, p := range r.Provisioned.Skipped {
		fmt.Fprintf(out, "  not modelled: %s\n", p)
	}
	var names []string
	for n := range r.Handlers {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(out, "  handler %-8s %s\n", n, r.Handlers[n])
	}
	fmt.Fprintf(out, "State machines: %s (run) and %s (one per target), on aws-local-stepfunctions under Node.js 22\n\n", r.RunMachine(), r.TargetMachine())

	// History: what the last three nights left behind, for retention.
	fmt.Fprintf(out, "History: %d earlier nightly snapshots per target (simulated %s … %s)\n",
		historyDays, slot.Add(-time.Duration(historyDays)*24*time.Hour).Format("Jan 2 15:04"), slot.Add(-24*time.Hour).Format("Jan 2 15:04"))
	var slots []time.Time
	for d := historyDays; d >= 1; d-- {
		slots = append(slots, slot.Add(-time.Duration(d)*24*time.Hour))
	}
	tags := map[string]string{"owner": "platform-team"}
	if _, err := r.CreateHistory(ctx, cachesPolicy, cacheTargets, slots, tags); err != nil {
		return 1, err
	}
	if _, err := r.CreateHistory(ctx, warehousePolicy, warehouseTargets, slots, tags); err != nil {
		return 1, err
	}
	// EventBridge Scheduler starts the runs a few seconds after the slot.
	r.Clock().AdvanceTo(slot.Add(5 * time.Second))

	inputs := []json.RawMessage{
		mustJSON(map[string]any{
			"name": cachesPolicy, "targets": cacheTargets, "scheduledTime": slot.Format(time.RFC3339), "timeZone": "UTC",
			"copy":      map[string]any{},
			"export":    map[string]any{"bucket": r.ExportBucket(), "prefix": "nightly/"},
			"retention": map[string]any{"keepLast": keepLast},
			"tags":      tags,
		}),
		mustJSON(map[string]any{
			"name": warehousePolicy, "targets": warehouseTargets, "scheduledTime": slot.Format(time.RFC3339), "timeZone": "UTC",
			"retention": map[string]any{"keepLast": keepLast}, "redshiftRetentionDays": 35, "tags": tags,
		}),
	}
	fmt.Fprintf(out, "\nRun 1: policies %s (copy, export to s3://%s/nightly/, keep last %d) and %s (keep last %d), slot %s\n",
		cachesPolicy, r.ExportBucket(), keepLast, warehousePolicy, keepLast, slot.Format(time.RFC3339))
	first, err := runAll(ctx, r, disp, inputs)
	if err != nil {
		return 1, err
	}
	failed := printReports(out, first, false)
	before := inventory(ctx, r)

	fmt.Fprintf(out, "\nRun 2: the same slot again (a retried schedule, or someone pressing the button twice)\n")
	second, err := runAll(ctx, r, disp, inputs)
	if err != nil {
		return 1, err
	}
	failed += printReports(out, second, true)
	after := inventory(ctx, r)
	dups := before.compare(out, after)

	fmt.Fprintf(out, "\nDone in %.1fs real time.\n", time.Since(began).Seconds())
	if failed > 0 {
		return 1, fmt.Errorf("%w: %d target runs failed", errUnexpected, failed)
	}
	if dups {
		return 1, fmt.Errorf("the second run of the slot made new resources")
	}
	return 0, nil
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func rel(p string) string {
	if wd, err := os.Getwd(); err == nil {
		if r, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(r, "..") {
			return r
		}
	}
	return p
}

// runAll runs the inputs at once and waits for every one.
func runAll(ctx context.Context, r *runner.Runner, disp *display, inputs []json.RawMessage) ([]*runner.Report, error) {
	disp.start()
	var xs []*runner.Execution
	for _, in := range inputs {
		x, err := r.Start(in, "")
		if err != nil {
			disp.stop()
			return nil, err
		}
		xs = append(xs, x)
	}
	var reps []*runner.Report
	for _, x := range xs {
		if err := x.Wait(ctx); err != nil {
			disp.stop()
			return nil, err
		}
	}
	disp.stop()
	for _, x := range xs {
		reps = append(reps, r.Report(x))
	}
	return reps, nil
}

// printReports prints the final table, the run events and the alerts; it
// returns how many targets failed.
func printReports(out io.Writer, reps []*runner.Report, rerun bool) int {
	failed := 0
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nTARGET\tSNAPSHOT\tCOPY\tEXPORTED\tPRUNED\tSIMULATED\tTRANSITIONS\tLAMBDA\tAPI CALLS\tNOTICED AFTER\tRESULT")
	for _, rep := range reps {
		for _, t := range rep.Targets {
			copyName := t.Copy
			if copyName == "" {
				copyName = "-"
			}
			exported := "-"
			if len(t.ExportedObjects) > 0 {
				exported = fmt.Sprintf("%d objects", len(t.ExportedObjects))
			}
			notice := "-"
			if t.NoticeDelay >= 0 {
				notice = t.NoticeDelay.Round(time.Second).String()
			}
			result := "ok"
			if t.Resumed {
				result = "ok (resumed)"
			}
			if t.Status != "SUCCEEDED" {
				result = t.Status + " " + t.Error
				failed++
			}
			fmt.Fprintf(tw, "%s/%s\t%s\t%s\t%s\t%d\t%s\t%d\t%d\t%d\t%s\t%s\n", t.Target.Service, t.Target.ID, t.Snapshot, copyName,
				exported, len(t.Pruned), fmtDuration(t.SimDuration), t.Transitions, t.Invocations, t.APICalls, notice, result)
		}
	}
	tw.Flush()
	for _, rep := range reps {
		policy := "?"
		if rep.Summary != nil {
			policy = rep.Summary.Policy
		}
		fmt.Fprintf(out, "\n%s: %s in %s simulated; %d state transitions, %d Lambda invocations (%d cold), %d AWS API calls (%d mutating)\n",
			policy, rep.Status, fmtDuration(rep.SimDuration), rep.Transitions, rep.Invocations, rep.ColdStarts, rep.APICalls, rep.MutatingAPICalls)
		for _, e := range rep.RunEvents {
			var d events.RunSummary
			_ = json.Unmarshal(e.Detail, &d)
			fmt.Fprintf(out, "  EventBridge %q from %s: %d targets, %d succeeded, %d failed (detail: %d bytes)\n",
				e.DetailType, e.Source, d.Targets, d.Succeeded, d.Failed, len(e.Detail))
		}
		for _, a := range rep.Alerts {
			fmt.Fprintf(out, "  SNS alert %q:\n    %s\n", a.Subject, strings.ReplaceAll(strings.TrimSpace(a.Message), "\n", "\n    "))
		}
		if len(rep.Alerts) == 0 {
			fmt.Fprintln(out, "  no alert (nothing failed)")
		}
		if rep.Status != "SUCCEEDED" && rep.Error != "" {
			fmt.Fprintf(out, "  run error: %s: %s\n", rep.Error, rep.Cause)
		}
	}
	return failed
}

func fmtDuration(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%dh%02dm%02ds", h, m, s)
	}
	return fmt.Sprintf("%dm%02ds", m, s)
}

// inv is what exists: snapshots per target and exported objects.
type inv struct {
	snapshots map[string]int
	objects   int
}

func inventory(ctx context.Context, r *runner.Runner) inv {
	set := adapters.New(r.AWSConfig(runner.RunnerAccessKey))
	out := inv{snapshots: map[string]int{}}
	for _, t := range append(append([]events.Target(nil), cacheTargets...), warehouseTargets...) {
		a, err := set.For(t.Service)
		if err != nil {
			continue
		}
		list, err := a.List(ctx, t.ID, t.Kind)
		if err != nil {
			continue
		}
		for _, sn := range list {
			if sn.Status != "deleting" && sn.Status != "deleted" {
				out.snapshots[t.Service+"/"+t.ID]++
			}
		}
	}
	s3c := s3.NewFromConfig(r.AWSConfig(runner.RunnerAccessKey), func(o *s3.Options) { o.UsePathStyle = true })
	if res, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(r.ExportBucket())}); err == nil {
		out.objects = len(res.Contents)
	}
	return out
}

// compare prints the inventories side by side; true when the second has more.
func (before inv) compare(out io.Writer, after inv) bool {
	var keys []string
	for k := range after.snapshots {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	more := after.objects != before.objects
	fmt.Fprintln(out, "\nNothing duplicated?")
	for _, k := range keys {
		mark := "same"
		if after.snapshots[k] != before.snapshots[k] {
			mark, more = "CHANGED", true
		}
		fmt.Fprintf(out, "  %-34s snapshots and copies: %d before the re-run, %d after (%s)\n", k, before.snapshots[k], after.snapshots[k], mark)
	}
	mark := "same"
	if after.objects != before.objects {
		mark = "CHANGED"
	}
	fmt.Fprintf(out, "  %-34s objects: %d before the re-run, %d after (%s)\n", "s3://"+"export bucket", before.objects, after.objects, mark)
	return more
}

// display shows live progress per target: one redrawn line per target on
// a terminal, plain lines otherwise.
type display struct {
	mu     sync.Mutex
	out    io.Writer
	tty    bool
	slot   time.Time
	rows   map[string]*row
	order  []string
	drawn  int
	stopCh chan struct{}
	wg     sync.WaitGroup
}

type row struct {
	label, state string
	at           time.Time
	status       string
}

func newDisplay(out io.Writer, tty bool, slot time.Time) *display {
	return &display{out: out, tty: tty, slot: slot}
}

func (d *display) start() {
	d.mu.Lock()
	d.rows, d.order, d.drawn = map[string]*row{}, nil, 0
	d.stopCh = make(chan struct{})
	d.mu.Unlock()
	if !d.tty {
		return
	}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-d.stopCh:
				d.redraw()
				return
			case <-t.C:
				d.redraw()
			}
		}
	}()
}

func (d *display) stop() {
	close(d.stopCh)
	d.wg.Wait()
}

// quiet states are not worth a plain line: the poll loop's Wait, Poll and
// Choice states.
func quiet(state string) bool {
	return strings.HasPrefix(state, "Wait for ") || strings.HasPrefix(state, "Poll ") || strings.HasSuffix(state, "?")
}

func (d *display) update(p runner.Progress) {
	d.mu.Lock()
	defer d.mu.Unlock()
	key := p.Policy + " " + p.Target.Service + "/" + p.Target.ID
	rw, ok := d.rows[key]
	if !ok {
		rw = &row{label: fmt.Sprintf("%-18s %-30s", p.Policy, p.Target.Service+"/"+p.Target.ID)}
		d.rows[key] = rw
		d.order = append(d.order, key)
	}
	rw.at = p.Time
	if p.State != "" {
		rw.state = p.State
	}
	if p.Status != "" {
		rw.status = p.Status
		if p.Error != "" {
			rw.status += " " + p.Error
		}
	}
	if d.tty {
		return
	}
	switch {
	case p.Status != "":
		fmt.Fprintf(d.out, "  [%s] %s %s\n", d.clock(p.Time), rw.label, rw.status)
	case !quiet(p.State):
		fmt.Fprintf(d.out, "  [%s] %s %s\n", d.clock(p.Time), rw.label, p.State)
	}
}

func (d *display) clock(t time.Time) string {
	return "slot+" + fmtDuration(t.Sub(d.slot))
}

func (d *display) redraw() {
	d.mu.Lock()
	defer d.mu.Unlock()
	var b strings.Builder
	if d.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", d.drawn)
	}
	for _, k := range d.order {
		rw := d.rows[k]
		mark, what := "…", rw.state
		switch {
		case rw.status == "SUCCEEDED":
			mark, what = "✓", "done"
		case rw.status != "":
			mark, what = "✗", rw.status
		}
		fmt.Fprintf(&b, "\x1b[2K  %s %s %-22s %s\n", mark, rw.label, what, d.clock(rw.at))
	}
	d.drawn = len(d.order)
	_, _ = io.WriteString(d.out, b.String())
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0 && os.Getenv("TERM") != "dumb"
}
