package stack

import (
	"fmt"
	"math"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	cw "github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	sfn "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/snapflow/snapflow/internal/config"
	"github.com/snapflow/snapflow/internal/metrics"
)

// MonitoringProps configures NewMonitoring.
type MonitoringProps struct {
	StackName       string
	Policies        []config.Policy
	Run, Target     sfn.StateMachine
	Functions       *Functions
	DeadLetterQueue awssqs.IQueue
	Topic           awssns.ITopic
}

// Monitoring is the alarms (all notifying the alert topic) and the
// dashboard.
type Monitoring struct {
	constructs.Construct
	// RunFailed, RunTimedOut: the run state machine's ExecutionsFailed and
	// ExecutionsTimedOut; StartFailed: a schedule or rule could not start a
	// run (dead letters).
	RunFailed, RunTimedOut, StartFailed cw.Alarm
	// RPO alarms by policy, and by policy and target dimension for explicit
	// targets.
	RPO       map[string]cw.Alarm
	Dashboard cw.Dashboard
}

// NewMonitoring makes the alarms and the dashboard.
func NewMonitoring(scope constructs.Construct, id string, props *MonitoringProps) *Monitoring {
	c := constructs.NewConstruct(scope, jsii.String(id))
	m := &Monitoring{Construct: c, RPO: map[string]cw.Alarm{}}
	action := awscloudwatchactions.NewSnsAction(props.Topic)
	fiveMinutes := awscdk.Duration_Minutes(jsii.Number(5))
	sum := &cw.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("Sum")}

	alarm := func(id, name, desc string, metric cw.IMetric, notMissing bool) cw.Alarm {
		treat := cw.TreatMissingData_NOT_BREACHING
		if notMissing {
			treat = cw.TreatMissingData_BREACHING
		}
		a := cw.NewAlarm(c, jsii.String(id), &cw.AlarmProps{
			AlarmName:          jsii.String(props.StackName + "-" + name),
			AlarmDescription:   jsii.String(desc),
			Metric:             metric,
			Threshold:          jsii.Number(1),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: cw.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			TreatMissingData:   treat,
		})
		a.AddAlarmAction(action)
		return a
	}
	m.RunFailed = alarm("RunFailed", "run-failed", "A snapflow run failed (a target failed, the plan rejected the policy, or a step ran out of retries).",
		props.Run.MetricFailed(sum), false)
	m.RunTimedOut = alarm("RunTimedOut", "run-timed-out", "A snapflow run exceeded runTimeoutMinutes.",
		props.Run.MetricTimedOut(sum), false)
	m.StartFailed = alarm("StartFailed", "start-failed", "A schedule or Run Requested rule could not start a run: see the dead-letter queue.",
		props.DeadLetterQueue.MetricApproximateNumberOfMessagesVisible(&cw.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("Maximum")}), false)

	for _, p := range props.Policies {
		if p.RPOMinutes == 0 {
			continue
		}
		m.RPO[p.Name] = m.rpoAlarm(c, props.StackName, p, "", action)
		for _, t := range p.Targets {
			dim := metrics.TargetDimension(t)
			m.RPO[p.Name+" "+dim] = m.rpoAlarm(c, props.StackName, p, dim, action)
		}
	}
	m.Dashboard = dashboard(c, props)
	return m
}

// RPOWindow returns the period and the number of periods of an alarm that
// fires when a window of rpoMinutes holds no success: one period of the
// whole window up to a day; beyond that, hourly periods that must all be
// empty. CloudWatch evaluates at most 7 days and, for periods under an
// hour, at most one day (PutMetricAlarm, Period); config caps rpoMinutes at
// 7 days.
func RPOWindow(rpoMinutes int) (periodSeconds, periods int) {
	if rpoMinutes <= 24*60 {
		return rpoMinutes * 60, 1
	}
	return 3600, int(math.Ceil(float64(rpoMinutes) / 60))
}

func (m *Monitoring) rpoAlarm(c constructs.Construct, stackName string, p config.Policy, target string, action cw.IAlarmAction) cw.Alarm {
	period, n := RPOWindow(p.RPOMinutes)
	dims := map[string]*string{metrics.DimensionPolicy: jsii.String(p.Name)}
	id, name := "Rpo-"+p.Name, stackName+"-rpo-"+p.Name
	what := "policy " + p.Name
	if target != "" {
		dims[metrics.DimensionTarget] = jsii.String(target)
		id = id + "-" + strings.NewReplacer("/", "-", "@", "-").Replace(target) // construct IDs take no "/"
		name, what = name+"-"+target, "target "+target+" of policy "+p.Name
	}
	a := cw.NewAlarm(c, jsii.String(id), &cw.AlarmProps{
		AlarmName:        jsii.String(name),
		AlarmDescription: jsii.String(fmt.Sprintf("No good snapshot of %s in the last %d minutes (its RPO).", what, p.RPOMinutes)),
		Metric: cw.NewMetric(&cw.MetricProps{
			Namespace:     jsii.String(metrics.DefaultNamespace),
			MetricName:    jsii.String(metrics.SnapshotsSucceeded),
			DimensionsMap: &dims,
			Statistic:     jsii.String("Sum"),
			Period:        awscdk.Duration_Seconds(jsii.Number(float64(period))),
		}),
		Threshold:          jsii.Number(1),
		ComparisonOperator: cw.ComparisonOperator_LESS_THAN_THRESHOLD,
		EvaluationPeriods:  jsii.Number(float64(n)),
		DatapointsToAlarm:  jsii.Number(float64(n)),
		// No run, no metric: silence is a missed RPO.
		TreatMissingData: cw.TreatMissingData_BREACHING,
	})
	a.AddAlarmAction(action)
	a.AddOkAction(action)
	return a
}

func dashboard(c constructs.Construct, props *MonitoringProps) cw.Dashboard {
	hour := awscdk.Duration_Hours(jsii.Number(1))
	sum := func(m cw.Metric, label string) cw.IMetric {
		return m.With(&cw.MetricOptions{Statistic: jsii.String("Sum"), Period: hour, Label: jsii.String(label)})
	}
	executions := func(sm sfn.StateMachine) *[]cw.IMetric {
		return &[]cw.IMetric{
			sum(sm.MetricStarted(nil), "started"), sum(sm.MetricSucceeded(nil), "succeeded"),
			sum(sm.MetricFailed(nil), "failed"), sum(sm.MetricTimedOut(nil), "timed out"),
		}
	}
	durations := func(sm sfn.StateMachine) *[]cw.IMetric {
		var out []cw.IMetric
		for _, stat := range []string{"Average", "p90", "Maximum"} {
			out = append(out, sm.MetricTime(&cw.MetricOptions{Statistic: jsii.String(stat), Period: hour, Label: jsii.String(stat)}))
		}
		return &out
	}
	var succeeded, failed []cw.IMetric
	for _, p := range props.Policies {
		dims := map[string]*string{metrics.DimensionPolicy: jsii.String(p.Name)}
		for metric, list := range map[string]*[]cw.IMetric{metrics.SnapshotsSucceeded: &succeeded, metrics.SnapshotsFailed: &failed} {
			*list = append(*list, cw.NewMetric(&cw.MetricProps{
				Namespace: jsii.String(metrics.DefaultNamespace), MetricName: jsii.String(metric), DimensionsMap: &dims,
				Statistic: jsii.String("Sum"), Period: hour, Label: jsii.String(p.Name),
			}))
		}
	}
	var lambdaErrors []cw.IMetric
	for _, name := range FunctionNames {
		lambdaErrors = append(lambdaErrors, props.Functions.Function[name].MetricErrors(&cw.MetricOptions{
			Statistic: jsii.String("Sum"), Period: hour, Label: jsii.String(name),
		}))
	}
	graph := func(title string, left *[]cw.IMetric) cw.IWidget {
		return cw.NewGraphWidget(&cw.GraphWidgetProps{Title: jsii.String(title), Left: left, Width: jsii.Number(12), Height: jsii.Number(6)})
	}
	return cw.NewDashboard(c, jsii.String("Dashboard"), &cw.DashboardProps{
		DashboardName: jsii.String(props.StackName),
		Widgets: &[]*[]cw.IWidget{
			{graph("Runs", executions(props.Run)), graph("Targets (child executions)", executions(props.Target))},
			{graph("Run duration (ms)", durations(props.Run)), graph("Target duration (ms)", durations(props.Target))},
			{graph("Snapshots succeeded per policy", &succeeded), graph("Snapshots failed per policy", &failed)},
			{graph("Handler errors", &lambdaErrors), graph("Runs that could not start (dead letters)", &[]cw.IMetric{
				props.DeadLetterQueue.MetricApproximateNumberOfMessagesVisible(&cw.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5))}),
			})},
		},
	})
}
