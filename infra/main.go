// Command infra is the snapflow CDK app: `cdk synth` and `cdk deploy` run it
// (cdk.json: "go run ./infra"). It loads snapflow.yaml (SNAPFLOW_CONFIG
// overrides the path), checks that `make build` wrote the handler zips,
// builds the stack with the cdk-nag AwsSolutions checks and synthesizes.
package main

import (
	"fmt"
	"os"

	"github.com/aws/jsii-runtime-go"

	"github.com/snapflow/snapflow/infra/stack"
	"github.com/snapflow/snapflow/internal/config"
)

// AssetsDir is where `make build` writes the handler zips.
const AssetsDir = "build/functions"

func main() {
	err := run()
	jsii.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "snapflow:", err)
		os.Exit(1)
	}
}

func run() error {
	path := os.Getenv("SNAPFLOW_CONFIG")
	if path == "" {
		path = config.DefaultFile
	}
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	if err := stack.CheckAssets(AssetsDir); err != nil {
		return err
	}
	app := stack.NewApp("")
	stack.New(app, cfg.StackName, &stack.Props{Config: cfg, AssetsDir: AssetsDir})
	stack.CheckNag(app)
	app.Synth(nil)
	return nil
}
