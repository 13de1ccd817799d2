package stack

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/jsii-runtime-go"

	"github.com/snapflow/snapflow/internal/config"
)

const variantYAML = `
stackName: Backups-Prod
region: eu-west-1
account: "111122223333"
logRetentionDays: 90
logLevel: debug
runTimeoutMinutes: 600
targetTimeoutMinutes: 300
maxConcurrency: 10
exportBucket: {existingBucketName: team-exports}
policies:
  - name: ledger-dr
    schedule: rate(6 hours)
    scheduleEnabled: false
    targets:
      - {service: memorydb, id: ledger, region: us-west-2}
      - {service: elasticache, id: sessions}
    copy: {prefix: dr, kmsKeyId: "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}
    export: {bucket: team-exports, prefix: dr/}
    retention: {keepLast: 4}
`

var (
	variantOnce sync.Once
	variant     *synthesized
)

// variantStack: a pinned environment, an existing bucket, a target in
// another region, a copy prefix and a copy key ARN, a disabled schedule, no
// RPO and no email.
func variantStack(t *testing.T) *synthesized {
	t.Helper()
	variantOnce.Do(func() {
		cfg, err := config.Parse([]byte(variantYAML))
		if err != nil {
			t.Fatal(err)
		}
		variant = synth(t, cfg)
	})
	if variant == nil {
		t.Fatal("variant stack failed to synthesize")
	}
	return variant
}

func TestVariant(t *testing.T) {
	s := variantStack(t)
	if *s.stack.Region() != "eu-west-1" || *s.stack.Account() != "111122223333" {
		t.Errorf("env = %s/%s", *s.stack.Account(), *s.stack.Region())
	}
	s.template.ResourceCountIs(jsii.String("AWS::S3::Bucket"), jsii.Number(0))
	s.template.ResourceCountIs(jsii.String("Custom::AWS"), jsii.Number(0))
	s.template.ResourceCountIs(jsii.String("AWS::SNS::Subscription"), jsii.Number(0))
	// Only the run and dead-letter alarms: no policy has an RPO.
	s.template.ResourceCountIs(jsii.String("AWS::CloudWatch::Alarm"), jsii.Number(3))
	s.template.HasResourceProperties(jsii.String("AWS::Scheduler::Schedule"), map[string]any{"State": "DISABLED"})
	s.template.HasResourceProperties(jsii.String("AWS::StepFunctions::StateMachine"), map[string]any{"StateMachineName": "Backups-Prod-run"})
	if asl := s.definition(t, "Backups-Prod-run"); asl["TimeoutSeconds"] != 36000.0 ||
		states(asl)["Snapshot targets"]["MaxConcurrency"] != 10.0 {
		t.Errorf("run: timeout %v, concurrency %v", asl["TimeoutSeconds"], states(asl)["Snapshot targets"]["MaxConcurrency"])
	}
	if asl := s.definition(t, "Backups-Prod-target"); asl["TimeoutSeconds"] != 18000.0 {
		t.Errorf("target timeout %v", asl["TimeoutSeconds"])
	}
	_, plan := s.find(t, "AWS::Lambda::Function", "Description", "snapflow plan")
	env := props(plan)["Environment"].(map[string]any)["Variables"].(map[string]any)
	if env["SNAPFLOW_EXPORT_BUCKET"] != "team-exports" || env["SNAPFLOW_LOG_LEVEL"] != "debug" {
		t.Errorf("plan env = %v", env)
	}

	stmts := func(fn string) map[string]statement {
		roleID, _ := s.find(t, "AWS::IAM::Role", "Description", "snapflow "+fn+" handler")
		out := map[string]statement{}
		for _, st := range s.roleStatements(roleID) {
			out[st.Sid] = st
		}
		return out
	}
	create := stmts("create")
	want := []string{
		"arn:${AWS::Partition}:memorydb:eu-west-1:111122223333:snapshot/sf-*",
		"arn:${AWS::Partition}:memorydb:us-west-2:111122223333:snapshot/sf-*",
	}
	if got := create["MemoryDBTagOnCreate"].Resources; !slices.Equal(got, want) {
		t.Errorf("MemoryDBTagOnCreate resources = %v, want %v", got, want)
	}
	cp := stmts("copy")
	if got := cp["MemoryDBTagCopy"].Resources; !slices.Contains(got, "arn:${AWS::Partition}:memorydb:us-west-2:111122223333:snapshot/dr-*") ||
		!slices.Contains(got, "arn:${AWS::Partition}:memorydb:us-west-2:111122223333:snapshot/sfc-*") || slices.ContainsFunc(got, func(r string) bool { return strings.HasSuffix(r, "/sf-*") }) {
		t.Errorf("MemoryDBTagCopy resources = %v", got)
	}
	key := "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	if got := cp["CopyKeyUse"].Resources; !slices.Equal(got, []string{key}) {
		t.Errorf("CopyKeyUse resources = %v", got)
	}
	if c := fmt.Sprint(cp["CopyKeyGrant"].Condition); c != "map[Bool:map[kms:GrantIsForAWSResource:true]]" {
		t.Errorf("CopyKeyGrant condition = %s", c)
	}
	if _, ok := cp["CopyKeyUseByAlias"]; ok {
		t.Error("alias statement without an alias")
	}
	// copy deletes only its own copies: the copy prefixes, not sf-.
	if got := cp["MemoryDBDeleteManaged"].Resources; !slices.Contains(got, "arn:${AWS::Partition}:memorydb:us-west-2:111122223333:snapshot/dr-*") ||
		slices.ContainsFunc(got, func(r string) bool { return strings.HasSuffix(r, "/sf-*") }) {
		t.Errorf("copy MemoryDBDeleteManaged resources = %v", got)
	}
	export := stmts("export")
	if got := export["ExportBucket"].Resources; !slices.Equal(got, []string{"arn:${AWS::Partition}:s3:::team-exports"}) {
		t.Errorf("ExportBucket = %v", got)
	}
	if got := export["ExportObjects"].Resources; !slices.Equal(got, []string{"arn:${AWS::Partition}:s3:::team-exports/*"}) {
		t.Errorf("ExportObjects = %v: the export guides' object rights, on the export bucket only", got)
	}
	if _, ok := stmts("verify")["DecryptExports"]; ok {
		t.Error("verify decrypts without a KMS bucket")
	}
}

// TestKMSBucket: an SSE-KMS export bucket (MemoryDB exports only) gets a
// rotated key that MemoryDB's snapshot service may use, and verify may
// decrypt with.
func TestKMSBucket(t *testing.T) {
	cfg, err := config.Parse([]byte(`
exportBucket: {create: true, name: kms-exports, encryption: kms, versioned: false}
policies:
  - name: ledger
    schedule: rate(1 day)
    targets: [{service: memorydb, id: ledger}]
    export: {bucket: kms-exports}
`))
	if err != nil {
		t.Fatal(err)
	}
	s := synth(t, cfg)
	_, b := s.find(t, "AWS::S3::Bucket", "BucketName", "kms-exports")
	enc := fmt.Sprint(props(b)["BucketEncryption"])
	if !strings.Contains(enc, "SSEAlgorithm:aws:kms") || !strings.Contains(enc, "BucketKeyEnabled:true") {
		t.Errorf("encryption = %s", enc)
	}
	if _, ok := props(b)["VersioningConfiguration"]; ok {
		t.Error("versioned although versioned: false")
	}
	raw, _ := json.Marshal(s.resources("AWS::KMS::Key"))
	keys := string(raw)
	if !strings.Contains(keys, "memorydb-snapshot.amazonaws.com") || !strings.Contains(keys, `"EnableKeyRotation":true`) {
		t.Errorf("bucket key policy: %s", keys)
	}
	roleID, _ := s.find(t, "AWS::IAM::Role", "Description", "snapflow verify handler")
	found := false
	for _, st := range s.roleStatements(roleID) {
		if st.Sid == "DecryptExports" && slices.Equal(st.Actions, []string{"kms:Decrypt"}) {
			found = true
		}
	}
	if !found {
		t.Error("verify cannot decrypt the exports")
	}
}
