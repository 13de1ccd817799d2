// Package lambdafn is what every snapflow Lambda handler's main shares,
// without the AWS SDK (a handler that calls no AWS API, like summary, then
// starts without the SDK's package initialization): the SNAPFLOW_*
// environment, the JSON logger, and Handler, which adapts a step to
// lambda.Start with snapflow's error classes.
package lambdafn

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/snapflow/snapflow/internal/errclass"
	"github.com/snapflow/snapflow/internal/metrics"
)

// Environment variables the handlers read.
const (
	EnvExportBucket     = "SNAPFLOW_EXPORT_BUCKET"     // default export bucket (plan, export)
	EnvLogLevel         = "SNAPFLOW_LOG_LEVEL"         // debug, info (default), warn, error
	EnvMetricsNamespace = "SNAPFLOW_METRICS_NAMESPACE" // CloudWatch namespace of the EMF metrics (default "Snapflow")
	EnvS3PathStyle      = "SNAPFLOW_S3_PATH_STYLE"     // "true": path-style S3 requests (the local AWS)
)

// Env is a handler's configuration, from environment variables.
type Env struct {
	ExportBucket     string
	LogLevel         slog.Level
	MetricsNamespace string
	S3PathStyle      bool
}

// EnvFrom reads the configuration through getenv (os.Getenv in a main). A
// bad value is an error naming the variable.
func EnvFrom(getenv func(string) string) (Env, error) {
	env := Env{
		ExportBucket:     getenv(EnvExportBucket),
		MetricsNamespace: getenv(EnvMetricsNamespace),
	}
	if env.MetricsNamespace == "" {
		env.MetricsNamespace = metrics.DefaultNamespace
	}
	if v := getenv(EnvLogLevel); v != "" {
		if err := env.LogLevel.UnmarshalText([]byte(v)); err != nil {
			return Env{}, fmt.Errorf("%s=%q: must be debug, info, warn or error", EnvLogLevel, v)
		}
	}
	if v := getenv(EnvS3PathStyle); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return Env{}, fmt.Errorf("%s=%q: must be true or false", EnvS3PathStyle, v)
		}
		env.S3PathStyle = b
	}
	return env, nil
}

// NewLogger returns the JSON logger of a handler: every line carries the
// function's name and the attributes put on the context with WithLog (the
// Lambda request ID, the policy, the target, the snapshot name).
func NewLogger(w io.Writer, level slog.Level, function string) *slog.Logger {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})
	return slog.New(contextHandler{h}).With("function", function)
}

type logAttrsKey struct{}

// WithLog returns ctx with more attributes (key, value pairs) for every log
// line written with it.
func WithLog(ctx context.Context, args ...any) context.Context {
	prev, _ := ctx.Value(logAttrsKey{}).([]any)
	next := make([]any, 0, len(prev)+len(args))
	next = append(append(next, prev...), args...)
	return context.WithValue(ctx, logAttrsKey{}, next)
}

// contextHandler adds the context's attributes to each record.
type contextHandler struct{ slog.Handler }

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if args, ok := ctx.Value(logAttrsKey{}).([]any); ok {
		r.Add(args...)
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(attrs)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}

// Handler adapts a step to lambda.Start: it decodes the payload into the
// step's input (a payload that does not decode is Snapflow.InvalidInput),
// adds the Lambda request ID to every log line, logs the outcome, and turns
// an error into the messages.InvokeResponse_Error whose Type is the error
// class (errclass.ForLambda), the name Step Functions' Retry and Catch see.
func Handler[In, Out any](log *slog.Logger, step func(context.Context, In) (Out, error)) func(context.Context, json.RawMessage) (Out, error) {
	return func(ctx context.Context, payload json.RawMessage) (Out, error) {
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			ctx = WithLog(ctx, "requestId", lc.AwsRequestID)
		}
		var zero Out
		var in In
		if err := json.Unmarshal(payload, &in); err != nil {
			err = errclass.New(errclass.InvalidInput, "input: must be a JSON %s: %v", inputName(in), err)
			log.ErrorContext(ctx, "bad input", "errorType", string(errclass.InvalidInput), "error", err.Error())
			return zero, errclass.ForLambda(err)
		}
		out, err := step(ctx, in)
		if err != nil {
			class, ok := errclass.Of(err)
			if !ok {
				class = errclass.Transient
			}
			log.ErrorContext(ctx, "step failed", "errorType", string(class), "error", err.Error())
			return zero, errclass.ForLambda(err)
		}
		return out, nil
	}
}

// inputName names the expected payload in an error message.
func inputName(v any) string {
	name := fmt.Sprintf("%T", v)
	if i := strings.LastIndex(name, "."); i >= 0 {
		name = name[i+1:]
	}
	if name == "RawMessage" {
		return "object"
	}
	return name
}

// Fatal reports a start-up failure of a main and exits: Lambda shows the
// message as the init error.
func Fatal(function string, err error) {
	fmt.Fprintf(os.Stderr, "snapflow %s: %v\n", function, err)
	os.Exit(1)
}
