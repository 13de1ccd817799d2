package errclass

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-lambda-go/lambda/messages"
)

func TestForLambdaKeepsClassThroughWrapping(t *testing.T) {
	cause := errors.New("APICallRateForCustomerExceeded: Rate exceeded")
	err := fmt.Errorf("create: %w", Wrap(Throttled, cause, "CreateSnapshot orders"))
	got, ok := ForLambda(err).(messages.InvokeResponse_Error)
	if !ok {
		t.Fatalf("ForLambda returned %T", ForLambda(err))
	}
	if got.Type != "Snapflow.Throttled" {
		t.Fatalf("Type = %q", got.Type)
	}
	if want := "create: Snapflow.Throttled: CreateSnapshot orders: APICallRateForCustomerExceeded: Rate exceeded"; got.Message != want {
		t.Fatalf("Message = %q, want %q", got.Message, want)
	}
	if !errors.Is(err, cause) || !Is(err, Throttled) || Is(err, NotFound) {
		t.Fatal("cause or class lost")
	}
}

func TestForLambdaUnclassified(t *testing.T) {
	if ForLambda(nil) != nil {
		t.Fatal("nil error became non-nil")
	}
	got := ForLambda(errors.New("boom")).(messages.InvokeResponse_Error)
	if got.Type != string(Transient) || got.Message != "boom" {
		t.Fatalf("got %+v", got)
	}
}
