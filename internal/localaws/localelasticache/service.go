// Package localelasticache emulates the control plane of Amazon ElastiCache
// that snapflow uses, node-based and serverless, on the service's awsQuery
// wire protocol (form POST, XML answers in the namespace
// http://elasticache.amazonaws.com/doc/2015-02-02/, SigV4 signing name
// "elasticache"; source: the ElastiCache API model, service-2.json).
//
// Sources: replication groups (cluster mode disabled and enabled), cache
// clusters (Valkey / Redis OSS single node, Memcached), data-tiering groups
// (r6gd) and serverless caches, created through their own API operations or
// from the seed file. Snapshots: CreateSnapshot, DescribeSnapshots,
// CopySnapshot (with TargetBucket: the export to S3), DeleteSnapshot and the
// serverless snapshot operations, with tags on every resource.
//
// Time-driven state is lazy: each resource stores when its current step
// started and ends, and its status is computed from the simulated clock when
// it is read. Exports are written to the object store the first time the
// service is used after they complete, or when Settle is called.
package localelasticache

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// xmlns is the namespace of every answer (model metadata "xmlNamespace").
const xmlns = "http://elasticache.amazonaws.com/doc/2015-02-02/"

// Timings and sizes AWS does not publish; each is assumed and can be changed
// on a Service before it serves requests.
const (
	// DefaultCreateDuration is how long an API-created replication group,
	// cache cluster or serverless cache stays "creating" (seeded ones start
	// "available").
	DefaultCreateDuration = 10 * time.Minute
	// DefaultDeleteDuration is how long a source shows "deleting" before it
	// disappears.
	DefaultDeleteDuration = 5 * time.Minute
	// DefaultSnapshotDeleteDuration is how long a snapshot shows "deleting"
	// before it disappears.
	DefaultSnapshotDeleteDuration = 30 * time.Second
	// DefaultDataSizeMB is the data size of a source created through the API
	// (the seed gives its own); it drives the snapshot duration.
	DefaultDataSizeMB = 64
)

// Service is the local ElastiCache. Create it with New; it is safe for
// concurrent use.
type Service struct {
	env *emu.Env

	// CreateDuration, DeleteDuration and SnapshotDeleteDuration tune the
	// assumed timings above; set them before serving.
	CreateDuration         time.Duration
	DeleteDuration         time.Duration
	SnapshotDeleteDuration time.Duration

	mu          sync.Mutex
	groups      map[string]*replicationGroup   // by region/id
	clusters    map[string]*cacheCluster       // by region/id, standalone and members
	caches      map[string]*serverlessCache    // by region/name
	snapshots   map[string]*snapshot           // by region/name
	slSnapshots map[string]*serverlessSnapshot // by region/name
	exports     []*export                      // every export, in start order
	seq         int64
}

// New returns an empty local ElastiCache using env's clock, faults and S3.
func New(env *emu.Env) *Service {
	return &Service{
		env:                    env,
		CreateDuration:         DefaultCreateDuration,
		DeleteDuration:         DefaultDeleteDuration,
		SnapshotDeleteDuration: DefaultSnapshotDeleteDuration,
		groups:                 map[string]*replicationGroup{},
		clusters:               map[string]*cacheCluster{},
		caches:                 map[string]*serverlessCache{},
		snapshots:              map[string]*snapshot{},
		slSnapshots:            map[string]*serverlessSnapshot{},
	}
}

// Name is ElastiCache's SigV4 signing name (model metadata "endpointPrefix").
func (s *Service) Name() string { return "elasticache" }

// handlers maps each emulated operation to its handler. Every handler runs
// with s.mu held and the lazy state settled.
func (s *Service) handlers() map[string]func(*call) {
	return map[string]func(*call){
		"CreateReplicationGroup":           s.createReplicationGroup,
		"DescribeReplicationGroups":        s.describeReplicationGroups,
		"DeleteReplicationGroup":           s.deleteReplicationGroup,
		"CreateCacheCluster":               s.createCacheCluster,
		"DescribeCacheClusters":            s.describeCacheClusters,
		"DeleteCacheCluster":               s.deleteCacheCluster,
		"CreateSnapshot":                   s.createSnapshot,
		"DescribeSnapshots":                s.describeSnapshots,
		"CopySnapshot":                     s.copySnapshot,
		"DeleteSnapshot":                   s.deleteSnapshot,
		"CreateServerlessCache":            s.createServerlessCache,
		"DescribeServerlessCaches":         s.describeServerlessCaches,
		"DeleteServerlessCache":            s.deleteServerlessCache,
		"CreateServerlessCacheSnapshot":    s.createServerlessCacheSnapshot,
		"DescribeServerlessCacheSnapshots": s.describeServerlessCacheSnapshots,
		"CopyServerlessCacheSnapshot":      s.copyServerlessCacheSnapshot,
		"ExportServerlessCacheSnapshot":    s.exportServerlessCacheSnapshot,
		"DeleteServerlessCacheSnapshot":    s.deleteServerlessCacheSnapshot,
		"AddTagsToResource":                s.addTagsToResource,
		"ListTagsForResource":              s.listTagsForResource,
		"RemoveTagsFromResource":           s.removeTagsFromResource,
	}
}

// ServeAWS answers one ElastiCache call (emu.Service).
func (s *Service) ServeAWS(w http.ResponseWriter, r *http.Request, req *emu.Request) {
	if r.PostForm == nil {
		_ = r.ParseForm()
	}
	if req.AccountID == "" {
		req.AccountID = s.env.AccountID
	}
	if req.Region == "" {
		req.Region = emu.DefaultRegion
	}
	h, ok := s.handlers()[req.Action]
	if !ok {
		// Common Errors: InvalidAction, HTTP 400.
		emu.WriteQueryError(w, req, xmlns, emu.ErrMissingAction(req.Action))
		return
	}
	c := &call{s: s, w: w, r: r, req: req}
	c.recordRequest()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleLocked(s.env.Clock.Now())
	h(c)
}

// recordedParams are the parameters recorded on every call (emu.Call
// Params): those that name the resources a call acts on or makes, the
// export bucket and the encryption key.
var recordedParams = []string{
	"ReplicationGroupId", "CacheClusterId", "ServerlessCacheName", "ResourceName",
	"SnapshotName", "SourceSnapshotName", "TargetSnapshotName", "TargetBucket",
	"ServerlessCacheSnapshotName", "SourceServerlessCacheSnapshotName", "TargetServerlessCacheSnapshotName",
	"S3BucketName", "KmsKeyId",
}

// takesTags are the operations with a Tags parameter (model): their
// record holds the request's tags, empty when it carries none.
var takesTags = map[string]bool{
	"CreateReplicationGroup": true, "CreateCacheCluster": true, "CreateServerlessCache": true,
	"CreateSnapshot": true, "CopySnapshot": true,
	"CreateServerlessCacheSnapshot": true, "CopyServerlessCacheSnapshot": true,
	"AddTagsToResource": true,
}

// recordRequest records the call's parameters and request tags.
func (c *call) recordRequest() {
	c.req.RecordQueryParams(c.r.PostForm, recordedParams...)
	if takesTags[c.req.Action] {
		c.req.SetRequestTags(emu.QueryTags(c.r.PostForm, "Tags.Tag"))
	}
}

// Settle brings lazy state up to the current simulated time: it removes
// sources and snapshots whose deletion has finished and writes completed
// exports to S3. The service does this on every call; the local AWS should
// also call it before S3 answers a read, so that exports appear in S3 when
// their time comes even if nobody polls ElastiCache.
func (s *Service) Settle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleLocked(s.env.Clock.Now())
}

func (s *Service) settleLocked(now time.Time) {
	for k, g := range s.groups {
		if g.gone(now) {
			for _, m := range g.members() {
				delete(s.clusters, key(m.region, m.id))
			}
			delete(s.groups, k)
		}
	}
	for k, c := range s.clusters {
		if c.group == nil && c.gone(now) {
			delete(s.clusters, k)
		}
	}
	for k, c := range s.caches {
		if c.gone(now) {
			delete(s.caches, k)
		}
	}
	for k, sn := range s.snapshots {
		if sn.gone(now) {
			delete(s.snapshots, k)
		}
	}
	for k, sn := range s.slSnapshots {
		if sn.gone(now) {
			delete(s.slSnapshots, k)
		}
	}
	for _, e := range s.exports {
		if e.state == exportRunning && !now.Before(e.doneAt) {
			e.finish(s.env.Store)
		}
	}
}

func (s *Service) nextSeq() int64 {
	s.seq++
	return s.seq
}

func key(region, id string) string { return region + "/" + id }

// arn builds an ElastiCache ARN: arn:aws:elasticache:<region>:<account>:<kind>:<name>,
// kind one of cluster, replicationgroup, snapshot, serverlesscache,
// serverlesscachesnapshot (source: Service Authorization Reference,
// "Resource types defined by Amazon ElastiCache").
func (s *Service) arn(region, kind, name string) string {
	return emu.ARN("elasticache", region, s.env.AccountID, kind+":"+name)
}

// call is one request being answered.
type call struct {
	s   *Service
	w   http.ResponseWriter
	r   *http.Request
	req *emu.Request
}

func (c *call) now() time.Time { return c.s.env.Clock.Now() }

func (c *call) region() string { return c.req.Region }

func (c *call) fail(err *emu.APIError) { emu.WriteQueryError(c.w, c.req, xmlns, err) }

func (c *call) ok(result any) { emu.WriteQueryResult(c.w, c.req, xmlns, result) }

// admit applies rate limits and injected faults to the call acting on
// resource (an ARN, or "" for account-wide calls); it answers and returns
// ok=false when the call must stop.
//
// The resource's tags as they are before the call are recorded (emu.Call
// ResourceTags) when it exists.
func (c *call) admit(resource string) (emu.Admission, bool) {
	if resource != "" {
		if t, err := c.s.resolveTagged(c.region(), resource); err == nil {
			c.req.SetResourceTags(t.get())
		}
	}
	adm, err := c.s.env.Faults.Admit(c.req, resource, c.faultCodes(resource))
	if err != nil {
		c.fail(err)
		return adm, false
	}
	return adm, true
}

// faultCodes is how ElastiCache answers injected faults.
//
//   - Throttle: APICallRateForCustomerExceeded, HTTP 400 (model shape
//     APICallRateForCustomerExceededFault). The Go SDK types it only for the
//     operations that list it and is not in its default retryable list.
//   - AccessDenied: AccessDenied with IAM's message, as ElastiCache answers
//     an IAM denial ("User: … is not authorized to perform: elasticache:…");
//     HTTP 403 is assumed.
//   - Internal: InternalFailure, HTTP 500 (API Reference, "Common Errors").
//   - Busy: the invalid-state fault of the resource kind the call acts on.
//   - Quota: SnapshotQuotaExceededFault, or
//     ServerlessCacheSnapshotQuotaExceededFault for serverless resources.
func (c *call) faultCodes(resource string) *emu.FaultCodes {
	what := resource
	if what == "" {
		what = "*"
	}
	return &emu.FaultCodes{
		Throttle: emu.APIError{Code: "APICallRateForCustomerExceeded", Message: "Rate exceeded", Status: 400},
		AccessDenied: emu.APIError{
			Code: "AccessDenied",
			Message: fmt.Sprintf("User: arn:aws:iam::%s:user/snapflow-local is not authorized to perform: elasticache:%s on resource: %s because no identity-based policy allows the elasticache:%s action",
				c.req.AccountID, c.req.Action, what, c.req.Action),
			Status: 403,
		},
		Internal: emu.APIError{Code: "InternalFailure", Message: "An internal error has occurred. Please try your query again at a later time.", Status: 500, Server: true},
		Busy:     busyFault,
		Quota:    quotaFault,
	}
}

// busyFault returns the invalid-state fault for the kind of resource.
func busyFault(resource string) *emu.APIError {
	kind, name := splitARN(resource)
	switch kind {
	case "replicationgroup":
		return errInvalidReplicationGroupState(name, "snapshotting")
	case "cluster":
		return errInvalidCacheClusterState(name, "snapshotting")
	case "serverlesscache":
		return errInvalidServerlessCacheState(name)
	case "snapshot":
		return errInvalidSnapshotState(name, "copying")
	case "serverlesscachesnapshot":
		return errInvalidServerlessCacheSnapshotState(name)
	}
	return nil
}

// quotaFault returns the snapshot quota fault for the kind of resource.
func quotaFault(resource string) *emu.APIError {
	kind, name := splitARN(resource)
	if strings.HasPrefix(kind, "serverless") {
		return errServerlessSnapshotQuota(name)
	}
	return errSnapshotQuota(name, 20)
}

// splitARN returns the resource kind and name of an ElastiCache ARN.
func splitARN(s string) (kind, name string) {
	a, ok := emu.ParseARN(s)
	if !ok {
		return "", s
	}
	kind, name, _ = strings.Cut(a.Resource, ":")
	return kind, name
}
