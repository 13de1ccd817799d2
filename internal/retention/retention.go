// Package retention decides which of a policy's snapshots of one target to
// keep and which to delete.
//
// Candidates. Only snapshots tagged snapflow:managed=true whose
// snapflow:policy and snapflow:target tags equal Input.Policy and
// Input.Target are candidates. Every other snapshot is left alone: it is
// listed in Result.Ignored ("not managed", "other policy", "other target"),
// never in Delete.
//
// Order. Candidates are ordered newest first by CreatedAt, ties broken by
// Name (greater first); "newest" below refers to this order, and every list
// in the Result follows it.
//
// Status.
//   - creating, copying, exporting: kept ("in progress").
//   - deleting: kept ("already deleting"); there is nothing left to do.
//   - unknown, or any other value: kept ("unknown status").
//   - failed: deleted ("failed") unless it is the newest candidate of all,
//     which is kept ("newest, failed") so the failure stays visible.
//   - available: decided by the rules below.
//
// Rules. An available snapshot is kept when any of these keeps it, and its
// reason lists every rule that does (e.g. "keep-last 3, daily 2026-11-20"):
//   - the newest available snapshot is always kept ("newest available");
//   - KeepLast N keeps the N newest available snapshots ("keep-last N");
//   - Daily, Weekly, Monthly, Yearly N keep the newest available snapshot of
//     each of the last N calendar days, ISO weeks, months or years, counted
//     back from and including the one Now falls in, all in Location
//     ("daily 2026-11-20", "weekly 2026-W47", "monthly 2026-11",
//     "yearly 2026"); snapshots dated after Now belong to no such period;
//   - MaxAgeDays N keeps snapshots created at or after the same wall-clock
//     time N calendar days before Now in Location ("within maxAgeDays N").
//
// An available snapshot no rule keeps is deleted: with MaxAgeDays set it is
// older than that ("expired: older than maxAgeDays N"); without it, "not kept
// by any rule". So MaxAgeDays alone deletes everything older except the
// newest available snapshot. With no rule set at all, every available
// snapshot is kept ("no retention rules").
//
// Keep and Delete together hold every candidate exactly once. Plan is pure
// and deterministic: the same snapshots in any order give the same Result.
package retention

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/snapflow/snapflow/events"
	"github.com/snapflow/snapflow/internal/naming"
)

// Status is a snapshot status, normalized across services by the adapters.
type Status string

// Normalized statuses.
const (
	StatusCreating  Status = "creating"
	StatusAvailable Status = "available"
	StatusFailed    Status = "failed"
	StatusDeleting  Status = "deleting"
	StatusCopying   Status = "copying"
	StatusExporting Status = "exporting"
	StatusUnknown   Status = "unknown"
)

// Snapshot is what retention needs to know about one snapshot.
type Snapshot struct {
	Name      string
	CreatedAt time.Time
	Status    Status
	Tags      map[string]string
}

// Input is one target's snapshots and the policy's rules.
type Input struct {
	// Policy and Target select the candidates by their managed tags.
	Policy string
	Target string
	// Now is the time the periods and ages are measured from.
	Now time.Time
	// Location is the policy's time zone; nil means UTC.
	Location *time.Location
	// Rules are the policy's retention rules.
	Rules events.Retention
	// Snapshots are every snapshot of the target, managed or not.
	Snapshots []Snapshot
}

// Decision is what happens to one snapshot, and why.
type Decision struct {
	Name   string
	Reason string
}

// Result is the outcome of Plan.
type Result struct {
	// Keep and Delete partition the candidates.
	Keep   []Decision
	Delete []Decision
	// Ignored are the snapshots that are not candidates; they are never
	// deleted.
	Ignored []Decision
}

// Plan applies the retention rules; see the package documentation.
func Plan(in Input) Result {
	loc := in.Location
	if loc == nil {
		loc = time.UTC
	}
	snaps := slices.Clone(in.Snapshots)
	slices.SortFunc(snaps, newestFirst)

	var res Result
	var candidates, available []Snapshot
	for _, s := range snaps {
		switch {
		case s.Tags[naming.TagManaged] != naming.ManagedValue:
			res.Ignored = append(res.Ignored, Decision{s.Name, "not managed"})
		case s.Tags[naming.TagPolicy] != in.Policy:
			res.Ignored = append(res.Ignored, Decision{s.Name, "other policy"})
		case s.Tags[naming.TagTarget] != in.Target:
			res.Ignored = append(res.Ignored, Decision{s.Name, "other target"})
		default:
			candidates = append(candidates, s)
			if s.Status == StatusAvailable {
				available = append(available, s)
			}
		}
	}

	reasons := keepReasons(in, loc, available)
	r := in.Rules
	noRules := r == events.Retention{}
	for i, s := range candidates {
		keep, reason := true, ""
		switch s.Status {
		case StatusAvailable:
			switch {
			case len(reasons[s.Name]) > 0:
				reason = strings.Join(reasons[s.Name], ", ")
			case noRules:
				reason = "no retention rules"
			case r.MaxAgeDays > 0:
				keep, reason = false, fmt.Sprintf("expired: older than maxAgeDays %d", r.MaxAgeDays)
			default:
				keep, reason = false, "not kept by any rule"
			}
		case StatusCreating, StatusCopying, StatusExporting:
			reason = "in progress"
		case StatusDeleting:
			reason = "already deleting"
		case StatusFailed:
			keep, reason = i == 0, "failed"
			if keep {
				reason = "newest, failed"
			}
		default:
			reason = "unknown status"
		}
		if keep {
			res.Keep = append(res.Keep, Decision{s.Name, reason})
		} else {
			res.Delete = append(res.Delete, Decision{s.Name, reason})
		}
	}
	return res
}

// keepReasons returns, by snapshot name, the rules that keep each of the
// available snapshots (given newest first).
func keepReasons(in Input, loc *time.Location, available []Snapshot) map[string][]string {
	reasons := make(map[string][]string)
	keep := func(s Snapshot, why string) { reasons[s.Name] = append(reasons[s.Name], why) }
	r := in.Rules
	for i, s := range available {
		if i == 0 {
			keep(s, "newest available")
		}
		if i < r.KeepLast {
			keep(s, fmt.Sprintf("keep-last %d", r.KeepLast))
		}
	}
	for _, p := range periods {
		n := p.count(r)
		if n <= 0 {
			continue
		}
		now, _ := p.index(in.Now.In(loc))
		seen := make(map[int]bool)
		for _, s := range available {
			idx, label := p.index(s.CreatedAt.In(loc))
			if back := now - idx; back >= 0 && back < n && !seen[idx] {
				seen[idx] = true
				keep(s, p.name+" "+label)
			}
		}
	}
	if r.MaxAgeDays > 0 {
		now := in.Now.In(loc)
		y, m, d := now.Date()
		cutoff := time.Date(y, m, d-r.MaxAgeDays, now.Hour(), now.Minute(), now.Second(), now.Nanosecond(), loc)
		for _, s := range available {
			if !s.CreatedAt.Before(cutoff) {
				keep(s, fmt.Sprintf("within maxAgeDays %d", r.MaxAgeDays))
			}
		}
	}
	return reasons
}

// period is a calendar bucket of the GFS rules. index numbers the periods
// consecutively and labels the one t falls in; t is already in the policy's
// time zone.
type period struct {
	name  string
	count func(events.Retention) int
	index func(t time.Time) (int, string)
}

var periods = []period{
	{"daily", func(r events.Retention) int { return r.Daily }, func(t time.Time) (int, string) {
		return civilDay(t), t.Format("2006-01-02")
	}},
	{"weekly", func(r events.Retention) int { return r.Weekly }, func(t time.Time) (int, string) {
		monday := civilDay(t) - (int(t.Weekday())+6)%7
		y, w := t.ISOWeek()
		return (monday - 4) / 7, fmt.Sprintf("%04d-W%02d", y, w) // day 4 (1970-01-05) is a Monday
	}},
	{"monthly", func(r events.Retention) int { return r.Monthly }, func(t time.Time) (int, string) {
		return t.Year()*12 + int(t.Month()) - 1, t.Format("2006-01")
	}},
	{"yearly", func(r events.Retention) int { return r.Yearly }, func(t time.Time) (int, string) {
		return t.Year(), t.Format("2006")
	}},
}

// civilDay numbers t's calendar date: days since 1970-01-01.
func civilDay(t time.Time) int {
	y, m, d := t.Date()
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func newestFirst(a, b Snapshot) int {
	return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), strings.Compare(b.Name, a.Name))
}
