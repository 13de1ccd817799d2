package steps

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"

	"github.com/snapflow/snapflow/events"
	"github.com/snapflow/snapflow/internal/lambdafn"
	"github.com/snapflow/snapflow/internal/metrics"
)

// Environment variables the handlers read (internal/lambdafn).
const (
	EnvExportBucket     = lambdafn.EnvExportBucket
	EnvLogLevel         = lambdafn.EnvLogLevel
	EnvMetricsNamespace = lambdafn.EnvMetricsNamespace
	EnvS3PathStyle      = lambdafn.EnvS3PathStyle
)

// Env is a handler's configuration, from environment variables.
type Env = lambdafn.Env

// EnvFrom reads the configuration through getenv (lambdafn.EnvFrom).
func EnvFrom(getenv func(string) string) (Env, error) { return lambdafn.EnvFrom(getenv) }

// NewLogger returns the JSON logger of a handler (lambdafn.NewLogger).
func NewLogger(w io.Writer, level slog.Level, function string) *slog.Logger {
	return lambdafn.NewLogger(w, level, function)
}

// withLog returns ctx with more attributes for every log line.
func withLog(ctx context.Context, args ...any) context.Context { return lambdafn.WithLog(ctx, args...) }

// withTarget adds the target and snapshot of a work item to the log lines.
func withTarget(ctx context.Context, it events.WorkItem) context.Context {
	return withLog(ctx, "policy", it.Policy, "target", metrics.TargetDimension(it.Target), "snapshot", it.SnapshotName)
}

// Handler adapts a step of s to lambda.Start (lambdafn.Handler, logging
// with s's logger).
func Handler[In, Out any](s *Steps, step func(context.Context, In) (Out, error)) func(context.Context, json.RawMessage) (Out, error) {
	return lambdafn.Handler(s.log(), step)
}

// Fatal reports a start-up failure of a main and exits (lambdafn.Fatal).
func Fatal(function string, err error) { lambdafn.Fatal(function, err) }
