package emu

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// DefaultAccountID is the account every local resource belongs to.
const DefaultAccountID = "123456789012"

// DefaultRegion is used when a request carries no SigV4 credential scope.
const DefaultRegion = "us-east-1"

// Request is one API call as the router understood it. Services fill in
// Resource (the ARN or identifier the call acts on) and, for the operations
// whose authorization depends on them, Resources, Params, RequestTags and
// ResourceTags (see detail.go); the router records the call when the
// response is written.
type Request struct {
	Context   context.Context
	Service   string // signing name: elasticache, memorydb, redshift-serverless, s3, tagging, sns, events
	Action    string // operation name, e.g. CreateSnapshot
	Region    string
	AccountID string
	RequestID string
	Resource  string
	// Resources are the other ARNs the call acts on (the snapshot a create
	// or copy makes, the bucket an export writes to), added with
	// AddResource; the record lists Resource first.
	Resources []string
	// Params are the request parameters that name resources or decide the
	// authorization (SetParam); nil when the service records none.
	Params map[string]string
	// RequestTags are the Tags the request carries (SetRequestTags): empty
	// when it carries none, nil when the operation takes no tags or the
	// service does not record them.
	RequestTags map[string]string
	// ResourceTags are the tags the resource acted on had before the call
	// (SetResourceTags); nil when unknown.
	ResourceTags map[string]string
	// Set by the error writers.
	ErrorCode string
	Fault     string // the injected fault kind that answered, if any
	// Delay holds the answer back (a slow fault), in simulated time.
	Delay time.Duration
}

// NewRequestID returns a random request ID formatted like AWS's.
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

var credentialScope = regexp.MustCompile(`Credential=[^/,\s]+/\d{8}/([^/,\s]+)/([^/,\s]+)/aws4_request`)

// SigV4Scope returns the region and service of a request's SigV4 credential
// scope (Authorization header or X-Amz-Credential query parameter), or empty
// strings when the request is not signed.
func SigV4Scope(r *http.Request) (region, service string) {
	if m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		return m[1], m[2]
	}
	if c := r.URL.Query().Get("X-Amz-Credential"); c != "" {
		parts := strings.Split(c, "/")
		if len(parts) == 5 {
			return parts[2], parts[3]
		}
	}
	return "", ""
}

// ARN builds an ARN in the aws partition.
func ARN(service, region, account, resource string) string {
	return "arn:aws:" + service + ":" + region + ":" + account + ":" + resource
}

// ParsedARN is an ARN split into its parts.
type ParsedARN struct {
	Partition, Service, Region, AccountID, Resource string
}

// ParseARN splits an ARN; ok is false when s is not one.
func ParseARN(s string) (ParsedARN, bool) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return ParsedARN{}, false
	}
	return ParsedARN{parts[1], parts[2], parts[3], parts[4], parts[5]}, true
}
