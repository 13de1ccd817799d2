package runner

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// matrixOptions are the local stack options of the matrix cases.
func matrixOptions(t *testing.T) Options {
	t.Helper()
	root := e2eRoot(t)
	buildDir.once.Do(func() {
		d, err := os.MkdirTemp("", "snapflow-e2e-handlers-")
		if err != nil {
			t.Fatal(err)
		}
		buildDir.dir = d
	})
	return Options{
		Root:     root,
		Template: os.Getenv("SNAPFLOW_LOCAL_TEMPLATE"),
		Seed:     testSeed,
		BuildDir: buildDir.dir,
		StandIn:  os.Getenv("CI") == "",
	}
}

// TestFaultMatrix runs every applicable cell of the fault matrix
// (MatrixCases; docs/reliability.md): the outcome must be the expected one,
// the invariants (no orphan, no duplicate, nothing unmanaged deleted, no
// unconfigured tag value in the logs) must hold, and a failed run re-driven
// without the fault must end with exactly one snapshot, copy and export per
// target.
func TestFaultMatrix(t *testing.T) {
	base := matrixOptions(t)
	var sets []IAMCalls
	for _, c := range MatrixCases() {
		if c.NA != "" {
			continue
		}
		t.Run(c.Name(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			res, err := RunMatrixCase(ctx, base, c)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: expected %s, got %s (fired %d, re-run %q) in %v; %s", c.Name(), c.Expect, res.Actual, res.Fired, res.Rerun, res.Real.Round(time.Millisecond), res.Detail)
			sets = append(sets, IAMCalls{Calls: res.Calls, FunctionOf: res.FunctionOf, StatesPrincipal: res.StatesPrincipal})
			for _, p := range res.Problems {
				t.Error(p)
			}
			if t.Failed() {
				out := res.Logs
				if len(out) > 20000 {
					out = "…" + out[len(out)-20000:]
				}
				t.Logf("logs:\n%s", out)
			}
		})
	}
	t.Run("iam", func(t *testing.T) { checkIAM(t, base, sets) })
}

// checkIAM is the IAM proof: every call of the matrix and of a run over
// every service and step is allowed by its caller's policy in the
// synthesized template.
func checkIAM(t *testing.T, base Options, sets []IAMCalls) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cov, _, err := CoverageRun(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	path := base.Template
	if path == "" {
		if path, err = FindTemplate(filepath.Join(base.Root, "cdk.out")); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := IAMProof(path, append(sets, cov))
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rep.String())
	if err := rep.Err(); err != nil {
		t.Error(err)
	}
	if rep.Calls == 0 {
		t.Error("no call was checked")
	}
}
