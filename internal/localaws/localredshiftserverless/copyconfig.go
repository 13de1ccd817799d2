package localredshiftserverless

import (
	"net/http"
	"slices"
	"time"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// Snapshot copy configurations copy every new snapshot of a namespace to one
// other Region (source: management guide "Copying backups to another AWS
// Region": "When you create a snapshot in the source AWS Region, it's copied
// to a destination Region. You can configure your namespace so that it only
// copies snapshots and recovery points to one destination AWS Region at a
// time"; the retention of copies is separate from the source's, default
// indefinitely, 1-3653 days).

func (s *Service) findCopyConfigLocked(region, id string) *copyConfig {
	for _, c := range s.copyConfigs {
		if c.region == region && c.id == id {
			return c
		}
	}
	return nil
}

// planCopyLocked records the copy of src that configuration c makes. The
// copy keeps the snapshot's name and create time, lives in the destination
// Region, is COPYING from the source's completion for as long as the
// snapshot model takes for the namespace's data, then AVAILABLE; it is
// encrypted with the configuration's key, retained for its
// snapshotRetentionPeriod from the start of the copy and carries the tags
// the source has when the copy starts (all assumed: AWS does not describe the copy). A name
// already taken in the destination Region means no copy (assumed).
func (s *Service) planCopyLocked(now time.Time, src *snapshot, n *namespace, c *copyConfig) {
	if s.nameTakenLocked(c.destinationRegion, src.name, now) {
		return
	}
	id := newID()
	s.snapshots = append(s.snapshots, &snapshot{
		region: c.destinationRegion, name: src.name, id: id, arn: s.arn(c.destinationRegion, "snapshot/"+id),
		nsName: src.nsName, nsArn: src.nsArn, adminUsername: src.adminUsername, kmsKeyID: c.destinationKmsKey,
		owner: src.owner, created: src.created, sizeMB: src.sizeMB,
		copyConfigID: c.id, copyStart: src.done, done: src.done.Add(s.duration(n)),
		retention: c.retention, retentionStart: src.done, tags: map[string]string{}, tagsFrom: src,
	})
}

// cancelCopiesLocked stops the copies of configuration c: those not started
// never appear, those running end CANCELLED (assumed).
func (s *Service) cancelCopiesLocked(c *copyConfig, now time.Time) {
	for _, sn := range s.snapshots {
		if sn.copyConfigID != c.id {
			continue
		}
		switch {
		case now.Before(sn.copyStart):
			sn.orphan = true
		case now.Before(sn.done) && sn.cancelledAt.IsZero():
			sn.cancelledAt = now
		}
	}
}

// copyConfigSpec is what creating a snapshot copy configuration takes.
type copyConfigSpec struct {
	region, namespace, destinationRegion, destinationKmsKey string
	retention                                               *int32
}

// createCopyConfigLocked validates and creates a configuration; the API and
// the seed both use it. The destination must be another Region (source: "copy
// snapshots to another AWS Region"); the text is assumed. A namespace has at
// most one configuration: a second one answers ServiceQuotaExceededException
// (assumed: the one-destination rule is the only quota this operation can hit
// among the exceptions service-2.json lists for it).
func (s *Service) createCopyConfigLocked(spec copyConfigSpec) (*copyConfig, *apiError) {
	var v violations
	v.required(spec.namespace != "", "namespaceName")
	v.required(spec.destinationRegion != "", "destinationRegion")
	if spec.namespace != "" {
		v.checkName(&spec.namespace, "namespaceName")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if !regionPattern.MatchString(spec.destinationRegion) {
		return nil, errValidation("The destination Region %s is not a valid AWS Region.", spec.destinationRegion)
	}
	if spec.destinationRegion == spec.region {
		return nil, errValidation("The destination Region must be different from the source Region %s.", spec.region)
	}
	if err := checkRetention(spec.retention, "snapshotRetentionPeriod"); err != nil {
		return nil, err
	}
	n := s.findNamespaceLocked(spec.region, spec.namespace)
	if n == nil || !n.deletingUntil.IsZero() {
		return nil, errNamespaceNotFound(spec.namespace)
	}
	for _, c := range s.copyConfigs {
		if c.region == spec.region && c.namespace == spec.namespace {
			return nil, errQuota("Namespace %s already has a snapshot copy configuration to %s. A namespace can copy snapshots to only one destination Region at a time.", spec.namespace, c.destinationRegion)
		}
	}
	id := newID()
	c := &copyConfig{
		id: id, arn: s.arn(spec.region, "snapshotcopyconfiguration/"+id),
		region: spec.region, namespace: spec.namespace, destinationRegion: spec.destinationRegion,
		// Defaults AWS_OWNED_KMS_KEY and -1 (source: Terraform acceptance
		// test snapshot_copy_configuration_test.go; ARN form
		// snapshotcopyconfiguration/<id> from the same test).
		destinationKmsKey: spec.destinationKmsKey, retention: retainIndefinitely,
	}
	if c.destinationKmsKey == "" {
		c.destinationKmsKey = defaultKmsKeyID
	}
	if spec.retention != nil {
		c.retention = *spec.retention
	}
	s.copyConfigs = append(s.copyConfigs, c)
	return c, nil
}

type createCopyConfigInput struct {
	DestinationKmsKeyID     *string `json:"destinationKmsKeyId"`
	DestinationRegion       *string `json:"destinationRegion"`
	NamespaceName           *string `json:"namespaceName"`
	SnapshotRetentionPeriod *int32  `json:"snapshotRetentionPeriod"`
}

type copyConfigOutput struct {
	SnapshotCopyConfiguration copyConfigOut `json:"snapshotCopyConfiguration"`
}

// CreateSnapshotCopyConfiguration (source: service-2.json).
func (s *Service) createSnapshotCopyConfiguration(r *http.Request, req *emu.Request) (any, *apiError) {
	var in createCopyConfigInput
	if e := emu.DecodeJSON(r, &in); e != nil {
		return nil, fromEmu(e)
	}
	if _, err := s.admit(req, s.namespaceResource(req.Region, deref(in.NamespaceName))); err != nil {
		return nil, err
	}
	s.lockedNow()
	defer s.mu.Unlock()
	c, err := s.createCopyConfigLocked(copyConfigSpec{
		region: req.Region, namespace: deref(in.NamespaceName), destinationRegion: deref(in.DestinationRegion),
		destinationKmsKey: deref(in.DestinationKmsKeyID), retention: in.SnapshotRetentionPeriod,
	})
	if err != nil {
		return nil, err
	}
	return copyConfigOutput{copyConfigOutOf(c)}, nil
}

type listCopyConfigsInput struct {
	MaxResults    *int32  `json:"maxResults"`
	NamespaceName *string `json:"namespaceName"`
	NextToken     *string `json:"nextToken"`
}

// ListSnapshotCopyConfigurations lists the Region's configurations in the
// order they were made (assumed), optionally of one namespace, which must
// exist (assumed). maxResults 1-100; a token the service did not issue
// answers InvalidPaginationException (source: service-2.json).
func (s *Service) listSnapshotCopyConfigurations(r *http.Request, req *emu.Request) (any, *apiError) {
	var in listCopyConfigsInput
	if e := emu.DecodeJSON(r, &in); e != nil {
		return nil, fromEmu(e)
	}
	resource := ""
	if in.NamespaceName != nil {
		resource = s.namespaceResource(req.Region, *in.NamespaceName)
	}
	if _, err := s.admit(req, resource); err != nil {
		return nil, err
	}
	var v violations
	v.rangeInt(in.MaxResults, "maxResults", 1, 100)
	v.checkName(in.NamespaceName, "namespaceName")
	v.length(in.NextToken, "nextToken", 8, 1024)
	if err := v.err(); err != nil {
		return nil, err
	}
	s.lockedNow()
	defer s.mu.Unlock()
	if in.NamespaceName != nil {
		if n := s.findNamespaceLocked(req.Region, *in.NamespaceName); n == nil || !n.deletingUntil.IsZero() {
			return nil, errNamespaceNotFound(*in.NamespaceName)
		}
	}
	all := []copyConfigOut{}
	for _, c := range s.copyConfigs {
		if c.region == req.Region && (in.NamespaceName == nil || c.namespace == *in.NamespaceName) {
			all = append(all, copyConfigOutOf(c))
		}
	}
	badToken := &apiError{Code: codeInvalidPaging, Message: "The provided pagination token is invalid.", Status: 400}
	items, next, err := page(all, in.NextToken, in.MaxResults, badToken)
	if err != nil {
		return nil, err
	}
	return struct {
		NextToken                  *string         `json:"nextToken,omitempty"`
		SnapshotCopyConfigurations []copyConfigOut `json:"snapshotCopyConfigurations"`
	}{next, items}, nil
}

type copyConfigIDInput struct {
	SnapshotCopyConfigurationID *string `json:"snapshotCopyConfigurationId"`
	SnapshotRetentionPeriod     *int32  `json:"snapshotRetentionPeriod"`
}

func (s *Service) copyConfigResource(region, id string) string {
	s.lockedNow()
	defer s.mu.Unlock()
	if c := s.findCopyConfigLocked(region, id); c != nil {
		return c.arn
	}
	return id
}

func errCopyConfigNotFound(id string) *apiError {
	return errNotFound(id, "Snapshot copy configuration %s not found.", id)
}

// UpdateSnapshotCopyConfiguration changes the retention of future copies
// (source: service-2.json; "future copies only" is assumed).
func (s *Service) updateSnapshotCopyConfiguration(r *http.Request, req *emu.Request) (any, *apiError) {
	var in copyConfigIDInput
	if e := emu.DecodeJSON(r, &in); e != nil {
		return nil, fromEmu(e)
	}
	id := deref(in.SnapshotCopyConfigurationID)
	if _, err := s.admit(req, s.copyConfigResource(req.Region, id)); err != nil {
		return nil, err
	}
	var v violations
	v.required(in.SnapshotCopyConfigurationID != nil, "snapshotCopyConfigurationId")
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := checkRetention(in.SnapshotRetentionPeriod, "snapshotRetentionPeriod"); err != nil {
		return nil, err
	}
	s.lockedNow()
	defer s.mu.Unlock()
	c := s.findCopyConfigLocked(req.Region, id)
	if c == nil {
		return nil, errCopyConfigNotFound(id)
	}
	if in.SnapshotRetentionPeriod != nil {
		c.retention = *in.SnapshotRetentionPeriod
	}
	return copyConfigOutput{copyConfigOutOf(c)}, nil
}

// DeleteSnapshotCopyConfiguration stops copying (source: management guide
// "To change the destination Region ... first disable copying backups");
// copies under way are cancelled (assumed).
func (s *Service) deleteSnapshotCopyConfiguration(r *http.Request, req *emu.Request) (any, *apiError) {
	var in copyConfigIDInput
	if e := emu.DecodeJSON(r, &in); e != nil {
		return nil, fromEmu(e)
	}
	id := deref(in.SnapshotCopyConfigurationID)
	if _, err := s.admit(req, s.copyConfigResource(req.Region, id)); err != nil {
		return nil, err
	}
	var v violations
	v.required(in.SnapshotCopyConfigurationID != nil, "snapshotCopyConfigurationId")
	if err := v.err(); err != nil {
		return nil, err
	}
	now := s.lockedNow()
	defer s.mu.Unlock()
	c := s.findCopyConfigLocked(req.Region, id)
	if c == nil {
		return nil, errCopyConfigNotFound(id)
	}
	s.cancelCopiesLocked(c, now)
	s.copyConfigs = slices.DeleteFunc(s.copyConfigs, func(x *copyConfig) bool { return x == c })
	return copyConfigOutput{copyConfigOutOf(c)}, nil
}
