package config

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/snapflow/snapflow/internal/policy"
)

const minimal = `
policies:
  - name: p
    schedule: rate(1 day)
    targets: [{service: memorydb, id: c}]
`

func TestParseDefaults(t *testing.T) {
	cfg, err := Parse([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.StackName != "Snapflow" || cfg.LogRetentionDays != 30 || cfg.LogLevel != "info" ||
		cfg.RunTimeoutMinutes != 1440 || cfg.TargetTimeoutMinutes != 720 || cfg.MaxConcurrency != 40 {
		t.Errorf("defaults: %+v", cfg)
	}
	p := cfg.Policies[0]
	if p.TimeZone != "UTC" || p.ScheduleTimeZone != "UTC" || !p.Enabled() || p.FlexibleWindowMinutes != 0 {
		t.Errorf("policy defaults: %+v", p)
	}
	if cfg.ExportBucket != nil {
		t.Errorf("export bucket: %+v", cfg.ExportBucket)
	}
}

func TestParseErrors(t *testing.T) {
	policyWith := func(extra string) string {
		return "policies:\n  - name: p\n    schedule: rate(1 day)\n    targets: [{service: memorydb, id: c}]\n" + extra
	}
	tests := []struct {
		name, doc string
		want      []policy.FieldError
	}{
		{"not a mapping", "- a\n- b\n", fe("", "must be a mapping of settings, not a list")},
		{"no policies", "stackName: x\n", fe("policies", "at least one policy is required")},
		{"unknown top-level", "stackname: x\n" + minimal, fe("stackname", "unknown field")},
		{"wrong types", "account: 123456789012\nlogRetentionDays: thirty\n" + minimal, []policy.FieldError{
			{Field: "account", Rule: "must be a string, not the number 123456789012"},
			{Field: "logRetentionDays", Rule: `must be an integer, not the string "thirty"`},
		}},
		{"stack settings", "stackName: 1abc\nregion: Mars\nalarmEmail: nobody\nlogLevel: loud\nlogRetentionDays: 31\nmaxConcurrency: 41\n" + minimal,
			[]policy.FieldError{
				{Field: "stackName", Rule: "must be 1 to 60 letters, digits or hyphens, starting with a letter"},
				{Field: "region", Rule: "must be a region code such as eu-west-1"},
				{Field: "alarmEmail", Rule: "must be an email address"},
				{Field: "logRetentionDays", Rule: "must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 (CloudWatch Logs retention values)"},
				{Field: "logLevel", Rule: "must be one of debug, info, warn, error"},
				{Field: "maxConcurrency", Rule: "must be 1 to 40 (the inline Map's limit)"},
			}},
		{"timeouts", "runTimeoutMinutes: 60\ntargetTimeoutMinutes: 90\n" + minimal,
			fe("targetTimeoutMinutes", "must be at least 5 and at most runTimeoutMinutes")},
		{"policy rule with path", policyWith("    retention: {keepLast: -1, daily: 3}\n"),
			fe("policies[0].retention.keepLast", "must be >= 0")},
		{"second policy", minimal + "  - name: q\n    schedule: every day\n    targets: [{service: memorydb, id: c}]\n",
			fe("policies[1].schedule", "must be a cron(...) or rate(...) expression")},
		{"policy unknown field", policyWith("    retain: 3\n"), fe("policies[0].retain", "unknown field")},
		{"policy wrong type", policyWith("    flexibleWindowMinutes: soon\n"),
			fe("policies[0].flexibleWindowMinutes", `must be an integer, not the string "soon"`)},
		{"schedule missing", "policies:\n  - name: p\n    targets: [{service: memorydb, id: c}]\n",
			fe("policies[0].schedule", "is required: a cron(...) or rate(...) expression")},
		{"cron fields", "policies:\n  - name: p\n    schedule: cron(0 3 * * *)\n    targets: [{service: memorydb, id: c}]\n",
			fe("policies[0].schedule", "must be cron(minutes hours day-of-month month day-of-week year): six fields")},
		{"rate unit", "policies:\n  - name: p\n    schedule: rate(2 weeks)\n    targets: [{service: memorydb, id: c}]\n",
			fe("policies[0].schedule", "must be rate(<n> minutes|hours|days) with n >= 1")},
		{"schedule zone", policyWith("    scheduleTimeZone: Mars/Base\n    flexibleWindowMinutes: 1441\n"), []policy.FieldError{
			{Field: "policies[0].scheduleTimeZone", Rule: "must be an IANA time zone name such as Europe/Berlin"},
			{Field: "policies[0].flexibleWindowMinutes", Rule: "must be 0 (off) to 1440"},
		}},
		{"scheduled time", policyWith("    scheduledTime: \"2026-01-01T00:00:00Z\"\n"),
			fe("policies[0].scheduledTime", "must not be set in the configuration: the schedule fills it in")},
		{"rpo too long", policyWith("    rpoMinutes: 10081\n"),
			fe("policies[0].rpoMinutes", "must be at most 10080 (7 days: the longest window a CloudWatch alarm evaluates)")},
		{"rpo below interval", policyWith("    rpoMinutes: 600\n"),
			fe("policies[0].rpoMinutes", "must be 0 or at least the schedule's interval (1440 minutes), or the alarm fires between runs")},
		{"duplicate names", minimal + "  - name: p\n    schedule: rate(1 day)\n    targets: [{service: memorydb, id: d}]\n",
			fe("policies[1].name", "duplicates policies[0]")},
		{"kms key ref", policyWith("    copy: {kmsKeyId: \"arn:aws:s3:::bucket\"}\n"),
			fe("policies[0].copy.kmsKeyId", "must be a key ARN, an alias ARN, alias/<name> or a key ID (the copy role is scoped to it)")},
		{"bucket both", "exportBucket: {create: true, name: abc, existingBucketName: def}\n" + minimal,
			fe("exportBucket", "set either create: true with name, or existingBucketName, not both")},
		{"bucket no name", "exportBucket: {create: true}\n" + minimal,
			fe("exportBucket.name", "is required with create: true (policies name the bucket in export.bucket)")},
		{"bucket bad name", "exportBucket: {create: true, name: Bad_Name, encryption: aes}\n" + minimal, []policy.FieldError{
			{Field: "exportBucket.name", Rule: "must be a valid S3 bucket name"},
			{Field: "exportBucket.encryption", Rule: "must be s3 or kms"},
		}},
		{"bucket existing with settings", "exportBucket: {existingBucketName: abc, versioned: false}\n" + minimal,
			fe("exportBucket", "name, encryption, versioned and the expiration days apply only with create: true")},
		{"bucket unknown", "exportBucket: {create: true, name: abc, kms: true}\n" + minimal,
			fe("exportBucket.kms", "unknown field")},
		{"kms bucket and elasticache export", "exportBucket: {create: true, name: abc, encryption: kms}\npolicies:\n  - name: p\n    schedule: rate(1 day)\n    targets: [{service: elasticache, id: c}]\n    export: {bucket: abc}\n",
			fe("policies[0].export.bucket", "exports ElastiCache snapshots to the SSE-KMS bucket; ElastiCache documents SSE-S3 only for .rdb files in S3, so use encryption: s3 or export only memorydb")},
		{"cron values", "policies:\n  - name: p\n    schedule: cron(0 25 * * ? *)\n    targets: [{service: memorydb, id: c}]\n",
			fe("policies[0].schedule", `must be a valid cron expression: cron(0 25 * * ? *): hours: "25": must be 0-23`)},
		{"memorydb hourly", "policies:\n  - name: p\n    schedule: rate(1 hour)\n    targets: [{service: memorydb, id: c}]\n",
			fe("policies[0].schedule", `fires up to 24 times in 24 hours; MemoryDB allows 20 manual snapshots per cluster in any 24 hours (MemoryDB Developer Guide, "Snapshot constraints"): at most 20 for a policy that may snapshot memorydb`)},
		{"selector of every service, every 30 minutes", "policies:\n  - name: p\n    schedule: cron(0/30 * * * ? *)\n    selector: {tags: {backup: [often]}}\n", []policy.FieldError{
			{Field: "policies[0].schedule", Rule: `fires up to 48 times in 24 hours; ElastiCache allows 20 manual backups per node in any 24 hours (ElastiCache User Guide, "Snapshot and restore"): at most 20 for a policy that may snapshot elasticache`},
			{Field: "policies[0].schedule", Rule: `fires up to 48 times in 24 hours; ElastiCache allows 24 manual backups per serverless cache in any 24 hours (ElastiCache User Guide, "Snapshot and restore"): at most 24 for a policy that may snapshot elasticache-serverless`},
			{Field: "policies[0].schedule", Rule: `fires up to 48 times in 24 hours; MemoryDB allows 20 manual snapshots per cluster in any 24 hours (MemoryDB Developer Guide, "Snapshot constraints"): at most 20 for a policy that may snapshot memorydb`},
		}},
		{"two policies, one cluster", "policies:\n  - name: p\n    schedule: rate(2 hours)\n    targets: [{service: memorydb, id: c}]\n" +
			"  - name: q\n    schedule: cron(30 */2 * * ? *)\n    targets: [{service: memorydb, id: C}]\n",
			fe("policies[1].schedule", `with p, snapshots memorydb c up to 24 times in 24 hours; MemoryDB allows 20 manual snapshots per cluster in any 24 hours (MemoryDB Developer Guide, "Snapshot constraints")`)},
		{"input too large", policyWith("    tags: {" + manyTags() + "}\n"),
			nil}, // checked below
	}
	for _, tt := range tests {
		if tt.want == nil {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *config.Error", err)
			}
			if !reflect.DeepEqual(ce.Errors, tt.want) {
				t.Errorf("errors:\n got %q\nwant %q", ce.Errors, tt.want)
			}
		})
	}
}

func manyTags() string {
	var b strings.Builder
	for i := range 40 {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("k" + strings.Repeat("x", 100) + string(rune('a'+i%26)) + string(rune('a'+i/26)) + ": " + strings.Repeat("v", 200))
	}
	return b.String()
}

func TestInputTooLarge(t *testing.T) {
	doc := "policies:\n  - name: p\n    schedule: rate(1 day)\n    targets: [{service: memorydb, id: c}]\n    tags: {" + manyTags() + "}\n"
	_, err := Parse([]byte(doc))
	if err == nil || !strings.Contains(err.Error(), "policies[0]: is ") || !strings.Contains(err.Error(), "EventBridge target inputs hold at most 8192") {
		t.Fatalf("err = %v", err)
	}
}

func TestErrorMessage(t *testing.T) {
	_, err := Parse([]byte("policies:\n  - name: p\n    schedule: rate(1 day)\n    targets: [{service: memorydb, id: c}]\n    retention: {keepLast: -1, daily: 1}\n"))
	want := "config: 1 error(s):\n  policies[0].retention.keepLast: must be >= 0"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}

func TestInput(t *testing.T) {
	cfg, err := Parse([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	in, err := cfg.Policies[0].Input(ScheduledTimePlaceholder)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(in, &got); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(in), `"scheduledTime":"<aws.scheduler.scheduled-time>"`) || got["name"] != "p" {
		t.Errorf("input = %s", in)
	}
	for _, k := range scheduleKeys {
		if _, ok := got[k]; ok {
			t.Errorf("input carries %s: %s", k, in)
		}
	}
	// Without a scheduled time the input is a valid manual-run policy.
	manual, _ := cfg.Policies[0].Input("")
	if _, err := policy.Decode(manual); err != nil {
		t.Errorf("manual input %s: %v", manual, err)
	}
}

// TestExample loads the root snapflow.yaml, which `make synth` uses.
func TestExample(t *testing.T) {
	cfg, err := Load(filepath.Join("..", "..", DefaultFile))
	if err != nil {
		t.Fatal(err)
	}
	services := map[string]bool{}
	selector := false
	for _, p := range cfg.Policies {
		for _, tg := range p.Targets {
			services[tg.Service] = true
		}
		if p.Selector != nil {
			selector = true
			for _, s := range p.Selector.Services {
				services[s] = true
			}
		}
	}
	if len(services) != 4 || !selector {
		t.Errorf("the example should cover the four services and a selector: %v, selector %v", services, selector)
	}
	if got := cfg.ExportBuckets(); !reflect.DeepEqual(got, []string{"snapflow-exports-example"}) {
		t.Errorf("ExportBuckets = %v", got)
	}
	if got := cfg.SnapshotPrefixes(); !reflect.DeepEqual(got, []string{"sf", "sfc"}) {
		t.Errorf("SnapshotPrefixes = %v", got)
	}
	if got := cfg.CopyKeys(); !reflect.DeepEqual(got, []string{"alias/snapflow-copies"}) {
		t.Errorf("CopyKeys = %v", got)
	}
}

func TestLoadNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(path, []byte("policies: 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || !strings.HasPrefix(err.Error(), path+": 1 error(s):\n  policies: must be a list, not the number 3") {
		t.Fatalf("err = %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Fatal("missing file: no error")
	}
}

func TestScope(t *testing.T) {
	doc := `
exportBucket: {existingBucketName: base-bucket}
policies:
  - name: a
    schedule: rate(1 day)
    targets: [{service: memorydb, id: c, region: us-west-2}, {service: memorydb, id: d, region: eu-west-1}]
    copy: {prefix: dr, kmsKeyId: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}
    export: {bucket: other-bucket}
  - name: b
    schedule: rate(1 day)
    targets: [{service: memorydb, id: e, region: us-west-2}]
    export: {bucket: base-bucket}
`
	cfg, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, got, want []string) {
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("TargetRegions", cfg.TargetRegions(), []string{"eu-west-1", "us-west-2"})
	check("ExportBuckets", cfg.ExportBuckets(), []string{"base-bucket", "other-bucket"})
	check("SnapshotPrefixes", cfg.SnapshotPrefixes(), []string{"dr", "sf", "sfc"})
	check("CopyKeys", cfg.CopyKeys(), []string{"arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"})
}

func fe(field, rule string) []policy.FieldError {
	return []policy.FieldError{{Field: field, Rule: rule}}
}
