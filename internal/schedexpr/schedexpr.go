// Package schedexpr evaluates EventBridge Scheduler schedule expressions —
// cron(minutes hours day-of-month month day-of-week year), rate(value unit)
// and at(yyyy-mm-ddThh:mm:ss) — in a schedule's time zone, as EventBridge
// Scheduler invokes its targets. The local runner's scheduler uses it.
//
// Sources (the fidelity table of docs/localaws.md lists them too):
//   - cron syntax, fields, wildcards (, - * ? / L W #), names, day-of-week
//     1-7 = SUN-SAT: EventBridge User Guide, "Cron expressions reference"
//     (the syntax EventBridge Scheduler's "Schedule types on EventBridge
//     Scheduler" points to);
//   - rate(value minutes|hours|days), a day being 24 hours on the clock,
//     the first invocation at the start date or, without one, at once:
//     Scheduler User Guide, "Schedule types on EventBridge Scheduler", and
//     AWS Knowledge Center, "How can I adjust my Amazon EventBridge schedule
//     for daylight saving?";
//   - daylight saving time: a cron time that does not exist on the day the
//     clocks go forward is skipped, one that occurs twice on the day they go
//     back runs once (the same Knowledge Center article and the Scheduler
//     User Guide's "Daylight savings time on EventBridge Scheduler");
//   - <aws.scheduler.scheduled-time> is the scheduled time in UTC, e.g.
//     2022-03-22T18:59:43Z: Scheduler User Guide, "Adding context
//     attributes".
//
// What the documentation leaves open follows Quartz's CronExpression, whose
// syntax EventBridge's is (nW, LW, nL, n#k); see the comments in cron.go.
package schedexpr

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Expression is a parsed schedule expression.
type Expression struct {
	text string
	cron *cron
	rate time.Duration
	at   *wall
}

// wall is a wall-clock time, read in the schedule's time zone.
type wall struct {
	year              int
	month             time.Month
	day, hour, minute int
	second            int
}

var (
	rateExpr = regexp.MustCompile(`^rate\(([1-9][0-9]*) (minute|minutes|hour|hours|day|days)\)$`)
	atExpr   = regexp.MustCompile(`^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$`)
)

// Parse reads a schedule expression: cron(...) with six fields, rate(n
// minute[s]|hour[s]|day[s]) or at(yyyy-mm-ddThh:mm:ss).
func Parse(s string) (*Expression, error) {
	e := &Expression{text: s}
	switch {
	case strings.HasPrefix(s, "cron(") && strings.HasSuffix(s, ")"):
		c, err := parseCron(s[len("cron(") : len(s)-1])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s, err)
		}
		e.cron = c
	case strings.HasPrefix(s, "rate("):
		m := rateExpr.FindStringSubmatch(s)
		if m == nil {
			return nil, fmt.Errorf("%s: must be rate(value unit) with a positive value and a unit of minutes, hours or days", s)
		}
		n, err := strconv.Atoi(m[1])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s, err)
		}
		unit := map[byte]time.Duration{'m': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour}[m[2][0]]
		e.rate = time.Duration(n) * unit
	case strings.HasPrefix(s, "at("):
		m := atExpr.FindStringSubmatch(s)
		if m == nil {
			return nil, fmt.Errorf("%s: must be at(yyyy-mm-ddThh:mm:ss)", s)
		}
		n := make([]int, 6)
		for i := range n {
			n[i], _ = strconv.Atoi(m[i+1])
		}
		w := wall{n[0], time.Month(n[1]), n[2], n[3], n[4], n[5]}
		if t := time.Date(w.year, w.month, w.day, w.hour, w.minute, w.second, 0, time.UTC); t.Day() != w.day || t.Hour() != w.hour || t.Minute() != w.minute || t.Second() != w.second || w.month < 1 || w.month > 12 {
			return nil, fmt.Errorf("%s: not a valid date and time", s)
		}
		e.at = &w
	default:
		return nil, fmt.Errorf("%q: must be cron(...), rate(...) or at(...)", s)
	}
	return e, nil
}

// String is the expression as parsed.
func (e *Expression) String() string { return e.text }

// Rate is a rate expression's interval (0 for cron and at).
func (e *Expression) Rate() time.Duration { return e.rate }

// Next returns the first time after `after` at which a schedule with this
// expression, evaluated in loc and started at start (its StartDate, or when
// it was created and enabled), invokes its target; false when it never
// does again. A schedule never fires before start:
//   - cron: the cron times at or after start, in loc; a time the clocks
//     skip is skipped, a time they repeat counts once (its first instant);
//   - rate: start, start + rate, start + 2·rate, … (a day is 24 hours,
//     whatever the time zone does);
//   - at: the time, in loc (if it is not before start).
func (e *Expression) Next(loc *time.Location, start, after time.Time) (time.Time, bool) {
	from := after.Add(time.Nanosecond)
	if from.Before(start) {
		from = start
	}
	switch {
	case e.rate > 0:
		if !from.After(start) {
			return start, true
		}
		k := (from.Sub(start) + e.rate - 1) / e.rate
		return start.Add(k * e.rate), true
	case e.at != nil:
		t, ok := resolve(loc, *e.at)
		if !ok || t.Before(from) {
			return time.Time{}, false
		}
		return t, true
	}
	return e.cron.next(loc, from)
}

// Times returns the times in (after, until] at which the schedule invokes
// its target (Next, repeated).
func (e *Expression) Times(loc *time.Location, start, after, until time.Time) []time.Time {
	var out []time.Time
	for {
		t, ok := e.Next(loc, start, after)
		if !ok || t.After(until) {
			return out
		}
		out = append(out, t)
		after = t
	}
}

// ScheduledTime formats t as EventBridge Scheduler fills in
// <aws.scheduler.scheduled-time>: UTC, to the second, e.g.
// 2022-03-22T18:59:43Z ("Adding context attributes", Scheduler User Guide).
func ScheduledTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// resolve returns the first instant at which the wall clock of loc shows w;
// false when it never does (the clocks skip it).
func resolve(loc *time.Location, w wall) (time.Time, bool) {
	return resolveIn(loc, w, offsetsAround(loc, time.Date(w.year, w.month, w.day, 12, 0, 0, 0, time.UTC)))
}

// resolveIn is resolve with the offsets of w's day (offsetsAround).
func resolveIn(loc *time.Location, w wall, offsets []int) (time.Time, bool) {
	asUTC := time.Date(w.year, w.month, w.day, w.hour, w.minute, w.second, 0, time.UTC)
	var best time.Time
	found := false
	for _, off := range offsets {
		u := asUTC.Add(-time.Duration(off) * time.Second)
		if showsWall(u.In(loc), w) && (!found || u.Before(best)) {
			best, found = u, true
		}
	}
	return best, found
}

// offsetsAround returns the UTC offsets (seconds) loc uses within a day and
// a half of t: a wall time of that day is one of them from UTC.
func offsetsAround(loc *time.Location, t time.Time) []int {
	var out []int
	for h := -36; h <= 36; h++ {
		_, off := t.Add(time.Duration(h) * time.Hour).In(loc).Zone()
		seen := false
		for _, o := range out {
			seen = seen || o == off
		}
		if !seen {
			out = append(out, off)
		}
	}
	return out
}

func showsWall(t time.Time, w wall) bool {
	y, m, d := t.Date()
	return y == w.year && m == w.month && d == w.day && t.Hour() == w.hour && t.Minute() == w.minute && t.Second() == w.second
}
