package localredshiftserverless

import (
	"net/http"
	"sort"
	"time"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// Workgroups are emulated only as far as snapshots need them: a namespace
// can be snapshotted only when a workgroup is associated with it (source:
// management guide "You can only create snapshots of namespaces that are
// associated with a workgroup and whose statuses are Available").

func (s *Service) findWorkgroupLocked(region, name string) *workgroup {
	for _, g := range s.workgroups {
		if g.region == region && g.name == name {
			return g
		}
	}
	return nil
}

func (s *Service) workgroupResource(region, name string) string {
	s.lockedNow()
	defer s.mu.Unlock()
	if g := s.findWorkgroupLocked(region, name); g != nil {
		return g.arn
	}
	return name
}

// createWorkgroupLocked creates a workgroup for namespace nsName. A
// namespace has at most one workgroup (source: aws/aws-cli issue #7507,
// "multiple workgroups cannot be associated with a namespace"); both that and
// a duplicate workgroup name answer ConflictException (messages assumed).
func (s *Service) createWorkgroupLocked(now time.Time, region, name, nsName string, baseCapacity *int32, tagList []tagIn) (*workgroup, *apiError) {
	var v violations
	v.required(name != "", "workgroupName")
	v.required(nsName != "", "namespaceName")
	if name != "" {
		v.checkName(&name, "workgroupName")
	}
	if nsName != "" {
		v.checkName(&nsName, "namespaceName")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	tags, err := checkTags(tagList, "tags")
	if err != nil {
		return nil, err
	}
	if len(tags) > maxTagsPerResource {
		return nil, errTooManyTags(name)
	}
	// Base capacity 8 to 1024 RPUs in steps of 8, default 128 (source:
	// management guide "Understanding Amazon Redshift Serverless capacity").
	capacity := int32(128)
	if baseCapacity != nil {
		capacity = *baseCapacity
		if capacity < 8 || capacity > 1024 || capacity%8 != 0 {
			return nil, errValidation("Base capacity %d is not valid. Specify a value from 8 to 1024 in units of 8.", capacity)
		}
	}
	n := s.findNamespaceLocked(region, nsName)
	if n == nil || !n.deletingUntil.IsZero() {
		return nil, errNamespaceNotFound(nsName)
	}
	if s.findWorkgroupLocked(region, name) != nil {
		return nil, errConflict("Workgroup %s already exists.", name)
	}
	if g := s.activeWorkgroupLocked(n); g != nil {
		return nil, errConflict("Namespace %s is already associated with workgroup %s.", nsName, g.name)
	}
	id := newID()
	g := &workgroup{
		region: region, name: name, id: id, arn: s.arn(region, "workgroup/"+id),
		namespace: nsName, created: now, baseCapacity: capacity, tags: tags,
	}
	s.workgroups = append(s.workgroups, g)
	return g, nil
}

type createWorkgroupInput struct {
	WorkgroupName *string `json:"workgroupName"`
	NamespaceName *string `json:"namespaceName"`
	BaseCapacity  *int32  `json:"baseCapacity"`
	Tags          []tagIn `json:"tags"`
}

type workgroupOutput struct {
	Workgroup workgroupOut `json:"workgroup"`
}

// CreateWorkgroup (source: service-2.json; network members are accepted and
// ignored).
func (s *Service) createWorkgroup(r *http.Request, req *emu.Request) (any, *apiError) {
	var in createWorkgroupInput
	if e := emu.DecodeJSON(r, &in); e != nil {
		return nil, fromEmu(e)
	}
	if _, err := s.admit(req, s.workgroupResource(req.Region, deref(in.WorkgroupName))); err != nil {
		return nil, err
	}
	now := s.lockedNow()
	defer s.mu.Unlock()
	g, err := s.createWorkgroupLocked(now, req.Region, deref(in.WorkgroupName), deref(in.NamespaceName), in.BaseCapacity, in.Tags)
	if err != nil {
		return nil, err
	}
	req.Resource = g.arn
	return workgroupOutput{workgroupOutOf(g)}, nil
}

type workgroupNameInput struct {
	WorkgroupName *string `json:"workgroupName"`
}

func (in workgroupNameInput) check() *apiError {
	var v violations
	v.required(in.WorkgroupName != nil, "workgroupName")
	v.checkName(in.WorkgroupName, "workgroupName")
	return v.err()
}

// GetWorkgroup (source: service-2.json).
func (s *Service) getWorkgroup(r *http.Request, req *emu.Request) (any, *apiError) {
	var in workgroupNameInput
	if e := emu.DecodeJSON(r, &in); e != nil {
		return nil, fromEmu(e)
	}
	name := deref(in.WorkgroupName)
	if _, err := s.admit(req, s.workgroupResource(req.Region, name)); err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	s.lockedNow()
	defer s.mu.Unlock()
	g := s.findWorkgroupLocked(req.Region, name)
	if g == nil {
		return nil, errWorkgroupNotFound(name)
	}
	return workgroupOutput{workgroupOutOf(g)}, nil
}

// ListWorkgroups: nextToken/maxResults 1-100 (source: service-2.json).
func (s *Service) listWorkgroups(r *http.Request, req *emu.Request) (any, *apiError) {
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
	s.lockedNow()
	defer s.mu.Unlock()
	var gs []*workgroup
	for _, g := range s.workgroups {
		if g.region == req.Region {
			gs = append(gs, g)
		}
	}
	sort.SliceStable(gs, func(i, j int) bool { return gs[i].created.Before(gs[j].created) })
	all := make([]workgroupOut, 0, len(gs))
	for _, g := range gs {
		all = append(all, workgroupOutOf(g))
	}
	items, next, err := page(all, in.NextToken, in.MaxResults, errBadToken)
	if err != nil {
		return nil, err
	}
	return struct {
		Workgroups []workgroupOut `json:"workgroups"`
		NextToken  *string        `json:"nextToken,omitempty"`
	}{items, next}, nil
}

// DeleteWorkgroup answers the workgroup DELETING; it disappears after
// Options.DeleteDuration (source: service-2.json; Terraform waits for
// DELETING to clear; duration assumed). The namespace loses its workgroup at
// once (assumed).
func (s *Service) deleteWorkgroup(r *http.Request, req *emu.Request) (any, *apiError) {
	var in workgroupNameInput
	if e := emu.DecodeJSON(r, &in); e != nil {
		return nil, fromEmu(e)
	}
	name := deref(in.WorkgroupName)
	if _, err := s.admit(req, s.workgroupResource(req.Region, name)); err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	now := s.lockedNow()
	defer s.mu.Unlock()
	g := s.findWorkgroupLocked(req.Region, name)
	if g == nil {
		return nil, errWorkgroupNotFound(name)
	}
	if !g.deletingUntil.IsZero() {
		return nil, errConflict("There is an operation running on the workgroup. Try deleting the workgroup again later.")
	}
	g.deletingUntil = now.Add(s.opts.DeleteDuration)
	return workgroupOutput{workgroupOutOf(g)}, nil
}
