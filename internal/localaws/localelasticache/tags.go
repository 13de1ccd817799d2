package localelasticache

import (
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// Tag limits (ElastiCache User Guide, "Tagging your ElastiCache resources",
// and the model's TagQuotaPerResourceExceeded): at most 50 tags per
// resource, keys of 1 to 128 and values of up to 256 Unicode characters,
// keys are case-sensitive, a value may be null, and the aws: prefix is
// reserved for AWS. Adding a key that exists replaces its value.
const (
	maxTags        = 50
	maxTagKeyLen   = 128
	maxTagValueLen = 256
)

// validTags checks tags given on their own (before merging).
func validTags(tags []tag) *emu.APIError {
	for _, t := range tags {
		n := utf8.RuneCountInString(t.Key)
		switch {
		case n == 0:
			return errInvalidValue("Tag keys must not be empty.")
		case n > maxTagKeyLen:
			return errInvalidValue("Tag key %q is longer than %d characters.", t.Key, maxTagKeyLen)
		case utf8.RuneCountInString(t.Value) > maxTagValueLen:
			return errInvalidValue("The value of tag %q is longer than %d characters.", t.Key, maxTagValueLen)
		case strings.HasPrefix(strings.ToLower(t.Key), "aws:"):
			return errInvalidValue("Tag keys starting with \"aws:\" are reserved for AWS use: %q.", t.Key)
		}
	}
	return nil
}

// mergeTags returns existing plus tags, or TagQuotaPerResourceExceeded when
// the result would hold more than 50 tags.
func mergeTags(existing map[string]string, tags []tag) (map[string]string, *emu.APIError) {
	if err := validTags(tags); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(existing)+len(tags))
	for k, v := range existing {
		out[k] = v
	}
	for _, t := range tags {
		out[t.Key] = t.Value
	}
	if len(out) > maxTags {
		return nil, errTagQuota()
	}
	return out, nil
}

// tagged is a resource the tag operations act on.
type tagged struct {
	get func() map[string]string
	set func(map[string]string)
}

// tagsAt is the tagged resource whose tags are *p.
func tagsAt(p *map[string]string) tagged {
	return tagged{get: func() map[string]string { return *p }, set: func(m map[string]string) { *p = m }}
}

// resolveTagged finds the resource an ARN names (ResourceName of the tag
// operations: a cluster, replication group, snapshot, serverless cache or
// serverless cache snapshot), answering the kind's not-found fault, or
// InvalidARN for anything that is not an ElastiCache resource ARN of this
// account and region.
func (s *Service) resolveTagged(region, arn string) (tagged, *emu.APIError) {
	a, ok := emu.ParseARN(arn)
	if !ok || a.Service != "elasticache" || a.Region != region || a.AccountID != s.env.AccountID {
		return tagged{}, errInvalidARN(arn)
	}
	kind, name, ok := strings.Cut(a.Resource, ":")
	if !ok || name == "" {
		return tagged{}, errInvalidARN(arn)
	}
	name = strings.ToLower(name)
	switch kind {
	case "replicationgroup":
		g, ok := s.groups[key(region, name)]
		if !ok {
			return tagged{}, errReplicationGroupNotFound(name)
		}
		// Tags of a replication group are replicated to all its nodes
		// (model, AddTagsToResource).
		return tagged{
			get: func() map[string]string { return g.tags },
			set: func(m map[string]string) {
				g.tags = m
				for _, c := range g.members() {
					c.tags = copyTags(m)
				}
			},
		}, nil
	case "cluster":
		c, ok := s.clusters[key(region, name)]
		if !ok {
			return tagged{}, errCacheClusterNotFound(name)
		}
		return tagsAt(&c.tags), nil
	case "snapshot":
		sn, ok := s.snapshots[key(region, name)]
		if !ok {
			return tagged{}, errSnapshotNotFound(name)
		}
		return tagsAt(&sn.tags), nil
	case "serverlesscache":
		c, ok := s.caches[key(region, name)]
		if !ok {
			return tagged{}, errServerlessCacheNotFound(name)
		}
		return tagsAt(&c.tags), nil
	case "serverlesscachesnapshot":
		sn, ok := s.slSnapshots[key(region, name)]
		if !ok {
			return tagged{}, errServerlessSnapshotNotFound(name)
		}
		return tagsAt(&sn.tags), nil
	}
	return tagged{}, errInvalidARN(arn)
}

func copyTags(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// addTagsToResource: AddTagsToResource (ResourceName, Tags) → TagListMessage
// with all the resource's tags.
func (s *Service) addTagsToResource(c *call) {
	name, ok := c.required("ResourceName")
	if !ok {
		return
	}
	if _, ok := c.admit(name); !ok {
		return
	}
	if !c.has("Tags") && len(c.tagsParam()) == 0 {
		c.fail(errMissing("Tags"))
		return
	}
	t, err := s.resolveTagged(c.region(), name)
	if err != nil {
		c.fail(err)
		return
	}
	merged, err := mergeTags(t.get(), c.tagsParam())
	if err != nil {
		c.fail(err)
		return
	}
	t.set(merged)
	c.ok(tagList(merged))
}

// listTagsForResource: ListTagsForResource (ResourceName) → TagListMessage.
func (s *Service) listTagsForResource(c *call) {
	name, ok := c.required("ResourceName")
	if !ok {
		return
	}
	if _, ok := c.admit(name); !ok {
		return
	}
	t, err := s.resolveTagged(c.region(), name)
	if err != nil {
		c.fail(err)
		return
	}
	c.ok(tagList(t.get()))
}

// removeTagsFromResource: RemoveTagsFromResource (ResourceName,
// TagKeys.member.N) → TagListMessage with the tags left. A key the resource
// does not have is TagNotFound (model: TagNotFoundFault, "The requested tag
// was not found on this resource").
func (s *Service) removeTagsFromResource(c *call) {
	name, ok := c.required("ResourceName")
	if !ok {
		return
	}
	if _, ok := c.admit(name); !ok {
		return
	}
	keys := emu.QueryList(c.r.PostForm, "TagKeys.member")
	if len(keys) == 0 && !c.has("TagKeys") {
		c.fail(errMissing("TagKeys"))
		return
	}
	t, err := s.resolveTagged(c.region(), name)
	if err != nil {
		c.fail(err)
		return
	}
	left := copyTags(t.get())
	for _, k := range keys {
		if _, ok := left[k]; !ok {
			c.fail(errTagNotFound(k))
			return
		}
		delete(left, k)
	}
	t.set(left)
	c.ok(tagList(left))
}

// TaggedResources lists the region's resources with their tags for the
// Resource Groups Tagging API (emu.TagSource): replication groups, cache
// clusters (members carry their group's tags), snapshots, serverless caches
// and serverless cache snapshots, deleted ones excepted.
func (s *Service) TaggedResources(region string) []emu.TaggedResource {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.env.Clock.Now()
	s.settleLocked(now)
	var out []emu.TaggedResource
	add := func(arn string, tags map[string]string) {
		out = append(out, emu.TaggedResource{ARN: arn, Tags: copyTags(tags)})
	}
	for _, g := range s.groups {
		if g.region == region && g.deletingAt.IsZero() {
			add(g.arn, g.tags)
		}
	}
	for _, c := range s.clusters {
		if c.region == region && c.status(now) != statusDeleting {
			add(c.arn, c.tags)
		}
	}
	for _, sn := range s.snapshots {
		if sn.region == region && sn.deletingAt.IsZero() {
			add(sn.arn, sn.tags)
		}
	}
	for _, c := range s.caches {
		if c.region == region && c.deletingAt.IsZero() {
			add(c.arn, c.tags)
		}
	}
	for _, sn := range s.slSnapshots {
		if sn.region == region && sn.deletingAt.IsZero() {
			add(sn.arn, sn.tags)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ARN < out[j].ARN })
	return out
}
