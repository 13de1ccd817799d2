// Command handler is the lambdart tests' function: what it does depends on
// the event.
package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	Echo    json.RawMessage `json:"echo,omitempty"`
	Fail    string          `json:"fail,omitempty"`    // return an error of this type
	SleepMS int             `json:"sleepMs,omitempty"` // take this long
	Exit    int             `json:"exit,omitempty"`    // exit with this code
	Env     string          `json:"env,omitempty"`     // return this variable
	Huge    int             `json:"huge,omitempty"`    // return a string of this many bytes
}

func main() {
	if os.Getenv("INIT_FAIL") != "" {
		os.Stderr.WriteString("init failed on purpose\n")
		os.Exit(3)
	}
	started := time.Now()
	lambda.Start(func(ctx context.Context, e event) (any, error) {
		lc, _ := lambdacontext.FromContext(ctx)
		if e.SleepMS > 0 {
			time.Sleep(time.Duration(e.SleepMS) * time.Millisecond)
		}
		switch {
		case e.Exit != 0:
			os.Exit(e.Exit)
		case e.Fail != "":
			return nil, messages.InvokeResponse_Error{Type: e.Fail, Message: "failed as asked"}
		case e.Env != "":
			return map[string]string{"value": os.Getenv(e.Env)}, nil
		case e.Huge > 0:
			return strings.Repeat("a", e.Huge), nil
		}
		dl, _ := ctx.Deadline()
		return map[string]any{"echo": e.Echo, "requestId": lc.AwsRequestID, "arn": lc.InvokedFunctionArn,
			"pid": os.Getpid(), "deadlineInFuture": dl.After(time.Now()), "startedAt": started.UnixNano()}, nil
	})
}
