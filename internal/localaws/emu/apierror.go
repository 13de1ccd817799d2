package emu

import "fmt"

// APIError is an error as a service puts it on the wire: the code the SDKs
// turn into a typed error, the message, and the HTTP status.
type APIError struct {
	Code    string
	Message string
	Status  int // HTTP status; 400 when zero
	// Server marks a fault of the service (awsQuery Type "Receiver").
	Server bool
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

// HTTPStatus returns the status to send, 400 when none was set.
func (e *APIError) HTTPStatus() int {
	if e.Status == 0 {
		return 400
	}
	return e.Status
}

// Errorf returns a client (400) error with a formatted message.
func Errorf(code, format string, args ...any) *APIError {
	return &APIError{Code: code, Message: fmt.Sprintf(format, args...), Status: 400}
}

// Errors common to the AWS protocols (sources: the "Common Errors" pages of the
// ElastiCache, MemoryDB and Redshift Serverless API references).
var (
	ErrMissingAction = func(a string) *APIError {
		return Errorf("InvalidAction", "The action or operation requested is invalid: %s", a)
	}
	ErrSerialization = func(msg string) *APIError {
		return &APIError{Code: "SerializationException", Message: msg, Status: 400}
	}
)
