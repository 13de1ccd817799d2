package schedexpr

import (
	"strings"
	"testing"
	"time"
)

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func mustParse(t *testing.T, s string) *Expression {
	t.Helper()
	e, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// checkTimes checks the first len(want) invocations after `after` (UTC
// RFC 3339), for a schedule that started long before.
func checkTimes(t *testing.T, expr, tz, after string, want ...string) {
	t.Helper()
	e := mustParse(t, expr)
	loc := zone(t, tz)
	at := utc(after)
	start := at.AddDate(-1, 0, 0)
	for i, w := range want {
		got, ok := e.Next(loc, start, at)
		if !ok {
			t.Fatalf("%s in %s: invocation %d after %s: none, want %s", expr, tz, i+1, at.Format(time.RFC3339), w)
		}
		if !got.Equal(utc(w)) {
			t.Fatalf("%s in %s: invocation %d after %s: got %s (%s), want %s", expr, tz, i+1, at.Format(time.RFC3339),
				got.UTC().Format(time.RFC3339), got.In(loc).Format("Mon 2006-01-02 15:04 MST"), w)
		}
		at = got
	}
}

func TestCronInTimeZone(t *testing.T) {
	// 02:00 in Berlin is 01:00 UTC in winter (CET), 00:00 UTC in summer.
	checkTimes(t, "cron(0 2 * * ? *)", "Europe/Berlin", "2026-11-19T12:00:00Z",
		"2026-11-20T01:00:00Z", "2026-11-21T01:00:00Z")
	checkTimes(t, "cron(0 2 * * ? *)", "Europe/Berlin", "2026-07-01T00:00:00Z", "2026-07-02T00:00:00Z")
	checkTimes(t, "cron(15 12 * * ? *)", "UTC", "2026-11-19T12:15:00Z", "2026-11-20T12:15:00Z")
}

// TestCronDaylightSaving: "When the time shifts forward in Spring, your
// schedule invocation gets skipped if the cron expression falls on a
// non-existent date and time. When the time shifts back in the Fall, your
// schedule runs only once."
func TestCronDaylightSaving(t *testing.T) {
	// Berlin, 29 March 2026: 02:00 CET becomes 03:00 CEST; 02:30 never is.
	checkTimes(t, "cron(30 2 * * ? *)", "Europe/Berlin", "2026-03-27T12:00:00Z",
		"2026-03-28T01:30:00Z", // 02:30 CET
		"2026-03-30T00:30:00Z") // 02:30 CEST; the 29th is skipped
	// 03:30 exists on the 29th: one hour earlier in UTC than the day before.
	checkTimes(t, "cron(30 3 * * ? *)", "Europe/Berlin", "2026-03-28T12:00:00Z", "2026-03-29T01:30:00Z")
	// Berlin, 25 October 2026: 03:00 CEST becomes 02:00 CET; 02:30 happens
	// at 00:30 and 01:30 UTC, and runs once, at the first.
	checkTimes(t, "cron(30 2 * * ? *)", "Europe/Berlin", "2026-10-24T12:00:00Z",
		"2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z")
	// Every 30 minutes: the repeated hour adds nothing.
	checkTimes(t, "cron(0/30 * * * ? *)", "Europe/Berlin", "2026-10-24T23:45:00Z",
		"2026-10-25T00:00:00Z", // 02:00 CEST
		"2026-10-25T00:30:00Z", // 02:30 CEST
		"2026-10-25T02:00:00Z") // 03:00 CET: 02:00 and 02:30 CET were run already
	// New York, 8 March 2026: 02:00 EST becomes 03:00 EDT.
	checkTimes(t, "cron(0 2 * * ? *)", "America/New_York", "2026-03-07T12:00:00Z",
		"2026-03-09T06:00:00Z") // the 8th is skipped
	// A rate is a duration: a day is 24 hours, DST or not.
	e := mustParse(t, "rate(1 day)")
	berlin := zone(t, "Europe/Berlin")
	start := utc("2026-03-28T01:00:00Z") // 02:00 CET
	if got, _ := e.Next(berlin, start, start); !got.Equal(utc("2026-03-29T01:00:00Z")) {
		t.Errorf("rate(1 day) across the spring change: %s, want 24 hours later", got)
	}
}

func TestCronDayOfWeekIsOneToSeven(t *testing.T) {
	// Wednesday 18 November 2026.
	checkTimes(t, "cron(0 12 ? * 1 *)", "UTC", "2026-11-18T00:00:00Z", "2026-11-22T12:00:00Z") // 1 = SUN
	checkTimes(t, "cron(0 12 ? * SUN *)", "UTC", "2026-11-18T00:00:00Z", "2026-11-22T12:00:00Z")
	checkTimes(t, "cron(0 12 ? * 7 *)", "UTC", "2026-11-18T00:00:00Z", "2026-11-21T12:00:00Z") // 7 = SAT
	checkTimes(t, "cron(0 12 ? * 4 *)", "UTC", "2026-11-18T00:00:00Z", "2026-11-18T12:00:00Z", "2026-11-25T12:00:00Z")
	checkTimes(t, "cron(0 12 ? * 2-6 *)", "UTC", "2026-11-20T13:00:00Z", "2026-11-23T12:00:00Z") // MON-FRI: Friday → Monday
	checkTimes(t, "cron(0 12 ? * mon-fri *)", "UTC", "2026-11-20T13:00:00Z", "2026-11-23T12:00:00Z")
	checkTimes(t, "cron(0 12 ? * L *)", "UTC", "2026-11-18T00:00:00Z", "2026-11-21T12:00:00Z") // L: the last day of the week
	checkTimes(t, "cron(0 12 ? * 1,7 *)", "UTC", "2026-11-18T00:00:00Z", "2026-11-21T12:00:00Z", "2026-11-22T12:00:00Z")
	// The stack's weekly schedule.
	checkTimes(t, "cron(30 3 ? * SUN *)", "UTC", "2026-11-18T00:00:00Z", "2026-11-22T03:30:00Z", "2026-11-29T03:30:00Z")
}

func TestCronSpecialDays(t *testing.T) {
	// L: the last day of the month (a leap February).
	checkTimes(t, "cron(0 0 L * ? *)", "UTC", "2028-02-01T00:00:00Z", "2028-02-29T00:00:00Z", "2028-03-31T00:00:00Z")
	// 1W: 1 August 2026 is a Saturday; the nearest weekday in August is Monday the 3rd.
	checkTimes(t, "cron(0 9 1W 8 ? 2026)", "UTC", "2026-07-01T00:00:00Z", "2026-08-03T09:00:00Z")
	// 15W: 15 November 2026 is a Sunday → Monday the 16th.
	checkTimes(t, "cron(0 9 15W 11 ? 2026)", "UTC", "2026-11-01T00:00:00Z", "2026-11-16T09:00:00Z")
	// 31W: 31 May 2026 is a Sunday, the month's last day → Friday the 29th.
	checkTimes(t, "cron(0 9 31W 5 ? 2026)", "UTC", "2026-05-01T00:00:00Z", "2026-05-29T09:00:00Z")
	// 31W in a month of 30 days: never that month.
	checkTimes(t, "cron(0 9 31W 4,5 ? 2026)", "UTC", "2026-04-01T00:00:00Z", "2026-05-29T09:00:00Z")
	// LW: February 2026 ends on Saturday the 28th → Friday the 27th.
	checkTimes(t, "cron(0 9 LW * ? *)", "UTC", "2026-02-01T00:00:00Z", "2026-02-27T09:00:00Z")
	// 3#2: the second Tuesday; November 2026 starts on a Sunday.
	checkTimes(t, "cron(0 10 ? * 3#2 *)", "UTC", "2026-11-01T00:00:00Z", "2026-11-10T10:00:00Z", "2026-12-08T10:00:00Z")
	checkTimes(t, "cron(0 10 ? * TUE#5 *)", "UTC", "2026-11-01T00:00:00Z", "2026-12-29T10:00:00Z") // no fifth Tuesday in November
	// 6L: the last Friday of the month.
	checkTimes(t, "cron(0 10 ? * 6L *)", "UTC", "2026-11-01T00:00:00Z", "2026-11-27T10:00:00Z")
	// 31 only in months that have it.
	checkTimes(t, "cron(0 0 31 * ? *)", "UTC", "2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z")
}

func TestCronListsRangesSteps(t *testing.T) {
	checkTimes(t, "cron(1/10 * * * ? *)", "UTC", "2026-11-20T10:55:00Z", "2026-11-20T11:01:00Z", "2026-11-20T11:11:00Z")
	checkTimes(t, "cron(*/20 9-10 * * ? *)", "UTC", "2026-11-20T10:40:00Z", "2026-11-21T09:00:00Z")
	checkTimes(t, "cron(0 0-12/6 * * ? *)", "UTC", "2026-11-20T06:00:00Z", "2026-11-20T12:00:00Z", "2026-11-21T00:00:00Z")
	checkTimes(t, "cron(5,35 8,20 * * ? *)", "UTC", "2026-11-20T08:05:00Z", "2026-11-20T08:35:00Z", "2026-11-20T20:05:00Z")
	checkTimes(t, "cron(0 0 1 JAN-MAR,DEC ? *)", "UTC", "2026-03-02T00:00:00Z", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z")
	checkTimes(t, "cron(0 0 1 1/4 ? *)", "UTC", "2026-02-01T00:00:00Z", "2026-05-01T00:00:00Z", "2026-09-01T00:00:00Z")
	checkTimes(t, "cron(0 0 1 1 ? 2027,2030)", "UTC", "2026-02-01T00:00:00Z", "2027-01-01T00:00:00Z", "2030-01-01T00:00:00Z")
	// 1 to 15, every day of the month in between.
	checkTimes(t, "cron(0 0 14-15 11 ? 2026)", "UTC", "2026-11-01T00:00:00Z", "2026-11-14T00:00:00Z", "2026-11-15T00:00:00Z")
}

func TestNeverAgain(t *testing.T) {
	for _, expr := range []string{"cron(0 0 1 1 ? 2027)", "cron(0 0 30 2 ? *)", "at(2026-11-20T02:00:00)"} {
		e := mustParse(t, expr)
		if got, ok := e.Next(time.UTC, utc("2026-01-01T00:00:00Z"), utc("2027-06-01T00:00:00Z")); ok {
			t.Errorf("%s: next after mid-2027 = %s, want none", expr, got)
		}
	}
}

// TestStart: nothing fires before the schedule exists; a rate fires at its
// start, then every interval; a cron time equal to the start counts.
func TestStart(t *testing.T) {
	start := utc("2026-11-20T10:23:17Z")
	rate := mustParse(t, "rate(1 hour)")
	got := rate.Times(time.UTC, start, start.Add(-time.Hour), start.Add(2*time.Hour))
	want := []time.Time{start, start.Add(time.Hour), start.Add(2 * time.Hour)}
	if len(got) != len(want) {
		t.Fatalf("rate(1 hour) from %s: %v, want %v", start, got, want)
	}
	for i := range want {
		if !got[i].Equal(want[i]) {
			t.Fatalf("rate(1 hour) from %s: %v, want %v", start, got, want)
		}
	}
	if got := rate.Times(time.UTC, start, start, start.Add(59*time.Minute)); len(got) != 0 {
		t.Errorf("rate(1 hour): fired again within the hour: %v", got)
	}
	if n, _ := rate.Next(time.UTC, start, start.Add(90*time.Minute)); !n.Equal(start.Add(2 * time.Hour)) {
		t.Errorf("rate(1 hour): after 90 minutes the next is %s", n)
	}
	for _, r := range []struct {
		expr string
		d    time.Duration
	}{{"rate(5 minutes)", 5 * time.Minute}, {"rate(1 minute)", time.Minute}, {"rate(2 hours)", 2 * time.Hour}, {"rate(3 days)", 72 * time.Hour}} {
		if got := mustParse(t, r.expr).Rate(); got != r.d {
			t.Errorf("%s: %v, want %v", r.expr, got, r.d)
		}
	}

	cron := mustParse(t, "cron(0 2 * * ? *)")
	berlin := zone(t, "Europe/Berlin")
	created := utc("2026-11-20T01:30:00Z") // 02:30 in Berlin: tonight's 02:00 is gone
	if n, _ := cron.Next(berlin, created, created.Add(-48*time.Hour)); !n.Equal(utc("2026-11-21T01:00:00Z")) {
		t.Errorf("cron created after tonight's time: first %s, want tomorrow's (no catch-up)", n)
	}
	exact := utc("2026-11-20T01:00:00Z")
	if n, _ := cron.Next(berlin, exact, exact.Add(-time.Nanosecond)); !n.Equal(exact) {
		t.Errorf("cron created at its time: first %s, want %s", n, exact)
	}
	at := mustParse(t, "at(2026-11-20T02:00:00)")
	if got := at.Times(berlin, created.Add(-time.Hour), time.Time{}, created.AddDate(1, 0, 0)); len(got) != 1 || !got[0].Equal(exact) {
		t.Errorf("at(2026-11-20T02:00:00) in Berlin: %v, want [%s]", got, exact)
	}
}

func TestScheduledTime(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	if got := ScheduledTime(time.Date(2026, 11, 20, 2, 0, 0, 0, berlin)); got != "2026-11-20T01:00:00Z" {
		t.Errorf("ScheduledTime = %s", got)
	}
	if got := ScheduledTime(utc("2022-03-22T18:59:43Z")); got != "2022-03-22T18:59:43Z" {
		t.Errorf("ScheduledTime = %s", got)
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ expr, want string }{
		{"cron(0 2 * * *)", "six fields"},
		{"cron(0 2 * * * *)", "cannot both be set"},
		{"cron(0 2 ? * ? *)", "one of day-of-month and day-of-week"},
		{"cron(0 2 1 * MON *)", "cannot both be set"},
		{"cron(60 2 * * ? *)", "minutes"},
		{"cron(0 24 * * ? *)", "hours"},
		{"cron(0 2 32 * ? *)", "day-of-month"},
		{"cron(0 2 0 * ? *)", "day-of-month"},
		{"cron(0 2 ? * 0 *)", "day-of-week: \"0\": must be 1-7 or SUN-SAT"},
		{"cron(0 2 ? * 8 *)", "day-of-week"},
		{"cron(0 2 ? * MON/2 *)", "/ is not allowed"},
		{"cron(0 2 ? * 3#1,6#3 *)", "day-of-week"},
		{"cron(0 2 ? * 3#6 *)", "day-of-week"},
		{"cron(0 2 1-15W * ? *)", "day-of-month"},
		{"cron(0 2 * 13 ? *)", "month"},
		{"cron(0 2 * FOO ? *)", "month"},
		{"cron(0 2 * * ? 1969)", "year"},
		{"cron(0 2 * * ? 2200)", "year"},
		{"cron(0 22-2 * * ? *)", "backwards"},
		{"cron(0 2 * * ? *", "must be cron"},
		{"cron(0/0 2 * * ? *)", "increment"},
		{"cron(0,,1 2 * * ? *)", "empty"},
		{"rate(0 hours)", "positive"},
		{"rate(1 week)", "minutes, hours or days"},
		{"rate(5minutes)", "rate(value unit)"},
		{"at(2026-02-30T02:00:00)", "not a valid date"},
		{"at(2026-11-20 02:00:00)", "at(yyyy-mm-ddThh:mm:ss)"},
		{"every day", "must be cron"},
	} {
		_, err := Parse(c.expr)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", c.expr, err, c.want)
		}
	}
}
