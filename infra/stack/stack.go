package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/snapflow/snapflow/internal/config"
)

// Props configures New.
type Props struct {
	awscdk.StackProps
	// Config is the loaded snapflow.yaml.
	Config *config.Config
	// AssetsDir holds the handler zips (build/functions).
	AssetsDir string
}

// Stack is the snapflow stack.
type Stack struct {
	awscdk.Stack
	Functions    *Functions
	ExportBucket *ExportBucket // nil without exportBucket in the config
	Alerts       *Alerts
	Workflow     *Workflow
	Schedules    *Schedules
	Monitoring   *Monitoring
}

// New makes the stack from a validated configuration.
func New(scope constructs.Construct, id string, props *Props) *Stack {
	cfg := props.Config
	sp := props.StackProps
	if sp.Env == nil && (cfg.Region != "" || cfg.Account != "") {
		sp.Env = &awscdk.Environment{}
		if cfg.Region != "" {
			sp.Env.Region = jsii.String(cfg.Region)
		}
		if cfg.Account != "" {
			sp.Env.Account = jsii.String(cfg.Account)
		}
	}
	if sp.Description == nil {
		sp.Description = jsii.String("snapflow: scheduled snapshots, copies, S3 exports and retention for ElastiCache, MemoryDB and Redshift Serverless")
	}
	st := awscdk.NewStack(scope, jsii.String(id), &sp)
	s := &Stack{Stack: st}
	retention := retentionDays[cfg.LogRetentionDays]

	var bucketKey awskms.IKey
	if cfg.ExportBucket != nil {
		s.ExportBucket = NewExportBucket(st, "ExportBucket", &ExportBucketProps{Config: cfg.ExportBucket, LogRetention: retention})
		bucketKey = s.ExportBucket.Key
	}
	prefixes := cfg.SnapshotPrefixes()
	var copyPrefixes []string
	for _, p := range prefixes {
		if p != "sf" {
			copyPrefixes = append(copyPrefixes, p)
		}
	}
	s.Functions = NewFunctions(st, "Functions", &FunctionsProps{
		AssetsDir:    props.AssetsDir,
		LogRetention: retention,
		LogLevel:     cfg.LogLevel,
		ExportBucket: cfg.ExportBucket.BucketName(),
		Scope: Scope{
			arns:         newARNs(st, cfg.TargetRegions()),
			Prefixes:     prefixes,
			CopyPrefixes: copyPrefixes,
			Buckets:      cfg.ExportBuckets(),
			BucketKey:    bucketKey,
			CopyKeys:     cfg.CopyKeys(),
		},
	})
	s.Alerts = NewAlerts(st, "Alerts", &AlertsProps{Email: cfg.AlarmEmail})
	s.Workflow = NewWorkflow(st, "Workflow", &WorkflowProps{
		Functions:      s.Functions,
		Topic:          s.Alerts.Topic,
		TopicKey:       s.Alerts.Key,
		StackName:      cfg.StackName,
		RunTimeout:     awscdk.Duration_Minutes(jsii.Number(float64(cfg.RunTimeoutMinutes))),
		TargetTimeout:  awscdk.Duration_Minutes(jsii.Number(float64(cfg.TargetTimeoutMinutes))),
		MaxConcurrency: cfg.MaxConcurrency,
		LogRetention:   retention,
	})
	suppressWorkflow(s.Workflow)
	s.Schedules = NewSchedules(st, "Schedules", &SchedulesProps{Policies: cfg.Policies, StateMachine: s.Workflow.Run})
	s.Monitoring = NewMonitoring(st, "Monitoring", &MonitoringProps{
		StackName:       cfg.StackName,
		Policies:        cfg.Policies,
		Run:             s.Workflow.Run,
		Target:          s.Workflow.Target,
		Functions:       s.Functions,
		DeadLetterQueue: s.Schedules.DeadLetterQueue,
		Topic:           s.Alerts.Topic,
	})
	suppressProviders(st)

	out := func(id, desc string, value *string) {
		awscdk.NewCfnOutput(st, jsii.String(id), &awscdk.CfnOutputProps{Value: value, Description: jsii.String(desc)})
	}
	out("RunStateMachineArn", "Start a run: aws stepfunctions start-execution --state-machine-arn <this> --input file://events/samples/memorydb.json", s.Workflow.Run.StateMachineArn())
	out("TargetStateMachineArn", "One target's sub-workflow (started by runs)", s.Workflow.Target.StateMachineArn())
	out("AlertTopicArn", "Failed runs and alarms", s.Alerts.Topic.TopicArn())
	out("DeadLetterQueueUrl", "Schedule and rule starts that failed", s.Schedules.DeadLetterQueue.QueueUrl())
	out("DashboardName", "CloudWatch dashboard", s.Monitoring.Dashboard.DashboardName())
	if s.ExportBucket != nil {
		out("ExportBucketName", "Where exports go", jsii.String(s.ExportBucket.Name))
	}
	return s
}

// suppressProviders covers the Lambda function CDK adds for the export
// bucket's ACL custom resource (AwsCustomResource's singleton provider).
func suppressProviders(st awscdk.Stack) {
	for _, child := range *st.Node().Children() {
		id := *child.Node().Id()
		if len(id) < 6 || id[:6] != "AWS679" { // AwsCustomResource's singleton provider
			continue
		}
		suppress(child, "AwsSolutions-IAM4",
			"CDK's AwsCustomResource provider role; AWSLambdaBasicExecutionRole only lets it write its own logs.",
			regex(`/^Policy::arn:<AWS::Partition>:iam::aws:policy\/service-role\/AWSLambdaBasicExecutionRole$/g`))
	}
}
