package localredshiftserverless

import (
	"net/http"
	"sort"
	"time"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// namespaceSpec is what creating a namespace takes, from the API or a seed.
type namespaceSpec struct {
	region, name          string
	adminUsername, dbName string
	kmsKeyID              string
	tags                  []tagIn
	dataSizeMB            int64
	snapshotOverride      time.Duration
}

// findNamespaceLocked returns the namespace named name in region, including
// one being deleted, or nil.
func (s *Service) findNamespaceLocked(region, name string) *namespace {
	for _, n := range s.namespaces {
		if n.region == region && n.name == name {
			return n
		}
	}
	return nil
}

// namespaceResource is what a call on the namespace named name acts on: its
// ARN when it exists, else the name.
func (s *Service) namespaceResource(region, name string) string {
	s.lockedNow()
	defer s.mu.Unlock()
	if n := s.findNamespaceLocked(region, name); n != nil {
		return n.arn
	}
	return name
}

// activeWorkgroupLocked returns the workgroup of a namespace, if it has one
// that is not being deleted.
func (s *Service) activeWorkgroupLocked(n *namespace) *workgroup {
	for _, g := range s.workgroups {
		if g.region == n.region && g.namespace == n.name && g.deletingUntil.IsZero() {
			return g
		}
	}
	return nil
}

// createNamespaceLocked creates a namespace; CreateNamespace and the seed
// both use it. The namespace is AVAILABLE as soon as it is created
// (assumed; Terraform's create does not wait for another status).
func (s *Service) createNamespaceLocked(now time.Time, spec namespaceSpec) (*namespace, *apiError) {
	var v violations
	v.required(spec.name != "", "namespaceName")
	if spec.name != "" {
		v.checkName(&spec.name, "namespaceName")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	tags, err := checkTags(spec.tags, "tags")
	if err != nil {
		return nil, err
	}
	if len(tags) > maxTagsPerResource {
		return nil, errTooManyTags(spec.name)
	}
	// A namespace name is unique per account and Region; a duplicate answers
	// ConflictException (assumed message; the exception is the one
	// CreateNamespace lists for conflicts in service-2.json).
	if s.findNamespaceLocked(spec.region, spec.name) != nil {
		return nil, errConflict("Namespace %s already exists.", spec.name)
	}
	count := 0
	for _, n := range s.namespaces {
		if n.region == spec.region {
			count++
		}
	}
	// Quota: 25 namespaces (source: "Quotas for Amazon Redshift Serverless
	// objects"). CreateNamespace lists no quota exception, so the
	// ValidationException and its text are assumed.
	if count >= s.opts.NamespaceQuota {
		return nil, errValidation("You have reached the maximum number of namespaces (%d) for this account in this Region.", s.opts.NamespaceQuota)
	}
	id := newID()
	n := &namespace{
		region:        spec.region,
		name:          spec.name,
		id:            id,
		arn:           s.arn(spec.region, "namespace/"+id),
		dbName:        spec.dbName,
		adminUsername: spec.adminUsername,
		kmsKeyID:      spec.kmsKeyID,
		created:       now,
		dataSizeMB:    spec.dataSizeMB,
		tags:          tags,

		snapshotOverride: spec.snapshotOverride,
	}
	// Defaults: first database "dev" and the AWS owned key (source:
	// management guide, the default database of Redshift Serverless is dev;
	// AWS_OWNED_KMS_KEY as above).
	if n.dbName == "" {
		n.dbName = "dev"
	}
	if n.kmsKeyID == "" {
		n.kmsKeyID = defaultKmsKeyID
	}
	s.namespaces = append(s.namespaces, n)
	return n, nil
}

type createNamespaceInput struct {
	NamespaceName *string `json:"namespaceName"`
	AdminUsername *string `json:"adminUsername"`
	DbName        *string `json:"dbName"`
	KmsKeyID      *string `json:"kmsKeyId"`
	Tags          []tagIn `json:"tags"`
}

type namespaceOutput struct {
	Namespace namespaceOut `json:"namespace"`
}

// CreateNamespace (source: service-2.json CreateNamespace; only the members
// snapflow's tests need are kept, the others are accepted and ignored).
func (s *Service) createNamespace(r *http.Request, req *emu.Request) (any, *apiError) {
	var in createNamespaceInput
	if e := emu.DecodeJSON(r, &in); e != nil {
		return nil, fromEmu(e)
	}
	name := deref(in.NamespaceName)
	if _, err := s.admit(req, s.namespaceResource(req.Region, name), name); err != nil {
		return nil, err
	}
	now := s.lockedNow()
	defer s.mu.Unlock()
	n, err := s.createNamespaceLocked(now, namespaceSpec{
		region: req.Region, name: name, adminUsername: deref(in.AdminUsername), dbName: deref(in.DbName),
		kmsKeyID: deref(in.KmsKeyID), tags: in.Tags, dataSizeMB: s.opts.DefaultDataSizeMB,
	})
	if err != nil {
		return nil, err
	}
	req.Resource = n.arn
	return namespaceOutput{s.namespaceOutLocked(n, now)}, nil
}

type namespaceNameInput struct {
	NamespaceName *string `json:"namespaceName"`
}

func checkNamespaceName(p *string) *apiError {
	var v violations
	v.required(p != nil, "namespaceName")
	v.checkName(p, "namespaceName")
	return v.err()
}

// GetNamespace (source: service-2.json).
func (s *Service) getNamespace(r *http.Request, req *emu.Request) (any, *apiError) {
	var in namespaceNameInput
	if e := emu.DecodeJSON(r, &in); e != nil {
		return nil, fromEmu(e)
	}
	name := deref(in.NamespaceName)
	if _, err := s.admit(req, s.namespaceResource(req.Region, name), name); err != nil {
		return nil, err
	}
	if err := checkNamespaceName(in.NamespaceName); err != nil {
		return nil, err
	}
	now := s.lockedNow()
	defer s.mu.Unlock()
	n := s.findNamespaceLocked(req.Region, name)
	if n == nil {
		return nil, errNamespaceNotFound(name)
	}
	return namespaceOutput{s.namespaceOutLocked(n, now)}, nil
}

type listInput struct {
	MaxResults *int32  `json:"maxResults"`
	NextToken  *string `json:"nextToken"`
}

func (in listInput) check() *apiError {
	var v violations
	v.rangeInt(in.MaxResults, "maxResults", 1, 100)
	return v.err()
}

var errBadToken = errValidation("The nextToken is not valid.")

// ListNamespaces: nextToken/maxResults with maxResults 1-100 (source:
// service-2.json ListNamespacesRequestMaxResultsInteger; paginators-1.json).
// Namespaces are listed oldest first (assumed).
func (s *Service) listNamespaces(r *http.Request, req *emu.Request) (any, *apiError) {
	var in listInput
	if e := emu.DecodeJSON(r, &in); e != nil {
		return nil, fromEmu(e)
	}
	if _, err := s.admit(req, ""); err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	now := s.lockedNow()
	defer s.mu.Unlock()
	var all []namespaceOut
	for _, n := range s.sortedNamespacesLocked(req.Region) {
		all = append(all, s.namespaceOutLocked(n, now))
	}
	items, next, err := page(all, in.NextToken, in.MaxResults, errBadToken)
	if err != nil {
		return nil, err
	}
	if items == nil {
		items = []namespaceOut{}
	}
	return struct {
		Namespaces []namespaceOut `json:"namespaces"`
		NextToken  *string        `json:"nextToken,omitempty"`
	}{items, next}, nil
}

func (s *Service) sortedNamespacesLocked(region string) []*namespace {
	var out []*namespace
	for _, n := range s.namespaces {
		if n.region == region {
			out = append(out, n)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].created.Before(out[j].created) })
	return out
}

type deleteNamespaceInput struct {
	NamespaceName                *string `json:"namespaceName"`
	FinalSnapshotName            *string `json:"finalSnapshotName"`
	FinalSnapshotRetentionPeriod *int32  `json:"finalSnapshotRetentionPeriod"`
}

// DeleteNamespace answers the namespace with status DELETING; it disappears
// after Options.DeleteDuration, or when its final snapshot completes if that
// is later (source: service-2.json; Terraform waits for DELETING to clear;
// durations assumed). It is refused with ConflictException while an
// operation (a snapshot) runs on the namespace (source: the error text quoted
// in the Terraform provider) and while a workgroup is associated with it
// (assumed). Its tags and snapshot copy configurations go with it (source:
// "If you delete a resource, any associated tags are deleted"; the copy
// configurations are assumed).
func (s *Service) deleteNamespace(r *http.Request, req *emu.Request) (any, *apiError) {
	var in deleteNamespaceInput
	if e := emu.DecodeJSON(r, &in); e != nil {
		return nil, fromEmu(e)
	}
	name := deref(in.NamespaceName)
	adm, err := s.admit(req, s.namespaceResource(req.Region, name), name)
	if err != nil {
		return nil, err
	}
	if err := checkNamespaceName(in.NamespaceName); err != nil {
		return nil, err
	}
	if in.FinalSnapshotName != nil {
		if err := checkSnapshotName(*in.FinalSnapshotName); err != nil {
			return nil, err
		}
	}
	if err := checkRetention(in.FinalSnapshotRetentionPeriod, "finalSnapshotRetentionPeriod"); err != nil {
		return nil, err
	}
	now := s.lockedNow()
	defer s.mu.Unlock()
	n := s.findNamespaceLocked(req.Region, name)
	if n == nil {
		return nil, errNamespaceNotFound(name)
	}
	if s.namespaceStatusLocked(n, now) != nsAvailable {
		return nil, errNamespaceBusy("deleting the namespace")
	}
	if g := s.activeWorkgroupLocked(n); g != nil {
		return nil, errConflict("Namespace %s can't be deleted while it is associated with workgroup %s. Delete the workgroup first.", n.name, g.name)
	}
	until := now.Add(s.opts.DeleteDuration)
	if in.FinalSnapshotName != nil {
		sn, err := s.createSnapshotLocked(now, n, *in.FinalSnapshotName, in.FinalSnapshotRetentionPeriod, nil, adm.FailSnapshot)
		if err != nil {
			return nil, err
		}
		if sn.done.After(until) {
			until = sn.done
		}
	}
	n.deletingUntil = until
	keep := s.copyConfigs[:0]
	for _, c := range s.copyConfigs {
		if c.region == n.region && c.namespace == n.name {
			s.cancelCopiesLocked(c, now)
			continue
		}
		keep = append(keep, c)
	}
	s.copyConfigs = keep
	return namespaceOutput{s.namespaceOutLocked(n, now)}, nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
