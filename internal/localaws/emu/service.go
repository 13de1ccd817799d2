package emu

import (
	"encoding/json"
	"net/http"
)

// Service is one emulated AWS service behind the local AWS's single endpoint.
type Service interface {
	// Name is the service's SigV4 signing name (elasticache, memorydb, …).
	Name() string
	// ServeAWS answers one API call. The router has already filled in
	// req.Service, req.Region, req.AccountID, req.RequestID and, for awsQuery
	// and awsJson calls, req.Action (for awsQuery the form is parsed into
	// r.PostForm). The service sets req.Resource (through Faults.Admit),
	// for the operations whose authorization depends on them the request's
	// other resources, parameters and tags (AddResource, SetParam,
	// SetRequestTags, SetResourceTags), and answers with the protocol
	// writers, which set req.ErrorCode.
	ServeAWS(w http.ResponseWriter, r *http.Request, req *Request)
}

// Seeder is a service that can load its part of a seed file.
type Seeder interface {
	// Seed creates the resources described by raw (the service's section of
	// the seed file); region is the default for items that name none.
	Seed(region string, raw json.RawMessage) error
}
