// Package errclass is snapflow's small set of error classes. Every AWS error
// an adapter meets is mapped to one of them; at the Lambda boundary the class
// becomes the error name Step Functions sees, so the state machine's Retry
// and Catch can match it. The AWS code and message are kept in the cause.
package errclass

import (
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/lambda/messages"
)

// Class is the name of an error as Step Functions sees it.
type Class string

// The classes. Retryable ones: Throttled, TargetBusy, Transient.
const (
	Throttled      Class = "Snapflow.Throttled"      // the API's rate limit; retry with backoff
	TargetBusy     Class = "Snapflow.TargetBusy"     // the source is in a state that rejects the call (snapshotting, modifying)
	NotFound       Class = "Snapflow.NotFound"       // the source, snapshot or bucket does not exist
	AlreadyExists  Class = "Snapflow.AlreadyExists"  // a resource of that name exists (idempotent re-runs resume instead)
	QuotaExceeded  Class = "Snapflow.QuotaExceeded"  // a service quota, e.g. manual snapshots per 24 h
	InvalidInput   Class = "Snapflow.InvalidInput"   // the request (policy, parameter) breaks a rule
	Unsupported    Class = "Snapflow.Unsupported"    // the service or source cannot do the step
	AccessDenied   Class = "Snapflow.AccessDenied"   // IAM, or an export bucket without the grant
	SnapshotFailed Class = "Snapflow.SnapshotFailed" // the snapshot (or copy) ended failed
	ExportFailed   Class = "Snapflow.ExportFailed"   // the export ended failed or its objects are wrong
	Transient      Class = "Snapflow.Transient"      // a 5xx or network failure left after the SDK's retries
)

// All lists every class.
var All = []Class{Throttled, TargetBusy, NotFound, AlreadyExists, QuotaExceeded, InvalidInput,
	Unsupported, AccessDenied, SnapshotFailed, ExportFailed, Transient}

// Error is an error of a class, with the context it happened in.
type Error struct {
	Class   Class
	Message string // what snapflow was doing and what went wrong
	Code    string // the AWS error code, if any
	Err     error  // the cause (the SDK error), if any
}

func (e *Error) Error() string {
	msg := string(e.Class) + ": " + e.Message
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error of class with a formatted message.
func New(class Class, format string, args ...any) *Error {
	return &Error{Class: class, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an error of class caused by err.
func Wrap(class Class, err error, format string, args ...any) *Error {
	return &Error{Class: class, Message: fmt.Sprintf(format, args...), Err: err}
}

// Of returns the class of err, and false when err carries none.
func Of(err error) (Class, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e.Class, true
	}
	return "", false
}

// Is reports whether err is of class.
func Is(err error, class Class) bool {
	c, ok := Of(err)
	return ok && c == class
}

// ForLambda turns an error into what the Lambda runtime reports, so that
// Step Functions sees the class as the error name. Errors without a class
// are reported as Snapflow.Transient (so Retry can take them) with their
// message.
func ForLambda(err error) error {
	if err == nil {
		return nil
	}
	class, ok := Of(err)
	if !ok {
		class = Transient
	}
	return messages.InvokeResponse_Error{Type: string(class), Message: err.Error()}
}
