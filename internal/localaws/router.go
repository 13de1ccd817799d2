// Package localaws is snapflow's local AWS: the snapshot control planes of
// ElastiCache (node-based and serverless), MemoryDB and Redshift Serverless,
// with S3, SNS, EventBridge and the Resource Groups Tagging API, on one
// loopback endpoint that the real AWS SDKs and the AWS CLI talk to.
//
// Requests are routed as AWS routes them: by the service in the SigV4
// credential scope, then by X-Amz-Target (awsJson), then by the awsQuery
// Version, and anything else is S3 (path-style REST).
package localaws

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// targetPrefixes maps awsJson X-Amz-Target prefixes to signing names
// (source: the "targetPrefix" of each service model).
var targetPrefixes = map[string]string{
	"AmazonMemoryDB":                    "memorydb",
	"RedshiftServerless":                "redshift-serverless",
	"ResourceGroupsTaggingAPI_20170126": "tagging",
	"AWSEvents":                         "events",
}

// queryVersions maps awsQuery API versions to signing names (source: the
// "apiVersion" of each service model).
var queryVersions = map[string]string{
	"2015-02-02": "elasticache",
	"2010-03-31": "sns",
}

var accessKey = regexp.MustCompile(`Credential=([^/,\s]+)/`)

// statusWriter remembers the status a service answered with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Flush lets streaming S3 responses through.
func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// route decides which service a request is for, as AWS does.
func route(r *http.Request) (service string) {
	_, service = emu.SigV4Scope(r)
	if service != "" {
		return service
	}
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		if s, ok := targetPrefixes[strings.SplitN(t, ".", 2)[0]]; ok {
			return s
		}
	}
	if isForm(r) {
		if err := r.ParseForm(); err == nil {
			if s, ok := queryVersions[r.PostForm.Get("Version")]; ok {
				return s
			}
		}
	}
	return "s3"
}

func isForm(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded")
}

// ServeHTTP routes one request to its service and records the call.
func (a *AWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, adminPrefix) {
		a.admin(w, r)
		return
	}
	name := route(r)
	region, _ := emu.SigV4Scope(r)
	if region == "" {
		region = a.region
	}
	req := &emu.Request{
		Context:   r.Context(),
		Service:   name,
		Region:    region,
		AccountID: a.env.AccountID,
		RequestID: emu.NewRequestID(),
	}
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		if i := strings.LastIndexByte(t, '.'); i >= 0 {
			req.Action = t[i+1:]
		}
	} else if isForm(r) {
		if err := r.ParseForm(); err == nil {
			req.Action = r.PostForm.Get("Action")
		}
	}
	if name == "s3" {
		a.Settle() // exports that completed by now have written their objects
	}
	// The answer is buffered so that a slow fault can hold it back after the
	// service has released its locks.
	buf := httptest.NewRecorder()
	svc, ok := a.services[name]
	if !ok {
		emu.WriteJSONError(buf, req, emu.Errorf("UnknownOperationException", "the local AWS does not emulate the service %q", name))
	} else {
		svc.ServeAWS(buf, r, req)
	}
	if req.Delay > 0 {
		if err := a.env.Clock.Sleep(r.Context(), req.Delay); err != nil {
			return // the client went away
		}
	}
	sw := &statusWriter{ResponseWriter: w}
	for k, v := range buf.Header() {
		sw.Header()[k] = v
	}
	sw.WriteHeader(buf.Code)
	_, _ = sw.Write(buf.Body.Bytes())
	call := emu.Call{
		Time:      a.env.Clock.Now(),
		Service:   name,
		Action:    req.Action,
		Region:    req.Region,
		Resource:  req.Resource,
		Status:    sw.status,
		ErrorCode: req.ErrorCode,
		Fault:     req.Fault,
		RequestID: req.RequestID,

		Resources:    req.AllResources(),
		Params:       req.Params,
		RequestTags:  req.RequestTags,
		ResourceTags: req.ResourceTags,
	}
	if m := accessKey.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		call.AccessKeyID = m[1]
	}
	a.env.Recorder.Record(call)
}
