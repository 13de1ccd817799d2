package snapshot_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/snapflow/snapflow/internal/errclass"
	"github.com/snapflow/snapflow/internal/snapshot"
)

var testMap = snapshot.ErrorMap{
	Service: "svc",
	Codes: snapshot.Codes{
		"Busy":              errclass.TargetBusy,
		"ConflictException": errclass.TargetBusy,
	},
	Refinements: append(snapshot.ExportRefinements("InvalidParameterValue"),
		snapshot.Refinement{Code: "ConflictException", Text: "already exists", Class: errclass.AlreadyExists}),
}

// apiErr is an AWS answer as the SDK returns it: an OperationError around a
// ResponseError around the API error.
func apiErr(status int, code, msg string, fault smithy.ErrorFault) error {
	api := &smithy.GenericAPIError{Code: code, Message: msg, Fault: fault}
	resp := &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: api}}
	return &smithy.OperationError{ServiceID: "Svc", OperationName: "Op", Err: resp}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want errclass.Class
		code string
	}{
		{"own code", apiErr(400, "Busy", "busy", smithy.FaultClient), errclass.TargetBusy, "Busy"},
		{"common throttle", apiErr(400, "APICallRateForCustomerExceeded", "Rate exceeded", smithy.FaultClient), errclass.Throttled, "APICallRateForCustomerExceeded"},
		{"common throttle memorydb", apiErr(400, "APICallRateForCustomerExceededFault", "Rate exceeded", smithy.FaultClient), errclass.Throttled, "APICallRateForCustomerExceededFault"},
		{"common access", apiErr(403, "AccessDenied", "User: x is not authorized", smithy.FaultClient), errclass.AccessDenied, "AccessDenied"},
		{"common internal", apiErr(500, "InternalFailure", "oops", smithy.FaultServer), errclass.Transient, "InternalFailure"},
		{"common parameter", apiErr(400, "InvalidParameterValue", "The parameter SnapshotName is not valid", smithy.FaultClient), errclass.InvalidInput, "InvalidParameterValue"},
		{"export not granted", apiErr(400, "InvalidParameterValue", "ElastiCache has not been granted READ permissions b on the S3 Bucket.", smithy.FaultClient), errclass.AccessDenied, "InvalidParameterValue"},
		{"export no bucket", apiErr(400, "InvalidParameterValue", "The S3 bucket b does not exist.", smithy.FaultClient), errclass.NotFound, "InvalidParameterValue"},
		{"export object exists", apiErr(400, "InvalidParameterValue", "The S3 bucket b already contains an object with key k.", smithy.FaultClient), errclass.AlreadyExists, "InvalidParameterValue"},
		{"export data tiering", apiErr(400, "InvalidParameterValue", "Exporting is not supported for clusters using data tiering", smithy.FaultClient), errclass.Unsupported, "InvalidParameterValue"},
		{"export other region", apiErr(400, "InvalidParameterValue", "The S3 bucket b is outside of the region.", smithy.FaultClient), errclass.InvalidInput, "InvalidParameterValue"},
		{"refinement needs its code", apiErr(400, "Other", "b does not exist", smithy.FaultClient), errclass.InvalidInput, "Other"},
		{"conflict name", apiErr(400, "ConflictException", "A snapshot with the name x already exists.", smithy.FaultClient), errclass.AlreadyExists, "ConflictException"},
		{"conflict busy", apiErr(400, "ConflictException", "There is an operation running on the namespace.", smithy.FaultClient), errclass.TargetBusy, "ConflictException"},
		{"unknown 5xx", apiErr(503, "Whatever", "", smithy.FaultUnknown), errclass.Transient, "Whatever"},
		{"unknown server fault", apiErr(400, "Whatever", "", smithy.FaultServer), errclass.Transient, "Whatever"},
		{"unknown 429", apiErr(429, "Whatever", "", smithy.FaultClient), errclass.Throttled, "Whatever"},
		{"unknown 403", apiErr(403, "Whatever", "", smithy.FaultClient), errclass.AccessDenied, "Whatever"},
		{"unknown 404", apiErr(404, "Whatever", "", smithy.FaultClient), errclass.NotFound, "Whatever"},
		{"unknown 400", apiErr(400, "Whatever", "", smithy.FaultClient), errclass.InvalidInput, "Whatever"},
		{"network", &smithy.OperationError{Err: errors.New("dial tcp 127.0.0.1:1: connection refused")}, errclass.Transient, ""},
		{"canceled", &smithy.OperationError{Err: &smithy.CanceledError{Err: context.Canceled}}, errclass.Transient, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			class, code := testMap.Classify(tc.err)
			if class != tc.want || code != tc.code {
				t.Fatalf("Classify = %s %q, want %s %q", class, code, tc.want, tc.code)
			}
		})
	}
}

func TestWrap(t *testing.T) {
	if testMap.Wrap(nil, "Op", "r") != nil {
		t.Fatal("Wrap(nil) is not nil")
	}
	cause := apiErr(400, "Busy", "Replication group orders is snapshotting", smithy.FaultClient)
	err := testMap.Wrap(cause, "CreateSnapshot", "sf-x (replication group orders)")
	var ce *errclass.Error
	if !errors.As(err, &ce) || ce.Class != errclass.TargetBusy || ce.Code != "Busy" ||
		ce.Message != "svc CreateSnapshot sf-x (replication group orders)" || !errors.Is(err, cause) {
		t.Fatalf("Wrap = %#v", err)
	}
	if !strings.Contains(err.Error(), "Replication group orders is snapshotting") {
		t.Fatalf("the AWS message is lost: %v", err)
	}
	// An error that already has a class keeps it.
	if again := testMap.Wrap(fmt.Errorf("ctx: %w", err), "Other", ""); !errclass.Is(again, errclass.TargetBusy) {
		t.Fatalf("re-Wrap = %v", again)
	}
	if u := testMap.Unsupported("Export", "sf-x", "no export"); !errclass.Is(u, errclass.Unsupported) ||
		!strings.Contains(u.Error(), "svc Export sf-x: no export") {
		t.Fatalf("Unsupported = %v", u)
	}
}

func TestNormalizeStatus(t *testing.T) {
	for raw, want := range map[string]snapshot.Status{
		"creating": snapshot.Creating, "available": snapshot.Available, "restoring": snapshot.Restoring,
		"copying": snapshot.Copying, "exporting": snapshot.Exporting, "deleting": snapshot.Deleting,
		"failed": snapshot.Failed, "CREATING": snapshot.Creating, "AVAILABLE": snapshot.Available,
		"COPYING": snapshot.Copying, "FAILED": snapshot.Failed, "CANCELLED": snapshot.Failed,
		"DELETED": snapshot.Deleted, "": snapshot.Unknown, "modifying": snapshot.Unknown,
	} {
		if got := snapshot.NormalizeStatus(raw); got != want {
			t.Errorf("NormalizeStatus(%q) = %s, want %s", raw, got, want)
		}
	}
	for _, s := range []snapshot.Status{snapshot.Creating, snapshot.Copying, snapshot.Exporting, snapshot.Restoring} {
		if !s.InProgress() {
			t.Errorf("%s is not in progress", s)
		}
	}
	for _, s := range []snapshot.Status{snapshot.Available, snapshot.Failed, snapshot.Deleting, snapshot.Deleted, snapshot.Unknown} {
		if s.InProgress() {
			t.Errorf("%s is in progress", s)
		}
	}
}

func TestExportKeys(t *testing.T) {
	if got := snapshot.ExportTarget("", "n"); got != "n" {
		t.Fatal(got)
	}
	if got := snapshot.ExportTarget("daily", "n"); got != "daily/n" {
		t.Fatal(got)
	}
	if got := snapshot.ExportTarget("daily/", "n"); got != "daily/n" {
		t.Fatal(got)
	}
	keys := snapshot.ExportKeys("daily/n", 3)
	if len(keys) != 3 || keys[0] != "daily/n-0001.rdb" || keys[2] != "daily/n-0003.rdb" {
		t.Fatal(keys)
	}
}
