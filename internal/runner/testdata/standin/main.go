// Command standin is a handler binary for the local runner's tests while a
// functions/<name>/main.go does not exist yet: the same internal/steps code
// a real main wires up, the step picked at build time
// (-ldflags "-X main.function=<name>"), on the runner's simulated clock.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/snapflow/snapflow/internal/simclock"
	"github.com/snapflow/snapflow/internal/steps"
)

var function = "plan"

func main() {
	s, err := steps.Init(context.Background(), function, os.Getenv, os.Stdout)
	if err != nil {
		steps.Fatal(function, err)
	}
	if now := simclock.FromEnv(os.Getenv); now != nil {
		s.Now = now
	}
	switch function {
	case "plan":
		lambda.Start(steps.Handler(s, s.Plan))
	case "create":
		lambda.Start(steps.Handler(s, s.Create))
	case "poll":
		lambda.Start(steps.Handler(s, s.Poll))
	case "copy":
		lambda.Start(steps.Handler(s, s.Copy))
	case "export":
		lambda.Start(steps.Handler(s, s.Export))
	case "verify":
		lambda.Start(steps.Handler(s, s.Verify))
	case "prune":
		lambda.Start(steps.Handler(s, s.Prune))
	case "summary":
		lambda.Start(steps.Handler(s, s.Summary))
	default:
		steps.Fatal(function, os.ErrInvalid)
	}
}
