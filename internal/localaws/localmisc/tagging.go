package localmisc

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// Tagging is the emulated Resource Groups Tagging API (awsJson1_1, target
// prefix ResourceGroupsTaggingAPI_20170126): GetResources, GetTagKeys and
// GetTagValues over the live tags of the other services (emu.TagSource).
// Tagging through this API (TagResources, UntagResources) is not offered:
// tag through each service's own API.
type Tagging struct {
	env *emu.Env

	mu      sync.Mutex
	sources []emu.TagSource
}

var _ emu.Service = (*Tagging)(nil)

// NewTagging returns the tagging API over the given sources.
func NewTagging(env *emu.Env, sources ...emu.TagSource) *Tagging {
	return &Tagging{env: env, sources: sources}
}

// AddSource adds a service whose resources GetResources lists.
func (t *Tagging) AddSource(src emu.TagSource) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sources = append(t.sources, src)
}

// Name is the tagging API's signing name.
func (t *Tagging) Name() string { return "tagging" }

// taggingFaults: ThrottledException, InternalServiceException (500) from
// the model; the API models no access-denied error, so the common
// AccessDeniedException is used.
var taggingFaults = emu.FaultCodes{
	Throttle:     emu.APIError{Code: "ThrottledException", Message: "Rate exceeded", Status: 400},
	AccessDenied: emu.APIError{Code: "AccessDeniedException", Message: "User is not authorized to perform this operation", Status: 400},
	Internal:     emu.APIError{Code: "InternalServiceException", Message: "Internal service error", Status: 500, Server: true},
}

func invalidParam(msg string) *emu.APIError {
	return &emu.APIError{Code: "InvalidParameterException", Message: msg, Status: 400}
}

// ServeAWS answers one tagging API call.
func (t *Tagging) ServeAWS(w http.ResponseWriter, r *http.Request, req *emu.Request) {
	var out any
	var err *emu.APIError
	switch req.Action {
	case "GetResources":
		out, err = t.getResources(r, req)
	case "GetTagKeys":
		out, err = t.getTagKeys(r, req)
	case "GetTagValues":
		out, err = t.getTagValues(r, req)
	default:
		err = &emu.APIError{Code: "UnknownOperationException", Message: "Operation " + req.Action + " is not supported by the local tagging API", Status: 400}
	}
	if err != nil {
		emu.WriteJSONError(w, req, err)
		return
	}
	emu.WriteJSON(w, req, out)
}

// resources returns the region's tagged resources of every source, by ARN.
// Untagged resources are left out ("GetResources does not return untagged
// resources"); resources that once had tags are not tracked (assumed).
func (t *Tagging) resources(region string) []emu.TaggedResource {
	t.mu.Lock()
	sources := append([]emu.TagSource(nil), t.sources...)
	t.mu.Unlock()
	var all []emu.TaggedResource
	for _, src := range sources {
		for _, r := range src.TaggedResources(region) {
			if len(r.Tags) > 0 {
				all = append(all, r)
			}
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ARN < all[j].ARN })
	return all
}

// ResourceType returns the tagging API's type of an ARN,
// "service:resourceType" as in ResourceTypeFilters: the resource type is
// the part of the ARN's resource before the first ':' or '/'
// (elasticache:replicationgroup, elasticache:cluster,
// elasticache:serverlesscache, elasticache:snapshot, memorydb:cluster,
// memorydb:snapshot, redshift-serverless:namespace,
// redshift-serverless:snapshot, events:event-bus, events:rule). S3, SNS and
// SQS name their resource without a type: s3:bucket, sns:topic, sqs:queue.
func ResourceType(arn string) string {
	p, ok := emu.ParseARN(arn)
	if !ok {
		return ""
	}
	switch p.Service {
	case "s3":
		return "s3:bucket"
	case "sns":
		return "sns:topic"
	case "sqs":
		return "sqs:queue"
	}
	res := p.Resource
	if i := strings.IndexAny(res, ":/"); i >= 0 {
		return p.Service + ":" + res[:i]
	}
	return p.Service
}

// typeMatches applies one ResourceTypeFilters entry: "service" takes every
// type of the service, "service:type" that type only.
func typeMatches(filter, arn string) bool {
	typ := ResourceType(arn)
	svc, _, _ := strings.Cut(typ, ":")
	if !strings.Contains(filter, ":") {
		return strings.EqualFold(filter, svc)
	}
	return strings.EqualFold(filter, typ)
}

type tagFilter struct {
	Key    string
	Values []string
}

// matches: the resource has the key and, when values are given, one of
// them (GetResources, TagFilters).
func (f tagFilter) matches(tags map[string]string) bool {
	v, ok := tags[f.Key]
	if !ok {
		return false
	}
	if len(f.Values) == 0 {
		return true
	}
	for _, want := range f.Values {
		if v == want {
			return true
		}
	}
	return false
}

type getResourcesInput struct {
	PaginationToken           string
	TagFilters                []tagFilter
	ResourcesPerPage          *int
	TagsPerPage               *int
	ResourceTypeFilters       []string
	IncludeComplianceDetails  bool
	ExcludeCompliantResources bool
	ResourceARNList           []string
}

type tagJSONOut struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type complianceJSON struct {
	ComplianceStatus           bool     `json:"ComplianceStatus"`
	NoncompliantKeys           []string `json:"NoncompliantKeys"`
	KeysWithNoncompliantValues []string `json:"KeysWithNoncompliantValues"`
}

type mappingJSON struct {
	ResourceARN       string          `json:"ResourceARN"`
	Tags              []tagJSONOut    `json:"Tags"`
	ComplianceDetails *complianceJSON `json:"ComplianceDetails,omitempty"`
}

type getResourcesOutput struct {
	PaginationToken        string        `json:"PaginationToken"`
	ResourceTagMappingList []mappingJSON `json:"ResourceTagMappingList"`
}

// Limits of GetResources (API Reference and model): up to 50 tag filters
// of up to 20 values, up to 100 type filters, up to 100 ARNs,
// ResourcesPerPage 1–100, TagsPerPage 100–500, a pagination token lasts 15
// minutes (PaginationTokenExpiredException). The default page size when
// neither limit is given is not documented; 50 is assumed.
const (
	maxTagFilters      = 50
	maxFilterValues    = 20
	maxTypeFilters     = 100
	maxARNList         = 100
	defaultResPerPage  = 50
	paginationTokenTTL = 15 * time.Minute
)

func (t *Tagging) getResources(r *http.Request, req *emu.Request) (any, *emu.APIError) {
	var in getResourcesInput
	if e := emu.DecodeJSON(r, &in); e != nil {
		return nil, e
	}
	if _, e := t.env.Faults.Admit(req, "", &taggingFaults); e != nil {
		return nil, e
	}
	if len(in.ResourceARNList) > 0 && (len(in.TagFilters) > 0 || len(in.ResourceTypeFilters) > 0 ||
		in.ResourcesPerPage != nil || in.TagsPerPage != nil || in.PaginationToken != "") {
		return nil, invalidParam("ResourceARNList can't be specified with TagFilters, ResourceTypeFilters, ResourcesPerPage, TagsPerPage or PaginationToken.")
	}
	switch {
	case len(in.ResourceARNList) > maxARNList:
		return nil, invalidParam("ResourceARNList can contain at most 100 ARNs.")
	case len(in.TagFilters) > maxTagFilters:
		return nil, invalidParam("TagFilters can contain at most 50 filters.")
	case len(in.ResourceTypeFilters) > maxTypeFilters:
		return nil, invalidParam("ResourceTypeFilters can contain at most 100 items.")
	case in.ResourcesPerPage != nil && (*in.ResourcesPerPage < 1 || *in.ResourcesPerPage > 100):
		return nil, invalidParam("ResourcesPerPage must be between 1 and 100.")
	case in.TagsPerPage != nil && (*in.TagsPerPage < 100 || *in.TagsPerPage > 500):
		return nil, invalidParam("TagsPerPage must be between 100 and 500.")
	case in.ExcludeCompliantResources && !in.IncludeComplianceDetails:
		return nil, invalidParam("ExcludeCompliantResources can only be used when IncludeComplianceDetails is true.")
	}
	for _, f := range in.TagFilters {
		if f.Key == "" || len(f.Key) > 128 {
			return nil, invalidParam("A TagFilter must have a Key of 1 to 128 characters.")
		}
		if len(f.Values) > maxFilterValues {
			return nil, invalidParam("A TagFilter can have at most 20 values.")
		}
	}
	for _, a := range in.ResourceARNList {
		if p, ok := emu.ParseARN(a); !ok || p.Partition != "aws" {
			return nil, invalidParam("Invalid ResourceARN: " + a)
		}
	}

	var matched []emu.TaggedResource
	wanted := map[string]bool{}
	for _, a := range in.ResourceARNList {
		wanted[a] = true
	}
	for _, res := range t.resources(req.Region) {
		if len(wanted) > 0 && !wanted[res.ARN] {
			continue
		}
		ok := true
		for _, f := range in.TagFilters {
			if !f.matches(res.Tags) {
				ok = false
				break
			}
		}
		if ok && len(in.ResourceTypeFilters) > 0 {
			ok = false
			for _, tf := range in.ResourceTypeFilters {
				if typeMatches(tf, res.ARN) {
					ok = true
					break
				}
			}
		}
		if ok {
			matched = append(matched, res)
		}
	}
	// No tag policies in the local AWS: every resource is compliant.
	if in.ExcludeCompliantResources {
		matched = nil
	}

	now := t.env.Clock.Now()
	fp := filterHash(in)
	start := 0
	if in.PaginationToken != "" {
		tok, ok := decodePageToken(in.PaginationToken)
		if !ok || tok.Filters != fp || tok.Offset > len(matched) {
			return nil, invalidParam("The specified PaginationToken is not valid.")
		}
		if now.Sub(time.Unix(tok.Issued, 0)) > paginationTokenTTL {
			return nil, &emu.APIError{Code: "PaginationTokenExpiredException", Message: "The PaginationToken has expired.", Status: 400}
		}
		start = tok.Offset
	}
	maxRes := defaultResPerPage
	if in.ResourcesPerPage != nil {
		maxRes = *in.ResourcesPerPage
	}
	out := getResourcesOutput{ResourceTagMappingList: []mappingJSON{}}
	tagCount := 0
	end := start
	for end < len(matched) && len(out.ResourceTagMappingList) < maxRes {
		res := matched[end]
		// TagsPerPage never splits a resource; one without tags counts as one.
		n := len(res.Tags)
		if n == 0 {
			n = 1
		}
		if in.TagsPerPage != nil && tagCount > 0 && tagCount+n > *in.TagsPerPage {
			break
		}
		tagCount += n
		m := mappingJSON{ResourceARN: res.ARN, Tags: []tagJSONOut{}}
		for _, k := range emu.SortedKeys(res.Tags) {
			m.Tags = append(m.Tags, tagJSONOut{k, res.Tags[k]})
		}
		if in.IncludeComplianceDetails {
			m.ComplianceDetails = &complianceJSON{ComplianceStatus: true, NoncompliantKeys: []string{}, KeysWithNoncompliantValues: []string{}}
		}
		out.ResourceTagMappingList = append(out.ResourceTagMappingList, m)
		end++
	}
	if end < len(matched) {
		out.PaginationToken = encodePageToken(pageToken{Offset: end, Issued: now.Unix(), Filters: fp})
	}
	return out, nil
}

// pageToken is the opaque PaginationToken: where the next page starts,
// when the token was issued and which query it belongs to.
type pageToken struct {
	Offset  int    `json:"o"`
	Issued  int64  `json:"t"`
	Filters string `json:"f"`
}

func encodePageToken(t pageToken) string {
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodePageToken(s string) (pageToken, bool) {
	var t pageToken
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &t) != nil {
		return t, false
	}
	return t, true
}

// filterHash fingerprints the filters of a GetResources request so that a
// token is only good for the query that made it.
func filterHash(in getResourcesInput) string {
	in.PaginationToken = ""
	b, _ := json.Marshal(in)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

type getTagKeysOutput struct {
	PaginationToken string   `json:"PaginationToken"`
	TagKeys         []string `json:"TagKeys"`
}

type getTagValuesInput struct {
	Key             string
	PaginationToken string
}

type getTagValuesOutput struct {
	PaginationToken string   `json:"PaginationToken"`
	TagValues       []string `json:"TagValues"`
}

// getTagKeys lists the tag keys in use in the region, in one page (the
// page size of GetTagKeys is not documented; assumed unlimited here).
func (t *Tagging) getTagKeys(r *http.Request, req *emu.Request) (any, *emu.APIError) {
	var in struct{ PaginationToken string }
	if e := emu.DecodeJSON(r, &in); e != nil {
		return nil, e
	}
	if _, e := t.env.Faults.Admit(req, "", &taggingFaults); e != nil {
		return nil, e
	}
	keys := map[string]bool{}
	for _, res := range t.resources(req.Region) {
		for k := range res.Tags {
			keys[k] = true
		}
	}
	return getTagKeysOutput{TagKeys: emu.SortedKeys(keys)}, nil
}

// getTagValues lists the values of one tag key in the region.
func (t *Tagging) getTagValues(r *http.Request, req *emu.Request) (any, *emu.APIError) {
	var in getTagValuesInput
	if e := emu.DecodeJSON(r, &in); e != nil {
		return nil, e
	}
	if _, e := t.env.Faults.Admit(req, "", &taggingFaults); e != nil {
		return nil, e
	}
	if in.Key == "" {
		return nil, invalidParam("Key is a required parameter.")
	}
	vals := map[string]bool{}
	for _, res := range t.resources(req.Region) {
		if v, ok := res.Tags[in.Key]; ok {
			vals[v] = true
		}
	}
	return getTagValuesOutput{TagValues: emu.SortedKeys(vals)}, nil
}
