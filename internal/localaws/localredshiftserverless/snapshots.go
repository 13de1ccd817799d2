package localredshiftserverless

import (
	"net/http"
	"slices"
	"sort"
	"time"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// findSnapshotLocked returns the visible snapshot named name in region.
// Snapshot names are unique per account and Region: GetSnapshot, UpdateSnapshot
// and DeleteSnapshot take only the name (source: service-2.json).
func (s *Service) findSnapshotLocked(region, name string, now time.Time) *snapshot {
	for _, sn := range s.snapshots {
		if sn.region == region && sn.name == name && sn.visible(now) {
			return sn
		}
	}
	return nil
}

func (s *Service) findSnapshotByARNLocked(region, arn string, now time.Time) *snapshot {
	for _, sn := range s.snapshots {
		if sn.region == region && sn.arn == arn && sn.visible(now) {
			return sn
		}
	}
	return nil
}

func (s *Service) snapshotResource(region, name string) string {
	now := s.lockedNow()
	defer s.mu.Unlock()
	if sn := s.findSnapshotLocked(region, name, now); sn != nil {
		return sn.arn
	}
	return name
}

// nameTakenLocked reports whether a snapshot named name exists in region or
// will appear there (a pending cross-Region copy).
func (s *Service) nameTakenLocked(region, name string, now time.Time) bool {
	for _, sn := range s.snapshots {
		if sn.region == region && sn.name == name && !sn.gone(now) {
			return true
		}
	}
	return false
}

func (s *Service) duration(n *namespace) time.Duration {
	m := s.env.SnapshotModel
	if m.Base == 0 && m.MBPerSecond == 0 {
		m = emu.DefaultDurationModel
	}
	return m.Duration(n.dataSizeMB, n.snapshotOverride)
}

// createSnapshotLocked starts a snapshot of namespace n. It checks the name
// is free in the Region (a duplicate answers ConflictException: assumed, the
// only conflict exception CreateSnapshot has in service-2.json) and the
// optional snapshot quota. The snapshot takes the duration the snapshot
// model gives for the namespace's data size and ends FAILED instead of
// AVAILABLE when fail is set. When the namespace has a snapshot copy
// configuration, a copy of the snapshot appears in the destination Region
// once it completes (source: management guide "When you create a snapshot in
// the source AWS Region, it's copied to a destination Region").
func (s *Service) createSnapshotLocked(now time.Time, n *namespace, name string, retention *int32, tags map[string]string, fail bool) (*snapshot, *apiError) {
	if s.nameTakenLocked(n.region, name, now) {
		return nil, errConflict("A snapshot with the name %s already exists.", name)
	}
	if q := s.opts.SnapshotQuota; q > 0 {
		count := 0
		for _, sn := range s.snapshots {
			if sn.region == n.region && !sn.gone(now) {
				count++
			}
		}
		if count >= q {
			return nil, errQuota("You have reached the maximum number of snapshots (%d) for this account in this Region.", q)
		}
	}
	ret := int32(retainIndefinitely)
	if retention != nil {
		ret = *retention
	}
	id := newID()
	done := now.Add(s.duration(n))
	sn := &snapshot{
		region: n.region, name: name, id: id, arn: s.arn(n.region, "snapshot/"+id),
		nsName: n.name, nsArn: n.arn, adminUsername: n.adminUsername, kmsKeyID: n.kmsKeyID,
		owner: s.account(), created: now, done: done, sizeMB: float64(n.dataSizeMB), failed: fail,
		retention: ret,
		// Retention is counted from the start of the snapshot (assumed).
		retentionStart: now,
		tags:           copyTags(tags),
	}
	s.snapshots = append(s.snapshots, sn)
	if !fail {
		for _, c := range s.copyConfigs {
			if c.region == n.region && c.namespace == n.name {
				s.planCopyLocked(now, sn, n, c)
			}
		}
	}
	return sn, nil
}

type createSnapshotInput struct {
	NamespaceName   *string `json:"namespaceName"`
	SnapshotName    *string `json:"snapshotName"`
	RetentionPeriod *int32  `json:"retentionPeriod"`
	Tags            []tagIn `json:"tags"`
}

type snapshotOutput struct {
	Snapshot snapshotOut `json:"snapshot"`
}

// CreateSnapshot (source: service-2.json). The namespace must exist, have a
// workgroup and be AVAILABLE (source: management guide, see workgroups.go);
// the text for a namespace without workgroup is the one AWS sends (source:
// quoted in aws-solutions-library-samples/guidance-for-game-analytics-
// pipeline-on-aws PR #100; its exception, ValidationException, is assumed).
// While the snapshot runs the namespace is MODIFYING and a second snapshot
// is refused with ConflictException (assumed).
func (s *Service) createSnapshot(r *http.Request, req *emu.Request) (any, *apiError) {
	var in createSnapshotInput
	if e := emu.DecodeJSON(r, &in); e != nil {
		return nil, fromEmu(e)
	}
	nsName := deref(in.NamespaceName)
	adm, err := s.admit(req, s.namespaceResource(req.Region, nsName), nsName)
	if err != nil {
		return nil, err
	}
	var v violations
	v.required(in.NamespaceName != nil, "namespaceName")
	v.required(in.SnapshotName != nil, "snapshotName")
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := checkSnapshotName(*in.SnapshotName); err != nil {
		return nil, err
	}
	if err := checkRetention(in.RetentionPeriod, "retentionPeriod"); err != nil {
		return nil, err
	}
	tags, err := checkTags(in.Tags, "tags")
	if err != nil {
		return nil, err
	}
	now := s.lockedNow()
	defer s.mu.Unlock()
	n := s.findNamespaceLocked(req.Region, nsName)
	if n == nil || !n.deletingUntil.IsZero() {
		return nil, errNamespaceNotFound(nsName)
	}
	if s.activeWorkgroupLocked(n) == nil {
		return nil, errValidation("You can't create a snapshot because there isn't a workgroup created for the namespace")
	}
	if s.namespaceStatusLocked(n, now) != nsAvailable {
		return nil, errNamespaceBusy("creating a snapshot")
	}
	if len(tags) > maxTagsPerResource {
		return nil, errTooManyTags(*in.SnapshotName)
	}
	sn, err := s.createSnapshotLocked(now, n, *in.SnapshotName, in.RetentionPeriod, tags, adm.FailSnapshot)
	if err != nil {
		return nil, err
	}
	req.AddResource(sn.arn)
	return snapshotOutput{snapshotOutOf(sn, now)}, nil
}

type getSnapshotInput struct {
	OwnerAccount *string `json:"ownerAccount"`
	SnapshotArn  *string `json:"snapshotArn"`
	SnapshotName *string `json:"snapshotName"`
}

// GetSnapshot finds a snapshot by snapshotName or snapshotArn (source:
// service-2.json). Giving neither, or both, is a ValidationException
// (assumed, as RestoreFromSnapshot: "snapshotArn or snapshotName, but not
// both"). An ownerAccount other than the caller's finds no snapshot: the
// emulator has no snapshots shared by other accounts.
func (s *Service) getSnapshot(r *http.Request, req *emu.Request) (any, *apiError) {
	var in getSnapshotInput
	if e := emu.DecodeJSON(r, &in); e != nil {
		return nil, fromEmu(e)
	}
	resource := deref(in.SnapshotArn)
	if resource == "" {
		resource = s.snapshotResource(req.Region, deref(in.SnapshotName))
	}
	if _, err := s.admit(req, resource); err != nil {
		return nil, err
	}
	name, arn := deref(in.SnapshotName), deref(in.SnapshotArn)
	switch {
	case name == "" && arn == "":
		return nil, errValidation("You must specify either snapshotName or snapshotArn.")
	case name != "" && arn != "":
		return nil, errValidation("You can specify snapshotName or snapshotArn, but not both.")
	}
	if arn != "" {
		if p, ok := emu.ParseARN(arn); !ok || p.Service != SigningName {
			return nil, errValidation("The snapshotArn %s is not a valid ARN.", arn)
		}
	}
	now := s.lockedNow()
	defer s.mu.Unlock()
	var sn *snapshot
	if arn != "" {
		sn = s.findSnapshotByARNLocked(req.Region, arn, now)
	} else {
		sn = s.findSnapshotLocked(req.Region, name, now)
	}
	if sn == nil || (in.OwnerAccount != nil && *in.OwnerAccount != sn.owner) {
		if name == "" {
			name = arn
		}
		return nil, errSnapshotNotFound(name)
	}
	return snapshotOutput{snapshotOutOf(sn, now)}, nil
}

type listSnapshotsInput struct {
	EndTime       *emu.EpochSeconds `json:"endTime"`
	MaxResults    *int32            `json:"maxResults"`
	NamespaceArn  *string           `json:"namespaceArn"`
	NamespaceName *string           `json:"namespaceName"`
	NextToken     *string           `json:"nextToken"`
	OwnerAccount  *string           `json:"ownerAccount"`
	StartTime     *emu.EpochSeconds `json:"startTime"`
}

// ListSnapshots lists the Region's snapshots, oldest first (order assumed),
// filtered by namespaceName, namespaceArn, ownerAccount and by
// snapshotCreateTime between startTime and endTime (source: service-2.json;
// the time filter's field is assumed). nextToken/maxResults with maxResults
// 1-100 (source: API reference "Valid Range: Minimum value of 1. Maximum
// value of 100"). A namespace filter naming a namespace that neither exists
// nor has snapshots answers ResourceNotFoundException (assumed).
func (s *Service) listSnapshots(r *http.Request, req *emu.Request) (any, *apiError) {
	var in listSnapshotsInput
	if e := emu.DecodeJSON(r, &in); e != nil {
		return nil, fromEmu(e)
	}
	resource := deref(in.NamespaceArn)
	if resource == "" && in.NamespaceName != nil {
		resource = s.namespaceResource(req.Region, *in.NamespaceName)
	}
	if _, err := s.admit(req, resource); err != nil {
		return nil, err
	}
	var v violations
	v.rangeInt(in.MaxResults, "maxResults", 1, 100)
	if err := v.err(); err != nil {
		return nil, err
	}
	if in.NamespaceArn != nil {
		if p, ok := emu.ParseARN(*in.NamespaceArn); !ok || p.Service != SigningName {
			return nil, errValidation("The namespaceArn %s is not a valid ARN.", *in.NamespaceArn)
		}
	}
	now := s.lockedNow()
	defer s.mu.Unlock()
	var matched []*snapshot
	for _, sn := range s.snapshots {
		if sn.region != req.Region || !sn.visible(now) {
			continue
		}
		if in.NamespaceName != nil && sn.nsName != *in.NamespaceName {
			continue
		}
		if in.NamespaceArn != nil && sn.nsArn != *in.NamespaceArn {
			continue
		}
		if in.OwnerAccount != nil && sn.owner != *in.OwnerAccount {
			continue
		}
		if in.StartTime != nil && sn.created.Before(time.Time(*in.StartTime)) {
			continue
		}
		if in.EndTime != nil && sn.created.After(time.Time(*in.EndTime)) {
			continue
		}
		matched = append(matched, sn)
	}
	if len(matched) == 0 {
		if in.NamespaceName != nil && s.findNamespaceLocked(req.Region, *in.NamespaceName) == nil && !s.anySnapshotOfLocked(req.Region, *in.NamespaceName, "", now) {
			return nil, errNamespaceNotFound(*in.NamespaceName)
		}
		if in.NamespaceArn != nil && s.namespaceByARNLocked(req.Region, *in.NamespaceArn) == nil && !s.anySnapshotOfLocked(req.Region, "", *in.NamespaceArn, now) {
			return nil, errNotFound(*in.NamespaceArn, "Serverless namespace %s not found.", *in.NamespaceArn)
		}
	}
	sort.SliceStable(matched, func(i, j int) bool {
		if !matched[i].created.Equal(matched[j].created) {
			return matched[i].created.Before(matched[j].created)
		}
		return matched[i].name < matched[j].name
	})
	all := make([]snapshotOut, 0, len(matched))
	for _, sn := range matched {
		all = append(all, snapshotOutOf(sn, now))
	}
	items, next, err := page(all, in.NextToken, in.MaxResults, errBadToken)
	if err != nil {
		return nil, err
	}
	return struct {
		NextToken *string       `json:"nextToken,omitempty"`
		Snapshots []snapshotOut `json:"snapshots"`
	}{next, items}, nil
}

func (s *Service) anySnapshotOfLocked(region, nsName, nsArn string, now time.Time) bool {
	for _, sn := range s.snapshots {
		if sn.region == region && sn.visible(now) && ((nsName != "" && sn.nsName == nsName) || (nsArn != "" && sn.nsArn == nsArn)) {
			return true
		}
	}
	return false
}

func (s *Service) namespaceByARNLocked(region, arn string) *namespace {
	for _, n := range s.namespaces {
		if n.region == region && n.arn == arn {
			return n
		}
	}
	return nil
}

type updateSnapshotInput struct {
	SnapshotName    *string `json:"snapshotName"`
	RetentionPeriod *int32  `json:"retentionPeriod"`
}

// UpdateSnapshot changes the retention period (source: service-2.json;
// management guide "To update a snapshot's retention period"). A period that
// has already run out is refused (assumed, as Redshift's "The retention
// period specified is either in the past or is not a valid value").
func (s *Service) updateSnapshot(r *http.Request, req *emu.Request) (any, *apiError) {
	var in updateSnapshotInput
	if e := emu.DecodeJSON(r, &in); e != nil {
		return nil, fromEmu(e)
	}
	name := deref(in.SnapshotName)
	if _, err := s.admit(req, s.snapshotResource(req.Region, name), name); err != nil {
		return nil, err
	}
	var v violations
	v.required(in.SnapshotName != nil, "snapshotName")
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := checkRetention(in.RetentionPeriod, "retentionPeriod"); err != nil {
		return nil, err
	}
	now := s.lockedNow()
	defer s.mu.Unlock()
	sn := s.findSnapshotLocked(req.Region, name, now)
	if sn == nil {
		return nil, errSnapshotNotFound(name)
	}
	if in.RetentionPeriod != nil {
		r := *in.RetentionPeriod
		if r > 0 && !now.Before(sn.retentionStart.Add(time.Duration(r)*24*time.Hour)) {
			return nil, errValidation("The retention period %d is in the past for snapshot %s, whose retention started %s.", r, name, emu.XMLTime(sn.retentionStart))
		}
		sn.retention = r
	}
	return snapshotOutput{snapshotOutOf(sn, now)}, nil
}

type snapshotNameInput struct {
	SnapshotName *string `json:"snapshotName"`
}

// DeleteSnapshot removes a snapshot and answers it with status DELETED
// (assumed: DELETED is in the SnapshotStatus enum). A snapshot still being
// created or copied cannot be deleted: ConflictException (assumed, as
// Redshift's "must be in the available state").
func (s *Service) deleteSnapshot(r *http.Request, req *emu.Request) (any, *apiError) {
	var in snapshotNameInput
	if e := emu.DecodeJSON(r, &in); e != nil {
		return nil, fromEmu(e)
	}
	name := deref(in.SnapshotName)
	if _, err := s.admit(req, s.snapshotResource(req.Region, name), name); err != nil {
		return nil, err
	}
	var v violations
	v.required(in.SnapshotName != nil, "snapshotName")
	if err := v.err(); err != nil {
		return nil, err
	}
	now := s.lockedNow()
	defer s.mu.Unlock()
	sn := s.findSnapshotLocked(req.Region, name, now)
	if sn == nil {
		return nil, errSnapshotNotFound(name)
	}
	if st := sn.status(now); st == snapCreating || st == snapCopying {
		return nil, errConflict("Snapshot %s is %s. Try deleting the snapshot again later.", name, st)
	}
	out := snapshotOutOf(sn, now)
	out.Status = snapDeleted
	s.snapshots = slices.DeleteFunc(s.snapshots, func(x *snapshot) bool { return x == sn })
	return snapshotOutput{out}, nil
}
