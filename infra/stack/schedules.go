package stack

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	sfn "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/snapflow/snapflow/internal/config"
)

// Run Requested events: another system asks for a run of a policy with one
// PutEvents call on the default bus (docs/deploy.md).
const (
	EventSource       = "snapflow"
	RunRequested      = "Snapflow Run Requested"
	RunCompleted      = "Snapflow Run Completed"
	startRetries      = 10
	startMaxEventAge  = 3600 // seconds: a run that cannot start within the hour is left to the next slot
	deadLetterRetains = 14   // days, SQS's maximum
)

// SchedulesProps configures NewSchedules.
type SchedulesProps struct {
	Policies     []config.Policy
	StateMachine sfn.IStateMachine
}

// Schedules starts runs: one EventBridge Scheduler schedule per policy and
// one EventBridge rule per policy for Run Requested events, both with a
// dead-letter queue for starts that fail after their retries.
type Schedules struct {
	constructs.Construct
	Schedules       map[string]awsscheduler.CfnSchedule
	Rules           map[string]awsevents.Rule
	DeadLetterQueue awssqs.Queue
	// SchedulerRole may only start the run state machine and send to the
	// dead-letter queue.
	SchedulerRole awsiam.Role
}

// NewSchedules makes the schedules, rules and dead-letter queue.
func NewSchedules(scope constructs.Construct, id string, props *SchedulesProps) *Schedules {
	c := constructs.NewConstruct(scope, jsii.String(id))
	stack := awscdk.Stack_Of(c)
	s := &Schedules{Construct: c, Schedules: map[string]awsscheduler.CfnSchedule{}, Rules: map[string]awsevents.Rule{}}

	s.DeadLetterQueue = awssqs.NewQueue(c, jsii.String("DeadLetters"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(deadLetterRetains)),
	})
	suppress(s.DeadLetterQueue, "AwsSolutions-SQS3", "This queue is the dead-letter queue of the schedules and Run Requested rules.")

	// "Set up the execution role", EventBridge Scheduler User Guide: trust
	// scheduler.amazonaws.com for this account's schedules only.
	s.SchedulerRole = awsiam.NewRole(c, jsii.String("SchedulerRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("scheduler.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": stack.Account()}},
		}),
		Description: jsii.String("snapflow schedules: start a run"),
	})
	s.SchedulerRole.AddToPolicy(allow("StartRun", []string{"states:StartExecution"}, []string{*props.StateMachine.StateMachineArn()}))
	s.SchedulerRole.AddToPolicy(allow("DeadLetter", []string{"sqs:SendMessage"}, []string{*s.DeadLetterQueue.QueueArn()}))

	eventsRole := awsiam.NewRole(c, jsii.String("RuleRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil),
		Description: jsii.String("snapflow Run Requested rules: start a run"),
	})

	for i, p := range props.Policies {
		input, err := p.Input(config.ScheduledTimePlaceholder)
		if err != nil {
			panic(fmt.Sprintf("policies[%d]: %v", i, err)) // config.Parse already encoded it
		}
		window := &awsscheduler.CfnSchedule_FlexibleTimeWindowProperty{Mode: jsii.String("OFF")}
		if p.FlexibleWindowMinutes > 0 {
			window = &awsscheduler.CfnSchedule_FlexibleTimeWindowProperty{
				Mode:                   jsii.String("FLEXIBLE"),
				MaximumWindowInMinutes: jsii.Number(float64(p.FlexibleWindowMinutes)),
			}
		}
		state := "ENABLED"
		if !p.Enabled() {
			state = "DISABLED"
		}
		s.Schedules[p.Name] = awsscheduler.NewCfnSchedule(c, jsii.String("Schedule-"+p.Name), &awsscheduler.CfnScheduleProps{
			Description:                jsii.String("snapflow policy " + p.Name),
			ScheduleExpression:         jsii.String(p.Schedule),
			ScheduleExpressionTimezone: jsii.String(p.ScheduleTimeZone),
			FlexibleTimeWindow:         window,
			State:                      jsii.String(state),
			Target: &awsscheduler.CfnSchedule_TargetProperty{
				Arn:     props.StateMachine.StateMachineArn(),
				RoleArn: s.SchedulerRole.RoleArn(),
				Input:   jsii.String(string(input)),
				RetryPolicy: &awsscheduler.CfnSchedule_RetryPolicyProperty{
					MaximumRetryAttempts:     jsii.Number(startRetries),
					MaximumEventAgeInSeconds: jsii.Number(startMaxEventAge),
				},
				DeadLetterConfig: &awsscheduler.CfnSchedule_DeadLetterConfigProperty{Arn: s.DeadLetterQueue.QueueArn()},
			},
		})

		// The rule's input is the policy without a scheduled time: the slot
		// of a requested run is its execution's start time.
		manual, _ := p.Input("")
		var doc map[string]any
		if err := json.Unmarshal(manual, &doc); err != nil {
			panic(err)
		}
		s.Rules[p.Name] = awsevents.NewRule(c, jsii.String("RunRequested-"+p.Name), &awsevents.RuleProps{
			Description: jsii.String("snapflow: run policy " + p.Name + " on a " + RunRequested + " event"),
			EventPattern: &awsevents.EventPattern{
				Source:     jsii.Strings(EventSource),
				DetailType: jsii.Strings(RunRequested),
				Detail:     &map[string]any{"policy": []string{p.Name}},
			},
			Targets: &[]awsevents.IRuleTarget{awseventstargets.NewSfnStateMachine(props.StateMachine, &awseventstargets.SfnStateMachineProps{
				Input:           awsevents.RuleTargetInput_FromObject(doc),
				Role:            eventsRole,
				DeadLetterQueue: s.DeadLetterQueue,
				RetryAttempts:   jsii.Number(startRetries),
				MaxEventAge:     awscdk.Duration_Seconds(jsii.Number(startMaxEventAge)),
			})},
		})
	}
	return s
}
