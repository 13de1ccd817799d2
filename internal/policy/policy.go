// Package policy checks and completes snapflow policies (the execution
// input, events.Policy) and derives the schedule slot of a run.
//
// Decode is the entry point for raw input: the plan handler and the CDK
// config loader both use it. It rejects unknown fields and wrong types by
// their JSON path, applies Normalize and then Validate.
package policy

import (
	"fmt"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // Lambda's provided.al2023 runtime has no zoneinfo.
	"unicode/utf8"

	"github.com/snapflow/snapflow/events"
	"github.com/snapflow/snapflow/internal/naming"
)

// DefaultTimeZone is the time zone of a policy that names none.
const DefaultTimeZone = "UTC"

// Normalize returns p with defaults applied: the time zone, the kind of
// ElastiCache targets, and target IDs lowercased as the services store
// them. It does not modify p's slices or maps.
func Normalize(p events.Policy) events.Policy {
	if p.TimeZone == "" {
		p.TimeZone = DefaultTimeZone
	}
	if p.Targets != nil {
		targets := make([]events.Target, len(p.Targets))
		for i, t := range p.Targets {
			t.ID = strings.ToLower(t.ID)
			if t.Service == events.ServiceElastiCache && t.Kind == "" {
				t.Kind = events.KindReplicationGroup
			}
			targets[i] = t
		}
		p.Targets = targets
	}
	return p
}

// Validate reports every rule p breaks as a *ValidationError, or nil.
// It accepts p before or after Normalize.
func Validate(p events.Policy) error {
	var e errs
	if !policyName.ok(p.Name) {
		e.add("name", policyName.text)
	}
	if len(p.Targets) == 0 && p.Selector == nil {
		e.add("targets", "at least one target or a selector is required")
	}
	validateTargets(&e, p)
	if p.Selector != nil {
		validateSelector(&e, p)
	}
	if p.Copy != nil && p.Copy.Prefix != "" {
		if !copyPrefix.MatchString(p.Copy.Prefix) || p.Copy.Prefix == naming.SnapshotPrefix {
			e.add("copy.prefix", fmt.Sprintf("must be 1 to 10 lowercase letters or digits, starting with a letter, other than %q", naming.SnapshotPrefix))
		}
	}
	if p.Export != nil {
		if !validBucket(p.Export.Bucket) {
			e.add("export.bucket", "must be a valid S3 bucket name")
		}
		switch {
		case strings.HasPrefix(p.Export.Prefix, "/"):
			e.add("export.prefix", `must not start with "/"`)
		case !utf8.ValidString(p.Export.Prefix) || len(p.Export.Prefix) > maxExportPrefix:
			e.add("export.prefix", fmt.Sprintf("must be valid UTF-8 of at most %d bytes", maxExportPrefix))
		}
	}
	if p.Retention != nil {
		validateRetention(&e, *p.Retention)
	}
	if p.TimeZone != "" && !validTimeZone(p.TimeZone) {
		e.add("timeZone", "must be an IANA time zone name such as Europe/Berlin")
	}
	validateTags(&e, p.Tags)
	if p.ScheduledTime != "" {
		if _, err := time.Parse(time.RFC3339, p.ScheduledTime); err != nil {
			e.add("scheduledTime", "must be an RFC 3339 time such as 2026-11-20T02:00:00Z")
		}
	}
	if p.RPOMinutes < 0 {
		e.add("rpoMinutes", "must be >= 0")
	}
	if p.Schedule != "" && !schedulePattern.MatchString(p.Schedule) {
		e.add("schedule", "must be a cron(...) or rate(...) expression")
	}
	if d := p.RedshiftRetentionDays; d < -1 || d > maxRedshiftRetentionDays {
		e.add("redshiftRetentionDays", fmt.Sprintf("must be -1 (indefinitely) or 1 to %d", maxRedshiftRetentionDays))
	}
	return e.err()
}

func validateTargets(e *errs, p events.Policy) {
	seen := make(map[string]int)
	for i, t := range p.Targets {
		field := fmt.Sprintf("targets[%d]", i)
		rule, known := idRule(t)
		if !known {
			e.add(field+".service", "must be one of "+strings.Join(events.Services, ", "))
		}
		switch {
		case t.Service == events.ServiceElastiCache:
			if t.Kind != "" && t.Kind != events.KindReplicationGroup && t.Kind != events.KindCacheCluster {
				e.add(field+".kind", "must be one of "+events.KindReplicationGroup+", "+events.KindCacheCluster)
			}
		case t.Kind != "":
			e.add(field+".kind", "is only allowed for elasticache targets")
		}
		if known && !rule.ok(t.ID) {
			e.add(field+".id", rule.text)
		}
		if t.Region != "" && !regionPattern.MatchString(t.Region) {
			e.add(field+".region", "must be a region code such as us-east-1")
		}
		if t.Service == events.ServiceRedshiftServerless {
			// Redshift Serverless copies across regions through a snapshot
			// copy configuration and has no export to S3 (DESIGN.md).
			if p.Copy != nil {
				e.add(field, "copy is not supported for redshift-serverless")
			}
			if p.Export != nil {
				e.add(field, "export is not supported for redshift-serverless")
			}
		}
		key := targetKey(t)
		if j, dup := seen[key]; dup {
			e.add(field, fmt.Sprintf("duplicates targets[%d]", j))
		} else {
			seen[key] = i
		}
	}
}

func targetKey(t events.Target) string {
	kind := t.Kind
	if t.Service == events.ServiceElastiCache && kind == "" {
		kind = events.KindReplicationGroup
	}
	return strings.Join([]string{t.Service, kind, strings.ToLower(t.ID), t.Region}, "\x00")
}

func validateSelector(e *errs, p events.Policy) {
	s := p.Selector
	seen := make(map[string]bool)
	redshift := len(s.Services) == 0 // empty means every service
	for i, svc := range s.Services {
		field := fmt.Sprintf("selector.services[%d]", i)
		switch {
		case !known(svc):
			e.add(field, "must be one of "+strings.Join(events.Services, ", "))
		case seen[svc]:
			e.add(field, "duplicates "+svc)
		}
		seen[svc] = true
		redshift = redshift || svc == events.ServiceRedshiftServerless
	}
	if redshift && (p.Copy != nil || p.Export != nil) {
		e.add("selector.services", "must list the services and leave out redshift-serverless when copy or export is set")
	}
	if len(s.Tags) == 0 {
		e.add("selector.tags", "must have at least one key")
	}
	for _, k := range sortedKeys(s.Tags) {
		field := fmt.Sprintf("selector.tags[%q]", k)
		if k == "" || len(k) > maxTagKey {
			e.add(field, fmt.Sprintf("key must be 1 to %d characters", maxTagKey))
		}
		for i, v := range s.Tags[k] {
			if len(v) > maxTagValue {
				e.add(fmt.Sprintf("%s[%d]", field, i), fmt.Sprintf("must be at most %d characters", maxTagValue))
			}
		}
	}
}

func known(service string) bool {
	_, ok := idRule(events.Target{Service: service})
	return ok
}

func validateRetention(e *errs, r events.Retention) {
	fields := []struct {
		name string
		n    int
	}{
		{"keepLast", r.KeepLast}, {"daily", r.Daily}, {"weekly", r.Weekly},
		{"monthly", r.Monthly}, {"yearly", r.Yearly}, {"maxAgeDays", r.MaxAgeDays},
	}
	set := false
	for _, f := range fields {
		if f.n < 0 {
			e.add("retention."+f.name, "must be >= 0")
		}
		set = set || f.n > 0
	}
	if !set {
		e.add("retention", "at least one of keepLast, daily, weekly, monthly, yearly, maxAgeDays must be > 0")
	}
}

func validateTags(e *errs, tags map[string]string) {
	if len(tags) > maxUserTags {
		e.add("tags", fmt.Sprintf("must have at most %d tags (%d per resource, %d of them managed by snapflow)",
			maxUserTags, maxTags, naming.ManagedTagCount))
	}
	for _, k := range sortedKeys(tags) {
		field := fmt.Sprintf("tags[%q]", k)
		lower := strings.ToLower(k)
		switch {
		case k == "" || len(k) > maxTagKey || !validTagChars(k):
			e.add(field, fmt.Sprintf("key must be 1 to %d letters, digits, spaces or _.:/=+-@", maxTagKey))
		case strings.HasPrefix(lower, "aws:"):
			e.add(field, `key must not start with "aws:"`)
		case strings.HasPrefix(lower, naming.TagPrefix):
			e.add(field, fmt.Sprintf("key must not start with %q, which snapflow reserves", naming.TagPrefix))
		}
		if v := tags[k]; len(v) > maxTagValue || !validTagChars(v) {
			e.add(field, fmt.Sprintf("value must be at most %d letters, digits, spaces or _.:/=+-@", maxTagValue))
		}
	}
}

// Slot returns the schedule slot of a run: the policy's scheduled time when
// set, else the execution start time ($$.Execution.StartTime), in UTC and
// truncated to the minute.
func Slot(p events.Policy, executionStartTime string) (time.Time, error) {
	value, field := p.ScheduledTime, "scheduledTime"
	if value == "" {
		value, field = executionStartTime, "executionStartTime"
	}
	t, err := time.Parse(time.RFC3339, value)
	if err != nil {
		return time.Time{}, &ValidationError{Errors: []FieldError{{Field: field, Rule: "must be an RFC 3339 time"}}}
	}
	return t.UTC().Truncate(time.Minute), nil
}

// Match reports whether a resource of service with tags is selected by s:
// the service is listed (or none are), and for every key of s.Tags the
// resource has that key with one of the listed values, or with any value
// when the list is empty.
func Match(s events.TagSelector, service string, tags map[string]string) bool {
	if len(s.Services) > 0 && !slices.Contains(s.Services, service) {
		return false
	}
	for k, values := range s.Tags {
		v, ok := tags[k]
		if !ok || len(values) > 0 && !slices.Contains(values, v) {
			return false
		}
	}
	return true
}
