package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/snapflow/snapflow/events"
	"github.com/snapflow/snapflow/internal/localaws/emu"
	"github.com/snapflow/snapflow/internal/runner"
)

// RateLimit is an assumed per-API limit of the local AWS during fan-out.
type RateLimit struct {
	Service string  `json:"service"`
	Action  string  `json:"action"`
	Rate    float64 `json:"ratePerSecond"`
	Burst   float64 `json:"burst"`
	Basis   string  `json:"basis"`
}

// FanOutLimits are the ElastiCache API rates assumed for the fan-out runs.
// AWS does not publish per-API rates for the ElastiCache control plane;
// these are assumptions in the range commonly observed (describe/list calls
// tolerate bursts of tens per second, mutating calls a few per second), in
// simulated time, one token bucket per action for the account and region.
var FanOutLimits = []RateLimit{
	{"elasticache", "CreateSnapshot", 2, 5, "assumed"},
	{"elasticache", "DescribeSnapshots", 10, 20, "assumed"},
	{"elasticache", "DescribeReplicationGroups", 10, 20, "assumed"},
	{"elasticache", "DescribeCacheClusters", 10, 20, "assumed"},
	{"elasticache", "ListTagsForResource", 10, 20, "assumed"},
	{"elasticache", "AddTagsToResource", 5, 10, "assumed"},
	{"elasticache", "DeleteSnapshot", 2, 5, "assumed"},
}

// FanOutRow is one fleet run.
type FanOutRow struct {
	Targets        int     `json:"targets"`
	Status         string  `json:"status"`
	Error          string  `json:"error,omitempty"`
	Succeeded      int     `json:"succeeded"`
	Failed         int     `json:"failed"`
	MakespanSecs   float64 `json:"makespanSeconds"`
	RateBoundSecs  float64 `json:"rateBoundSeconds"`
	ConcBoundSecs  float64 `json:"concurrencyBoundSeconds"`
	LowerBoundSecs float64 `json:"lowerBoundSeconds"`
	MaxConcurrency int     `json:"maxConcurrency"`
	APICalls       int     `json:"apiCalls"`
	Throttled      int     `json:"throttled"`
	Transitions    int     `json:"transitions"`
	MaxHistory     int     `json:"maxHistoryEvents"`
	RunHistory     int     `json:"runHistoryEvents"`
	MaxPayload     int     `json:"maxPayloadBytes"`
	MaxPayloadAt   string  `json:"maxPayloadState"`
	RealSeconds    float64 `json:"realSeconds"`
	MinDurSecs     int     `json:"minSnapshotSeconds"`
	MaxDurSecs     int     `json:"maxSnapshotSeconds"`
}

// fleetDuration spreads the fleet's snapshot durations over 1–15 minutes.
func fleetDuration(i int) int { return 60 + (i*7919)%841 }

func fleetSeed(n int) (json.RawMessage, []events.Target) {
	var groups []any
	var targets []events.Target
	for i := range n {
		id := fmt.Sprintf("fleet-%04d", i)
		groups = append(groups, map[string]any{"id": id, "engine": "valkey", "engineVersion": "8.0.1",
			"cacheNodeType": "cache.r7g.large", "replicasPerShard": 1, "dataSizeMB": 1024, "snapshotSeconds": fleetDuration(i)})
		targets = append(targets, events.Target{Service: events.ServiceElastiCache, ID: id})
	}
	data, _ := json.Marshal(map[string]any{"region": "us-east-1", "elasticache": map[string]any{"replicationGroups": groups}})
	return data, targets
}

// mapConcurrency reads the run machine's Map MaxConcurrency from the
// template (40 when not found).
func mapConcurrency(t *runner.Template) int {
	for _, id := range t.OfType("AWS::StepFunctions::StateMachine") {
		b, _ := json.Marshal(t.Resources[id].Properties["DefinitionString"])
		s := strings.ReplaceAll(string(b), `\\\"`, `"`)
		s = strings.ReplaceAll(s, `\"`, `"`)
		if i := strings.Index(s, `"MaxConcurrency":`); i >= 0 {
			var n int
			if _, err := fmt.Sscanf(s[i+len(`"MaxConcurrency":`):], "%d", &n); err == nil && n > 0 {
				return n
			}
		}
	}
	return 40
}

func (c *Config) runFanOut(ctx context.Context, n int) (FanOutRow, error) {
	seed, targets := fleetSeed(n)
	r, err := runner.New(ctx, runner.Options{Root: c.Root, Seed: seed, Start: slot.Add(-2 * time.Minute)})
	if err != nil {
		return FanOutRow{}, err
	}
	defer r.Close()
	for _, l := range FanOutLimits {
		r.AWS().Faults().SetRateLimit(emu.RateLimit{Service: l.Service, Action: l.Action, Rate: l.Rate, Burst: l.Burst})
	}
	row := FanOutRow{Targets: n, MaxConcurrency: mapConcurrency(r.Template), MinDurSecs: math.MaxInt}
	started := time.Now()
	rep, err := r.Run(ctx, policyInput("fleet", targets, slot))
	if err != nil {
		return row, err
	}
	row.RealSeconds = time.Since(started).Seconds()
	row.Status, row.Error = rep.Status, rep.Error
	row.MakespanSecs = rep.SimDuration.Seconds()
	row.APICalls, row.Transitions = rep.APICalls, rep.Transitions
	row.MaxHistory, row.RunHistory = rep.MaxHistoryEvents, rep.HistoryEvents
	row.MaxPayload, row.MaxPayloadAt = rep.MaxPayloadBytes, rep.MaxPayloadState
	for _, tr := range rep.Targets {
		if tr.Status == "SUCCEEDED" {
			row.Succeeded++
		} else {
			row.Failed++
		}
	}
	row.Failed += n - len(rep.Targets) // never started
	ok := map[string]int{}
	for _, call := range rep.Calls {
		if isThrottle(call.ErrorCode) {
			row.Throttled++
		} else if call.Status == 200 {
			ok[call.Action]++
		}
	}
	// The rate-limit bound: each limited action's successful calls through
	// its bucket (the burst is free), the slowest action.
	for _, l := range FanOutLimits {
		row.RateBoundSecs = max(row.RateBoundSecs, math.Max(0, float64(ok[l.Action])-l.Burst)/l.Rate)
	}
	// The concurrency bound: the snapshots' durations through the Map's
	// MaxConcurrency slots, and the longest one.
	total, longest := 0, 0
	for i := range n {
		d := fleetDuration(i)
		total += d
		longest = max(longest, d)
		row.MinDurSecs = min(row.MinDurSecs, d)
	}
	row.MaxDurSecs = longest
	row.ConcBoundSecs = math.Max(float64(total)/float64(row.MaxConcurrency), float64(longest))
	row.LowerBoundSecs = math.Max(row.RateBoundSecs, row.ConcBoundSecs)
	return row, nil
}

func isThrottle(code string) bool {
	return code != "" && (strings.Contains(code, "Throttl") || strings.Contains(code, "RateExceeded") || code == "SlowDown")
}
