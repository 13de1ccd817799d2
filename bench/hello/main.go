// Command hello is the floor of the cold-start benchmark: a Go Lambda that
// does nothing, built as the handlers are (-tags lambda.norpc -trimpath
// -ldflags='-s -w', provided.al2023).
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(ctx context.Context, in json.RawMessage) (string, error) { return "hello", nil })
}
