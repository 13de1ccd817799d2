package stack

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/snapflow/snapflow/internal/config"
)

// TestNag: the AwsSolutions pack leaves no unsuppressed error or warning,
// and every suppression says why.
func TestNag(t *testing.T) {
	for name, s := range map[string]*synthesized{"example": exampleStack(t), "variant": variantStack(t)} {
		t.Run(name, func(t *testing.T) {
			ann := assertions.Annotations_FromStack(s.stack.Stack)
			nag := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-"))
			for _, m := range *ann.FindError(jsii.String("*"), nag) {
				t.Errorf("nag error at %s: %v", *m.Id, m.Entry.Data)
			}
			for _, m := range *ann.FindWarning(jsii.String("*"), nag) {
				t.Errorf("nag warning at %s: %v", *m.Id, m.Entry.Data)
			}
			count := 0
			for id, r := range s.json["Resources"].(map[string]any) {
				md, _ := r.(map[string]any)["Metadata"].(map[string]any)
				nagMD, _ := md["cdk_nag"].(map[string]any)
				rules, _ := nagMD["rules_to_suppress"].([]any)
				for _, rule := range rules {
					rm := rule.(map[string]any)
					count++
					if reason, _ := rm["reason"].(string); len(reason) < 20 {
						t.Errorf("%s: suppression of %v without a real reason: %q", id, rm["id"], reason)
					}
					if rm["id"] == "AwsSolutions-IAM5" && rm["applies_to"] == nil {
						t.Errorf("%s: IAM5 suppressed without applies_to", id)
					}
				}
			}
			if count == 0 {
				t.Error("no suppression found: is cdk-nag metadata written?")
			}
		})
	}
}

func TestFunctions(t *testing.T) {
	s := exampleStack(t)
	// The handlers, and the AwsCustomResource provider of the bucket ACL.
	s.template.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(len(FunctionNames)+1))
	memory := map[string]float64{"verify": 256}
	for _, name := range FunctionNames {
		t.Run(name, func(t *testing.T) {
			_, fn := s.find(t, "AWS::Lambda::Function", "Description", "snapflow "+name)
			p := props(fn)
			want := map[string]any{
				"Runtime": "provided.al2023", "Handler": "bootstrap", "Architectures": []any{"arm64"},
				"TracingConfig": map[string]any{"Mode": "Active"},
			}
			for k, v := range want {
				if fmt.Sprint(p[k]) != fmt.Sprint(v) {
					t.Errorf("%s = %v, want %v", k, p[k], v)
				}
			}
			mem := 128.0
			if m, ok := memory[name]; ok {
				mem = m
			}
			if p["MemorySize"] != mem {
				t.Errorf("MemorySize = %v, want %v", p["MemorySize"], mem)
			}
			if p["Timeout"] != *functionSpecs[name].timeout.ToSeconds(nil) {
				t.Errorf("Timeout = %v", p["Timeout"])
			}
			if _, ok := p["ReservedConcurrentExecutions"]; ok {
				t.Error("reserved concurrency set")
			}
			env := p["Environment"].(map[string]any)["Variables"].(map[string]any)
			if env["SNAPFLOW_LOG_LEVEL"] != "info" {
				t.Errorf("env = %v", env)
			}
			switch name {
			case "plan":
				if env["SNAPFLOW_EXPORT_BUCKET"] != "snapflow-exports-example" {
					t.Errorf("plan env = %v", env)
				}
			case "summary":
				if env["SNAPFLOW_METRICS_NAMESPACE"] != "Snapflow" {
					t.Errorf("summary env = %v", env)
				}
			}
			// An explicit log group with the configured retention.
			group := p["LoggingConfig"].(map[string]any)["LogGroup"].(map[string]any)["Ref"].(string)
			lg := s.json["Resources"].(map[string]any)[group].(map[string]any)
			if props(lg)["RetentionInDays"] != 30.0 {
				t.Errorf("log group %s retention = %v", group, props(lg)["RetentionInDays"])
			}
			// Its own role, with no managed policy.
			roleID := p["Role"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
			role := s.json["Resources"].(map[string]any)[roleID].(map[string]any)
			if _, ok := props(role)["ManagedPolicyArns"]; ok {
				t.Errorf("role %s has managed policies", roleID)
			}
		})
	}
}

// expectedActions are the calls each handler makes (the brief's table),
// plus the log and X-Ray writes every function has.
var expectedActions = map[string][]string{
	"plan": {"tag:GetResources", "redshift-serverless:ListNamespaces"},
	"create": {
		"elasticache:CreateSnapshot", "elasticache:DescribeSnapshots", "elasticache:DescribeReplicationGroups",
		"elasticache:DescribeCacheClusters", "elasticache:AddTagsToResource", "elasticache:CreateServerlessCacheSnapshot",
		"elasticache:DescribeServerlessCaches", "elasticache:DescribeServerlessCacheSnapshots", "elasticache:ListTagsForResource",
		"memorydb:CreateSnapshot", "memorydb:DescribeSnapshots", "memorydb:DescribeClusters", "memorydb:TagResource", "memorydb:ListTags",
		"redshift-serverless:CreateSnapshot", "redshift-serverless:GetSnapshot", "redshift-serverless:GetNamespace",
		"redshift-serverless:TagResource", "redshift-serverless:ListTagsForResource", "redshift-serverless:ListSnapshots",
		// its own failed snapshot of the slot, so that a re-run can make it again
		"elasticache:DeleteSnapshot", "elasticache:DeleteServerlessCacheSnapshot", "memorydb:DeleteSnapshot", "redshift-serverless:DeleteSnapshot",
	},
	"poll": {
		"elasticache:DescribeSnapshots", "elasticache:DescribeServerlessCacheSnapshots", "elasticache:ListTagsForResource",
		"memorydb:DescribeSnapshots", "memorydb:ListTags",
		"redshift-serverless:GetSnapshot", "redshift-serverless:ListTagsForResource",
		// the duration tag on a completed snapshot
		"elasticache:AddTagsToResource", "memorydb:TagResource", "redshift-serverless:TagResource",
	},
	"copy": {
		"elasticache:CopySnapshot", "elasticache:CopyServerlessCacheSnapshot", "elasticache:DescribeSnapshots",
		"elasticache:DescribeServerlessCacheSnapshots", "elasticache:AddTagsToResource", "elasticache:ListTagsForResource",
		"memorydb:CopySnapshot", "memorydb:DescribeSnapshots", "memorydb:TagResource", "memorydb:ListTags",
		"kms:CreateGrant", "kms:DescribeKey", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*",
		// its own failed copy of the slot
		"elasticache:DeleteSnapshot", "elasticache:DeleteServerlessCacheSnapshot", "memorydb:DeleteSnapshot",
	},
	"export": {
		"elasticache:CopySnapshot", "elasticache:ExportServerlessCacheSnapshot", "memorydb:CopySnapshot",
		"s3:GetBucketLocation", "s3:ListAllMyBuckets", "s3:ListBucket", "s3:GetBucketAcl", "s3:PutObject", "s3:GetObject",
	},
	"verify": {"s3:GetObject", "s3:ListBucket"},
	"prune": {
		"elasticache:DescribeSnapshots", "elasticache:DescribeServerlessCacheSnapshots", "elasticache:ListTagsForResource",
		"elasticache:DeleteSnapshot", "elasticache:DeleteServerlessCacheSnapshot",
		"memorydb:DescribeSnapshots", "memorydb:ListTags", "memorydb:DeleteSnapshot",
		"redshift-serverless:ListSnapshots", "redshift-serverless:ListTagsForResource",
		"redshift-serverless:DeleteSnapshot",
	},
	"summary": {},
}

var everyFunction = []string{"logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments", "xray:PutTelemetryRecords"}

// Actions that have no resource-level permission and so take Resource "*".
var starResourceOK = []string{"tag:GetResources", "redshift-serverless:ListNamespaces", "s3:ListAllMyBuckets", "xray:PutTraceSegments", "xray:PutTelemetryRecords"}

func TestRoles(t *testing.T) {
	s := exampleStack(t)
	for _, name := range FunctionNames {
		t.Run(name, func(t *testing.T) {
			roleID, _ := s.find(t, "AWS::IAM::Role", "Description", "snapflow "+name+" handler")
			stmts := s.roleStatements(roleID)
			var got []string
			for _, st := range stmts {
				if st.Effect != "Allow" {
					t.Errorf("%s: effect %s", st.Sid, st.Effect)
				}
				for _, a := range st.Actions {
					if a == "*" || strings.HasSuffix(a, ":*") {
						t.Errorf("%s: wildcard action %q", st.Sid, a)
					}
					if strings.Contains(a, "*") && a != "kms:GenerateDataKey*" {
						t.Errorf("%s: wildcard in action %q", st.Sid, a)
					}
					if !slices.Contains(got, a) {
						got = append(got, a)
					}
				}
				for _, r := range st.Resources {
					if r == "*" {
						for _, a := range st.Actions {
							if !slices.Contains(starResourceOK, a) {
								t.Errorf("%s: %s on Resource *", st.Sid, a)
							}
						}
					}
				}
			}
			want := append(slices.Clone(expectedActions[name]), everyFunction...)
			sort.Strings(got)
			sort.Strings(want)
			if !slices.Equal(got, want) {
				t.Errorf("actions:\n got %v\nwant %v", got, want)
			}
		})
	}
}

func TestRoleScoping(t *testing.T) {
	s := exampleStack(t)
	stmt := func(fn, sid string) statement {
		roleID, _ := s.find(t, "AWS::IAM::Role", "Description", "snapflow "+fn+" handler")
		for _, st := range s.roleStatements(roleID) {
			if st.Sid == sid {
				return st
			}
		}
		t.Fatalf("%s: no statement %s", fn, sid)
		return statement{}
	}
	arn := "arn:${AWS::Partition}:%s:${AWS::Region}:${AWS::AccountId}:%s"
	tests := []struct {
		fn, sid   string
		resources []string
		managed   bool
	}{
		{"create", "ElastiCacheTagOnCreate", []string{fmt.Sprintf(arn, "elasticache", "snapshot:sf-*"), fmt.Sprintf(arn, "elasticache", "serverlesscachesnapshot:sf-*")}, false},
		{"create", "MemoryDBTagOnCreate", []string{fmt.Sprintf(arn, "memorydb", "snapshot/sf-*")}, false},
		// One resource type per statement: each action only on the types
		// it is authorized on.
		{"create", "ElastiCacheReplicationGroups", []string{fmt.Sprintf(arn, "elasticache", "replicationgroup:*")}, false},
		{"create", "ElastiCacheCacheClusters", []string{fmt.Sprintf(arn, "elasticache", "cluster:*")}, false},
		{"create", "ElastiCacheCreate", []string{fmt.Sprintf(arn, "elasticache", "snapshot:sf-*")}, false},
		{"create", "ElastiCacheServerlessCreate", []string{fmt.Sprintf(arn, "elasticache", "serverlesscachesnapshot:sf-*")}, false},
		{"create", "MemoryDBClusters", []string{fmt.Sprintf(arn, "memorydb", "cluster/*")}, false},
		{"create", "RedshiftServerlessNamespaces", []string{fmt.Sprintf(arn, "redshift-serverless", "namespace/*")}, false},
		{"create", "RedshiftServerlessSnapshotsRead", []string{fmt.Sprintf(arn, "redshift-serverless", "snapshot/*")}, false},
		// create deletes only its own failed snapshot: sf-, managed.
		{"create", "ElastiCacheDeleteManaged", []string{fmt.Sprintf(arn, "elasticache", "snapshot:sf-*")}, true},
		{"create", "ElastiCacheServerlessDeleteManaged", []string{fmt.Sprintf(arn, "elasticache", "serverlesscachesnapshot:sf-*")}, true},
		{"create", "MemoryDBDeleteManaged", []string{fmt.Sprintf(arn, "memorydb", "snapshot/sf-*")}, true},
		{"create", "RedshiftServerlessDeleteManaged", []string{fmt.Sprintf(arn, "redshift-serverless", "snapshot/*")}, true},
		{"copy", "ElastiCacheTagCopy", []string{fmt.Sprintf(arn, "elasticache", "snapshot:sfc-*"), fmt.Sprintf(arn, "elasticache", "serverlesscachesnapshot:sfc-*")}, false},
		{"copy", "ElastiCacheCopy", []string{fmt.Sprintf(arn, "elasticache", "snapshot:sf-*"), fmt.Sprintf(arn, "elasticache", "snapshot:sfc-*")}, false},
		// copy deletes only its own failed copy: the copy prefixes, managed.
		{"copy", "ElastiCacheDeleteManaged", []string{fmt.Sprintf(arn, "elasticache", "snapshot:sfc-*")}, true},
		{"copy", "ElastiCacheServerlessDeleteManaged", []string{fmt.Sprintf(arn, "elasticache", "serverlesscachesnapshot:sfc-*")}, true},
		{"copy", "MemoryDBDeleteManaged", []string{fmt.Sprintf(arn, "memorydb", "snapshot/sfc-*")}, true},
		{"prune", "ElastiCacheDeleteManaged", []string{fmt.Sprintf(arn, "elasticache", "snapshot:sf-*"), fmt.Sprintf(arn, "elasticache", "snapshot:sfc-*")}, true},
		{"prune", "ElastiCacheServerlessDeleteManaged", []string{
			fmt.Sprintf(arn, "elasticache", "serverlesscachesnapshot:sf-*"), fmt.Sprintf(arn, "elasticache", "serverlesscachesnapshot:sfc-*"),
		}, true},
		{"prune", "MemoryDBDeleteManaged", []string{fmt.Sprintf(arn, "memorydb", "snapshot/sf-*"), fmt.Sprintf(arn, "memorydb", "snapshot/sfc-*")}, true},
		{"prune", "RedshiftServerlessDeleteManaged", []string{fmt.Sprintf(arn, "redshift-serverless", "snapshot/*")}, true},
		// export exports the slot's snapshot (sf-) only.
		{"export", "ElastiCacheExport", []string{fmt.Sprintf(arn, "elasticache", "snapshot:sf-*")}, false},
		{"export", "ElastiCacheServerlessExport", []string{fmt.Sprintf(arn, "elasticache", "serverlesscachesnapshot:sf-*")}, false},
		{"export", "MemoryDBExport", []string{fmt.Sprintf(arn, "memorydb", "snapshot/sf-*")}, false},
		{"export", "ExportBucket", []string{"arn:${AWS::Partition}:s3:::snapflow-exports-example"}, false},
		{"export", "ExportObjects", []string{"arn:${AWS::Partition}:s3:::snapflow-exports-example/*"}, false},
		{"export", "ExportFindBucket", []string{"*"}, false},
		{"verify", "ReadExports", []string{"arn:${AWS::Partition}:s3:::snapflow-exports-example/*"}, false},
		{"copy", "CopyKeyUseByAlias", []string{fmt.Sprintf(arn, "kms", "key/*")}, false},
	}
	for _, tt := range tests {
		st := stmt(tt.fn, tt.sid)
		if !slices.Equal(st.Resources, tt.resources) {
			t.Errorf("%s %s resources:\n got %v\nwant %v", tt.fn, tt.sid, st.Resources, tt.resources)
		}
		cond := fmt.Sprint(st.Condition)
		if tt.managed != (cond == "map[StringEquals:map[aws:ResourceTag/snapflow:managed:true]]") {
			t.Errorf("%s %s condition = %s", tt.fn, tt.sid, cond)
		}
	}
	if c := fmt.Sprint(stmt("copy", "CopyKeyUseByAlias").Condition); c != "map[ForAnyValue:StringEquals:map[kms:ResourceAliases:[alias/snapflow-copies]]]" {
		t.Errorf("copy key alias condition = %s", c)
	}
	if c := fmt.Sprint(stmt("copy", "CopyKeyGrantByAlias").Condition); !strings.Contains(c, "kms:GrantIsForAWSResource:true") {
		t.Errorf("CreateGrant condition = %s", c)
	}
}

func TestStateMachineRoles(t *testing.T) {
	s := exampleStack(t)
	actions := func(name string) []string {
		_, sm := s.find(t, "AWS::StepFunctions::StateMachine", "StateMachineName", name)
		roleID := props(sm)["RoleArn"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
		var out []string
		for _, st := range s.roleStatements(roleID) {
			for _, a := range st.Actions {
				if a == "*" {
					t.Errorf("%s: action *", name)
				}
				out = append(out, a+" "+strings.Join(st.Resources, ","))
			}
		}
		return out
	}
	run := strings.Join(actions("Snapflow-run"), "\n")
	for _, want := range []string{
		"lambda:InvokeFunction ${FunctionsplanB1ACF0E1.Arn}",
		"states:StartExecution ${WorkflowTarget2400A30A}",
		"states:DescribeExecution arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:",
		"events:PutTargets arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule",
		"events:PutEvents arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default",
		"sns:Publish ${AlertsTopic",
		"kms:GenerateDataKey* ${AlertsKey",
		"xray:PutTraceSegments *",
		"logs:CreateLogDelivery *",
	} {
		if !strings.Contains(run, want) {
			t.Errorf("run role lacks %q:\n%s", want, run)
		}
	}
	target := strings.Join(actions("Snapflow-target"), "\n")
	for _, fn := range []string{"create", "poll", "copy", "export", "verify", "prune"} {
		if !strings.Contains(target, "lambda:InvokeFunction ${Functions"+fn) {
			t.Errorf("target role cannot invoke %s:\n%s", fn, target)
		}
	}
	if strings.Contains(target, "Functionsplan") || strings.Contains(target, "Functionssummary") {
		t.Errorf("target role invokes plan or summary:\n%s", target)
	}
}

func TestSchedules(t *testing.T) {
	s := exampleStack(t)
	cfg := exampleConfig(t)
	s.template.ResourceCountIs(jsii.String("AWS::Scheduler::Schedule"), jsii.Number(len(cfg.Policies)))
	schedulerRole, _ := s.find(t, "AWS::IAM::Role", "Description", "snapflow schedules: start a run")
	for _, p := range cfg.Policies {
		_, r := s.find(t, "AWS::Scheduler::Schedule", "Description", "snapflow policy "+p.Name)
		sp := props(r)
		if sp["ScheduleExpression"] != p.Schedule || sp["ScheduleExpressionTimezone"] != p.ScheduleTimeZone || sp["State"] != "ENABLED" {
			t.Errorf("%s: %v", p.Name, sp)
		}
		window := sp["FlexibleTimeWindow"].(map[string]any)
		if p.FlexibleWindowMinutes == 0 && window["Mode"] != "OFF" ||
			p.FlexibleWindowMinutes > 0 && (window["Mode"] != "FLEXIBLE" || window["MaximumWindowInMinutes"] != float64(p.FlexibleWindowMinutes)) {
			t.Errorf("%s: window %v", p.Name, window)
		}
		target := sp["Target"].(map[string]any)
		if flatten(target["Arn"]) != "${WorkflowRunFC1E545A}" || flatten(target["RoleArn"]) != "${"+schedulerRole+".Arn}" {
			t.Errorf("%s: target %v", p.Name, target)
		}
		if _, ok := target["DeadLetterConfig"].(map[string]any)["Arn"]; !ok {
			t.Errorf("%s: no dead-letter queue", p.Name)
		}
		retry := target["RetryPolicy"].(map[string]any)
		if retry["MaximumRetryAttempts"] != 10.0 || retry["MaximumEventAgeInSeconds"] != 3600.0 {
			t.Errorf("%s: retry %v", p.Name, retry)
		}
		input := target["Input"].(string)
		if !strings.Contains(input, `"scheduledTime":"<aws.scheduler.scheduled-time>"`) {
			t.Errorf("%s: input lacks the scheduled time: %s", p.Name, input)
		}
		var got, want map[string]any
		json.Unmarshal([]byte(input), &got)
		wantJSON, _ := p.Input(config.ScheduledTimePlaceholder)
		json.Unmarshal(wantJSON, &want)
		if fmt.Sprint(got) != fmt.Sprint(want) || got["name"] != p.Name {
			t.Errorf("%s: input\n got %v\nwant %v", p.Name, got, want)
		}
	}
	// The scheduler's role may only start the run and dead-letter.
	var got []string
	for _, st := range s.roleStatements(schedulerRole) {
		got = append(got, strings.Join(st.Actions, ",")+" "+strings.Join(st.Resources, ","))
	}
	want := []string{"states:StartExecution ${WorkflowRunFC1E545A}", "sqs:SendMessage ${SchedulesDeadLetters"}
	if len(got) != 2 || got[0] != want[0] || !strings.HasPrefix(got[1], want[1]) {
		t.Errorf("scheduler role statements = %v", got)
	}
	role := props(s.json["Resources"].(map[string]any)[schedulerRole].(map[string]any))
	trust := fmt.Sprint(role["AssumeRolePolicyDocument"])
	if !strings.Contains(trust, "scheduler.amazonaws.com") || !strings.Contains(trust, "aws:SourceAccount") {
		t.Errorf("scheduler trust = %s", trust)
	}
	// The dead-letter queue: SSE and TLS only.
	s.template.HasResourceProperties(jsii.String("AWS::SQS::Queue"), map[string]any{"SqsManagedSseEnabled": true})
	s.template.HasResourceProperties(jsii.String("AWS::SQS::QueuePolicy"), map[string]any{
		"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{map[string]any{
			"Effect": "Deny", "Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
			"Action": "sqs:*", "Principal": map[string]any{"AWS": "*"},
			"Resource": assertions.Match_AnyValue(),
		}})},
	})
}

func TestRunRequestedRules(t *testing.T) {
	s := exampleStack(t)
	cfg := exampleConfig(t)
	for _, p := range cfg.Policies {
		_, r := s.find(t, "AWS::Events::Rule", "EventPattern", map[string]any{
			"source": []any{"snapflow"}, "detail-type": []any{"Snapflow Run Requested"},
			"detail": map[string]any{"policy": []any{p.Name}},
		})
		targets := props(r)["Targets"].([]any)
		if len(targets) != 1 {
			t.Fatalf("%s: %d targets", p.Name, len(targets))
		}
		target := targets[0].(map[string]any)
		if flatten(target["Arn"]) != "${WorkflowRunFC1E545A}" || target["DeadLetterConfig"] == nil || target["RoleArn"] == nil {
			t.Errorf("%s: target %v", p.Name, target)
		}
		var got, want map[string]any
		json.Unmarshal([]byte(target["Input"].(string)), &got)
		wantJSON, _ := p.Input("")
		json.Unmarshal(wantJSON, &want)
		if _, ok := got["scheduledTime"]; ok || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: input\n got %v\nwant %v", p.Name, got, want)
		}
	}
}

func TestExportBucket(t *testing.T) {
	s := exampleStack(t)
	_, b := s.find(t, "AWS::S3::Bucket", "BucketName", "snapflow-exports-example")
	p := props(b)
	checks := map[string]string{
		"PublicAccessBlockConfiguration": "map[BlockPublicAcls:true BlockPublicPolicy:true IgnorePublicAcls:true RestrictPublicBuckets:true]",
		"VersioningConfiguration":        "map[Status:Enabled]",
		"OwnershipControls":              "map[Rules:[map[ObjectOwnership:BucketOwnerPreferred]]]",
		"BucketEncryption":               "map[ServerSideEncryptionConfiguration:[map[ServerSideEncryptionByDefault:map[SSEAlgorithm:AES256]]]]",
	}
	for k, want := range checks {
		if got := fmt.Sprint(p[k]); got != want {
			t.Errorf("%s = %s, want %s", k, got, want)
		}
	}
	if b["DeletionPolicy"] != "Retain" {
		t.Errorf("DeletionPolicy = %v", b["DeletionPolicy"])
	}
	rules := fmt.Sprint(p["LifecycleConfiguration"])
	for _, want := range []string{"ExpirationInDays:90", "NoncurrentDays:30", "DaysAfterInitiation:7"} {
		if !strings.Contains(rules, want) {
			t.Errorf("lifecycle %s lacks %s", rules, want)
		}
	}
	if _, ok := p["LoggingConfiguration"].(map[string]any)["DestinationBucketName"]; !ok {
		t.Errorf("no server access logs: %v", p["LoggingConfiguration"])
	}

	// Bucket policy: TLS only, and the two snapshot services of the region
	// for this account.
	var doc string
	for _, r := range s.resources("AWS::S3::BucketPolicy") {
		if fmt.Sprint(props(r)["Bucket"]) == fmt.Sprint(map[string]any{"Ref": idOf(s, b)}) {
			raw, _ := json.Marshal(props(r)["PolicyDocument"])
			doc = string(raw)
		}
	}
	var policy struct{ Statement []map[string]any }
	json.Unmarshal([]byte(doc), &policy)
	var tls, services bool
	for _, st := range policy.Statement {
		ps := parseStatement(st)
		if ps.Effect == "Deny" && fmt.Sprint(ps.Condition) == "map[Bool:map[aws:SecureTransport:false]]" {
			tls = true
		}
		if ps.Sid == "SnapshotServicesExport" {
			services = true
			var principals string
			for _, svc := range st["Principal"].(map[string]any)["Service"].([]any) {
				principals += flatten(svc) + " "
			}
			for _, svc := range []string{"${AWS::Region}.elasticache-snapshot.amazonaws.com", "${AWS::Region}.memorydb-snapshot.amazonaws.com"} {
				if !strings.Contains(principals, svc) {
					t.Errorf("principals %s lack %s", principals, svc)
				}
			}
			wantActions := slices.Clone(snapshotServiceActions)
			got := slices.Clone(ps.Actions)
			sort.Strings(wantActions)
			sort.Strings(got)
			if !slices.Equal(got, wantActions) {
				t.Errorf("service actions = %v", got)
			}
			if len(ps.Resources) != 2 || !strings.HasSuffix(ps.Resources[1], "/*") {
				t.Errorf("service resources = %v", ps.Resources)
			}
			if c := fmt.Sprint(ps.Condition); c != "map[StringEquals:map[aws:SourceAccount:map[Ref:AWS::AccountId]]]" {
				t.Errorf("service condition = %s", c)
			}
		}
	}
	if !tls || !services {
		t.Errorf("bucket policy: tls %v, services %v: %s", tls, services, doc)
	}

	// The ACL grant to ElastiCache's canonical user keeps the owner's.
	var create map[string]any
	for _, r := range s.resources("Custom::AWS") {
		c := flatten(props(r)["Create"])
		if strings.Contains(c, "putBucketAcl") {
			json.Unmarshal([]byte(c), &create)
			if deps := fmt.Sprint(r["DependsOn"]); !strings.Contains(deps, "ExportBucketBucketOwner") || !strings.Contains(deps, "ExportBucketBucket") {
				t.Errorf("ACL DependsOn = %s", deps)
			}
		}
	}
	params, _ := create["parameters"].(map[string]any)
	grant := "id=" + ElastiCacheCanonicalUser
	if params["GrantRead"] != grant || params["GrantWrite"] != grant || params["GrantReadACP"] != grant ||
		!strings.HasPrefix(fmt.Sprint(params["GrantFullControl"]), "id=${ExportBucketBucketOwner") {
		t.Errorf("putBucketAcl parameters = %v", params)
	}
}

func idOf(s *synthesized, r map[string]any) string {
	for id, res := range s.json["Resources"].(map[string]any) {
		if fmt.Sprint(res) == fmt.Sprint(r) {
			return id
		}
	}
	return ""
}

func TestAlerts(t *testing.T) {
	s := exampleStack(t)
	s.template.HasResourceProperties(jsii.String("AWS::SNS::Topic"), map[string]any{
		"KmsMasterKeyId": assertions.Match_ObjectLike(&map[string]any{"Fn::GetAtt": assertions.Match_AnyValue()}),
	})
	s.template.HasResourceProperties(jsii.String("AWS::KMS::Key"), map[string]any{"EnableKeyRotation": true})
	s.template.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), map[string]any{
		"Protocol": "email", "Endpoint": "oncall@example.com",
	})
	s.template.HasResourceProperties(jsii.String("AWS::SNS::TopicPolicy"), map[string]any{
		"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
			"Effect": "Deny", "Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
		})})},
	})
	raw, _ := json.Marshal(s.resources("AWS::KMS::Key"))
	keyPolicy := string(raw)
	if !strings.Contains(keyPolicy, "cloudwatch.amazonaws.com") {
		t.Error("the topic key does not let CloudWatch alarms publish")
	}
}

func TestAlarms(t *testing.T) {
	s := exampleStack(t)
	alarm := func(name string) map[string]any {
		_, r := s.find(t, "AWS::CloudWatch::Alarm", "AlarmName", name)
		p := props(r)
		if fmt.Sprint(p["AlarmActions"]) != "[map[Ref:AlertsTopicCF7C81C9]]" {
			t.Errorf("%s: actions %v", name, p["AlarmActions"])
		}
		return p
	}
	for name, metric := range map[string]string{"Snapflow-run-failed": "ExecutionsFailed", "Snapflow-run-timed-out": "ExecutionsTimedOut"} {
		p := alarm(name)
		if p["MetricName"] != metric || p["Namespace"] != "AWS/States" || p["Threshold"] != 1.0 {
			t.Errorf("%s: %v", name, p)
		}
	}
	if p := alarm("Snapflow-start-failed"); p["MetricName"] != "ApproximateNumberOfMessagesVisible" {
		t.Errorf("start-failed: %v", p)
	}
	tests := []struct {
		name            string
		dims            string
		period, periods float64
	}{
		{"Snapflow-rpo-nightly", "[map[Name:Policy Value:nightly]]", 3600, 26},
		{"Snapflow-rpo-nightly-elasticache/web-sessions", "[map[Name:Policy Value:nightly] map[Name:Target Value:elasticache/web-sessions]]", 3600, 26},
		{"Snapflow-rpo-nightly-elasticache/cache-cluster/web-ratelimit-0001", "", 3600, 26},
		{"Snapflow-rpo-nightly-elasticache-serverless/search-cache", "", 3600, 26},
		{"Snapflow-rpo-nightly-redshift-serverless/reporting", "", 3600, 26},
		{"Snapflow-rpo-ledger-3h", "", 14400, 1},
		{"Snapflow-rpo-ledger-3h-memorydb/orders-ledger", "", 14400, 1},
		{"Snapflow-rpo-tagged-weekly", "[map[Name:Policy Value:tagged-weekly]]", 3600, 168},
	}
	for _, tt := range tests {
		p := alarm(tt.name)
		if p["Namespace"] != "Snapflow" || p["MetricName"] != "SnapshotsSucceeded" || p["Statistic"] != "Sum" ||
			p["ComparisonOperator"] != "LessThanThreshold" || p["Threshold"] != 1.0 || p["TreatMissingData"] != "breaching" ||
			p["Period"] != tt.period || p["EvaluationPeriods"] != tt.periods || p["DatapointsToAlarm"] != tt.periods {
			t.Errorf("%s: %v", tt.name, p)
		}
		if tt.period*tt.periods > 604800 || tt.period < 3600 && tt.period*tt.periods > 86400 {
			t.Errorf("%s: evaluates %v s, beyond CloudWatch's limit", tt.name, tt.period*tt.periods)
		}
		if tt.dims != "" && fmt.Sprint(p["Dimensions"]) != tt.dims {
			t.Errorf("%s: dimensions %v", tt.name, p["Dimensions"])
		}
	}
	// Three state machine / queue alarms and one RPO alarm per policy and
	// per explicit target of a policy with an RPO.
	s.template.ResourceCountIs(jsii.String("AWS::CloudWatch::Alarm"), jsii.Number(3+len(tests)))
	s.template.ResourceCountIs(jsii.String("AWS::CloudWatch::Dashboard"), jsii.Number(1))
}

func TestRPOWindow(t *testing.T) {
	tests := []struct{ rpo, period, n int }{
		{1, 60, 1}, {180, 10800, 1}, {1440, 86400, 1}, {1441, 3600, 25}, {1560, 3600, 26}, {10080, 3600, 168},
	}
	for _, tt := range tests {
		period, n := RPOWindow(tt.rpo)
		if period != tt.period || n != tt.n {
			t.Errorf("RPOWindow(%d) = %d, %d; want %d, %d", tt.rpo, period, n, tt.period, tt.n)
		}
		if period*n < tt.rpo*60 || period*n > 604800 || period < 3600 && period*n > 86400 {
			t.Errorf("RPOWindow(%d) = %d × %d: wrong window or beyond CloudWatch's limits", tt.rpo, period, n)
		}
	}
}

func TestCheckAssets(t *testing.T) {
	dir := dummyAssets(t)
	if err := CheckAssets(dir); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, "prune.zip"))
	if err := CheckAssets(dir); err == nil || !strings.Contains(err.Error(), "prune.zip") || !strings.Contains(err.Error(), "make build") {
		t.Fatalf("err = %v", err)
	}
}

var exampleCfg *config.Config

func exampleConfig(t *testing.T) *config.Config {
	t.Helper()
	if exampleCfg == nil {
		cfg, err := config.Load(filepath.Join("..", "..", config.DefaultFile))
		if err != nil {
			t.Fatal(err)
		}
		exampleCfg = cfg
	}
	return exampleCfg
}
