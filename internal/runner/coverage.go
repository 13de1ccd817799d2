package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/snapflow/snapflow/events"
)

// CoverageRun runs every service and every step without faults, so the IAM
// proof also sees the calls the matrix's two targets do not make: the
// caches (ElastiCache node-based with cluster mode enabled and disabled,
// ElastiCache Serverless, MemoryDB) with copy, export and retention, and
// Redshift Serverless chosen by a tag selector (ListNamespaces) with
// retention.
func CoverageRun(ctx context.Context, base Options) (IAMCalls, []*Report, error) {
	opts := base
	opts.Start = MatrixSlot.Add(-72 * time.Hour)
	r, err := New(ctx, opts)
	if err != nil {
		return IAMCalls{}, nil, err
	}
	defer r.Close()
	caches := []events.Target{
		{Service: events.ServiceElastiCache, ID: "orders"}, {Service: events.ServiceElastiCache, ID: "sessions"},
		{Service: events.ServiceElastiCacheServerless, ID: "carts"}, {Service: events.ServiceMemoryDB, ID: "ledger"},
	}
	warehouse := events.Target{Service: events.ServiceRedshiftServerless, ID: "analytics"}
	slots := []time.Time{MatrixSlot.Add(-48 * time.Hour), MatrixSlot.Add(-24 * time.Hour)}
	if _, err := r.CreateHistory(ctx, "caches", caches, slots, nil); err != nil {
		return IAMCalls{}, nil, err
	}
	if _, err := r.CreateHistory(ctx, "warehouse", []events.Target{warehouse}, slots, nil); err != nil {
		return IAMCalls{}, nil, err
	}
	r.Clock().AdvanceTo(MatrixSlot)
	inputs := []map[string]any{
		{"name": "caches", "targets": caches, "copy": map[string]any{}, "export": map[string]any{"bucket": r.ExportBucket(), "prefix": "cov/"},
			"retention": map[string]any{"keepLast": 2}},
		{"name": "warehouse", "selector": map[string]any{"services": []string{"redshift-serverless"}, "tags": map[string][]string{"team": {"analytics"}}},
			"retention": map[string]any{"keepLast": 1}, "redshiftRetentionDays": 35},
	}
	var reps []*Report
	for _, in := range inputs {
		in["scheduledTime"], in["timeZone"] = MatrixSlot.Format(time.RFC3339), "UTC"
		data, _ := json.Marshal(in)
		rep, err := r.Run(ctx, data)
		if err != nil {
			return IAMCalls{}, nil, err
		}
		if rep.Status != "SUCCEEDED" {
			return IAMCalls{}, reps, fmt.Errorf("coverage run %s: %s %s %s", in["name"], rep.Status, rep.Error, detail(rep))
		}
		reps = append(reps, rep)
	}
	return IAMCalls{Calls: r.AWS().Calls(), FunctionOf: r.FunctionOfAccessKey, StatesPrincipal: r.RunMachine()}, reps, nil
}
