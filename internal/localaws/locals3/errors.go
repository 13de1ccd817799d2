package locals3

import (
	"encoding/xml"
	"net/http"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// s3Error is an S3 REST error: <Error><Code/><Message/>…</Error> with the
// HTTP status S3 uses for the code (source: "Error responses" and the
// "List of error codes" in the Amazon S3 API Reference,
// https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).
type s3Error struct {
	Status  int
	Code    string
	Message string
	// Optional elements some codes carry.
	BucketName string
	Key        string
	Region     string // AuthorizationHeaderMalformed: the region expected
	Location   string // InvalidLocationConstraint / IllegalLocationConstraintException
	Argument   string // InvalidArgument: ArgumentName
	ArgValue   string // InvalidArgument: ArgumentValue
}

func (e *s3Error) Error() string { return e.Code + ": " + e.Message }

type s3ErrorXML struct {
	XMLName            xml.Name `xml:"Error"`
	Code               string   `xml:"Code"`
	Message            string   `xml:"Message"`
	BucketName         string   `xml:"BucketName,omitempty"`
	Key                string   `xml:"Key,omitempty"`
	Region             string   `xml:"Region,omitempty"`
	LocationConstraint string   `xml:"LocationConstraint,omitempty"`
	ArgumentName       string   `xml:"ArgumentName,omitempty"`
	ArgumentValue      string   `xml:"ArgumentValue,omitempty"`
	RequestID          string   `xml:"RequestId"`
	HostID             string   `xml:"HostId"`
}

// writeS3Error sends e as S3 does. HEAD responses carry no body (the SDK
// then derives the code from the status, e.g. NotFound).
func writeS3Error(w http.ResponseWriter, r *http.Request, req *emu.Request, e *s3Error) {
	req.ErrorCode = e.Code
	w.Header().Set("Content-Type", "application/xml")
	if e.Region != "" {
		w.Header().Set("x-amz-bucket-region", e.Region)
	}
	w.WriteHeader(e.Status)
	if r.Method == http.MethodHead {
		return
	}
	body, _ := xml.Marshal(s3ErrorXML{
		Code: e.Code, Message: e.Message, BucketName: e.BucketName, Key: e.Key,
		Region: e.Region, LocationConstraint: e.Location, ArgumentName: e.Argument, ArgumentValue: e.ArgValue,
		RequestID: req.RequestID, HostID: hostID(req.RequestID),
	})
	_, _ = w.Write(append([]byte(xml.Header), body...))
}

// fromAPIError turns an injected fault (emu.APIError) into an S3 error.
func fromAPIError(e *emu.APIError) *s3Error {
	return &s3Error{Status: e.HTTPStatus(), Code: e.Code, Message: e.Message}
}

// Error constructors. Codes, statuses and messages follow the S3 API
// Reference's "List of error codes" unless a comment says otherwise.

func errNoSuchBucket(bucket string) *s3Error {
	return &s3Error{Status: 404, Code: "NoSuchBucket", Message: "The specified bucket does not exist", BucketName: bucket}
}

func errNoSuchKey(key string) *s3Error {
	return &s3Error{Status: 404, Code: "NoSuchKey", Message: "The specified key does not exist.", Key: key}
}

func errInvalidBucketName(bucket string) *s3Error {
	return &s3Error{Status: 400, Code: "InvalidBucketName", Message: "The specified bucket is not valid.", BucketName: bucket}
}

func errBucketAlreadyOwnedByYou(bucket string) *s3Error {
	return &s3Error{Status: 409, Code: "BucketAlreadyOwnedByYou",
		Message: "Your previous request to create the named bucket succeeded and you already own it.", BucketName: bucket}
}

func errBucketNotEmpty(bucket string) *s3Error {
	return &s3Error{Status: 409, Code: "BucketNotEmpty", Message: "The bucket you tried to delete is not empty", BucketName: bucket}
}

func errMalformedXML() *s3Error {
	return &s3Error{Status: 400, Code: "MalformedXML",
		Message: "The XML you provided was not well-formed or did not validate against our published schema"}
}

func errMalformedACL() *s3Error {
	return &s3Error{Status: 400, Code: "MalformedACLError",
		Message: "The XML you provided was not well-formed or did not validate against our published schema"}
}

func errMalformedPolicy(msg string) *s3Error {
	return &s3Error{Status: 400, Code: "MalformedPolicy", Message: msg}
}

func errInvalidArgument(msg, name, value string) *s3Error {
	return &s3Error{Status: 400, Code: "InvalidArgument", Message: msg, Argument: name, ArgValue: value}
}

func errInvalidRequest(msg string) *s3Error {
	return &s3Error{Status: 400, Code: "InvalidRequest", Message: msg}
}

func errUnexpectedContent() *s3Error {
	return &s3Error{Status: 400, Code: "UnexpectedContent", Message: "This request does not support content"}
}

func errAccessDenied() *s3Error {
	return &s3Error{Status: 403, Code: "AccessDenied", Message: "Access Denied"}
}

func errNotImplemented() *s3Error {
	return &s3Error{Status: 501, Code: "NotImplemented",
		Message: "A header you provided implies functionality that is not implemented"}
}

func errMethodNotAllowed() *s3Error {
	return &s3Error{Status: 405, Code: "MethodNotAllowed", Message: "The specified method is not allowed against this resource."}
}

// errAccessControlListNotSupported: setting an ACL other than bucket owner
// full control on a bucket with Object Ownership BucketOwnerEnforced fails
// with 400 AccessControlListNotSupported, "The bucket does not allow ACLs"
// (source: S3 User Guide, "Troubleshooting" for Object Ownership,
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-ownership-error-responses.html).
func errAccessControlListNotSupported() *s3Error {
	return &s3Error{Status: 400, Code: "AccessControlListNotSupported", Message: "The bucket does not allow ACLs"}
}

// errInvalidBucketAclWithObjectOwnership: applying BucketOwnerEnforced (on
// CreateBucket or PutBucketOwnershipControls) while the bucket ACL grants
// anyone but the owner fails with 400 InvalidBucketAclWithObjectOwnership
// (same source as above; message as in the S3 error code list).
func errInvalidBucketAclWithObjectOwnership() *s3Error {
	return &s3Error{Status: 400, Code: "InvalidBucketAclWithObjectOwnership",
		Message: "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting"}
}

// errWrongRegion is what S3 answers a request signed for another region than
// the bucket's: 400 AuthorizationHeaderMalformed naming the expected region
// in <Region> and x-amz-bucket-region (clients such as the AWS CLI use it to
// redirect).
func errWrongRegion(got, want string) *s3Error {
	return &s3Error{Status: 400, Code: "AuthorizationHeaderMalformed",
		Message: "The authorization header is malformed; the region '" + got + "' is wrong; expecting '" + want + "'",
		Region:  want}
}

// hostID mimics x-amz-id-2: an opaque token that S3 returns with every response.
func hostID(requestID string) string {
	return "local/" + requestID
}

// faultCodes is how S3 answers injected faults: SlowDown 503 for throttling
// (S3's "reduce your request rate" error, retried by the SDKs), AccessDenied
// 403, InternalError 500; a busy resource gets OperationAborted 409 ("A
// conflicting conditional operation is currently in progress against this
// resource") and a quota TooManyBuckets.
var faultCodes = emu.FaultCodes{
	Throttle:     emu.APIError{Code: "SlowDown", Message: "Please reduce your request rate.", Status: 503, Server: true},
	AccessDenied: emu.APIError{Code: "AccessDenied", Message: "Access Denied", Status: 403},
	Internal:     emu.APIError{Code: "InternalError", Message: "We encountered an internal error. Please try again.", Status: 500, Server: true},
	Busy: func(string) *emu.APIError {
		return &emu.APIError{Code: "OperationAborted", Status: 409,
			Message: "A conflicting conditional operation is currently in progress against this resource. Try again."}
	},
	Quota: func(string) *emu.APIError {
		return &emu.APIError{Code: "TooManyBuckets", Status: 400,
			Message: "You have attempted to create more buckets than allowed"}
	},
}
