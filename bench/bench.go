// Package bench measures snapflow's orchestration cost, cold starts and
// fan-out on the local runner (internal/runner: the synthesized state
// machines on aws-local-stepfunctions, the real handlers behind the local
// Lambda runtime API, the local AWS), against the alternatives. cmd/bench
// runs it and writes bench/report.md and bench/report.json.
//
// The alternatives are the same synthesized target state machine with its
// Wait states rewritten (Edit), so every alternative runs the deployed
// handlers on the same engine: only the wait differs.
package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/snapflow/snapflow/events"
	"github.com/snapflow/snapflow/internal/runner"
)

// Prices are the list prices the report converts to dollars (us-east-1).
type Prices struct {
	// StateTransition is the Standard-workflow price per state transition.
	StateTransition float64 `json:"stateTransition"`
	// LambdaRequest is the price per Lambda request.
	LambdaRequest float64 `json:"lambdaRequest"`
	// LambdaGBSecondARM is the arm64 price per GB-second.
	LambdaGBSecondARM float64 `json:"lambdaGBSecondArm64"`
	Source            string  `json:"source"`
}

// DefaultPrices: AWS Step Functions pricing ($0.025 per 1,000 state
// transitions, Standard workflows) and AWS Lambda pricing ($0.20 per 1M
// requests; $0.0000133334 per GB-second on arm64, first tier), us-east-1.
var DefaultPrices = Prices{
	StateTransition:   0.025 / 1000,
	LambdaRequest:     0.20 / 1e6,
	LambdaGBSecondARM: 0.0000133334,
	Source: "https://aws.amazon.com/step-functions/pricing/ (Standard: $0.025 per 1,000 state transitions) and " +
		"https://aws.amazon.com/lambda/pricing/ (us-east-1, arm64: $0.20 per 1M requests, $0.0000133334 per GB-second, first 7.5 billion GB-s/month); " +
		"list prices as given in issue 6's brief (2026), not re-checked online from this machine",
}

// Config is what to measure.
type Config struct {
	// Root is the repository (default: found from the working directory).
	Root string
	// Durations are the snapshot durations of the polling comparison.
	Durations []time.Duration
	// Services are the services of the polling comparison.
	Services []string
	// Strategies are the polling strategies compared.
	Strategies []Strategy
	// FanOut are the fleet sizes of the fan-out runs.
	FanOut []int
	// ColdSamples is the number of cold starts per handler.
	ColdSamples int
	// Log receives progress lines.
	Log    io.Writer
	Prices Prices
}

// DefaultConfig is what `make bench` runs.
func DefaultConfig() Config {
	return Config{
		Durations:   []time.Duration{time.Minute, 10 * time.Minute, time.Hour, 6 * time.Hour},
		Services:    events.Services,
		Strategies:  Strategies,
		FanOut:      []int{50, 500},
		ColdSamples: 5,
		Log:         io.Discard,
		Prices:      DefaultPrices,
	}
}

// Report is everything one bench run measured.
type Report struct {
	Generated  time.Time      `json:"generated"`
	GoVersion  string         `json:"goVersion"`
	Machine    string         `json:"machine"`
	Prices     Prices         `json:"prices"`
	Memory     map[string]int `json:"memoryMB"` // by handler, from the template
	Polling    []PollingRow   `json:"polling"`
	ColdStarts []ColdStart    `json:"coldStarts"`
	Zips       []ZipSize      `json:"zips"`
	FanOut     []FanOutRow    `json:"fanOut"`
	RateLimits []RateLimit    `json:"rateLimits"`
	Took       time.Duration  `json:"took"`
	Notes      []string       `json:"notes,omitempty"`
}

func (c *Config) logf(format string, args ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, format+"\n", args...)
	}
}

// slot is the first schedule slot of every bench run.
var slot = time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)

func policyInput(name string, targets []events.Target, at time.Time) json.RawMessage {
	data, _ := json.Marshal(map[string]any{
		"name":          name,
		"targets":       targets,
		"scheduledTime": at.Format(time.RFC3339),
		"timeZone":      "UTC",
	})
	return data
}

// editWaits rewrites the target state machine's Wait states: every
// `"SecondsPath":"$.waitSeconds"` becomes `"Seconds":<seconds>` (the
// definition is a Fn::Join of strings; the Wait states are in its literal
// parts).
func editWaits(seconds int) func(*runner.Template) error {
	return func(t *runner.Template) error {
		n := 0
		for _, id := range t.OfType("AWS::StepFunctions::StateMachine") {
			res := t.Resources[id]
			res.Properties["DefinitionString"] = rewrite(res.Properties["DefinitionString"], func(s string) string {
				for _, q := range []string{`\"`, `"`} { // as stored, or escaped once more
					old := q + "SecondsPath" + q + ":" + q + "$.waitSeconds" + q
					if c := strings.Count(s, old); c > 0 {
						n += c
						s = strings.ReplaceAll(s, old, fmt.Sprintf("%sSeconds%s:%d", q, q, seconds))
					}
				}
				return s
			})
		}
		if n == 0 {
			return fmt.Errorf("bench: no Wait state with SecondsPath $.waitSeconds in the template")
		}
		return nil
	}
}

func rewrite(v any, f func(string) string) any {
	switch x := v.(type) {
	case string:
		return f(x)
	case []any:
		for i := range x {
			x[i] = rewrite(x[i], f)
		}
		return x
	case map[string]any:
		for k := range x {
			x[k] = rewrite(x[k], f)
		}
		return x
	}
	return v
}
