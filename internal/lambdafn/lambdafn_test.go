package lambdafn

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/snapflow/snapflow/internal/errclass"
)

type in struct {
	Name string `json:"name"`
}

func TestHandler(t *testing.T) {
	var logs bytes.Buffer
	log := NewLogger(&logs, 0, "test")
	h := Handler(log, func(ctx context.Context, v in) (string, error) {
		switch v.Name {
		case "busy":
			return "", errclass.New(errclass.TargetBusy, "orders is snapshotting")
		case "plain":
			return "", errors.New("something odd")
		}
		return "hello " + v.Name, nil
	})
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	for _, tc := range []struct {
		payload, out, errType string
	}{
		{`{"name": "world"}`, "hello world", ""},
		{`{"name": 5}`, "", "Snapflow.InvalidInput"},
		{`{"name": "busy"}`, "", "Snapflow.TargetBusy"},
		{`{"name": "plain"}`, "", "Snapflow.Transient"},
	} {
		out, err := h(ctx, json.RawMessage(tc.payload))
		var ie messages.InvokeResponse_Error
		switch {
		case tc.errType == "" && (err != nil || out != tc.out):
			t.Errorf("%s: %q, %v", tc.payload, out, err)
		case tc.errType != "" && (!errors.As(err, &ie) || ie.Type != tc.errType):
			t.Errorf("%s: error %#v, want type %s", tc.payload, err, tc.errType)
		}
	}
	if !strings.Contains(logs.String(), `"requestId":"req-1"`) || !strings.Contains(logs.String(), `"function":"test"`) ||
		!strings.Contains(logs.String(), `"errorType":"Snapflow.TargetBusy"`) {
		t.Errorf("logs:\n%s", logs.String())
	}
}

func TestEnvFrom(t *testing.T) {
	env := map[string]string{EnvLogLevel: "loud"}
	if _, err := EnvFrom(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), EnvLogLevel) {
		t.Errorf("a bad log level: %v", err)
	}
	env = map[string]string{EnvLogLevel: "debug", EnvS3PathStyle: "true"}
	got, err := EnvFrom(func(k string) string { return env[k] })
	if err != nil || got.LogLevel.String() != "DEBUG" || !got.S3PathStyle || got.MetricsNamespace == "" {
		t.Errorf("%+v, %v", got, err)
	}
}
