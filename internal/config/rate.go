package config

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/snapflow/snapflow/events"
	"github.com/snapflow/snapflow/internal/schedexpr"
)

// manualPerDay is how many manual snapshots a source may take in any
// contiguous 24 hours; a schedule that fires more often fails its later runs
// with QuotaExceeded. Sources:
//   - MemoryDB Developer Guide, "Snapshot constraints": no more than 20
//     manual snapshots per cluster;
//   - ElastiCache User Guide, "Snapshot and restore", Backup constraints: no
//     more than 24 manual backups per serverless cache, and 20 per node of a
//     node-based cluster (snapflow snapshots one node of it at a time).
//
// Redshift Serverless documents no such rate.
var manualPerDay = map[string]struct {
	limit int
	doc   string
}{
	events.ServiceMemoryDB:              {20, `MemoryDB allows 20 manual snapshots per cluster in any 24 hours (MemoryDB Developer Guide, "Snapshot constraints")`},
	events.ServiceElastiCache:           {20, `ElastiCache allows 20 manual backups per node in any 24 hours (ElastiCache User Guide, "Snapshot and restore")`},
	events.ServiceElastiCacheServerless: {24, `ElastiCache allows 24 manual backups per serverless cache in any 24 hours (ElastiCache User Guide, "Snapshot and restore")`},
}

// firesPerDayHorizon is how far ahead firesPerDay looks for the busiest 24
// hours: two weeks hold every day of the week twice. A change of daylight
// saving time outside it moves a cron's count by at most the hour the
// clocks move (one or two fires of an hourly cron).
const firesPerDayHorizon = 14 * 24 * time.Hour

// firesPerDay returns the most times the schedule fires in any 24 hours
// over the horizon from ref; once a day passes stop, that day's count.
func firesPerDay(expr *schedexpr.Expression, loc *time.Location, ref time.Time, stop int) int {
	if r := expr.Rate(); r > 0 {
		return int((24*time.Hour + r - 1) / r)
	}
	var times []time.Time
	most := 0
	after := ref.Add(-time.Nanosecond)
	for {
		t, ok := expr.Next(loc, ref, after)
		if !ok || t.Sub(ref) > firesPerDayHorizon {
			return most
		}
		times = append(times, t)
		for len(times) > 0 && t.Sub(times[0]) >= 24*time.Hour {
			times = times[1:]
		}
		most = max(most, len(times))
		if most > stop {
			// Too many already: count the rest of this 24 hours only.
			for {
				t, ok = expr.Next(loc, ref, t)
				if !ok || t.Sub(times[0]) >= 24*time.Hour {
					return most
				}
				most++
			}
		}
		after = t
	}
}

// services returns the services a policy may snapshot: its targets', or its
// selector's (all of them when the selector names none).
func services(p events.Policy) []string {
	var out []string
	add := func(s string) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, t := range p.Targets {
		add(t.Service)
	}
	if p.Selector != nil {
		if len(p.Selector.Services) == 0 {
			for _, s := range events.Services {
				add(s)
			}
		}
		for _, s := range p.Selector.Services {
			add(s)
		}
	}
	return out
}

// validateSnapshotRate rejects schedules that would take more manual
// snapshots of one source in 24 hours than its service allows: each
// policy on its own, and the policies that name the same target together
// (their busiest days added up, an upper bound).
func validateSnapshotRate(e *errs, c *Config) {
	ref := time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC) // a Monday; any day serves
	perDay := make([]int, len(c.Policies))
	for i := range c.Policies {
		p := &c.Policies[i]
		expr, err := schedexpr.Parse(p.Schedule)
		if p.malformed || err != nil {
			continue
		}
		loc, err := time.LoadLocation(p.ScheduleTimeZone)
		if err != nil {
			continue
		}
		perDay[i] = firesPerDay(expr, loc, ref, 24)
		for _, s := range services(p.Policy) {
			if q, ok := manualPerDay[s]; ok && perDay[i] > q.limit {
				e.add(fmt.Sprintf("policies[%d].schedule", i), fmt.Sprintf("fires up to %d times in 24 hours; %s: at most %d for a policy that may snapshot %s",
					perDay[i], q.doc, q.limit, s))
			}
		}
	}
	// The policies that name a target, and their busiest days added up.
	type key struct{ service, id, region string }
	type use struct {
		perDay   int
		policies []string
	}
	uses := map[key]*use{}
	for i, p := range c.Policies {
		if perDay[i] == 0 {
			continue
		}
		for _, t := range p.Targets {
			q, ok := manualPerDay[t.Service]
			if !ok {
				continue
			}
			k := key{t.Service, strings.ToLower(t.ID), t.Region}
			u := uses[k]
			if u == nil {
				u = &use{}
				uses[k] = u
			}
			u.perDay += perDay[i]
			u.policies = append(u.policies, p.Name)
			// A policy over the limit on its own is reported above.
			if u.perDay > q.limit && perDay[i] <= q.limit && len(u.policies) > 1 {
				e.add(fmt.Sprintf("policies[%d].schedule", i), fmt.Sprintf("with %s, snapshots %s %s up to %d times in 24 hours; %s",
					strings.Join(u.policies[:len(u.policies)-1], ", "), t.Service, t.ID, u.perDay, q.doc))
			}
		}
	}
}
