package localmisc

import (
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// --- tags ---

type tagsResult struct {
	Tags []tagMember `xml:"Tags>member"`
}

type tagMember struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// validateTags applies the AWS tag rules SNS documents (SNS Developer Guide,
// "Amazon SNS tags": up to 50 tags per topic; keys 1–128 and values 0–256
// characters; keys may not start with aws:). existing is the number of
// tags already on the resource that the new ones do not replace.
func validateTags(tags map[string]string, existing int) *emu.APIError {
	if len(tags)+existing > 50 {
		return &emu.APIError{Code: "TagLimitExceeded", Message: "Could not complete request: tag quota of per resource exceeded", Status: 400}
	}
	for k, v := range tags {
		if n := utf8.RuneCountInString(k); n < 1 || n > 128 || utf8.RuneCountInString(v) > 256 {
			return invalidParameter("Tags Reason: Tag key or value length is invalid")
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return invalidParameter("Tags Reason: Keys may not start with the reserved prefix aws:")
		}
	}
	return nil
}

func (s *SNS) tagResource(req *emu.Request, form url.Values) *emu.APIError {
	arn := form.Get("ResourceArn")
	if _, e := s.env.Faults.Admit(req, arn, &snsFaults); e != nil {
		return e
	}
	tags := map[string]string{}
	for _, m := range emu.QueryStructs(form, "Tags.member") {
		tags[m["Key"]] = m["Value"]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.topics[arn]
	if !ok {
		return &emu.APIError{Code: "ResourceNotFound", Message: "Resource does not exist", Status: 404}
	}
	kept := 0
	for k := range t.tags {
		if _, replaced := tags[k]; !replaced {
			kept++
		}
	}
	if e := validateTags(tags, kept); e != nil {
		return e
	}
	for k, v := range tags {
		t.tags[k] = v
	}
	return nil
}

func (s *SNS) untagResource(req *emu.Request, form url.Values) *emu.APIError {
	arn := form.Get("ResourceArn")
	if _, e := s.env.Faults.Admit(req, arn, &snsFaults); e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.topics[arn]
	if !ok {
		return &emu.APIError{Code: "ResourceNotFound", Message: "Resource does not exist", Status: 404}
	}
	for _, k := range emu.QueryList(form, "TagKeys.member") {
		delete(t.tags, k)
	}
	return nil
}

func (s *SNS) listTags(req *emu.Request, form url.Values) (any, *emu.APIError) {
	arn := form.Get("ResourceArn")
	if _, e := s.env.Faults.Admit(req, arn, &snsFaults); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.topics[arn]
	if !ok {
		return nil, &emu.APIError{Code: "ResourceNotFound", Message: "Resource does not exist", Status: 404}
	}
	var out tagsResult
	for _, k := range emu.SortedKeys(t.tags) {
		out.Tags = append(out.Tags, tagMember{k, t.tags[k]})
	}
	return out, nil
}

// TaggedResources lists the region's topics that carry tags.
func (s *SNS) TaggedResources(region string) []emu.TaggedResource {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []emu.TaggedResource
	for _, t := range s.topics {
		if t.region == region && len(t.tags) > 0 {
			out = append(out, emu.TaggedResource{ARN: t.arn, Tags: copyMap(t.tags)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ARN < out[j].ARN })
	return out
}
