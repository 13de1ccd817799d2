package localredshiftserverless

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// apiError is an error as Redshift Serverless sends it: the exception name
// in __type and X-Amzn-ErrorType, the message, and for
// ResourceNotFoundException and TooManyTagsException the resourceName member
// (source: service-2.json error shapes).
type apiError struct {
	Code         string
	Message      string
	Status       int
	ResourceName string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func fromEmu(e *emu.APIError) *apiError {
	return &apiError{Code: e.Code, Message: e.Message, Status: e.HTTPStatus()}
}

// writeError writes an awsJson1_1 error and records its code on req.
func writeError(w http.ResponseWriter, req *emu.Request, e *apiError) {
	req.ErrorCode = e.Code
	body := map[string]string{"__type": e.Code, "message": e.Message}
	if e.ResourceName != "" {
		body["resourceName"] = e.ResourceName
	}
	b, _ := json.Marshal(body)
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", req.RequestID)
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// The exceptions of the service. All are HTTP 400 except
// InternalServerException, which is a fault (500) (source: service-2.json,
// "fault": true, and the API reference "HTTP Status Code" of each error).
const (
	codeValidation    = "ValidationException"
	codeNotFound      = "ResourceNotFoundException"
	codeConflict      = "ConflictException"
	codeQuota         = "ServiceQuotaExceededException"
	codeTooManyTags   = "TooManyTagsException"
	codeThrottling    = "ThrottlingException"
	codeAccessDenied  = "AccessDeniedException"
	codeInternal      = "InternalServerException"
	codeInvalidPaging = "InvalidPaginationException"
)

func errValidation(format string, args ...any) *apiError {
	return &apiError{Code: codeValidation, Message: fmt.Sprintf(format, args...), Status: 400}
}

func errConflict(format string, args ...any) *apiError {
	return &apiError{Code: codeConflict, Message: fmt.Sprintf(format, args...), Status: 400}
}

func errQuota(format string, args ...any) *apiError {
	return &apiError{Code: codeQuota, Message: fmt.Sprintf(format, args...), Status: 400}
}

func errNotFound(resourceName, format string, args ...any) *apiError {
	return &apiError{Code: codeNotFound, Message: fmt.Sprintf(format, args...), Status: 400, ResourceName: resourceName}
}

// errTooManyTags answers tags beyond maxTagsPerResource on the resource
// named resourceName (source: service-2.json TooManyTagsException
// resourceName; message assumed).
func errTooManyTags(resourceName string) *apiError {
	return &apiError{Code: codeTooManyTags, Status: 400, ResourceName: resourceName,
		Message: "The number of tags exceeds the limit of " + strconv.Itoa(maxTagsPerResource) + " tags per resource."}
}

// Not-found messages follow the ones AWS sends: "Serverless namespace <name>
// not found." and "Serverless workgroup <name> not found." (source: error
// texts quoted in aws-solutions-library-samples/guidance-for-game-analytics-
// pipeline-on-aws PR #100 and pulumi/pulumi-aws-native issue #614).
func errNamespaceNotFound(name string) *apiError {
	return errNotFound(name, "Serverless namespace %s not found.", name)
}

func errWorkgroupNotFound(name string) *apiError {
	return errNotFound(name, "Serverless workgroup %s not found.", name)
}

// Snapshot not-found text (assumed, by analogy with the namespace one).
func errSnapshotNotFound(name string) *apiError {
	return errNotFound(name, "Snapshot %s not found.", name)
}

// errNamespaceBusy is the conflict AWS answers while an operation runs on a
// namespace (source: "ConflictException: There is an operation running on
// the namespace. Try deleting the namespace again later." quoted in
// hashicorp/terraform-provider-aws internal/service/redshiftserverless
// namespace.go). The wording for other actions is adapted (assumed).
func errNamespaceBusy(action string) *apiError {
	return errConflict("There is an operation running on the namespace. Try %s again later.", action)
}

// faultCodes answers the injected faults with the service's own errors:
// ThrottlingException is its throttle code (source: docs DESIGN "Facts to
// respect" and service-2.json), AccessDeniedException, InternalServerException
// (500), Busy as ConflictException, Quota as ServiceQuotaExceededException.
var faultCodes = emu.FaultCodes{
	Throttle:     emu.APIError{Code: codeThrottling, Message: "Rate exceeded", Status: 400},
	AccessDenied: emu.APIError{Code: codeAccessDenied, Message: "You do not have sufficient access to perform this action.", Status: 400},
	Internal:     emu.APIError{Code: codeInternal, Message: "The request processing has failed because of an unknown error, exception or failure.", Status: 500, Server: true},
	Busy: func(resource string) *emu.APIError {
		what := "the resource"
		if strings.Contains(resource, ":namespace/") || !strings.HasPrefix(resource, "arn:") {
			what = "the namespace"
		}
		return &emu.APIError{Code: codeConflict, Message: "There is an operation running on " + what + ". Try again later.", Status: 400}
	},
	Quota: func(resource string) *emu.APIError {
		return &emu.APIError{Code: codeQuota, Message: "The service limit was exceeded for " + resource + ".", Status: 400}
	},
}

// violations collects constraint violations and renders them the way AWS
// JSON services report model constraints: "1 validation error detected:
// Value 'x' at 'member' failed to satisfy constraint: Member must ..."
// (source: the standard AWS validation message format; the constraints are
// those of service-2.json).
type violations []string

func (v *violations) add(value any, member, constraint string) {
	val := "null"
	if value != nil {
		val = fmt.Sprintf("'%v'", value)
	}
	*v = append(*v, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: Member must %s", val, member, constraint))
}

func (v *violations) required(present bool, member string) {
	if !present {
		v.add(nil, member, "not be null")
	}
}

func (v *violations) length(s *string, member string, min, max int) {
	if s == nil {
		return
	}
	n := len([]rune(*s))
	if n < min {
		v.add(*s, member, fmt.Sprintf("have length greater than or equal to %d", min))
	} else if max > 0 && n > max {
		v.add(*s, member, fmt.Sprintf("have length less than or equal to %d", max))
	}
}

func (v *violations) rangeInt(n *int32, member string, min, max int32) {
	if n == nil {
		return
	}
	if *n < min {
		v.add(*n, member, fmt.Sprintf("have value greater than or equal to %d", min))
	} else if *n > max {
		v.add(*n, member, fmt.Sprintf("have value less than or equal to %d", max))
	}
}

func (v violations) err() *apiError {
	if len(v) == 0 {
		return nil
	}
	noun := "error"
	if len(v) > 1 {
		noun = "errors"
	}
	return errValidation("%d validation %s detected: %s", len(v), noun, strings.Join(v, "; "))
}
