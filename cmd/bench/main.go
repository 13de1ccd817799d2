// Command bench measures snapflow on the local runner and writes
// bench/report.md and bench/report.json (`make bench`; docs in bench/).
//
//	BENCH_FANOUT_MAX   largest fan-out fleet (default 500; 2000 adds the
//	                   2,000-target run, which takes long on 2 cores)
//	BENCH_DURATIONS    snapshot durations (default 1m,10m,1h,6h)
//	BENCH_COLD_SAMPLES cold starts per handler (default 5)
//
// -render re-renders report.md from report.json.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/snapflow/snapflow/bench"
)

func main() {
	out := flag.String("out", "bench", "directory for report.md and report.json")
	render := flag.Bool("render", false, "only render <out>/report.md again from <out>/report.json")
	flag.Parse()
	if *render {
		data, err := os.ReadFile(filepath.Join(*out, "report.json"))
		if err != nil {
			fail(err)
		}
		var rep bench.Report
		if err := json.Unmarshal(data, &rep); err != nil {
			fail(err)
		}
		if err := os.WriteFile(filepath.Join(*out, "report.md"), []byte(bench.Markdown(&rep)), 0o644); err != nil {
			fail(err)
		}
		return
	}
	c := bench.DefaultConfig()
	c.Log = os.Stderr
	if v := os.Getenv("BENCH_FANOUT_MAX"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			fail(fmt.Errorf("BENCH_FANOUT_MAX: %w", err))
		}
		c.FanOut = nil
		for _, size := range []int{50, 500, 2000} {
			if size <= n {
				c.FanOut = append(c.FanOut, size)
			}
		}
	}
	if v := os.Getenv("BENCH_DURATIONS"); v != "" {
		c.Durations = nil
		for _, s := range strings.Split(v, ",") {
			d, err := time.ParseDuration(strings.TrimSpace(s))
			if err != nil {
				fail(fmt.Errorf("BENCH_DURATIONS: %w", err))
			}
			c.Durations = append(c.Durations, d)
		}
	}
	if v := os.Getenv("BENCH_COLD_SAMPLES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			fail(fmt.Errorf("BENCH_COLD_SAMPLES: %w", err))
		}
		c.ColdSamples = n
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Hour)
	defer cancel()
	rep, err := bench.Run(ctx, c)
	if err != nil {
		fail(err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fail(err)
	}
	data, _ := json.MarshalIndent(rep, "", "  ")
	if err := os.WriteFile(filepath.Join(*out, "report.json"), append(data, '\n'), 0o644); err != nil {
		fail(err)
	}
	if err := os.WriteFile(filepath.Join(*out, "report.md"), []byte(bench.Markdown(rep)), 0o644); err != nil {
		fail(err)
	}
	fmt.Fprintf(os.Stderr, "wrote %s/report.md and report.json in %v\n", *out, rep.Took.Round(time.Second))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}
