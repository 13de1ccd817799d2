package snapshot

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/snapflow/snapflow/internal/errclass"
)

// Codes maps a service's AWS error codes (smithy.APIError.ErrorCode(), the
// code on the wire) to snapflow's classes, as go-cloud's errorCodeMap does.
// Codes are matched, not Go types: several operations do not model the
// throttling or access errors, which then arrive as smithy.GenericAPIError.
type Codes map[string]errclass.Class

// Refinement gives an error a class by its message, for codes that mean
// several things: ElastiCache and MemoryDB answer every export problem with
// InvalidParameterValue(Exception), Redshift Serverless answers both "name
// in use" and "operation in progress" with ConflictException.
type Refinement struct {
	Code  string // the AWS error code it applies to; "" for any code
	Text  string // a part of the AWS message (case-insensitive)
	Class errclass.Class
}

// ErrorMap is one adapter's mapping of its service's errors: its own codes
// and refinements, then CommonCodes, then the HTTP status.
type ErrorMap struct {
	// Service names the service in messages (the snapshot.Services word).
	Service     string
	Codes       Codes
	Refinements []Refinement
}

// CommonCodes are the codes every AWS service may answer whatever its
// model says (sources: the "Common Errors" pages of the ElastiCache,
// MemoryDB and Redshift Serverless API references, and the throttle codes
// of aws-sdk-go-v2's aws/retry plus awsclient.ThrottleCodes).
var CommonCodes = Codes{
	// Throttling.
	"APICallRateForCustomerExceeded":      errclass.Throttled, // ElastiCache
	"APICallRateForCustomerExceededFault": errclass.Throttled, // MemoryDB
	"Throttling":                          errclass.Throttled,
	"ThrottlingException":                 errclass.Throttled,
	"ThrottledException":                  errclass.Throttled,
	"RequestThrottled":                    errclass.Throttled,
	"RequestThrottledException":           errclass.Throttled,
	"TooManyRequestsException":            errclass.Throttled,
	"RequestLimitExceeded":                errclass.Throttled,
	"SlowDown":                            errclass.Throttled,
	// Identity and permissions.
	"AccessDenied":                errclass.AccessDenied,
	"AccessDeniedException":       errclass.AccessDenied,
	"UnauthorizedOperation":       errclass.AccessDenied,
	"UnrecognizedClientException": errclass.AccessDenied,
	"InvalidClientTokenId":        errclass.AccessDenied,
	"InvalidAccessKeyId":          errclass.AccessDenied,
	"SignatureDoesNotMatch":       errclass.AccessDenied,
	"InvalidSignatureException":   errclass.AccessDenied,
	"IncompleteSignature":         errclass.AccessDenied,
	"MissingAuthenticationToken":  errclass.AccessDenied,
	"ExpiredToken":                errclass.AccessDenied,
	"ExpiredTokenException":       errclass.AccessDenied,
	"OptInRequired":               errclass.AccessDenied,
	// The service's own failures.
	"InternalFailure":             errclass.Transient,
	"InternalError":               errclass.Transient,
	"InternalServerError":         errclass.Transient,
	"InternalServerException":     errclass.Transient,
	"ServiceUnavailable":          errclass.Transient,
	"ServiceUnavailableException": errclass.Transient,
	"RequestTimeout":              errclass.Transient,
	"RequestTimeoutException":     errclass.Transient,
	"RequestExpired":              errclass.Transient, // clock skew; the SDK corrects it on retry
	// The request itself.
	"InvalidParameterValue":       errclass.InvalidInput,
	"InvalidParameterCombination": errclass.InvalidInput,
	"MissingParameter":            errclass.InvalidInput,
	"ValidationError":             errclass.InvalidInput,
	"ValidationException":         errclass.InvalidInput,
	"InvalidAction":               errclass.InvalidInput,
	"InvalidQueryParameter":       errclass.InvalidInput,
	"MalformedQueryString":        errclass.InvalidInput,
	"SerializationException":      errclass.InvalidInput,
	"UnknownOperationException":   errclass.InvalidInput,
}

// Classify returns the class of an error the SDK returned, and its AWS code
// ("" when AWS did not answer). In order:
//
//   - an AWS answer (smithy.APIError): the map's refinements, its codes,
//     CommonCodes; an unknown code by its HTTP status (5xx or a server
//     fault: Transient; 429: Throttled; 403: AccessDenied; 404: NotFound)
//     and otherwise InvalidInput: AWS refused this request and will refuse
//     it again as sent;
//   - anything else (no connection, a reset, a timeout, a cancelled
//     context, a 5xx without a readable body, what is left after the SDK's
//     retries): Transient.
func (m ErrorMap) Classify(err error) (errclass.Class, string) {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return errclass.Transient, ""
	}
	code := api.ErrorCode()
	msg := strings.ToLower(api.ErrorMessage())
	for _, r := range m.Refinements {
		if (r.Code == "" || r.Code == code) && strings.Contains(msg, strings.ToLower(r.Text)) {
			return r.Class, code
		}
	}
	if c, ok := m.Codes[code]; ok {
		return c, code
	}
	if c, ok := CommonCodes[code]; ok {
		return c, code
	}
	status := 0
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	switch {
	case status >= 500 || api.ErrorFault() == smithy.FaultServer:
		return errclass.Transient, code
	case status == http.StatusTooManyRequests:
		return errclass.Throttled, code
	case status == http.StatusForbidden:
		return errclass.AccessDenied, code
	case status == http.StatusNotFound:
		return errclass.NotFound, code
	}
	return errclass.InvalidInput, code
}

// Wrap returns err, met doing op on resource, as an *errclass.Error whose
// message names the service, the operation and the resource, e.g.
// "elasticache CreateSnapshot sf-nightly-orders-202611200200 (replication
// group orders)", and whose cause is err (the AWS code and message). nil
// stays nil; an *errclass.Error is returned as it is.
func (m ErrorMap) Wrap(err error, op, resource string) error {
	if err == nil {
		return nil
	}
	var ce *errclass.Error
	if errors.As(err, &ce) {
		return err
	}
	class, code := m.Classify(err)
	return &errclass.Error{Class: class, Message: m.what(op, resource), Code: code, Err: err}
}

// Unsupported returns the errclass.Unsupported error of a step a service or
// source cannot do, with the reason.
func (m ErrorMap) Unsupported(op, resource, reason string) error {
	return errclass.New(errclass.Unsupported, "%s: %s", m.what(op, resource), reason)
}

// Invalid returns an errclass.InvalidInput error about a request snapflow
// refuses before calling AWS.
func (m ErrorMap) Invalid(op, resource, reason string) error {
	return errclass.New(errclass.InvalidInput, "%s: %s", m.what(op, resource), reason)
}

// CheckKind returns nil when kind is empty (the service's default kind) or
// one of kinds, and otherwise the Invalid error of an unknown source kind,
// met doing op on resource.
func (m ErrorMap) CheckKind(op, resource, kind string, kinds ...string) error {
	if kind == "" || slices.Contains(kinds, kind) {
		return nil
	}
	return m.Invalid(op, resource, fmt.Sprintf("unknown source kind %q: want %s", kind, strings.Join(kinds, " or ")))
}

// what names the service, the operation and, when given, the resource at
// the head of an error's message.
func (m ErrorMap) what(op, resource string) string {
	if resource == "" {
		return m.Service + " " + op
	}
	return m.Service + " " + op + " " + resource
}

// ExportRefinements classifies the export failures that ElastiCache
// (CopySnapshot with TargetBucket, ExportServerlessCacheSnapshot) and
// MemoryDB (CopySnapshot with TargetBucket) answer with their parameter
// error code, by the messages the ElastiCache API Reference lists for
// CopySnapshot ("You could receive the following error messages") and the
// MemoryDB Developer Guide's "Exporting a snapshot":
//
//   - "… has not been granted READ|WRITE|READ_ACP permissions …" and a
//     bucket with ACLs disabled: AccessDenied (the bucket is not set up for
//     the service);
//   - "The S3 bucket … does not exist.": NotFound;
//   - "The S3 bucket … already contains an object with key …":
//     AlreadyExists, so that a re-run of the same export resumes (verifies
//     what is there) instead of failing; two different snapshots exported
//     under one name also end here, and the verifier, which checks the
//     objects, tells them apart;
//   - a snapshot of a data-tiering cluster: Unsupported.
//
// "… is outside of the region." stays InvalidInput (the code's class).
func ExportRefinements(code string) []Refinement {
	return []Refinement{
		{Code: code, Text: "has not been granted", Class: errclass.AccessDenied},
		{Code: code, Text: "ACLs disabled", Class: errclass.AccessDenied},
		{Code: code, Text: "already contains an object", Class: errclass.AlreadyExists},
		{Code: code, Text: "does not exist", Class: errclass.NotFound},
		{Code: code, Text: "data tiering", Class: errclass.Unsupported},
		{Code: code, Text: "data-tiering", Class: errclass.Unsupported},
	}
}
