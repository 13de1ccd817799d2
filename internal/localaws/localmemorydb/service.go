// Package localmemorydb emulates the snapshot control plane of Amazon
// MemoryDB for snapflow's local AWS: clusters (CreateCluster,
// DescribeClusters, DeleteCluster), snapshots (CreateSnapshot,
// DescribeSnapshots, CopySnapshot with and without TargetBucket,
// DeleteSnapshot) and tags (TagResource, UntagResource, ListTags), on the
// service's awsJson1_1 wire protocol (X-Amz-Target prefix "AmazonMemoryDB",
// SigV4 signing name "memorydb", PascalCase members, epoch-second
// timestamps; source: the MemoryDB API model, service-2.json).
//
// Time-driven state is lazy: every resource stores when its current step
// started and ends, and its status is computed from the simulated clock
// whenever it is read. Exports to S3 are written to the object store the
// first time the service is used after they complete (or on Settle).
package localmemorydb

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// Timings AWS does not publish; each is assumed and can be changed on a
// Service before it serves requests.
const (
	// DefaultClusterCreateDuration is how long an API-created cluster stays
	// "creating" (seeded clusters start "available").
	DefaultClusterCreateDuration = 10 * time.Minute
	// DefaultClusterDeleteDuration is how long a cluster shows "deleting"
	// before it disappears.
	DefaultClusterDeleteDuration = 5 * time.Minute
	// DefaultSnapshotDeleteDuration is how long a snapshot shows "deleting"
	// before it disappears.
	DefaultSnapshotDeleteDuration = 30 * time.Second
)

// Service is the local MemoryDB. Create it with New; it is safe for
// concurrent use.
type Service struct {
	env *emu.Env

	// ClusterCreateDuration, ClusterDeleteDuration and
	// SnapshotDeleteDuration tune the assumed timings above; set them
	// before serving.
	ClusterCreateDuration  time.Duration
	ClusterDeleteDuration  time.Duration
	SnapshotDeleteDuration time.Duration

	mu        sync.Mutex
	clusters  map[string]*cluster  // by region + "/" + name
	snapshots map[string]*snapshot // by region + "/" + name
	exports   []*export            // not yet written to S3
	seq       int64                // creation order, for stable listings
}

// The interfaces the local AWS uses.
var (
	_ emu.Service   = (*Service)(nil)
	_ emu.Seeder    = (*Service)(nil)
	_ emu.TagSource = (*Service)(nil)
)

// New returns an empty local MemoryDB using env's clock, faults and S3.
func New(env *emu.Env) *Service {
	return &Service{
		env:                    env,
		ClusterCreateDuration:  DefaultClusterCreateDuration,
		ClusterDeleteDuration:  DefaultClusterDeleteDuration,
		SnapshotDeleteDuration: DefaultSnapshotDeleteDuration,
		clusters:               map[string]*cluster{},
		snapshots:              map[string]*snapshot{},
	}
}

// Name is MemoryDB's SigV4 signing name (model metadata "signingName").
func (s *Service) Name() string { return "memorydb" }

// handlers maps each emulated operation to its handler. Every handler runs
// with s.mu held and the lazy state settled.
func (s *Service) handlers() map[string]func(*call) {
	return map[string]func(*call){
		"CreateCluster":     s.createCluster,
		"DescribeClusters":  s.describeClusters,
		"DeleteCluster":     s.deleteCluster,
		"CreateSnapshot":    s.createSnapshot,
		"DescribeSnapshots": s.describeSnapshots,
		"CopySnapshot":      s.copySnapshot,
		"DeleteSnapshot":    s.deleteSnapshot,
		"TagResource":       s.tagResource,
		"UntagResource":     s.untagResource,
		"ListTags":          s.listTags,
	}
}

// ServeAWS answers one MemoryDB call (emu.Service).
func (s *Service) ServeAWS(w http.ResponseWriter, r *http.Request, req *emu.Request) {
	h, ok := s.handlers()[req.Action]
	if !ok {
		// awsJson answers an unknown X-Amz-Target with UnknownOperationException.
		emu.WriteJSONError(w, req, emu.Errorf("UnknownOperationException", "The operation %s is not supported by the local MemoryDB.", req.Action))
		return
	}
	if req.AccountID == "" {
		req.AccountID = s.env.AccountID
	}
	if req.Region == "" {
		req.Region = emu.DefaultRegion
	}
	c := &call{s: s, w: w, r: r, req: req}
	c.recordRequest()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleLocked(s.env.Clock.Now())
	h(c)
}

// Settle brings lazy state up to the current simulated time: it removes
// clusters and snapshots whose deletion has finished and writes completed
// exports to S3. The service does this on every call; the local AWS may also
// call it (e.g. before listing a bucket) so that exports show up in S3 even
// when nobody polls MemoryDB.
func (s *Service) Settle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleLocked(s.env.Clock.Now())
}

func (s *Service) settleLocked(now time.Time) {
	for k, c := range s.clusters {
		if c.gone(now) {
			delete(s.clusters, k)
		}
	}
	for k, sn := range s.snapshots {
		if sn.gone(now) {
			delete(s.snapshots, k)
		}
	}
	pending := s.exports[:0]
	for _, e := range s.exports {
		if now.Before(e.doneAt) {
			pending = append(pending, e)
			continue
		}
		e.finish(s.env.Store)
	}
	s.exports = pending
}

// nextSeq numbers resources in creation order.
func (s *Service) nextSeq() int64 {
	s.seq++
	return s.seq
}

// recordedParams are the request members recorded on every call (emu.Call
// Params): those that name the resources a call acts on or makes, the
// export bucket and the encryption key.
var recordedParams = []string{
	"ClusterName", "ResourceArn", "SnapshotName", "SourceSnapshotName", "TargetSnapshotName", "TargetBucket", "KmsKeyId",
}

// takesTags are the operations with a Tags member (model): their record
// holds the request's tags, empty when it carries none.
var takesTags = map[string]bool{"CreateCluster": true, "CreateSnapshot": true, "CopySnapshot": true, "TagResource": true}

// recordRequest records the call's parameters, request tags and the
// resources it makes: the snapshot of CreateSnapshot, the copy of
// CopySnapshot or, with TargetBucket, the bucket it exports to.
func (c *call) recordRequest() {
	m := emu.PeekJSON(c.r)
	c.req.RecordJSONParams(m, recordedParams...)
	if takesTags[c.req.Action] {
		if tags := emu.JSONTags(m["Tags"], "Key", "Value"); tags != nil {
			c.req.SetRequestTags(tags)
		}
	}
	p := c.req.Params
	switch c.req.Action {
	case "CreateSnapshot":
		if n := p["SnapshotName"]; n != "" {
			c.req.AddResource(c.s.arn(c.req.Region, "snapshot", strings.ToLower(n)))
		}
	case "CopySnapshot":
		if b := p["TargetBucket"]; b != "" {
			c.req.AddResource("arn:aws:s3:::" + b)
		} else if n := p["TargetSnapshotName"]; n != "" {
			c.req.AddResource(c.s.arn(c.req.Region, "snapshot", strings.ToLower(n)))
		}
	}
}

// faultCodes is how MemoryDB answers injected faults.
//
//   - Throttle: APICallRateForCustomerExceededFault, a modelled error shape
//     with no httpStatusCode (so 400). The Go SDK types it only for the
//     operations that list it (FailoverShard) and otherwise returns a
//     smithy.GenericAPIError with that code; it is not in the SDK's default
//     retryable list (aws/retry).
//   - AccessDenied: AccessDeniedException, HTTP 400 (MemoryDB API Reference,
//     "Common Errors").
//   - Internal: InternalFailure, HTTP 500 (same page).
//   - Busy: InvalidClusterStateFault, or InvalidSnapshotStateFault when the
//     call acts on a snapshot (DeleteSnapshot, CopySnapshot …), since those
//     operations do not model InvalidClusterStateFault.
//   - Quota: SnapshotQuotaExceededFault.
var faultCodes = emu.FaultCodes{
	Throttle:     emu.APIError{Code: "APICallRateForCustomerExceededFault", Message: "Rate exceeded", Status: 400},
	AccessDenied: emu.APIError{Code: "AccessDeniedException", Message: "You do not have sufficient access to perform this action.", Status: 400},
	Internal:     emu.APIError{Code: "InternalFailure", Message: "The request processing has failed because of an unknown error, exception or failure.", Status: 500, Server: true},
	Busy: func(resource string) *emu.APIError {
		if a, ok := emu.ParseARN(resource); ok && strings.HasPrefix(a.Resource, "snapshot/") {
			return errInvalidSnapshotState(strings.TrimPrefix(a.Resource, "snapshot/"), "unavailable")
		}
		return errInvalidClusterState(resourceName(resource), "unavailable")
	},
	Quota: func(resource string) *emu.APIError {
		return errSnapshotQuota(resourceName(resource))
	},
}

// resourceName returns the name part of a MemoryDB ARN, or s itself.
func resourceName(s string) string {
	if a, ok := emu.ParseARN(s); ok {
		return a.Resource[strings.LastIndexByte(a.Resource, '/')+1:]
	}
	return s
}

// call is one request being answered.
type call struct {
	s   *Service
	w   http.ResponseWriter
	r   *http.Request
	req *emu.Request
}

// decode reads the JSON body into v, answering and returning false on error.
func (c *call) decode(v any) bool {
	if err := emu.DecodeJSON(c.r, v); err != nil {
		c.fail(err)
		return false
	}
	return true
}

// admit applies rate limits and injected faults for the resource; it
// answers and returns ok=false when the call must stop.
//
// The resource's tags as they are before the call are recorded (emu.Call
// ResourceTags) when it exists.
func (c *call) admit(resource string) (emu.Admission, bool) {
	if resource != "" {
		if t, err := c.s.resolveLocked(resource, c.req.Region); err == nil {
			c.req.SetResourceTags(*t.tags)
		}
	}
	adm, err := c.s.env.Faults.Admit(c.req, resource, &faultCodes)
	if err != nil {
		c.fail(err)
		return adm, false
	}
	return adm, true
}

// named admits the call acting on the resource of kind (cluster or
// snapshot) that v names, lower-cased as MemoryDB stores names, then
// requires the name (the member param): MemoryDB applies faults before it
// checks parameters. It answers and returns ok=false when the call must
// stop.
func (c *call) named(param, kind string, v *string) (string, emu.Admission, bool) {
	name := strings.ToLower(str(v))
	adm, ok := c.admit(c.s.arn(c.req.Region, kind, name))
	if !ok {
		return "", adm, false
	}
	if name == "" {
		c.fail(errMissing(param))
		return "", adm, false
	}
	return name, adm, true
}

// resourceARN is named for the tagging calls, which give their resource's
// ARN (ResourceArn) instead of its name.
func (c *call) resourceARN(v *string) (string, bool) {
	arn := str(v)
	if _, ok := c.admit(arn); !ok {
		return "", false
	}
	if arn == "" {
		c.fail(errMissing("ResourceArn"))
		return "", false
	}
	return arn, true
}

func (c *call) fail(err *emu.APIError) { emu.WriteJSONError(c.w, c.req, err) }

func (c *call) ok(v any) { emu.WriteJSON(c.w, c.req, v) }

func (c *call) now() time.Time { return c.s.env.Clock.Now() }

// arn builds a MemoryDB ARN: arn:aws:memorydb:<region>:<account>:<kind>/<name>
// (kind "cluster" or "snapshot"; source: Service Authorization Reference,
// "Resource types defined by Amazon MemoryDB").
func (s *Service) arn(region, kind, name string) string {
	return emu.ARN("memorydb", region, s.env.AccountID, kind+"/"+name)
}

func key(region, name string) string { return region + "/" + name }
