package stack

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/snapflow/snapflow/internal/metrics"
)

// FunctionNames are the handlers, in workflow order; each is
// functions/<name>/main.go, zipped by `make build` into
// <AssetsDir>/<name>.zip.
var FunctionNames = []string{"plan", "create", "poll", "copy", "export", "verify", "prune", "summary"}

// functionSpec is what a handler needs. Memory: the handlers make AWS API
// calls and hold little; 128 MB is Lambda's minimum and enough. verify
// streams exported RDB objects from S3 through the RDB verifier: 256 MB buys
// a larger read buffer and, since Lambda allots CPU in proportion to memory,
// twice the CPU for checksumming. Timeouts: a handler makes a handful of
// calls, each retried by the SDK with backoff (up to ~20 s when throttled);
// Step Functions retries whole invocations on top. plan pages through
// tag:GetResources for a large fleet, prune lists and deletes many
// snapshots, verify reads whole multi-GB exports (at ~100 MB/s a 10 GB
// export takes ~2 minutes), hence their longer timeouts.
type functionSpec struct {
	memoryMB int
	timeout  awscdk.Duration
}

var functionSpecs = map[string]functionSpec{
	"plan":    {128, awscdk.Duration_Minutes(jsii.Number(2))},
	"create":  {128, awscdk.Duration_Seconds(jsii.Number(60))},
	"poll":    {128, awscdk.Duration_Seconds(jsii.Number(30))},
	"copy":    {128, awscdk.Duration_Seconds(jsii.Number(60))},
	"export":  {128, awscdk.Duration_Seconds(jsii.Number(60))},
	"verify":  {256, awscdk.Duration_Minutes(jsii.Number(15))},
	"prune":   {128, awscdk.Duration_Minutes(jsii.Number(3))},
	"summary": {128, awscdk.Duration_Seconds(jsii.Number(60))},
}

// CheckAssets reports the first handler zip missing from dir.
func CheckAssets(dir string) error {
	for _, name := range FunctionNames {
		path := filepath.Join(dir, name+".zip")
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("%s: %w (run `make build` first)", path, err)
		}
	}
	return nil
}

// FunctionsProps configures NewFunctions.
type FunctionsProps struct {
	// AssetsDir holds <name>.zip for every name in FunctionNames.
	AssetsDir string
	// LogRetention applies to every function's log group.
	LogRetention awslogs.RetentionDays
	// LogLevel is SNAPFLOW_LOG_LEVEL.
	LogLevel string
	// ExportBucket is the stack's export bucket name, for plan; may be empty.
	ExportBucket string
	// Scope is what the roles' statements are scoped to.
	Scope Scope
}

// Functions is one Lambda function per handler, each with its own role and
// log group.
type Functions struct {
	constructs.Construct
	// Function and Role by handler name.
	Function map[string]awslambda.Function
	Role     map[string]awsiam.Role
}

// NewFunctions makes the handlers: provided.al2023 on arm64, handler
// "bootstrap", X-Ray tracing, no reserved concurrency, and a role that
// holds only the calls the handler makes (see policies.go).
func NewFunctions(scope constructs.Construct, id string, props *FunctionsProps) *Functions {
	c := constructs.NewConstruct(scope, jsii.String(id))
	f := &Functions{Construct: c, Function: map[string]awslambda.Function{}, Role: map[string]awsiam.Role{}}
	for _, name := range FunctionNames {
		spec := functionSpecs[name]
		role := awsiam.NewRole(c, jsii.String(name+"Role"), &awsiam.RoleProps{
			AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
			Description: jsii.String("snapflow " + name + " handler"),
		})
		logs := awslogs.NewLogGroup(c, jsii.String(name+"Logs"), &awslogs.LogGroupProps{
			Retention: props.LogRetention,
		})
		logs.GrantWrite(role)
		env := map[string]*string{"SNAPFLOW_LOG_LEVEL": jsii.String(props.LogLevel)}
		switch name {
		case "plan":
			if props.ExportBucket != "" {
				env["SNAPFLOW_EXPORT_BUCKET"] = jsii.String(props.ExportBucket)
			}
		case "summary":
			env["SNAPFLOW_METRICS_NAMESPACE"] = jsii.String(metrics.DefaultNamespace)
		}
		fn := awslambda.NewFunction(c, jsii.String(name), &awslambda.FunctionProps{
			Description:  jsii.String("snapflow " + name),
			Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
			Architecture: awslambda.Architecture_ARM_64(),
			Handler:      jsii.String("bootstrap"),
			Code:         awslambda.Code_FromAsset(jsii.String(filepath.Join(props.AssetsDir, name+".zip")), nil),
			MemorySize:   jsii.Number(float64(spec.memoryMB)),
			Timeout:      spec.timeout,
			Environment:  &env,
			Role:         role,
			LogGroup:     logs,
			Tracing:      awslambda.Tracing_ACTIVE,
		})
		for _, s := range statements(name, props.Scope) {
			role.AddToPolicy(s)
		}
		suppressRole(role, name)
		f.Function[name] = fn
		f.Role[name] = role
	}
	return f
}

// Timeout is the timeout of a handler; the workflow gives each Lambda task a
// little more.
func (f *Functions) Timeout(name string) awscdk.Duration { return functionSpecs[name].timeout }
