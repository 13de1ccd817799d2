package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/snapflow/snapflow/internal/fieldpath"
	"github.com/snapflow/snapflow/internal/policy"
)

// FuzzLoad feeds arbitrary bytes to the configuration loader (Parse, what
// Load runs on the file's content). For every input:
//   - Parse does not panic, and gives the same answer twice;
//   - a rejected file gets an *Error whose every FieldError has a rule and
//     a path (names joined by dots, [n], ["key"]); unknown fields and wrong
//     types name a value the document has; only a document that is not
//     YAML or not a mapping is reported without a path;
//   - an accepted file round-trips: the loaded configuration, written out
//     as JSON and loaded again, is the same; and the execution input of
//     each policy, with the scheduled time EventBridge Scheduler fills in,
//     is accepted by policy.Decode (the plan Lambda's decoder) as the same
//     policy.
//
// The seeds are the repository's snapflow.yaml, variants of it, and the
// sample execution inputs in events/samples as one-policy configurations;
// testdata/fuzz/FuzzLoad holds inputs the fuzzer found.
func FuzzLoad(f *testing.F) {
	example, err := os.ReadFile(filepath.Join("..", "..", DefaultFile))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example)
	for _, v := range exampleVariants(string(example)) {
		f.Add([]byte(v))
	}
	samples, err := filepath.Glob(filepath.Join("..", "..", "events", "samples", "*.json"))
	if err != nil || len(samples) == 0 {
		f.Fatalf("no samples in events/samples: %v", err)
	}
	for _, file := range samples {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(`{"policies": [` + string(data) + `]}`))
	}
	for _, s := range loadNearMisses {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data)
		cfg2, err2 := Parse(data)
		if errString(err) != errString(err2) || !reflect.DeepEqual(cfg, cfg2) {
			t.Fatalf("not deterministic:\n%v\n%v", err, err2)
		}
		if err != nil {
			if cfg != nil {
				t.Errorf("Parse returned a configuration with its error")
			}
			checkConfigError(t, data, err)
			return
		}
		checkRoundTrip(t, cfg)
	})
}

// checkConfigError checks the error of a rejected file.
func checkConfigError(t *testing.T, data []byte, err error) {
	t.Helper()
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %T is not a *config.Error: %v", err, err)
	}
	if len(ce.Errors) == 0 {
		t.Fatalf("a *config.Error without errors")
	}
	var doc any
	jsonDoc, yamlErr := yaml.YAMLToJSON(data)
	if yamlErr == nil {
		dec := json.NewDecoder(bytes.NewReader(jsonDoc))
		dec.UseNumber()
		yamlErr = dec.Decode(&doc)
	}
	for _, fe := range ce.Errors {
		if fe.Rule == "" {
			t.Errorf("%q: no rule", fe.Field)
		}
		if fe.Field == "" {
			_, mapping := doc.(map[string]any)
			switch {
			case strings.HasPrefix(fe.Rule, "not valid YAML"):
				if yamlErr == nil && !hasDuplicateKeys(data) {
					t.Errorf("%q for a valid YAML document", fe.Rule)
				}
			case strings.HasPrefix(fe.Rule, "must be a mapping of settings"):
				if yamlErr != nil || mapping {
					t.Errorf("%q for a mapping", fe.Rule)
				}
			default:
				t.Errorf("no field path for %q", fe.Rule)
			}
			continue
		}
		segs, err := fieldpath.Parse(fe.Field)
		if err != nil {
			t.Errorf("field %q: %v (rule %q)", fe.Field, err, fe.Rule)
			continue
		}
		if fe.Rule == "unknown field" || wrongType.MatchString(fe.Rule) {
			if yamlErr != nil || !fieldpath.Lookup(doc, segs) {
				t.Errorf("field %q (rule %q) is not in the document", fe.Field, fe.Rule)
			}
		}
	}
}

// hasDuplicateKeys reports whether a YAML document repeats a key of a
// mapping. The loader takes the last one today; should it become strict
// (yaml.YAMLToJSONStrict), it reports them as not valid YAML.
func hasDuplicateKeys(data []byte) bool {
	_, err := yaml.YAMLToJSONStrict(data)
	_, lax := yaml.YAMLToJSON(data)
	return err != nil && lax == nil
}

// checkRoundTrip checks an accepted configuration.
func checkRoundTrip(t *testing.T, cfg *Config) {
	t.Helper()
	out, err := json.Marshal(cfg)
	if err != nil {
		t.Fatalf("encoding the configuration: %v", err)
	}
	again, err := Parse(out)
	if err != nil {
		t.Fatalf("the configuration written out is rejected: %v\n%s", err, out)
	}
	if out2, _ := json.Marshal(again); !bytes.Equal(out, out2) {
		t.Fatalf("round trip changed the configuration:\n%s\n%s", out, out2)
	}
	const due = "2026-11-20T02:00:00Z"
	for i, p := range cfg.Policies {
		in, err := p.Input(ScheduledTimePlaceholder)
		if err != nil {
			t.Fatalf("policies[%d]: input: %v", i, err)
		}
		if len(in) > MaxInputBytes {
			t.Errorf("policies[%d]: input of %d bytes accepted", i, len(in))
		}
		if !bytes.Contains(in, []byte(ScheduledTimePlaceholder)) {
			t.Fatalf("policies[%d]: the input %s lacks the placeholder", i, in)
		}
		scheduled := bytes.ReplaceAll(in, []byte(ScheduledTimePlaceholder), []byte(due))
		got, err := policy.Decode(scheduled)
		if err != nil {
			t.Fatalf("policies[%d]: the plan step rejects the input %s: %v", i, scheduled, err)
		}
		want := p.Policy
		want.ScheduledTime = due
		a, _ := json.Marshal(got)
		b, _ := json.Marshal(want)
		if !bytes.Equal(a, b) {
			t.Fatalf("policies[%d]: the plan step reads\n%s\nnot\n%s", i, a, b)
		}
	}
}

// wrongType matches the rules of values of the wrong type, the loader's and
// internal/policy's.
var wrongType = regexp.MustCompile(`^must be (an? (string|integer|boolean|object|array|mapping|list)|true or false), not `)

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// exampleVariants returns snapflow.yaml with one change each.
func exampleVariants(example string) []string {
	edits := [][2]string{
		{"keepLast: 2,", "keepLast: -1,"},
		{"keepLast: 2,", "keepLast: two,"},
		{"keepLast: 2,", "keepLast: 2.5,"},
		{"keepLast: 2,", "keepLast: 99999999999999999999,"},
		{"keepLast: 2,", "keepLast: 0x10,"},
		{"keepLast: 2,", "keepLast: .inf,"},
		{"keepLast: 2,", "keepLast: ~,"},
		{"keepLast: 2,", "keepLast: 2, keepLast: 3,"},
		{"keepLast: 2,", "keeplast: 2,"},
		{"stackName: Snapflow", "stackName: 1-snapflow"},
		{"stackName: Snapflow", "stackName: [Snapflow]"},
		{"# account: \"123456789012\"", "account: 123456789012"},
		{"# account: \"123456789012\"", "account: \"0123\""},
		{"# region: eu-west-1", "region: EU-WEST-1"},
		{"alarmEmail: oncall@example.com", "alarmEmail: oncall"},
		{"logRetentionDays: 30", "logRetentionDays: 31"},
		{"logLevel: info", "logLevel: INFO"},
		{"runTimeoutMinutes: 1440", "runTimeoutMinutes: 5"},
		{"maxConcurrency: 40", "maxConcurrency: 0"},
		{"maxConcurrency: 40", "maxConcurrency: -1"},
		{"maxConcurrency: 40", "maxConcurrency: 2147483648"},
		{"encryption: s3", "encryption: kms"},
		{"encryption: s3", "encryption: aws:kms"},
		{"versioned: true", "versioned: yes"},
		{"versioned: true", "versioned: \"true\""},
		{"  create: true\n", "  create: false\n"},
		{"  # existingBucketName: my-bucket", "  existingBucketName: my-bucket"},
		{"name: snapflow-exports-example\n", "name: Snapflow_Exports\n"},
		{"schedule: cron(0 2 * * ? *)", "schedule: cron(0 2 * * ?)"},
		{"schedule: rate(3 hours)", "schedule: rate(0 hours)"},
		{"schedule: rate(3 hours)", "schedule: rate(1 week)"},
		{"schedule: rate(3 hours)", "schedule: at(2026-11-20T02:00:00)"},
		{"schedule: rate(3 hours)", "schedule: rate(1 hour)"},
		{"schedule: rate(3 hours)", "schedule: cron(0/30 * * * ? *)"},
		{"scheduleTimeZone: Europe/Berlin", "scheduleTimeZone: Mars/Olympus"},
		{"scheduleTimeZone: Europe/Berlin", "scheduleTimeZone: Local"},
		{"timeZone: Europe/Berlin", "timeZone: europe/berlin"},
		{"flexibleWindowMinutes: 15", "flexibleWindowMinutes: 1441"},
		{"flexibleWindowMinutes: 15", "flexibleWindowMinutes: 15\n    scheduleEnabled: off"},
		{"flexibleWindowMinutes: 15", "flexibleWindowMinutes: 15\n    scheduledTime: 2026-11-20T02:00:00Z"},
		{"flexibleWindowMinutes: 15", "flexibleWindowMinutes: 15\n    dryRun: yes"},
		{"flexibleWindowMinutes: 15", "flexibleWindowMinutes: 15\n    \"a.b\": 1\n    \"\": 2"},
		{"rpoMinutes: 180", "rpoMinutes: 30"},
		{"rpoMinutes: 10080", "rpoMinutes: 10081"},
		{"kmsKeyId: alias/snapflow-copies", "kmsKeyId: \"arn:aws:kms:eu-west-1:123:key/x\""},
		{"{service: memorydb, id: orders-ledger}", "{service: memorydb, id: orders-ledger, region: eu-west-1}"},
		{"{service: memorydb, id: orders-ledger}", "{service: rds, id: orders-ledger}"},
		{"{service: memorydb, id: orders-ledger}", "{service: memorydb, id: orders-ledger}\n      - {service: memorydb, id: Orders-Ledger}"},
		{"  - name: ledger-3h", "  - name: nightly"},
		{"  - name: ledger-3h", "  - name: Ledger_3h"},
		{"    tags: {owner: platform-team}", "    tags: {owner: platform-team, aws:x: y, \"\": z}"},
		{"      tags:\n        snapflow-backup: [weekly]", "      tags: {}"},
		{"policies:\n", "policies: {}\nunused:\n"},
		{"policies:\n", "extra: &a [1, 2]\nalias: *a\npolicies:\n"},
		{"exportBucket:\n", "exportBucket: &bucket\n"},
		{"  ", "\t"},
	}
	var out []string
	for _, e := range edits {
		if v := strings.Replace(example, e[0], e[1], 1); v != example {
			out = append(out, v)
		}
	}
	out = append(out,
		example+"\n---\nstackName: Other\n",
		strings.Repeat("#", 10)+"\n"+example,
		example[:len(example)/2],
		strings.ReplaceAll(example, "\n", "\r\n"),
	)
	return out
}

// loadNearMisses are small documents one mistake away from valid ones.
var loadNearMisses = []string{
	"policies:\n  - name: p\n    schedule: rate(1 day)\n    targets: [{service: memorydb, id: c}]\n",
	`{"policies": [{"name": "p", "schedule": "rate(1 day)", "selector": {"tags": {"backup": []}}}]}`,
	"policies:\n  - name: p\n    schedule: rate(1 day)\n    targets: [{service: memorydb, id: c}]\n  - name: p\n    schedule: rate(2 days)\n    targets: [{service: memorydb, id: d}]\n",
	"policies:\n  - name: p\n    name: q\n    schedule: rate(1 day)\n    targets: [{service: memorydb, id: c}]\n",
	"policies:\n  - name: p\n    schedule: rate(1 day)\n    targets: [{service: memorydb, id: c}]\npolicies: []\n",
	"base: &base {schedule: rate(1 day), targets: [{service: memorydb, id: c}]}\npolicies:\n  - <<: *base\n    name: p\n",
	"policies:\n  - name: p\n    schedule: rate(1 day)\n    targets: [{service: memorydb, id: c}]\n    export: {bucket: b}\nexportBucket: {existingBucketName: b}\n",
	"policies:\n  - name: p\n    schedule: rate(1 day)\n    targets: [{service: memorydb, id: c}]\nexportBucket: {create: true, name: bkt, existingBucketName: bkt}\n",
	"policies:\n  - name: p\n    schedule: rate(1 day)\n    targets: [{service: memorydb, id: c}]\nexportBucket: {kms: true}\n",
	"policies:\n  - name: p\n    schedule: rate(1 day)\n    targets: [{service: memorydb, id: c}]\nexportBucket: []\n",
	"policies:\n  - p\n  - 7\n  - ~\n",
	"policies: \"all\"\n",
	"policies:\n  - name: p\n    schedule: !!binary aGVsbG8=\n    targets: [{service: memorydb, id: c}]\n",
	"policies:\n  - name: p\n    schedule: rate(1 day)\n    targets: [{service: memorydb, id: c}]\n    tags: {1: 2, true: false, 1.5: ~}\n",
	"? [a]\n: b\n",
	"1: x\n",
	"- a\n- b\n",
	"just a string",
	"",
	"~",
	"{",
	"policies: [\n",
	"a: b: c",
	"\xff\xfe\x00",
	"policies:\n\t- name: p\n",
	"a: &a [*a]\n",
	"a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: &c [*b, *b, *b]\nd: [*c, *c, *c]\n",
	strings.Repeat("[", 1000) + strings.Repeat("]", 1000),
	strings.Repeat("- ", 200) + "x\n",
}

// TestConfigPaths pins the paths of keys that are not plain names.
func TestConfigPaths(t *testing.T) {
	doc := "\"a.b\": 1\n\"\": 2\nexportBucket: {\"x y\": 1, create: true, name: bkt}\n" +
		"policies:\n  - {name: p, schedule: rate(1 day), targets: [{service: memorydb, id: c}], \"q[0]\": 1, tags: {\"k\": 1}}\n"
	_, err := Parse([]byte(doc))
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("got %v", err)
	}
	var got []string
	for _, fe := range ce.Errors {
		got = append(got, fe.String())
	}
	want := []string{
		`[""]: unknown field`,
		`["a.b"]: unknown field`,
		`exportBucket["x y"]: unknown field`,
		`policies[0]["q[0]"]: unknown field`,
		`policies[0].tags["k"]: must be a string, not the number 1`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
