package steps

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/redshiftserverless"
	tagging "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	taggingtypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"

	"github.com/snapflow/snapflow/events"
	"github.com/snapflow/snapflow/internal/errclass"
	"github.com/snapflow/snapflow/internal/naming"
	"github.com/snapflow/snapflow/internal/policy"
)

// resourceTypes are the tagging API's ResourceTypeFilters of each service's
// snapshot sources ("service:type", the type being the part of the ARN's
// resource before ':' or '/').
var resourceTypes = map[string][]string{
	events.ServiceElastiCache:           {"elasticache:replicationgroup", "elasticache:cluster"},
	events.ServiceElastiCacheServerless: {"elasticache:serverlesscache"},
	events.ServiceMemoryDB:              {"memorydb:cluster"},
	events.ServiceRedshiftServerless:    {"redshift-serverless:namespace"},
}

// GetResources limits (API Reference): 50 tag filters of 20 values each.
// Bigger selectors are matched by policy.Match alone.
const (
	maxTagFilters   = 50
	maxFilterValues = 20
	resourcesPage   = 100
)

// planInput is events.PlanInput with the policy left raw, so that it is
// decoded strictly by policy.Decode.
type planInput struct {
	Policy             json.RawMessage `json:"policy"`
	ExecutionID        string          `json:"executionId"`
	ExecutionStartTime string          `json:"executionStartTime"`
}

// Plan validates a run's input (an events.PlanInput), resolves the policy's
// targets and returns one work item per target. It makes no mutating call:
// only tag:GetResources (for a selector) and, when the selector matched
// Redshift Serverless namespaces, ListNamespaces.
//
// Targets are the explicit ones plus those the selector matches in the
// region the function runs in, deduplicated and sorted by service, kind, ID
// and region. A cache cluster that is a member of a selected replication
// group is left out (the group is snapshotted as a whole) and listed in
// Ignored.
//
// Errors: InvalidInput (the input or the policy, naming the field and the
// rule), and the tagging API's Throttled, AccessDenied, Transient.
func (s *Steps) Plan(ctx context.Context, raw json.RawMessage) (events.PlanOutput, error) {
	in, err := decodePlanInput(raw)
	if err != nil {
		return events.PlanOutput{}, err
	}
	p, err := policy.Decode(in.Policy)
	if err != nil {
		return events.PlanOutput{}, policyError(err)
	}
	if p.ScheduledTime == "" {
		if _, err := time.Parse(time.RFC3339, in.ExecutionStartTime); err != nil {
			return events.PlanOutput{}, invalid("executionStartTime", "must be an RFC 3339 time when policy.scheduledTime is not set")
		}
	}
	slot, err := policy.Slot(p, in.ExecutionStartTime)
	if err != nil {
		return events.PlanOutput{}, policyError(err)
	}
	// A copy carries the managed tags and the copy marker; an original the
	// managed tags and, later, its duration (skipped when there is no room).
	if limit := maxTags - naming.ManagedTagCount - 1; p.Copy != nil && len(p.Tags) > limit {
		return events.PlanOutput{}, invalid("policy.tags", "must have at most %d tags when copy is set (%d per resource, %d of them managed by snapflow on a copy)",
			limit, maxTags, naming.ManagedTagCount+1)
	}
	ctx = withLog(ctx, "policy", p.Name, "slot", slot.Format(time.RFC3339))

	targets := slices.Clone(p.Targets)
	var ignored []string
	if p.Selector != nil {
		found, ign, err := s.resolve(ctx, *p.Selector)
		if err != nil {
			return events.PlanOutput{}, err
		}
		targets = append(targets, found...)
		ignored = ign
	}
	targets = dedupe(targets)

	// The targets go out compact and the policy once: each child builds
	// its WorkItem (WorkItem, in create) from one target, spec and slot.
	spec := p
	spec.Targets, spec.Selector = nil, nil
	out := events.PlanOutput{Policy: p.Name, Slot: slot, DryRun: p.DryRun, Spec: spec, Items: targets, Ignored: ignored}
	out.Count = len(out.Items)
	s.log().InfoContext(ctx, "planned", "targets", out.Count, "ignored", len(ignored), "dryRun", p.DryRun,
		"executionId", in.ExecutionID)
	for _, line := range ignored {
		s.log().InfoContext(ctx, "selector match ignored", "reason", line)
	}
	return out, nil
}

// policyError turns the policy package's verdict into InvalidInput, keeping
// its text (every broken rule by its field).
// decodePlanInput reads the plan's input strictly: a JSON object with
// exactly the members of events.PlanInput (names matched exactly, unlike
// encoding/json), each of its type, naming the member that is wrong.
func decodePlanInput(raw json.RawMessage) (planInput, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil || top == nil {
		return planInput{}, invalid("input", `must be a JSON object {"policy": {…}, "executionId": "…", "executionStartTime": "…"}`)
	}
	var in planInput
	for _, k := range slices.Sorted(maps.Keys(top)) {
		v := top[k]
		switch k {
		case "policy":
			in.Policy = v
		case "executionId", "executionStartTime":
			var str string
			if string(bytes.TrimSpace(v)) != "null" {
				if err := json.Unmarshal(v, &str); err != nil {
					return planInput{}, invalid(k, "must be a string")
				}
			}
			if k == "executionId" {
				in.ExecutionID = str
			} else {
				in.ExecutionStartTime = str
			}
		default:
			return planInput{}, invalid(strconv.Quote(k), "unknown field (want policy, executionId, executionStartTime)")
		}
	}
	if p := bytes.TrimSpace(in.Policy); len(p) == 0 || string(p) == "null" {
		return planInput{}, invalid("policy", "is required")
	}
	return in, nil
}

func policyError(err error) error {
	var verr *policy.ValidationError
	if errors.As(err, &verr) {
		return errclass.New(errclass.InvalidInput, "policy: %s", strings.TrimPrefix(verr.Error(), "invalid input: "))
	}
	return errclass.Wrap(errclass.InvalidInput, err, "policy")
}

// WorkItem builds the work item of one target of policy p (as plan
// normalized it) for slot: the snapshot and copy names, the tags, and the
// export with exportBucket as the bucket when the policy names none. Plan
// resolves the targets; the create step builds each item from its
// events.TargetInput with this.
func WorkItem(p events.Policy, t events.Target, slot time.Time, exportBucket string) events.WorkItem {
	tags := maps.Clone(p.Tags)
	if tags == nil {
		tags = map[string]string{}
	}
	maps.Copy(tags, naming.ManagedTags(p.Name, t.ID, slot))
	it := events.WorkItem{
		Policy:                p.Name,
		Target:                t,
		Slot:                  slot,
		SnapshotName:          naming.SnapshotName(t.Service, p.Name, t.ID, slot),
		Retention:             p.Retention,
		TimeZone:              p.TimeZone,
		Tags:                  tags,
		DryRun:                p.DryRun,
		RedshiftRetentionDays: p.RedshiftRetentionDays,
	}
	if p.Copy != nil {
		c := *p.Copy
		it.Copy = &c
		it.CopyName = naming.CopyName(t.Service, c.Prefix, p.Name, t.ID, slot)
	}
	if p.Export != nil {
		e := *p.Export
		if e.Bucket == "" {
			e.Bucket = exportBucket
		}
		it.Export = &e
		it.ExportPrefix = ExportPrefix(t.Service, e.Prefix)
	}
	return it
}

// ExportPrefix returns the key prefix the exported objects of a target of
// service go under, for the policy's export.prefix.
//
// ElastiCache (node-based) and MemoryDB export with CopySnapshot, whose
// TargetSnapshotName is the start of the object keys
// ("<TargetSnapshotName>-0001.rdb"): the prefix goes there, with a "/"
// added when missing. ElastiCache Serverless's ExportServerlessCacheSnapshot
// takes only a bucket and writes "<snapshot name>-0001.rdb" at the bucket
// root, so its prefix is empty (create records the prefix as skipped).
// Redshift Serverless has no export.
func ExportPrefix(service, prefix string) string {
	if prefix == "" || !prefixSupported(service) {
		return ""
	}
	if !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return prefix
}

func prefixSupported(service string) bool {
	return service == events.ServiceElastiCache || service == events.ServiceMemoryDB
}

// targetKey identifies a target for deduplication.
func targetKey(t events.Target) string {
	return strings.Join([]string{t.Service, t.Kind, t.ID, t.Region}, "\x00")
}

// dedupe drops repeated targets (the first wins) and sorts them by service,
// kind, ID and region.
func dedupe(targets []events.Target) []events.Target {
	seen := map[string]bool{}
	out := make([]events.Target, 0, len(targets))
	for _, t := range targets {
		if k := targetKey(t); !seen[k] {
			seen[k] = true
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b events.Target) int {
		return cmp.Or(cmp.Compare(a.Service, b.Service), cmp.Compare(a.Kind, b.Kind),
			cmp.Compare(a.ID, b.ID), cmp.Compare(a.Region, b.Region))
	})
	return out
}

// Member cache clusters of a replication group are named "<group>-001"
// (cluster mode disabled) or "<group>-0001-001" (cluster mode enabled).
var (
	memberSuffix        = regexp.MustCompile(`-[0-9]{3}$`)
	clusterMemberSuffix = regexp.MustCompile(`-[0-9]{4}-[0-9]{3}$`)
)

// memberOf returns the selected replication group a cache cluster ID names
// as its group, if any.
func memberOf(id string, groups map[string]bool) (string, bool) {
	for _, re := range []*regexp.Regexp{clusterMemberSuffix, memberSuffix} {
		if loc := re.FindStringIndex(id); loc != nil && groups[id[:loc[0]]] {
			return id[:loc[0]], true
		}
	}
	return "", false
}

// resolve returns the targets the selector matches in the function's region,
// and the matches it ignores with the reason.
func (s *Steps) resolve(ctx context.Context, sel events.TagSelector) ([]events.Target, []string, error) {
	if s.Tagging == nil {
		return nil, nil, errclass.New(errclass.Unsupported, "selector: no tagging client configured")
	}
	services := sel.Services
	if len(services) == 0 {
		services = events.Services
	}
	in := &tagging.GetResourcesInput{ResourcesPerPage: aws.Int32(resourcesPage)}
	for _, svc := range services {
		in.ResourceTypeFilters = append(in.ResourceTypeFilters, resourceTypes[svc]...)
	}
	if fits(sel) {
		for _, k := range slices.Sorted(maps.Keys(sel.Tags)) {
			in.TagFilters = append(in.TagFilters, taggingtypes.TagFilter{Key: aws.String(k), Values: sel.Tags[k]})
		}
	}

	var found []events.Target
	namespaces := map[string]bool{} // ARNs of matched namespaces
	pages := tagging.NewGetResourcesPaginator(s.Tagging, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, nil, awsErrors["tagging"].Wrap(err, "GetResources", "selector")
		}
		for _, m := range page.ResourceTagMappingList {
			arn := aws.ToString(m.ResourceARN)
			tags := make(map[string]string, len(m.Tags))
			for _, t := range m.Tags {
				tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			t, ok := targetOf(arn)
			if !ok || !policy.Match(sel, t.Service, tags) {
				continue
			}
			if t.Service == events.ServiceRedshiftServerless {
				namespaces[arn] = true
				continue
			}
			found = append(found, t)
		}
	}

	var ignored []string
	if len(namespaces) > 0 {
		names, err := s.namespaceNames(ctx)
		if err != nil {
			return nil, nil, err
		}
		for _, arn := range slices.Sorted(maps.Keys(namespaces)) {
			name, ok := names[arn]
			if !ok {
				ignored = append(ignored, arn+": namespace not found by ListNamespaces")
				continue
			}
			found = append(found, events.Target{Service: events.ServiceRedshiftServerless, ID: name})
		}
	}

	groups := map[string]bool{}
	for _, t := range found {
		if t.Service == events.ServiceElastiCache && t.Kind == events.KindReplicationGroup {
			groups[t.ID] = true
		}
	}
	kept := found[:0]
	for _, t := range found {
		if t.Service == events.ServiceElastiCache && t.Kind == events.KindCacheCluster {
			if g, ok := memberOf(t.ID, groups); ok {
				ignored = append(ignored, fmt.Sprintf("elasticache cache-cluster %s: member of the selected replication group %s", t.ID, g))
				continue
			}
		}
		kept = append(kept, t)
	}
	return kept, ignored, nil
}

// fits reports whether the selector can be sent as GetResources TagFilters.
func fits(sel events.TagSelector) bool {
	if len(sel.Tags) > maxTagFilters {
		return false
	}
	for _, v := range sel.Tags {
		if len(v) > maxFilterValues {
			return false
		}
	}
	return true
}

// targetOf maps a source's ARN to its target. Redshift Serverless namespace
// ARNs hold the namespace ID: their ID is left empty, for namespaceNames.
func targetOf(arn string) (events.Target, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return events.Target{}, false
	}
	service, res := parts[2], parts[5]
	typ, id, ok := strings.Cut(res, ":")
	if !ok {
		typ, id, ok = strings.Cut(res, "/")
	}
	if !ok || id == "" {
		return events.Target{}, false
	}
	switch service + ":" + typ {
	case "elasticache:replicationgroup":
		return events.Target{Service: events.ServiceElastiCache, ID: id, Kind: events.KindReplicationGroup}, true
	case "elasticache:cluster":
		return events.Target{Service: events.ServiceElastiCache, ID: id, Kind: events.KindCacheCluster}, true
	case "elasticache:serverlesscache":
		return events.Target{Service: events.ServiceElastiCacheServerless, ID: id}, true
	case "memorydb:cluster":
		return events.Target{Service: events.ServiceMemoryDB, ID: id}, true
	case "redshift-serverless:namespace":
		return events.Target{Service: events.ServiceRedshiftServerless}, true
	}
	return events.Target{}, false
}

// namespaceNames maps the ARNs of the region's Redshift Serverless
// namespaces to their names.
func (s *Steps) namespaceNames(ctx context.Context) (map[string]string, error) {
	if s.Namespaces == nil {
		return nil, errclass.New(errclass.Unsupported, "selector: no Redshift Serverless client configured")
	}
	names := map[string]string{}
	pages := redshiftserverless.NewListNamespacesPaginator(s.Namespaces, &redshiftserverless.ListNamespacesInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, awsErrors["redshift-serverless"].Wrap(err, "ListNamespaces", "")
		}
		for _, n := range page.Namespaces {
			names[aws.ToString(n.NamespaceArn)] = aws.ToString(n.NamespaceName)
		}
	}
	return names, nil
}
