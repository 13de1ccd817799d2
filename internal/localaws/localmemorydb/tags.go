package localmemorydb

import (
	"sort"
	"strings"
	"time"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// tagged is the resource a tagging call names by ARN.
type tagged struct {
	arn     string
	tags    *map[string]string
	cluster *cluster // nil for a snapshot
}

// resolveLocked finds the cluster or snapshot an ARN names. A string that is
// not a MemoryDB ARN of a cluster or snapshot is an InvalidARNFault; one in
// another region or account names nothing (ClusterNotFoundFault /
// SnapshotNotFoundFault).
func (s *Service) resolveLocked(arn, region string) (tagged, *emu.APIError) {
	a, ok := emu.ParseARN(arn)
	if !ok || a.Service != "memorydb" || a.Partition == "" {
		return tagged{}, errInvalidARN(arn)
	}
	kind, name, ok := strings.Cut(a.Resource, "/")
	if !ok || name == "" || (kind != "cluster" && kind != "snapshot") {
		return tagged{}, errInvalidARN(arn)
	}
	here := a.Region == region && a.AccountID == s.env.AccountID
	if kind == "cluster" {
		c, found := s.clusters[key(region, name)]
		if !here || !found {
			return tagged{}, errClusterNotFound(name)
		}
		return tagged{arn: c.arn, tags: &c.tags, cluster: c}, nil
	}
	sn, found := s.snapshots[key(region, name)]
	if !here || !found {
		return tagged{}, errSnapshotNotFound(name)
	}
	return tagged{arn: sn.arn, tags: &sn.tags}, nil
}

// writable rejects changing the tags of a cluster that is snapshotting or
// being deleted (no other operation runs on a cluster during a snapshot,
// Developer Guide, "Snapshot constraints"; TagResource and UntagResource
// model InvalidClusterStateFault).
func (t tagged) writable(now time.Time) *emu.APIError {
	if t.cluster == nil {
		return nil
	}
	if st := t.cluster.status(now); st == clusterSnapshotting || st == clusterDeleting {
		return errInvalidClusterState(t.cluster.name, st)
	}
	return nil
}

// tagResource: TagResource (ResourceArn, Tags); answers every tag the
// resource now has. A key already present gets the new value; more than 50
// tags is a TagQuotaPerResourceExceeded.
func (s *Service) tagResource(c *call) {
	var in tagResourceInput
	if !c.decode(&in) {
		return
	}
	arn, ok := c.resourceARN(in.ResourceArn)
	if !ok {
		return
	}
	if in.Tags == nil {
		c.fail(errMissing("Tags"))
		return
	}
	add, err := checkTags(in.Tags)
	if err != nil {
		c.fail(err)
		return
	}
	t, err := s.resolveLocked(arn, c.req.Region)
	if err != nil {
		c.fail(err)
		return
	}
	if err := t.writable(c.now()); err != nil {
		c.fail(err)
		return
	}
	merged, err := mergeTags(t.arn, *t.tags, add)
	if err != nil {
		c.fail(err)
		return
	}
	*t.tags = merged
	c.ok(map[string]any{"TagList": tagList(merged)})
}

// untagResource: UntagResource (ResourceArn, TagKeys). A key the resource
// does not have is a TagNotFoundFault. The answer lists the tags removed
// (model: UntagResourceResponse.TagList "The list of tags removed").
func (s *Service) untagResource(c *call) {
	var in untagResourceInput
	if !c.decode(&in) {
		return
	}
	arn, ok := c.resourceARN(in.ResourceArn)
	if !ok {
		return
	}
	if in.TagKeys == nil {
		c.fail(errMissing("TagKeys"))
		return
	}
	t, err := s.resolveLocked(arn, c.req.Region)
	if err != nil {
		c.fail(err)
		return
	}
	if err := t.writable(c.now()); err != nil {
		c.fail(err)
		return
	}
	removed := map[string]string{}
	for _, k := range in.TagKeys {
		v, ok := (*t.tags)[k]
		if !ok {
			c.fail(errTagNotFound(k, t.arn))
			return
		}
		removed[k] = v
	}
	for k := range removed {
		delete(*t.tags, k)
	}
	c.ok(map[string]any{"TagList": tagList(removed)})
}

// listTags: ListTags (ResourceArn).
func (s *Service) listTags(c *call) {
	var in listTagsInput
	if !c.decode(&in) {
		return
	}
	arn, ok := c.resourceARN(in.ResourceArn)
	if !ok {
		return
	}
	t, err := s.resolveLocked(arn, c.req.Region)
	if err != nil {
		c.fail(err)
		return
	}
	c.ok(map[string]any{"TagList": tagList(*t.tags)})
}

// TaggedResources lists the region's clusters and snapshots with their tags
// for the Resource Groups Tagging API (emu.TagSource).
func (s *Service) TaggedResources(region string) []emu.TaggedResource {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleLocked(s.env.Clock.Now())
	var out []emu.TaggedResource
	add := func(arn string, tags map[string]string) {
		cp := make(map[string]string, len(tags))
		for k, v := range tags {
			cp[k] = v
		}
		out = append(out, emu.TaggedResource{ARN: arn, Tags: cp})
	}
	for _, c := range s.clusters {
		if c.region == region {
			add(c.arn, c.tags)
		}
	}
	for _, sn := range s.snapshots {
		if sn.region == region {
			add(sn.arn, sn.tags)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ARN < out[j].ARN })
	return out
}
