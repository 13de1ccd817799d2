package localredshiftserverless

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// tagsOfLocked returns the tag set of the resource with the given ARN in
// region: a namespace, workgroup or snapshot (source: service authorization
// reference, ARN forms namespace/${NamespaceId}, workgroup/${WorkgroupId},
// snapshot/${SnapshotId}). An ARN of another Region finds nothing (resources
// are Regional). A malformed ARN is a ValidationException (text assumed).
func (s *Service) tagsOfLocked(region, arn string, now time.Time) (map[string]string, *apiError) {
	p, ok := emu.ParseARN(arn)
	if !ok || p.Service != SigningName || !strings.Contains(p.Resource, "/") {
		return nil, errValidation("The resourceArn %s is not a valid Amazon Redshift Serverless ARN.", arn)
	}
	if p.Region == region {
		for _, n := range s.namespaces {
			if n.region == region && n.arn == arn {
				return n.tags, nil
			}
		}
		for _, g := range s.workgroups {
			if g.region == region && g.arn == arn {
				return g.tags, nil
			}
		}
		if sn := s.findSnapshotByARNLocked(region, arn, now); sn != nil {
			if sn.tags == nil {
				sn.tags = map[string]string{}
			}
			return sn.tags, nil
		}
	}
	return nil, errNotFound(arn, "Resource %s not found.", arn)
}

type tagResourceInput struct {
	ResourceArn *string `json:"resourceArn"`
	Tags        []tagIn `json:"tags"`
}

// TagResource adds or overwrites tags. A resource holds at most 50 tags;
// more answers TooManyTagsException with the resource's name (source:
// "Tagging resources overview"; service-2.json TooManyTagsException
// resourceName).
func (s *Service) tagResource(r *http.Request, req *emu.Request) (any, *apiError) {
	var in tagResourceInput
	if e := emu.DecodeJSON(r, &in); e != nil {
		return nil, fromEmu(e)
	}
	arn := deref(in.ResourceArn)
	if _, err := s.admit(req, arn); err != nil {
		return nil, err
	}
	var v violations
	v.required(in.ResourceArn != nil, "resourceArn")
	v.required(in.Tags != nil, "tags")
	v.length(in.ResourceArn, "resourceArn", 1, 1011)
	if err := v.err(); err != nil {
		return nil, err
	}
	add, err := checkTags(in.Tags, "tags")
	if err != nil {
		return nil, err
	}
	now := s.lockedNow()
	defer s.mu.Unlock()
	tags, err := s.tagsOfLocked(req.Region, arn, now)
	if err != nil {
		return nil, err
	}
	count := len(tags)
	for k := range add {
		if _, ok := tags[k]; !ok {
			count++
		}
	}
	if count > maxTagsPerResource {
		return nil, errTooManyTags(arn)
	}
	for k, val := range add {
		tags[k] = val
	}
	return struct{}{}, nil
}

type untagResourceInput struct {
	ResourceArn *string  `json:"resourceArn"`
	TagKeys     []string `json:"tagKeys"`
}

// UntagResource removes tags by key; absent keys are ignored (assumed).
// tagKeys holds at most 200 keys of 1-128 characters (source: service-2.json
// TagKeyList).
func (s *Service) untagResource(r *http.Request, req *emu.Request) (any, *apiError) {
	var in untagResourceInput
	if e := emu.DecodeJSON(r, &in); e != nil {
		return nil, fromEmu(e)
	}
	arn := deref(in.ResourceArn)
	if _, err := s.admit(req, arn); err != nil {
		return nil, err
	}
	var v violations
	v.required(in.ResourceArn != nil, "resourceArn")
	v.required(in.TagKeys != nil, "tagKeys")
	v.length(in.ResourceArn, "resourceArn", 1, 1011)
	if len(in.TagKeys) > 200 {
		v.add(len(in.TagKeys), "tagKeys", "have length less than or equal to 200")
	}
	for i := range in.TagKeys {
		v.length(&in.TagKeys[i], "tagKeys."+strconv.Itoa(i+1)+".member", 1, 128)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	now := s.lockedNow()
	defer s.mu.Unlock()
	tags, err := s.tagsOfLocked(req.Region, arn, now)
	if err != nil {
		return nil, err
	}
	for _, k := range in.TagKeys {
		delete(tags, k)
	}
	return struct{}{}, nil
}

type resourceArnInput struct {
	ResourceArn *string `json:"resourceArn"`
}

// ListTagsForResource answers the tags sorted by key (order assumed).
func (s *Service) listTagsForResource(r *http.Request, req *emu.Request) (any, *apiError) {
	var in resourceArnInput
	if e := emu.DecodeJSON(r, &in); e != nil {
		return nil, fromEmu(e)
	}
	arn := deref(in.ResourceArn)
	if _, err := s.admit(req, arn); err != nil {
		return nil, err
	}
	var v violations
	v.required(in.ResourceArn != nil, "resourceArn")
	v.length(in.ResourceArn, "resourceArn", 1, 1011)
	if err := v.err(); err != nil {
		return nil, err
	}
	now := s.lockedNow()
	defer s.mu.Unlock()
	tags, err := s.tagsOfLocked(req.Region, arn, now)
	if err != nil {
		return nil, err
	}
	return struct {
		Tags []tagOut `json:"tags"`
	}{tagsOut(tags)}, nil
}

// TaggedResources lists the Region's namespaces, workgroups and snapshots
// with their tags for the Resource Groups Tagging API.
func (s *Service) TaggedResources(region string) []emu.TaggedResource {
	now := s.lockedNow()
	defer s.mu.Unlock()
	var out []emu.TaggedResource
	for _, n := range s.namespaces {
		if n.region == region {
			out = append(out, emu.TaggedResource{ARN: n.arn, Tags: copyTags(n.tags)})
		}
	}
	for _, g := range s.workgroups {
		if g.region == region {
			out = append(out, emu.TaggedResource{ARN: g.arn, Tags: copyTags(g.tags)})
		}
	}
	for _, sn := range s.snapshots {
		if sn.region == region && sn.visible(now) {
			out = append(out, emu.TaggedResource{ARN: sn.arn, Tags: copyTags(sn.tags)})
		}
	}
	return out
}
