package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	sfn "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctionstasks"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/snapflow/snapflow/internal/errclass"
)

// Error names the workflow matches (internal/errclass is the source).
var (
	// retryable are retried with exponential backoff and full jitter: the
	// handlers' retryable classes, the Lambda service's transient errors,
	// and a task that outlived its TimeoutSeconds.
	retryable = []string{
		string(errclass.Throttled), string(errclass.Transient),
		"Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException",
		"Lambda.TooManyRequestsException", "States.Timeout",
	}
	// busy is a source in a state that rejects the call (snapshotting,
	// modifying, in maintenance): that takes minutes, not seconds.
	busy = []string{string(errclass.TargetBusy)}
	// crashed is a handler that did not answer: its process exited
	// (Runtime.ExitError), or it ran out of time (Sandbox.Timedout) — the
	// error types Lambda reports for both ("Troubleshoot invocation issues
	// in Lambda", Lambda Developer Guide);
	// Lambda.Unknown is how Step Functions reports an unhandled Lambda
	// error it cannot name, out-of-memory and timeouts included ("Handle
	// Lambda service exceptions", Step Functions Developer Guide). Every
	// handler is idempotent (a create, copy or export finds what an earlier
	// attempt started and resumes it; a prune finds what is already gone),
	// so a few attempts are safe; a handler that crashes every time still
	// fails the target after them.
	crashed = []string{"Runtime.ExitError", "Sandbox.Timedout", "Lambda.Unknown"}
)

// TargetsFailed is the error a run ends with when any target failed.
const TargetsFailed = "Snapflow.TargetsFailed"

// WorkflowProps configures NewWorkflow.
type WorkflowProps struct {
	Functions *Functions
	// Topic and TopicKey receive the failure notification.
	Topic    awssns.ITopic
	TopicKey awskms.IKey
	// StackName prefixes the state machine names.
	StackName string
	// RunTimeout and TargetTimeout are the executions' timeouts.
	RunTimeout, TargetTimeout awscdk.Duration
	// MaxConcurrency is the Map's MaxConcurrency.
	MaxConcurrency int
	LogRetention   awslogs.RetentionDays
}

// Workflow is the two Standard state machines, in JSONPath (no JSONata, no
// Assign: aws-local-stepfunctions runs the same definitions and ignores
// both). Run (<stack>-run) plans a policy and starts Target
// (<stack>-target) once per target; see docs/architecture.md, "Workflow".
type Workflow struct {
	constructs.Construct
	Run, Target sfn.StateMachine
}

// NewWorkflow makes both state machines.
func NewWorkflow(scope constructs.Construct, id string, props *WorkflowProps) *Workflow {
	c := constructs.NewConstruct(scope, jsii.String(id))
	w := &Workflow{Construct: c}
	w.Target = newTargetMachine(c, props)
	w.Run = newRunMachine(c, props, w.Target)
	return w
}

// lambdaTask invokes a handler with the whole state as its payload and
// makes the handler's return value (Payload of the Invoke result) the
// state, retrying as described at retryable, busy and crashed.
func lambdaTask(scope constructs.Construct, name string, fns *Functions, fn string, payload sfn.TaskInput) awsstepfunctionstasks.LambdaInvoke {
	if payload == nil {
		payload = sfn.TaskInput_FromJsonPathAt(jsii.String("$"))
	}
	t := awsstepfunctionstasks.NewLambdaInvoke(scope, jsii.String(name), &awsstepfunctionstasks.LambdaInvokeProps{
		LambdaFunction:           fns.Function[fn],
		Payload:                  payload,
		OutputPath:               jsii.String("$.Payload"),
		RetryOnServiceExceptions: jsii.Bool(false), // ours below, with jitter
		// A little over the function's own timeout: States.Timeout then
		// means the invocation was lost, and is retried.
		TaskTimeout: sfn.Timeout_Duration(fns.Timeout(fn).Plus(awscdk.Duration_Seconds(jsii.Number(30)))),
	})
	// Exponential backoff with full jitter, doubling up to maxDelay.
	for _, r := range []struct {
		errors             []string
		interval, maxDelay awscdk.Duration
		attempts           float64
	}{
		{busy, awscdk.Duration_Seconds(jsii.Number(60)), awscdk.Duration_Minutes(jsii.Number(15)), 6},
		{retryable, awscdk.Duration_Seconds(jsii.Number(2)), awscdk.Duration_Seconds(jsii.Number(60)), 6},
		{crashed, awscdk.Duration_Seconds(jsii.Number(5)), awscdk.Duration_Seconds(jsii.Number(60)), 3},
	} {
		t.AddRetry(&sfn.RetryProps{
			Errors:         jsii.Strings(r.errors...),
			Interval:       r.interval,
			BackoffRate:    jsii.Number(2),
			MaxAttempts:    jsii.Number(r.attempts),
			MaxDelay:       r.maxDelay,
			JitterStrategy: sfn.JitterType_FULL,
		})
	}
	return t
}

// pollLoop is Wait (the seconds poll or the step before returned) → Poll →
// done? (back to Wait until $.done).
func pollLoop(scope constructs.Construct, phase string, fns *Functions, then sfn.IChainable) (sfn.Wait, sfn.Choice) {
	wait := sfn.NewWait(scope, jsii.String("Wait for "+phase), &sfn.WaitProps{
		Time: sfn.WaitTime_SecondsPath(jsii.String("$.waitSeconds")),
	})
	poll := lambdaTask(scope, "Poll "+phase, fns, "poll", nil)
	done := sfn.NewChoice(scope, jsii.String(capitalize(phase)+" done?"), nil)
	wait.Next(poll)
	poll.Next(done)
	done.When(sfn.Condition_BooleanEquals(jsii.String("$.done"), jsii.Bool(true)), then, nil).Otherwise(wait)
	return wait, done
}

func newTargetMachine(c constructs.Construct, props *WorkflowProps) sfn.StateMachine {
	s := constructs.NewConstruct(c, jsii.String("TargetStates"))
	fns := props.Functions
	prune := lambdaTask(s, "Prune snapshots", fns, "prune", nil)
	prune.Next(sfn.NewSucceed(s, jsii.String("Target done"), nil))

	verify := lambdaTask(s, "Verify export", fns, "verify", nil)
	verify.Next(prune)
	exportWait, _ := pollLoop(s, "export", fns, verify)
	export := lambdaTask(s, "Export snapshot", fns, "export", nil)
	export.Next(exportWait)
	hasExport := sfn.NewChoice(s, jsii.String("Export?"), nil).
		When(sfn.Condition_BooleanEquals(jsii.String("$.hasExport"), jsii.Bool(true)), export, nil).
		Otherwise(prune)

	copyWait, _ := pollLoop(s, "copy", fns, hasExport)
	cp := lambdaTask(s, "Copy snapshot", fns, "copy", nil)
	cp.Next(copyWait)
	hasCopy := sfn.NewChoice(s, jsii.String("Copy?"), nil).
		When(sfn.Condition_BooleanEquals(jsii.String("$.hasCopy"), jsii.Bool(true)), cp, nil).
		Otherwise(hasExport)

	snapshotWait, _ := pollLoop(s, "snapshot", fns, hasCopy)
	create := lambdaTask(s, "Create snapshot", fns, "create", nil)
	create.Next(snapshotWait)

	return sfn.NewStateMachine(c, jsii.String("Target"), &sfn.StateMachineProps{
		StateMachineName: jsii.String(props.StackName + "-target"),
		StateMachineType: sfn.StateMachineType_STANDARD,
		Comment:          jsii.String("snapflow: one target: create, poll, copy, export, verify, prune. Input {\"target\", \"policy\", \"slot\"} (events.TargetInput)."),
		DefinitionBody:   sfn.DefinitionBody_FromChainable(create),
		Timeout:          props.TargetTimeout,
		TracingEnabled:   jsii.Bool(true),
		Logs:             machineLogs(c, "TargetLogs", props),
	})
}

func newRunMachine(c constructs.Construct, props *WorkflowProps, target sfn.StateMachine) sfn.StateMachine {
	s := constructs.NewConstruct(c, jsii.String("RunStates"))
	fns := props.Functions

	plan := lambdaTask(s, "Plan", fns, "plan", sfn.TaskInput_FromObject(&map[string]any{
		"policy":             sfn.JsonPath_EntirePayload(),
		"executionId":        sfn.JsonPath_StringAt(jsii.String("$$.Execution.Id")),
		"executionStartTime": sfn.JsonPath_StringAt(jsii.String("$$.Execution.StartTime")),
	}))

	// One child execution per target; its result becomes a compact
	// TargetResult, in the order of the items.
	// CDK grants what .sync needs ("IAM policies for starting a new AWS Step
	// Functions state machine execution", Step Functions Developer Guide):
	// states:StartExecution on the child, states:DescribeExecution and
	// StopExecution on its executions, and events:PutTargets, PutRule and
	// DescribeRule on the managed rule
	// StepFunctionsGetEventsForStepFunctionsExecutionRule.
	runTarget := awsstepfunctionstasks.NewStepFunctionsStartExecution(s, jsii.String("Run target"), &awsstepfunctionstasks.StepFunctionsStartExecutionProps{
		StateMachine:       target,
		IntegrationPattern: sfn.IntegrationPattern_RUN_JOB, // startExecution.sync:2: Output as JSON
		// An events.TargetInput: the child's create builds the WorkItem.
		Input: sfn.TaskInput_FromObject(&map[string]any{
			"target": sfn.JsonPath_StringAt(jsii.String("$.target")),
			"policy": sfn.JsonPath_StringAt(jsii.String("$.policy")),
			"slot":   sfn.JsonPath_StringAt(jsii.String("$.slot")),
		}),
		AssociateWithParent: jsii.Bool(true),
		// Compact: the Map holds one result per target in the run's state
		// (256 KiB); the target's detail stays in the child's output.
		ResultSelector: &map[string]any{
			"status": "succeeded",
		},
	})
	runTarget.AddRetry(&sfn.RetryProps{
		// Starting the child, not the child's own failure (States.TaskFailed).
		Errors:         jsii.Strings("StepFunctions.ExecutionLimitExceededException", "StepFunctions.SdkClientException", "StepFunctions.AWSStepFunctionsException"),
		Interval:       awscdk.Duration_Seconds(jsii.Number(5)),
		BackoffRate:    jsii.Number(2),
		MaxAttempts:    jsii.Number(5),
		MaxDelay:       awscdk.Duration_Minutes(jsii.Number(2)),
		JitterStrategy: sfn.JitterType_FULL,
	})
	markFailed := sfn.NewPass(s, jsii.String("Mark target failed"), &sfn.PassProps{
		// No cause: for a failed child it is the JSON of its
		// DescribeExecution (its input, error and cause), unbounded.
		Parameters: &map[string]any{
			"status": "failed",
			"error":  sfn.JsonPath_StringAt(jsii.String("$.error.Error")),
		},
	})
	// A failed child reaches the parent as States.TaskFailed whose cause is
	// the child's DescribeExecution JSON; its own error name (e.g.
	// Snapflow.SnapshotFailed) is read from there, so the summary and the
	// alert name it. Two Pass states: StringToJson, then the field.
	markChildFailed := sfn.NewPass(s, jsii.String("Mark target failed with the child's error"), &sfn.PassProps{
		Parameters: &map[string]any{
			"status": "failed",
			"error":  sfn.JsonPath_StringAt(jsii.String("$.child.execution.Error")),
		},
	})
	readChild := sfn.NewPass(s, jsii.String("Read the child's error"), &sfn.PassProps{
		Parameters: &map[string]any{
			"execution": sfn.JsonPath_StringToJson(sfn.JsonPath_StringAt(jsii.String("$.error.Cause"))),
		},
		ResultPath: jsii.String("$.child"),
	})
	readChild.Next(markChildFailed)
	runTarget.AddCatch(readChild, &sfn.CatchProps{
		Errors:     jsii.Strings("States.TaskFailed"),
		ResultPath: jsii.String("$.error"),
	})
	runTarget.AddCatch(markFailed, &sfn.CatchProps{
		Errors:     jsii.Strings("States.ALL"),
		ResultPath: jsii.String("$.error"),
	})

	targets := sfn.NewMap(s, jsii.String("Snapshot targets"), &sfn.MapProps{
		ItemsPath: jsii.String("$.items"),
		// The plan's items are bare targets; the spec and slot are the
		// plan's, once ("$" is the Map's input).
		ItemSelector: &map[string]any{
			"target": sfn.JsonPath_StringAt(jsii.String("$$.Map.Item.Value")),
			"policy": sfn.JsonPath_StringAt(jsii.String("$.spec")),
			"slot":   sfn.JsonPath_StringAt(jsii.String("$.slot")),
		},
		MaxConcurrency: jsii.Number(float64(props.MaxConcurrency)),
		ResultPath:     jsii.String("$.results"),
	})
	targets.ItemProcessor(runTarget, nil)

	summary := lambdaTask(s, "Summarize", fns, "summary", sfn.TaskInput_FromObject(&map[string]any{
		"plan":               sfn.JsonPath_EntirePayload(),
		"executionId":        sfn.JsonPath_StringAt(jsii.String("$$.Execution.Id")),
		"executionStartTime": sfn.JsonPath_StringAt(jsii.String("$$.Execution.StartTime")),
	}))

	publish := awsstepfunctionstasks.NewEventBridgePutEvents(s, jsii.String("Publish run event"), &awsstepfunctionstasks.EventBridgePutEventsProps{
		Entries: &[]*awsstepfunctionstasks.EventBridgePutEventsEntry{{
			Source:     jsii.String("snapflow"),
			DetailType: jsii.String("Snapflow Run Completed"),
			Detail:     sfn.TaskInput_FromJsonPathAt(jsii.String("$")),
		}},
		ResultPath: sfn.JsonPath_DISCARD(),
	})
	notifyRetry := &sfn.RetryProps{
		Errors:         jsii.Strings("States.TaskFailed"),
		Interval:       awscdk.Duration_Seconds(jsii.Number(2)),
		BackoffRate:    jsii.Number(2),
		MaxAttempts:    jsii.Number(3),
		MaxDelay:       awscdk.Duration_Seconds(jsii.Number(30)),
		JitterStrategy: sfn.JitterType_FULL,
	}
	publish.AddRetry(notifyRetry)

	failed := sfn.NewFail(s, jsii.String("Targets failed"), &sfn.FailProps{
		Error: jsii.String(TargetsFailed),
		Cause: jsii.String("One or more targets failed; the run summary (EventBridge, SNS, logs) lists them."),
	})
	notify := awsstepfunctionstasks.NewSnsPublish(s, jsii.String("Notify failure"), &awsstepfunctionstasks.SnsPublishProps{
		Topic:      props.Topic,
		Subject:    sfn.JsonPath_StringAt(jsii.String("$.subject")),
		Message:    sfn.TaskInput_FromJsonPathAt(jsii.String("$.message")),
		ResultPath: sfn.JsonPath_DISCARD(),
	})
	notify.AddRetry(notifyRetry)
	notify.AddCatch(failed, &sfn.CatchProps{Errors: jsii.Strings("States.ALL"), ResultPath: jsii.String("$.notifyError")})
	notify.Next(failed)

	anyFailed := sfn.NewChoice(s, jsii.String("Any target failed?"), nil).
		When(sfn.Condition_NumberGreaterThan(jsii.String("$.failed"), jsii.Number(0)), notify, nil).
		Otherwise(sfn.NewSucceed(s, jsii.String("Run succeeded"), nil))
	// The run event is best effort: a failed PutEvents must not hide a
	// failed target from the alert.
	publish.AddCatch(anyFailed, &sfn.CatchProps{Errors: jsii.Strings("States.ALL"), ResultPath: jsii.String("$.eventError")})

	plan.Next(targets).Next(summary).Next(publish).Next(anyFailed)

	sm := sfn.NewStateMachine(c, jsii.String("Run"), &sfn.StateMachineProps{
		StateMachineName: jsii.String(props.StackName + "-run"),
		StateMachineType: sfn.StateMachineType_STANDARD,
		Comment:          jsii.String("snapflow: one run of a policy. Input: the policy (events.Policy)."),
		DefinitionBody:   sfn.DefinitionBody_FromChainable(plan),
		Timeout:          props.RunTimeout,
		TracingEnabled:   jsii.Bool(true),
		Logs:             machineLogs(c, "RunLogs", props),
	})
	// Publishing to the encrypted topic needs its key.
	props.TopicKey.Grant(sm.Role(), jsii.String("kms:Decrypt"), jsii.String("kms:GenerateDataKey*"))
	return sm
}

// machineLogs sends every event (level ALL, with execution data) to a log
// group under /aws/vendedlogs/, the prefix that keeps CloudWatch Logs
// resource policies small.
func machineLogs(c constructs.Construct, id string, props *WorkflowProps) *sfn.LogOptions {
	name := "/aws/vendedlogs/states/" + props.StackName + "-" + map[string]string{"RunLogs": "run", "TargetLogs": "target"}[id]
	logs := awslogs.NewLogGroup(c, jsii.String(id), &awslogs.LogGroupProps{
		LogGroupName: jsii.String(name),
		Retention:    props.LogRetention,
	})
	return &sfn.LogOptions{
		Destination:          logs,
		Level:                sfn.LogLevel_ALL,
		IncludeExecutionData: jsii.Bool(true),
	}
}

// suppressWorkflow explains the wildcards CDK writes into the state machine
// roles.
func suppressWorkflow(w *Workflow) {
	for _, sm := range []sfn.StateMachine{w.Run, w.Target} {
		suppress(sm.Role(), "AwsSolutions-IAM5",
			"lambda:InvokeFunction on the functions' versions and aliases (<fn>:*) is what CDK grants a LambdaInvoke task; "+
				"X-Ray writes and CloudWatch Logs vended-log delivery (logs:CreateLogDelivery and friends) support no resource-level permission (Resource *); "+
				"the .sync child execution's DescribeExecution/StopExecution need the child's execution ARNs (execution:<target>:*); "+
				"publishing to the encrypted topic needs kms:GenerateDataKey* on its key.",
			regex(`/^Resource::<.*\.Arn>:\*$/g`),
			"Resource::*",
			"Action::kms:GenerateDataKey*",
			regex(`/^Resource::arn:<AWS::Partition>:states:(<AWS::Region>|[a-z0-9-]+):(<AWS::AccountId>|[0-9]{12}):execution:.*$/g`),
		)
	}
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
