package schedexpr

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// cron is a parsed cron(minutes hours day-of-month month day-of-week year)
// ("Cron expressions reference", EventBridge User Guide):
//
//	Minutes       0-59              , - * /
//	Hours         0-23              , - * /
//	Day-of-month  1-31              , - * ? / L W
//	Month         1-12 or JAN-DEC   , - * /
//	Day-of-week   1-7 or SUN-SAT    , - * ? L #
//	Year          1970-2199         , - * /
//
// One of day-of-month and day-of-week is ? and the other decides the day.
type cron struct {
	minutes, hours, months set
	years                  set
	dom                    *domField // nil: ?
	dow                    *dowField // nil: ?
}

// set is a set of small non-negative numbers.
type set map[int]bool

// domField is a day-of-month field: days of the month, or one of L (the
// last day), LW (the last weekday) and nW (the weekday nearest day n).
type domField struct {
	days        set
	last        bool
	lastWeekday bool
	nearest     int // nW: n
}

// dowField is a day-of-week field, 1 = SUN … 7 = SAT: weekdays, or one of
// nL (the last such weekday of the month) and n#k (the k-th of the month).
type dowField struct {
	days    set
	lastOf  int // nL: n
	nth     int // n#k: n
	nthWeek int // n#k: k
}

var (
	monthNames = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}
	dayNames   = map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
)

// Years a cron expression can name.
const (
	minYear = 1970
	maxYear = 2199
)

func parseCron(s string) (*cron, error) {
	f := strings.Fields(s)
	if len(f) != 6 {
		return nil, fmt.Errorf("cron needs six fields (minutes hours day-of-month month day-of-week year), got %d", len(f))
	}
	c := &cron{}
	var err error
	if c.minutes, err = parseList(f[0], 0, 59, nil, true); err != nil {
		return nil, fmt.Errorf("minutes: %w", err)
	}
	if c.hours, err = parseList(f[1], 0, 23, nil, true); err != nil {
		return nil, fmt.Errorf("hours: %w", err)
	}
	if c.months, err = parseList(f[3], 1, 12, monthNames, true); err != nil {
		return nil, fmt.Errorf("month: %w", err)
	}
	if c.years, err = parseList(f[5], minYear, maxYear, nil, true); err != nil {
		return nil, fmt.Errorf("year: %w", err)
	}
	// "You can't specify the Day-of-month and Day-of-week fields in the
	// same cron expression. If you specify a value or a * (asterisk) in one
	// of the fields, you must use a ? (question mark) in the other."
	switch {
	case f[2] == "?" && f[4] == "?":
		return nil, errors.New("one of day-of-month and day-of-week must be a value or *, the other ?")
	case f[2] != "?" && f[4] != "?":
		return nil, errors.New("day-of-month and day-of-week cannot both be set: use ? in one of them")
	case f[2] != "?":
		if c.dom, err = parseDOM(f[2]); err != nil {
			return nil, fmt.Errorf("day-of-month: %w", err)
		}
	default:
		if c.dow, err = parseDOW(f[4]); err != nil {
			return nil, fmt.Errorf("day-of-week: %w", err)
		}
	}
	return c, nil
}

// parseDOM reads a day-of-month field. L, LW and nW stand alone (Quartz:
// "The 'L' and 'W' characters can also be combined … 'LW'", and W "can
// only be specified when the day-of-month is a single day, not a range or
// list of days").
func parseDOM(s string) (*domField, error) {
	u := strings.ToUpper(s)
	switch {
	case u == "L":
		return &domField{last: true}, nil
	case u == "LW":
		return &domField{lastWeekday: true}, nil
	case strings.HasSuffix(u, "W"):
		n, err := strconv.Atoi(u[:len(u)-1])
		if err != nil || n < 1 || n > 31 {
			return nil, fmt.Errorf("%q: W follows a single day 1-31 (3W: the weekday nearest the 3rd)", s)
		}
		return &domField{nearest: n}, nil
	}
	days, err := parseList(s, 1, 31, nil, true)
	if err != nil {
		return nil, err
	}
	return &domField{days: days}, nil
}

// parseDOW reads a day-of-week field, 1 = SUN … 7 = SAT. L alone is the
// last day of the week (SAT); nL and n#k stand alone ("If you use the '#'
// character, you can define only one expression in the day-of-week field.
// For example, "3#1,6#3" is not valid"). No / in this field.
func parseDOW(s string) (*dowField, error) {
	u := strings.ToUpper(s)
	switch {
	case u == "L":
		return &dowField{days: set{7: true}}, nil
	case strings.Contains(u, "#"):
		a, b, _ := strings.Cut(u, "#")
		n, err1 := value(a, 1, 7, dayNames)
		k, err2 := strconv.Atoi(b)
		if err1 != nil || err2 != nil || k < 1 || k > 5 {
			return nil, fmt.Errorf("%q: # is day#week-of-month, a single day 1-7 or SUN-SAT and 1-5 (3#2: the second Tuesday)", s)
		}
		return &dowField{nth: n, nthWeek: k}, nil
	case strings.HasSuffix(u, "L"):
		n, err := value(u[:len(u)-1], 1, 7, dayNames)
		if err != nil {
			return nil, fmt.Errorf("%q: L follows a single day 1-7 or SUN-SAT (6L: the last Friday)", s)
		}
		return &dowField{lastOf: n}, nil
	}
	days, err := parseList(s, 1, 7, dayNames, false)
	if err != nil {
		return nil, err
	}
	return &dowField{days: days}, nil
}

// parseList reads a comma-separated list of *, v, a-b, with /step when
// steps are allowed: */s and a/s count from a (or the minimum) to the
// maximum, a-b/s from a to b. Ranges do not wrap around.
func parseList(s string, lo, hi int, names map[string]int, steps bool) (set, error) {
	out := set{}
	for _, item := range strings.Split(s, ",") {
		if item == "" {
			return nil, fmt.Errorf("%q: empty list item", s)
		}
		body, stepText, hasStep := strings.Cut(item, "/")
		step := 1
		if hasStep {
			if !steps {
				return nil, fmt.Errorf("%q: / is not allowed in this field", item)
			}
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("%q: the increment after / must be a positive number", item)
			}
			step = n
		}
		from, to := lo, hi
		switch {
		case body == "*":
		case strings.Contains(body, "-"):
			a, b, _ := strings.Cut(body, "-")
			var err error
			if from, err = value(a, lo, hi, names); err != nil {
				return nil, err
			}
			if to, err = value(b, lo, hi, names); err != nil {
				return nil, err
			}
			if from > to {
				return nil, fmt.Errorf("%q: the range runs backwards", item)
			}
		default:
			v, err := value(body, lo, hi, names)
			if err != nil {
				return nil, err
			}
			from = v
			if !hasStep {
				to = v
			}
		}
		for v := from; v <= to; v += step {
			out[v] = true
		}
	}
	return out, nil
}

// value reads a number in [lo, hi] or a name.
func value(s string, lo, hi int, names map[string]int) (int, error) {
	if v, ok := names[strings.ToUpper(s)]; ok {
		return v, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < lo || v > hi {
		return 0, fmt.Errorf("%q: must be %d-%d%s", s, lo, hi, nameHint(names))
	}
	return v, nil
}

func nameHint(names map[string]int) string {
	switch len(names) {
	case 12:
		return " or JAN-DEC"
	case 7:
		return " or SUN-SAT"
	}
	return ""
}

// next returns the first cron time at or after t, read in loc.
func (c *cron) next(loc *time.Location, t time.Time) (time.Time, bool) {
	local := t.In(loc)
	y, m, d := local.Date()
	day := time.Date(y, m, d, 12, 0, 0, 0, time.UTC) // a civil date
	for day.Year() <= maxYear {
		y, m, d := day.Date()
		switch {
		case !c.years[y]:
			day = time.Date(y+1, 1, 1, 12, 0, 0, 0, time.UTC)
			continue
		case !c.months[int(m)]:
			day = time.Date(y, m+1, 1, 12, 0, 0, 0, time.UTC)
			continue
		}
		if c.dayMatches(y, m, d) {
			offsets := offsetsAround(loc, day)
			for h := 0; h < 24; h++ {
				if !c.hours[h] {
					continue
				}
				for mi := 0; mi < 60; mi++ {
					if !c.minutes[mi] {
						continue
					}
					u, ok := resolveIn(loc, wall{y, m, d, h, mi, 0}, offsets)
					if ok && !u.Before(t) {
						return u, true
					}
				}
			}
		}
		day = day.AddDate(0, 0, 1)
	}
	return time.Time{}, false
}

func daysIn(y int, m time.Month) int { return time.Date(y, m+1, 0, 12, 0, 0, 0, time.UTC).Day() }

func weekday(y int, m time.Month, d int) time.Weekday {
	return time.Date(y, m, d, 12, 0, 0, 0, time.UTC).Weekday()
}

// dayMatches reports whether the date is one of the expression's days.
func (c *cron) dayMatches(y int, m time.Month, d int) bool {
	last := daysIn(y, m)
	if f := c.dom; f != nil {
		switch {
		case f.last:
			return d == last
		case f.lastWeekday:
			return d == weekdayNear(y, m, last)
		case f.nearest > 0:
			// Quartz: a day beyond the month's end has no nearest weekday
			// that month (assumed for EventBridge).
			return f.nearest <= last && d == weekdayNear(y, m, f.nearest)
		}
		return f.days[d]
	}
	f := c.dow
	w := int(weekday(y, m, d)) + 1 // 1 = SUN … 7 = SAT
	switch {
	case f.lastOf > 0:
		return w == f.lastOf && d+7 > last
	case f.nth > 0:
		return w == f.nth && (d-1)/7+1 == f.nthWeek
	}
	return f.days[w]
}

// weekdayNear is the weekday (Monday to Friday) nearest day n of the month,
// without leaving the month (Quartz: "if you were to specify '1W' as the
// value for day-of-month, and the 1st is a Saturday, the trigger will fire
// on Monday the 3rd, as it will not 'jump' over the boundary of a month's
// days").
func weekdayNear(y int, m time.Month, n int) int {
	last := daysIn(y, m)
	switch weekday(y, m, n) {
	case time.Saturday:
		if n == 1 {
			return 3
		}
		return n - 1
	case time.Sunday:
		if n == last {
			return n - 2
		}
		return n + 1
	}
	return n
}
