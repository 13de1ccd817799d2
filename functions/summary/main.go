// Command summary is snapflow's summary Lambda handler: summary.Summarizer
// behind lambdafn.Handler. It calls no AWS API and links no AWS SDK, so it
// starts as fast as a bare Go Lambda. Configuration: SNAPFLOW_LOG_LEVEL and
// SNAPFLOW_METRICS_NAMESPACE (see internal/lambdafn).
package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/snapflow/snapflow/internal/lambdafn"
	"github.com/snapflow/snapflow/internal/metrics"
	"github.com/snapflow/snapflow/internal/simclock"
	"github.com/snapflow/snapflow/internal/summary"
)

const name = "summary"

func main() {
	env, err := lambdafn.EnvFrom(os.Getenv)
	if err != nil {
		lambdafn.Fatal(name, err)
	}
	log := lambdafn.NewLogger(os.Stdout, env.LogLevel, name)
	s := &summary.Summarizer{
		Log:     log,
		Metrics: metrics.Writer{Out: os.Stdout, Namespace: env.MetricsNamespace},
		// Under the local runner, the simulated clock; nil in AWS.
		Now: simclock.FromEnv(os.Getenv),
	}
	lambda.Start(lambdafn.Handler(log, s.Summary))
}
