package steps_test

import (
	"strings"
	"testing"
	"time"

	"github.com/snapflow/snapflow/events"
	"github.com/snapflow/snapflow/internal/localaws/emu"
	"github.com/snapflow/snapflow/internal/naming"
	"github.com/snapflow/snapflow/internal/steps"
)

// TestPlanSelectorAndTargets resolves a tag selector over every service
// (Redshift Serverless namespace ARNs through ListNamespaces, replication
// group members left out), merges the explicit targets, and makes no
// mutating call.
func TestPlanSelectorAndTargets(t *testing.T) {
	f := newFixture(t)
	mark := f.mark()
	p := `{
	  "name": "nightly",
	  "targets": [
	    {"service": "memorydb", "id": "Ledger"},
	    {"service": "elasticache", "id": "sessions", "kind": "cache-cluster"}
	  ],
	  "selector": {"tags": {"backup": ["nightly"]}},
	  "retention": {"keepLast": 3},
	  "tags": {"owner": "platform"},
	  "scheduledTime": "2026-11-20T02:00:30Z",
	  "redshiftRetentionDays": 7
	}`
	out := f.mustPlan(p, start.Add(5*time.Minute))
	type key struct{ service, kind, id string }
	var got []key
	for _, it := range f.workItems(out) {
		got = append(got, key{it.Target.Service, it.Target.Kind, it.Target.ID})
	}
	want := []key{
		{"elasticache", "cache-cluster", "pages"},
		{"elasticache", "cache-cluster", "sessions"},
		{"elasticache", "replication-group", "catalog"},
		{"elasticache", "replication-group", "orders"},
		{"elasticache-serverless", "", "carts"},
		{"memorydb", "", "ledger"},
		{"redshift-serverless", "", "analytics"},
	}
	if len(got) != len(want) {
		t.Fatalf("targets %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("target %d = %v, want %v", i, got[i], want[i])
		}
	}
	if out.Count != len(want) || out.Policy != "nightly" || !out.Slot.Equal(start) || out.DryRun {
		t.Errorf("plan output %+v", out)
	}
	// orders-001/002 and catalog-000N-001 carry their group's tags.
	if len(out.Ignored) != 5 {
		t.Errorf("ignored %q, want the 5 member clusters", out.Ignored)
	}
	for _, it := range f.workItems(out) {
		if it.SnapshotName != naming.SnapshotName(it.Target.Service, "nightly", it.Target.ID, start) {
			t.Errorf("%s: snapshot name %s", it.Target.ID, it.SnapshotName)
		}
		want := naming.ManagedTags("nightly", it.Target.ID, start)
		want["owner"] = "platform"
		if len(it.Tags) != len(want) {
			t.Errorf("%s: tags %v, want %v", it.Target.ID, it.Tags, want)
		}
		for k, v := range want {
			if it.Tags[k] != v {
				t.Errorf("%s: tag %s = %q, want %q", it.Target.ID, k, it.Tags[k], v)
			}
		}
		if it.TimeZone != "UTC" || it.Retention == nil || it.Retention.KeepLast != 3 || it.RedshiftRetentionDays != 7 || it.CopyName != "" {
			t.Errorf("%s: item %+v", it.Target.ID, it)
		}
	}
	if m := f.mutating(mark); len(m) > 0 {
		t.Errorf("plan made mutating calls: %v", m)
	}
	var actions []string
	for _, c := range f.aws.Calls()[mark:] {
		actions = append(actions, c.Action)
	}
	if strings.Join(actions, ",") != "GetResources,ListNamespaces" {
		t.Errorf("calls %v, want GetResources and ListNamespaces", actions)
	}
}

// TestPlanSelectorServices limits the selector to services and values.
func TestPlanSelectorServices(t *testing.T) {
	f := newFixture(t)
	p := `{"name": "weekly", "selector": {"services": ["redshift-serverless", "memorydb"], "tags": {"backup": ["weekly", "monthly"]}}}`
	out := f.mustPlan(p, start)
	if len(out.Items) != 1 || out.Items[0].ID != "archive" {
		t.Fatalf("items %+v, want the archive namespace", out.Items)
	}
	// Nothing matched: an empty list, never null (the Map state needs one).
	out = f.mustPlan(`{"name": "none", "selector": {"tags": {"backup": ["hourly"]}}}`, start)
	if out.Items == nil || out.Count != 0 {
		t.Fatalf("empty plan %+v", out)
	}
}

// TestPlanCopyAndExport fills the copy name and the export settings; the
// prefix applies where the service takes one.
func TestPlanCopyAndExport(t *testing.T) {
	f := newFixture(t)
	p := policy("nightly", `[{"service": "elasticache", "id": "orders"}, {"service": "elasticache-serverless", "id": "carts"}, {"service": "memorydb", "id": "ledger"}]`,
		`"copy": {"prefix": "bk", "kmsKeyId": "alias/backup"}, "export": {"bucket": "ec-exports", "prefix": "exports"}`)
	out := f.mustPlan(p, start)
	want := map[string]string{"orders": "exports/", "carts": "", "ledger": "exports/"}
	for _, it := range f.workItems(out) {
		if it.ExportPrefix != want[it.Target.ID] {
			t.Errorf("%s: exportPrefix %q, want %q", it.Target.ID, it.ExportPrefix, want[it.Target.ID])
		}
		if it.CopyName != naming.CopyName(it.Target.Service, "bk", "nightly", it.Target.ID, start) || it.Copy.KMSKeyID != "alias/backup" {
			t.Errorf("%s: copy %q %+v", it.Target.ID, it.CopyName, it.Copy)
		}
		if it.Export == nil || it.Export.Bucket != "ec-exports" {
			t.Errorf("%s: export %+v", it.Target.ID, it.Export)
		}
	}
	if steps.ExportPrefix("memorydb", "a/b/") != "a/b/" || steps.ExportPrefix("redshift-serverless", "x") != "" {
		t.Error("ExportPrefix")
	}
}

// TestPlanInvalidInput rejects bad input with Snapflow.InvalidInput naming
// the field and the rule, before any AWS call.
func TestPlanInvalidInput(t *testing.T) {
	manyTags := `{`
	for i := range 46 {
		if i > 0 {
			manyTags += ","
		}
		manyTags += `"k` + string(rune('a'+i/26)) + string(rune('a'+i%26)) + `": "v"`
	}
	manyTags += `}`
	tests := []struct {
		name, input string
		mentions    []string
	}{
		{"unknown policy field", `{"policy": {"name": "p", "targets": [{"service": "memorydb", "id": "c"}], "retain": {}}, "executionStartTime": "2026-11-20T02:00:00Z"}`,
			[]string{"policy: retain: unknown field"}},
		{"unknown nested field", `{"policy": {"name": "p", "targets": [{"service": "memorydb", "id": "c", "Kind": "x"}]}, "executionStartTime": "2026-11-20T02:00:00Z"}`,
			[]string{"targets[0].Kind: unknown field"}},
		{"bad id", `{"policy": {"name": "p", "targets": [{"service": "elasticache", "id": "1orders"}]}, "executionStartTime": "2026-11-20T02:00:00Z"}`,
			[]string{"targets[0].id: must be 1 to 40 letters, digits or hyphens"}},
		{"unknown service", `{"policy": {"name": "p", "targets": [{"service": "rds", "id": "db"}]}, "executionStartTime": "2026-11-20T02:00:00Z"}`,
			[]string{"targets[0].service: must be one of elasticache"}},
		{"export for redshift", `{"policy": {"name": "p", "targets": [{"service": "redshift-serverless", "id": "analytics"}], "export": {"bucket": "ec-exports"}}, "executionStartTime": "2026-11-20T02:00:00Z"}`,
			[]string{"targets[0]: export is not supported for redshift-serverless"}},
		{"wrong type", `{"policy": {"name": "p", "targets": [{"service": "memorydb", "id": "c"}], "dryRun": "yes"}, "executionStartTime": "2026-11-20T02:00:00Z"}`,
			[]string{"dryRun: must be a boolean"}},
		{"no policy", `{"executionStartTime": "2026-11-20T02:00:00Z"}`, []string{"policy: is required"}},
		{"null policy", `{"policy": null, "executionStartTime": "2026-11-20T02:00:00Z"}`, []string{"policy: is required"}},
		{"unknown input field", `{"policy": {"name": "p", "targets": [{"service": "memorydb", "id": "c"}]}, "policies": []}`,
			[]string{`"policies": unknown field`}},
		{"input not an object", `[1, 2]`, []string{"input:"}},
		{"no slot", `{"policy": {"name": "p", "targets": [{"service": "memorydb", "id": "c"}]}}`,
			[]string{"executionStartTime: must be an RFC 3339 time"}},
		{"bad scheduled time", `{"policy": {"name": "p", "targets": [{"service": "memorydb", "id": "c"}], "scheduledTime": "tomorrow"}, "executionStartTime": "2026-11-20T02:00:00Z"}`,
			[]string{"scheduledTime: must be an RFC 3339 time"}},
		{"copy leaves no room for the copy marker", `{"policy": {"name": "p", "targets": [{"service": "memorydb", "id": "c"}], "copy": {}, "tags": ` + manyTags + `}, "executionStartTime": "2026-11-20T02:00:00Z"}`,
			[]string{"policy.tags: must have at most 45 tags when copy is set"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			mark := f.mark()
			_, ie := invoke(f, steps.Handler(f.steps, f.steps.Plan), []byte(tt.input))
			wantError(t, ie, "Snapflow.InvalidInput", tt.mentions...)
			if calls := f.aws.Calls()[mark:]; len(calls) > 0 {
				t.Errorf("an invalid plan called AWS: %v", calls)
			}
		})
	}
}

// TestPlanTaggingErrors provokes each error class of the tagging API.
func TestPlanTaggingErrors(t *testing.T) {
	tests := []struct {
		kind  emu.FaultKind
		class string
	}{
		{emu.FaultThrottle, "Snapflow.Throttled"},
		{emu.FaultAccessDenied, "Snapflow.AccessDenied"},
		{emu.FaultInternal, "Snapflow.Transient"},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			f := newFixture(t)
			f.fault("tagging", "GetResources", tt.kind, 0)
			_, ie := f.plan(`{"name": "nightly", "selector": {"tags": {"backup": []}}}`, start)
			wantError(t, ie, tt.class, "tagging GetResources")
		})
	}
	t.Run("ListNamespaces", func(t *testing.T) {
		f := newFixture(t)
		f.fault("redshift-serverless", "ListNamespaces", emu.FaultAccessDenied, 0)
		_, ie := f.plan(`{"name": "nightly", "selector": {"tags": {"backup": []}}}`, start)
		wantError(t, ie, "Snapflow.AccessDenied", "ListNamespaces")
	})
}

// TestPlanOutputContract checks the members the state machine reads.
func TestPlanOutputContract(t *testing.T) {
	f := newFixture(t)
	out := f.mustPlan(policy("p", `[{"service": "memorydb", "id": "ledger"}]`, `"dryRun": true`), start)
	if !out.DryRun || len(out.Items) != 1 || !out.Spec.DryRun || out.Items[0] != (events.Target{Service: "memorydb", ID: "ledger"}) ||
		out.Spec.Name != "p" || out.Spec.Targets != nil || out.Spec.Selector != nil || !f.workItems(out)[0].DryRun {
		t.Fatalf("plan %+v", out)
	}
}
