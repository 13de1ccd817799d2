// Command create is snapflow's create Lambda handler: steps.Steps.Start (which builds the work item, then Create) behind
// steps.Handler. Configuration: SNAPFLOW_* environment variables (see
// internal/steps) and the AWS SDK's own (AWS_REGION, AWS_ENDPOINT_URL, …).
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/snapflow/snapflow/internal/steps"
)

const name = "create"

func main() {
	s, err := steps.Init(context.Background(), name, os.Getenv, os.Stdout)
	if err != nil {
		steps.Fatal(name, err)
	}
	lambda.Start(steps.Handler(s, s.Start))
}
