package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/snapflow/snapflow/events"
	"github.com/snapflow/snapflow/internal/runner"
)

// Strategy is one way to wait for a snapshot.
type Strategy struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Seconds is the fixed wait (0: the deployed SecondsPath; -1: the
	// snapshot's exact duration, the oracle).
	Seconds int `json:"seconds"`
}

// Strategies are the compared ones.
var Strategies = []Strategy{
	{"snapflow", "the deployed template: Wait SecondsPath $.waitSeconds, chosen by the handlers (internal/polling)", 0},
	{"fixed-60s", "Wait 60 s → Poll → done? loop (the common CDK sample pattern)", 60},
	{"retry-300s", "a poll every 300 s, as awslabs/rds-snapshot-tool's retry-as-wait (measured as a Wait 300 s loop; transitions also shown billed as retries)", 300},
	{"oracle", "one Wait of exactly the snapshot's duration, one poll (the floor)", -1},
}

// PollingRow is one strategy × service × duration: one snapshot's cost.
type PollingRow struct {
	Strategy        string  `json:"strategy"`
	Service         string  `json:"service"`
	DurationSeconds int     `json:"durationSeconds"`
	Status          string  `json:"status"`
	Transitions     int     `json:"transitions"`
	Invocations     int     `json:"invocations"`
	APICalls        int     `json:"apiCalls"`
	Polls           int     `json:"polls"`
	NoticeSeconds   float64 `json:"noticeDelaySeconds"`
	GBSeconds       float64 `json:"gbSeconds"`
	DollarsPer1000  float64 `json:"dollarsPer1000"`
	SFNDollars1000  float64 `json:"stepFunctionsDollarsPer1000"`
	// RetryTransitions is the transitions were the polls retries of one
	// Task (retry-as-wait: one billed transition per retry instead of Wait,
	// Task and Choice): Transitions − 2 × Polls + 1.
	RetryTransitions int `json:"retryTransitions,omitempty"`
	// Goal checks (snapflow only): at most 2× the oracle's transitions,
	// noticed within max(30 s, 5 % of the duration).
	NoticeBudgetSeconds float64 `json:"noticeBudgetSeconds"`
	OracleTransitions   int     `json:"oracleTransitions,omitempty"`
}

func seedFor(d time.Duration) (json.RawMessage, []events.Target) {
	secs := d.Seconds()
	seed := map[string]any{
		"region": "us-east-1",
		"elasticache": map[string]any{
			"replicationGroups": []any{map[string]any{"id": "bench-ec", "engine": "valkey", "engineVersion": "8.0.1",
				"cacheNodeType": "cache.r7g.large", "replicasPerShard": 1, "dataSizeMB": 1024, "snapshotSeconds": secs}},
			"serverlessCaches": []any{map[string]any{"name": "bench-ecs", "engine": "valkey", "majorEngineVersion": "8",
				"shards": 2, "dataSizeMB": 300, "snapshotSeconds": secs}},
		},
		"memorydb": map[string]any{"clusters": []any{map[string]any{"name": "bench-mdb", "nodeType": "db.r7g.large", "engine": "valkey",
			"numShards": 2, "numReplicasPerShard": 1, "dataSizeMB": 2048, "snapshotSeconds": secs}}},
		"redshiftServerless": map[string]any{"namespaces": []any{map[string]any{"name": "bench-rs", "workgroupName": "bench-rs-wg",
			"adminUsername": "admin", "dbName": "dev", "dataSizeMB": 4096, "snapshotSeconds": secs}}},
	}
	data, _ := json.Marshal(seed)
	return data, []events.Target{
		{Service: events.ServiceElastiCache, ID: "bench-ec"},
		{Service: events.ServiceElastiCacheServerless, ID: "bench-ecs"},
		{Service: events.ServiceMemoryDB, ID: "bench-mdb"},
		{Service: events.ServiceRedshiftServerless, ID: "bench-rs"},
	}
}

// runPolling measures one strategy at one duration for every service: a
// first run (which tags each snapshot with its duration, as in production
// after the first day), then the measured run a day later.
func (c *Config) runPolling(ctx context.Context, s Strategy, d time.Duration, memory map[string]int) ([]PollingRow, error) {
	seed, all := seedFor(d)
	var targets []events.Target
	for _, t := range all {
		for _, svc := range c.Services {
			if t.Service == svc {
				targets = append(targets, t)
			}
		}
	}
	opts := runner.Options{Root: c.Root, Seed: seed, Start: slot.Add(-2 * time.Minute)}
	switch {
	case s.Seconds > 0:
		opts.Edit = editWaits(s.Seconds)
	case s.Seconds < 0:
		opts.Edit = editWaits(int(d / time.Second))
	}
	r, err := runner.New(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	for _, t := range c.allHandlers(r) {
		if f, ok := r.FunctionSpec(t); ok {
			memory[t] = f.MemoryMB
		}
	}
	if _, err := r.Run(ctx, policyInput("bench", targets, slot)); err != nil {
		return nil, err
	}
	second := slot.Add(24 * time.Hour)
	r.Clock().AdvanceTo(second.Add(-2 * time.Minute))
	rep, err := r.Run(ctx, policyInput("bench", targets, second))
	if err != nil {
		return nil, err
	}
	var rows []PollingRow
	for _, tr := range rep.Targets {
		row := PollingRow{
			Strategy: s.Name, Service: tr.Target.Service, DurationSeconds: int(d / time.Second), Status: tr.Status,
			Transitions: tr.Transitions, Invocations: tr.Invocations, APICalls: tr.APICalls, Polls: tr.Polls,
			NoticeSeconds:       -1,
			NoticeBudgetSeconds: max(30, 0.05*d.Seconds()),
		}
		if tr.NoticeDelay >= 0 {
			row.NoticeSeconds = tr.NoticeDelay.Seconds()
		}
		for _, inv := range rep.InvocationList {
			if inv.Exec.ARN != tr.Execution {
				continue
			}
			billed := inv.Duration
			if inv.Cold {
				billed += inv.InitDuration
			}
			billed = billed.Round(time.Millisecond) + time.Millisecond // billed per started ms
			row.GBSeconds += float64(memory[inv.Function]) / 1024 * billed.Seconds()
		}
		if s.Name == "retry-300s" {
			row.RetryTransitions = tr.Transitions - 2*tr.Polls + 1
		}
		row.SFNDollars1000 = 1000 * float64(tr.Transitions) * c.Prices.StateTransition
		row.DollarsPer1000 = row.SFNDollars1000 + 1000*(float64(tr.Invocations)*c.Prices.LambdaRequest+row.GBSeconds*c.Prices.LambdaGBSecondARM)
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s at %v: the run reported no targets (%s %s)", s.Name, d, rep.Status, rep.Error)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Service < rows[j].Service })
	return rows, nil
}

func (c *Config) allHandlers(*runner.Runner) []string {
	return []string{"plan", "create", "poll", "copy", "export", "verify", "prune", "summary"}
}
