// Package stack is the snapflow CDK stack: one construct per concern
// (functions, workflow, schedules, export bucket, alerts, monitoring), each
// made by NewX(scope, id, *XProps) and exposing what the others need.
package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// FeatureFlags are the CDK feature flags the stack is written for. They live
// here rather than in cdk.json so the tests build the same template as
// `cdk synth`.
var FeatureFlags = map[string]any{
	// Server access logs are delivered through a bucket policy on the log
	// bucket, which keeps ACLs disabled there.
	"@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": true,
	// The ACL custom resource runs with the SDK bundled in the Lambda
	// runtime: installing the latest at deploy needs the npm registry.
	"@aws-cdk/customresources:installLatestAwsSdkDefault": false,
}

// NewApp returns a CDK app with FeatureFlags; outdir may be empty (the CLI
// sets it).
func NewApp(outdir string) awscdk.App {
	ctx := map[string]any{}
	for k, v := range FeatureFlags {
		ctx[k] = v
	}
	props := &awscdk.AppProps{Context: &ctx}
	if outdir != "" {
		props.Outdir = jsii.String(outdir)
	}
	return awscdk.NewApp(props)
}

// CheckNag adds the cdk-nag AwsSolutions pack to scope: unsuppressed
// findings become error and warning annotations, which fail `cdk synth`
// and the tests.
func CheckNag(scope awscdk.App) {
	awscdk.Aspects_Of(scope).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
}

// suppress records cdk-nag suppressions on construct and its children. Every
// suppression says why; appliesTo narrows it to the findings named (exact
// strings or *regexp).
func suppress(construct any, id, reason string, appliesTo ...any) {
	s := &cdknag.NagPackSuppression{Id: jsii.String(id), Reason: jsii.String(reason)}
	if len(appliesTo) > 0 {
		list := make([]any, len(appliesTo))
		for i, a := range appliesTo {
			switch v := a.(type) {
			case string:
				list[i] = jsii.String(v)
			case regex:
				list[i] = &cdknag.RegexAppliesTo{Regex: jsii.String(string(v))}
			default:
				list[i] = a
			}
		}
		s.AppliesTo = &list
	}
	cdknag.NagSuppressions_AddResourceSuppressions(construct, &[]*cdknag.NagPackSuppression{s}, jsii.Bool(true))
}

// regex is a cdk-nag appliesTo regular expression, written /.../flags.
type regex string

// retentionDays maps CloudWatch Logs retention values (the ones config
// accepts) to CDK's enum.
var retentionDays = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
	7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
	150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
	400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS, 731: awslogs.RetentionDays_TWO_YEARS,
	1096: awslogs.RetentionDays_THREE_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS, 3288: awslogs.RetentionDays_NINE_YEARS,
	3653: awslogs.RetentionDays_TEN_YEARS,
}
