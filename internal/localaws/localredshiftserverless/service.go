// Package localredshiftserverless emulates the Amazon Redshift Serverless
// control plane that snapflow uses: namespaces (and the workgroups a
// namespace needs before it can be snapshotted), manual snapshots, tags and
// snapshot copy configurations with their cross-Region copies.
//
// The wire protocol is awsJson1_1 (X-Amz-Target "RedshiftServerless.<Op>",
// SigV4 signing name "redshift-serverless", lowerCamelCase members, iso8601
// timestamps in output shapes; source: the API model service-2.json).
//
// Time-driven state is lazy: a snapshot stores when it started and when it
// completes, and its status is computed from the emulated clock whenever it
// is read. Every behaviour carries its source in a comment; "assumed" marks
// what AWS does not say.
package localredshiftserverless

import (
	"net/http"
	"sync"
	"time"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// SigningName is the SigV4 signing name and endpoint prefix of the service
// (source: service-2.json metadata).
const SigningName = "redshift-serverless"

// TargetPrefix is the X-Amz-Target prefix of the service's operations
// (source: service-2.json metadata targetPrefix).
const TargetPrefix = "RedshiftServerless"

// Options tunes the emulator. The zero value of a field means its default.
type Options struct {
	// NamespaceQuota is the number of namespaces per account and Region.
	// Default 25 (source: Amazon Redshift management guide, "Quotas for
	// Amazon Redshift Serverless objects": Number of namespaces 25).
	NamespaceQuota int
	// SnapshotQuota caps the manual snapshots per account and Region;
	// 0 means no cap. AWS publishes no Redshift Serverless snapshot quota
	// (assumed), but CreateSnapshot can answer ServiceQuotaExceededException
	// (source: service-2.json), so the cap is configurable.
	SnapshotQuota int
	// DeleteDuration is how long a namespace or workgroup shows DELETING
	// before it disappears. Default 1 minute (assumed; AWS gives no figure,
	// Terraform waits for DELETING to clear).
	DeleteDuration time.Duration
	// DefaultDataSizeMB is the data size of namespaces created through the
	// API, which has no such parameter (assumed: 0, an empty namespace).
	DefaultDataSizeMB int64
}

func (o Options) withDefaults() Options {
	if o.NamespaceQuota == 0 {
		o.NamespaceQuota = 25
	}
	if o.DeleteDuration == 0 {
		o.DeleteDuration = time.Minute
	}
	return o
}

// Service is the emulated Redshift Serverless control plane. It implements
// emu.Service, emu.Seeder and emu.TagSource.
type Service struct {
	env  *emu.Env
	opts Options

	mu          sync.Mutex
	namespaces  []*namespace
	workgroups  []*workgroup
	snapshots   []*snapshot
	copyConfigs []*copyConfig
	handlers    map[string]handler
}

type handler func(r *http.Request, req *emu.Request) (any, *apiError)

// New returns the service with default Options.
func New(env *emu.Env) *Service { return NewWithOptions(env, Options{}) }

// NewWithOptions returns the service tuned by opts.
func NewWithOptions(env *emu.Env, opts Options) *Service {
	s := &Service{env: env, opts: opts.withDefaults()}
	s.handlers = map[string]handler{
		"CreateNamespace":                 s.createNamespace,
		"GetNamespace":                    s.getNamespace,
		"ListNamespaces":                  s.listNamespaces,
		"DeleteNamespace":                 s.deleteNamespace,
		"CreateWorkgroup":                 s.createWorkgroup,
		"GetWorkgroup":                    s.getWorkgroup,
		"ListWorkgroups":                  s.listWorkgroups,
		"DeleteWorkgroup":                 s.deleteWorkgroup,
		"CreateSnapshot":                  s.createSnapshot,
		"GetSnapshot":                     s.getSnapshot,
		"ListSnapshots":                   s.listSnapshots,
		"UpdateSnapshot":                  s.updateSnapshot,
		"DeleteSnapshot":                  s.deleteSnapshot,
		"TagResource":                     s.tagResource,
		"UntagResource":                   s.untagResource,
		"ListTagsForResource":             s.listTagsForResource,
		"CreateSnapshotCopyConfiguration": s.createSnapshotCopyConfiguration,
		"ListSnapshotCopyConfigurations":  s.listSnapshotCopyConfigurations,
		"UpdateSnapshotCopyConfiguration": s.updateSnapshotCopyConfiguration,
		"DeleteSnapshotCopyConfiguration": s.deleteSnapshotCopyConfiguration,
	}
	return s
}

// Name returns the SigV4 signing name.
func (s *Service) Name() string { return SigningName }

// ServeAWS answers one awsJson1_1 call.
func (s *Service) ServeAWS(w http.ResponseWriter, r *http.Request, req *emu.Request) {
	h, ok := s.handlers[req.Action]
	if !ok {
		// awsJson services answer an unknown target with
		// UnknownOperationException (assumed from the awsJson protocol).
		writeError(w, req, &apiError{Code: "UnknownOperationException", Message: "Unknown operation " + req.Action, Status: 400})
		return
	}
	recordRequest(r, req)
	out, err := h(r, req)
	if err != nil {
		writeError(w, req, err)
		return
	}
	emu.WriteJSON(w, req, out)
}

func (s *Service) now() time.Time { return s.env.Clock.Now() }

func (s *Service) account() string {
	if s.env.AccountID != "" {
		return s.env.AccountID
	}
	return emu.DefaultAccountID
}

func (s *Service) arn(region, resource string) string {
	return emu.ARN(SigningName, region, s.account(), resource)
}

// admit applies the injected faults and rate limits to a call acting on
// resource (an ARN when the resource exists, else its name). It must be
// called without s.mu held: a slow fault sleeps. Aliases (the resource's
// name) let a fault match a resource whose ARN ends in an ID.
//
// The resource's tags as they are before the call are recorded (emu.Call
// ResourceTags) when resource is the ARN of one that exists.
func (s *Service) admit(req *emu.Request, resource string, aliases ...string) (emu.Admission, *apiError) {
	if _, isARN := emu.ParseARN(resource); isARN {
		now := s.lockedNow()
		if tags, err := s.tagsOfLocked(req.Region, resource, now); err == nil {
			req.SetResourceTags(tags)
		}
		s.mu.Unlock()
	}
	if s.env.Faults == nil {
		req.Resource = resource
		return emu.Admission{}, nil
	}
	adm, err := s.env.Faults.Admit(req, resource, &faultCodes, aliases...)
	if err != nil {
		return adm, fromEmu(err)
	}
	return adm, nil
}

// recordedParams are the request members recorded on every call (emu.Call
// Params): those that name the resources a call acts on.
var recordedParams = []string{
	"namespaceName", "namespaceArn", "workgroupName", "snapshotName", "snapshotArn", "resourceArn",
}

// takesTags are the operations with a tags member (service-2.json): their
// record holds the request's tags, empty when it carries none.
var takesTags = map[string]bool{"CreateNamespace": true, "CreateWorkgroup": true, "CreateSnapshot": true, "TagResource": true}

// recordRequest records the call's parameters and request tags. The ARN of
// a snapshot CreateSnapshot makes ends in a generated ID: createSnapshot
// adds it once it is known.
func recordRequest(r *http.Request, req *emu.Request) {
	m := emu.PeekJSON(r)
	req.RecordJSONParams(m, recordedParams...)
	if takesTags[req.Action] {
		if tags := emu.JSONTags(m["tags"], "key", "value"); tags != nil {
			req.SetRequestTags(tags)
		}
	}
}

// lockedNow locks the service, drops what has expired and returns the time.
// The caller must unlock s.mu.
func (s *Service) lockedNow() time.Time {
	s.mu.Lock()
	now := s.now()
	s.sweepLocked(now)
	return now
}

// sweepLocked forgets namespaces and workgroups whose deletion has finished,
// snapshots past their retention period and copies that will never appear.
func (s *Service) sweepLocked(now time.Time) {
	nss := s.namespaces[:0]
	for _, n := range s.namespaces {
		if !n.gone(now) {
			nss = append(nss, n)
		}
	}
	s.namespaces = nss
	wgs := s.workgroups[:0]
	for _, g := range s.workgroups {
		if !g.gone(now) {
			wgs = append(wgs, g)
		}
	}
	s.workgroups = wgs
	snaps := s.snapshots[:0]
	for _, sn := range s.snapshots {
		if sn.tagsFrom != nil && !now.Before(sn.copyStart) {
			sn.tags, sn.tagsFrom = copyTags(sn.tagsFrom.tags), nil
		}
		if !sn.gone(now) {
			snaps = append(snaps, sn)
		}
	}
	s.snapshots = snaps
}
