package bench

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/snapflow/snapflow/internal/runner"
)

// Run measures everything c asks for.
func Run(ctx context.Context, c Config) (*Report, error) {
	began := time.Now()
	if c.Root == "" {
		root, err := runner.FindRoot()
		if err != nil {
			return nil, err
		}
		c.Root = root
	}
	if c.Prices.StateTransition == 0 {
		c.Prices = DefaultPrices
	}
	rep := &Report{Generated: time.Now().UTC(), GoVersion: runtime.Version(),
		Machine: fmt.Sprintf("%s/%s, %d CPUs", runtime.GOOS, runtime.GOARCH, runtime.NumCPU()),
		Prices:  c.Prices, Memory: map[string]int{}, RateLimits: FanOutLimits}

	for _, d := range c.Durations {
		for _, s := range c.Strategies {
			t0 := time.Now()
			rows, err := c.runPolling(ctx, s, d, rep.Memory)
			if err != nil {
				return nil, fmt.Errorf("polling %s at %v: %w", s.Name, d, err)
			}
			c.logf("polling  %-10s %-6v %5.1fs real", s.Name, d, time.Since(t0).Seconds())
			rep.Polling = append(rep.Polling, rows...)
		}
	}
	oracle := map[string]int{}
	for _, row := range rep.Polling {
		if row.Strategy == "oracle" {
			oracle[fmt.Sprint(row.Service, row.DurationSeconds)] = row.Transitions
		}
	}
	for i := range rep.Polling {
		rep.Polling[i].OracleTransitions = oracle[fmt.Sprint(rep.Polling[i].Service, rep.Polling[i].DurationSeconds)]
	}

	if c.ColdSamples > 0 {
		seed, _ := seedFor(time.Minute)
		r, err := runner.New(ctx, runner.Options{Root: c.Root, Seed: seed})
		if err != nil {
			return nil, err
		}
		tmp, err := os.MkdirTemp("", "snapflow-bench-")
		if err != nil {
			r.Close()
			return nil, err
		}
		rep.ColdStarts, rep.Zips, err = c.coldStarts(ctx, r, tmp)
		r.Close()
		os.RemoveAll(tmp)
		if err != nil {
			return nil, err
		}
		c.logf("cold starts: %d handlers × %d", len(rep.ColdStarts), c.ColdSamples)
	}

	for _, n := range c.FanOut {
		row, err := c.runFanOut(ctx, n)
		if err != nil {
			return nil, fmt.Errorf("fan-out of %d: %w", n, err)
		}
		c.logf("fan-out  %5d targets: %s, makespan %.0fs (bound %.0fs), %d throttled, %.1fs real", n, row.Status, row.MakespanSecs, row.LowerBoundSecs, row.Throttled, row.RealSeconds)
		rep.FanOut = append(rep.FanOut, row)
	}
	rep.Took = time.Since(began)
	return rep, nil
}
