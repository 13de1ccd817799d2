package retention

import (
	"math/rand"
	"reflect"
	"testing"
	"time"

	"github.com/snapflow/snapflow/events"
	"github.com/snapflow/snapflow/internal/naming"
)

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// snap is a managed snapshot of policy "p", target "t".
func snap(name, created string, status Status) Snapshot {
	return Snapshot{Name: name, CreatedAt: at(created), Status: status,
		Tags: naming.ManagedTags("p", "t", at(created))}
}

func avail(name, created string) Snapshot { return snap(name, created, StatusAvailable) }

func TestPlan(t *testing.T) {
	now := "2026-11-20T12:00:00Z"
	tests := []struct {
		name   string
		now    string
		zone   string
		rules  events.Retention
		snaps  []Snapshot
		keep   []Decision
		delete []Decision
		ignore []Decision
	}{
		{
			name:  "keep-last",
			rules: events.Retention{KeepLast: 2},
			snaps: []Snapshot{
				avail("a", "2026-11-17T02:00:00Z"), avail("d", "2026-11-20T02:00:00Z"),
				avail("b", "2026-11-18T02:00:00Z"), avail("c", "2026-11-19T02:00:00Z"),
			},
			keep:   []Decision{{"d", "newest available, keep-last 2"}, {"c", "keep-last 2"}},
			delete: []Decision{{"b", "not kept by any rule"}, {"a", "not kept by any rule"}},
		},
		{
			name:  "statuses",
			rules: events.Retention{KeepLast: 1},
			snaps: []Snapshot{
				snap("creating", "2026-11-20T11:00:00Z", StatusCreating),
				snap("copying", "2026-11-20T10:00:00Z", StatusCopying),
				snap("exporting", "2026-11-20T09:00:00Z", StatusExporting),
				snap("deleting", "2026-11-20T08:00:00Z", StatusDeleting),
				snap("unknown", "2026-11-20T07:00:00Z", StatusUnknown),
				snap("odd", "2026-11-20T06:30:00Z", "rebooting"),
				snap("failed", "2026-11-20T06:00:00Z", StatusFailed),
				avail("new", "2026-11-20T05:00:00Z"),
				avail("old", "2026-11-19T05:00:00Z"),
			},
			keep: []Decision{
				{"creating", "in progress"}, {"copying", "in progress"}, {"exporting", "in progress"},
				{"deleting", "already deleting"}, {"unknown", "unknown status"}, {"odd", "unknown status"},
				{"new", "newest available, keep-last 1"},
			},
			delete: []Decision{{"failed", "failed"}, {"old", "not kept by any rule"}},
		},
		{
			name:  "newest failed is kept",
			rules: events.Retention{KeepLast: 1},
			snaps: []Snapshot{
				snap("f2", "2026-11-20T02:00:00Z", StatusFailed),
				snap("f1", "2026-11-19T02:00:00Z", StatusFailed),
				avail("a", "2026-11-18T02:00:00Z"),
			},
			keep:   []Decision{{"f2", "newest, failed"}, {"a", "newest available, keep-last 1"}},
			delete: []Decision{{"f1", "failed"}},
		},
		{
			name:  "others are ignored",
			rules: events.Retention{KeepLast: 1},
			snaps: []Snapshot{
				avail("mine", "2026-11-18T02:00:00Z"),
				{Name: "manual", CreatedAt: at("2026-11-10T00:00:00Z"), Status: StatusAvailable},
				{Name: "false", CreatedAt: at("2026-11-11T00:00:00Z"), Status: StatusAvailable,
					Tags: map[string]string{naming.TagManaged: "false", naming.TagPolicy: "p", naming.TagTarget: "t"}},
				{Name: "theirs", CreatedAt: at("2026-11-12T00:00:00Z"), Status: StatusFailed,
					Tags: naming.ManagedTags("q", "t", at("2026-11-12T00:00:00Z"))},
				{Name: "elsewhere", CreatedAt: at("2026-11-13T00:00:00Z"), Status: StatusAvailable,
					Tags: naming.ManagedTags("p", "u", at("2026-11-13T00:00:00Z"))},
			},
			keep: []Decision{{"mine", "newest available, keep-last 1"}},
			ignore: []Decision{{"elsewhere", "other target"}, {"theirs", "other policy"},
				{"false", "not managed"}, {"manual", "not managed"}},
		},
		{
			name:  "daily",
			rules: events.Retention{Daily: 3},
			snaps: []Snapshot{
				avail("d20b", "2026-11-20T10:00:00Z"), avail("d20a", "2026-11-20T02:00:00Z"),
				avail("d19", "2026-11-19T23:59:59Z"), avail("d18", "2026-11-18T00:00:00Z"),
				avail("d17", "2026-11-17T23:59:59Z"), avail("d15", "2026-11-15T12:00:00Z"),
			},
			keep: []Decision{{"d20b", "newest available, daily 2026-11-20"}, {"d19", "daily 2026-11-19"},
				{"d18", "daily 2026-11-18"}},
			delete: []Decision{{"d20a", "not kept by any rule"}, {"d17", "not kept by any rule"},
				{"d15", "not kept by any rule"}},
		},
		{
			name:   "daily skips empty days",
			rules:  events.Retention{Daily: 3},
			snaps:  []Snapshot{avail("d19", "2026-11-19T02:00:00Z"), avail("d17", "2026-11-17T02:00:00Z")},
			keep:   []Decision{{"d19", "newest available, daily 2026-11-19"}},
			delete: []Decision{{"d17", "not kept by any rule"}},
		},
		{
			name:  "daily in Tokyo",
			zone:  "Asia/Tokyo",
			rules: events.Retention{Daily: 2},
			snaps: []Snapshot{
				avail("jst20", "2026-11-19T16:00:00Z"), // 2026-11-20 01:00 JST
				avail("jst19", "2026-11-19T14:59:00Z"), // 2026-11-19 23:59 JST
				avail("jst18", "2026-11-18T14:59:00Z"),
			},
			keep:   []Decision{{"jst20", "newest available, daily 2026-11-20"}, {"jst19", "daily 2026-11-19"}},
			delete: []Decision{{"jst18", "not kept by any rule"}},
		},
		{
			name:  "daily in New York on the fall-back day",
			now:   "2026-11-02T12:00:00Z",
			zone:  "America/New_York",
			rules: events.Retention{Daily: 3},
			snaps: []Snapshot{
				avail("est", "2026-11-01T06:30:00Z"),      // 01:30 EST, second pass
				avail("edt", "2026-11-01T05:30:00Z"),      // 01:30 EDT, first pass
				avail("midnight", "2026-11-01T04:30:00Z"), // 00:30 EDT
				avail("eve", "2026-11-01T03:30:00Z"),      // 2026-10-31 23:30 EDT
			},
			keep:   []Decision{{"est", "newest available, daily 2026-11-01"}, {"eve", "daily 2026-10-31"}},
			delete: []Decision{{"edt", "not kept by any rule"}, {"midnight", "not kept by any rule"}},
		},
		{
			name:  "daily across spring forward",
			now:   "2026-03-09T04:30:00Z", // 2026-03-09 00:30 EDT
			zone:  "America/New_York",
			rules: events.Retention{Daily: 2},
			snaps: []Snapshot{
				avail("mar09", "2026-03-09T04:10:00Z"),      // 00:10 EDT
				avail("mar08", "2026-03-09T03:50:00Z"),      // 23:50 EDT on the 23-hour day
				avail("mar08early", "2026-03-08T05:10:00Z"), // 00:10 EST
				avail("mar07", "2026-03-08T04:50:00Z"),      // 23:50 EST
			},
			keep:   []Decision{{"mar09", "newest available, daily 2026-03-09"}, {"mar08", "daily 2026-03-08"}},
			delete: []Decision{{"mar08early", "not kept by any rule"}, {"mar07", "not kept by any rule"}},
		},
		{
			name:  "weekly across the ISO year",
			now:   "2027-01-06T12:00:00Z", // Wednesday of 2027-W01
			rules: events.Retention{Weekly: 2},
			snaps: []Snapshot{
				avail("mon", "2027-01-04T00:00:00Z"),
				avail("sun", "2027-01-03T23:00:00Z"), // 2026-W53
				avail("fri", "2027-01-01T00:00:00Z"), // 2026-W53
				avail("w52", "2026-12-27T12:00:00Z"), // Sunday of 2026-W52
			},
			keep:   []Decision{{"mon", "newest available, weekly 2027-W01"}, {"sun", "weekly 2026-W53"}},
			delete: []Decision{{"fri", "not kept by any rule"}, {"w52", "not kept by any rule"}},
		},
		{
			name:  "weekly week starts on Monday in the zone",
			now:   "2026-11-23T00:30:00Z", // Sunday 2026-11-22 19:30 EST, 2026-W47
			zone:  "America/New_York",
			rules: events.Retention{Weekly: 1},
			snaps: []Snapshot{
				avail("sun", "2026-11-22T12:00:00Z"),
				avail("mon", "2026-11-16T05:30:00Z"),  // Monday 00:30 EST
				avail("prev", "2026-11-16T04:30:00Z"), // Sunday 23:30 EST, 2026-W46
			},
			keep:   []Decision{{"sun", "newest available, weekly 2026-W47"}},
			delete: []Decision{{"mon", "not kept by any rule"}, {"prev", "not kept by any rule"}},
		},
		{
			name:  "monthly and yearly",
			rules: events.Retention{Monthly: 2, Yearly: 3},
			snaps: []Snapshot{
				avail("nov", "2026-11-02T00:00:00Z"), avail("oct2", "2026-10-31T00:00:00Z"),
				avail("oct1", "2026-10-01T00:00:00Z"), avail("sep", "2026-09-15T00:00:00Z"),
				avail("y25", "2025-06-01T00:00:00Z"), avail("y25old", "2025-01-01T00:00:00Z"),
				avail("y23", "2023-12-31T00:00:00Z"),
			},
			keep: []Decision{{"nov", "newest available, monthly 2026-11, yearly 2026"}, {"oct2", "monthly 2026-10"},
				{"y25", "yearly 2025"}},
			delete: []Decision{{"oct1", "not kept by any rule"}, {"sep", "not kept by any rule"},
				{"y25old", "not kept by any rule"}, {"y23", "not kept by any rule"}},
		},
		{
			name:  "monthly in Sydney",
			now:   "2026-11-20T00:00:00Z",
			zone:  "Australia/Sydney",
			rules: events.Retention{Monthly: 2},
			snaps: []Snapshot{
				avail("nov", "2026-10-31T14:00:00Z"), // 2026-11-01 01:00 AEDT
				avail("oct", "2026-10-31T12:00:00Z"), // 2026-10-31 23:00 AEDT
				avail("sep", "2026-09-30T12:00:00Z"), // 2026-09-30 22:00 AEST
			},
			keep:   []Decision{{"nov", "newest available, monthly 2026-11"}, {"oct", "monthly 2026-10"}},
			delete: []Decision{{"sep", "not kept by any rule"}},
		},
		{
			name:  "future snapshot",
			rules: events.Retention{Daily: 1},
			snaps: []Snapshot{avail("future", "2026-11-21T01:00:00Z"), avail("today", "2026-11-20T01:00:00Z"),
				avail("yesterday", "2026-11-19T01:00:00Z")},
			keep:   []Decision{{"future", "newest available"}, {"today", "daily 2026-11-20"}},
			delete: []Decision{{"yesterday", "not kept by any rule"}},
		},
		{
			name:  "max age alone",
			rules: events.Retention{MaxAgeDays: 7},
			snaps: []Snapshot{avail("new", "2026-11-19T00:00:00Z"), avail("edge", "2026-11-13T12:00:00Z"),
				avail("old", "2026-11-13T11:59:59Z")},
			keep:   []Decision{{"new", "newest available, within maxAgeDays 7"}, {"edge", "within maxAgeDays 7"}},
			delete: []Decision{{"old", "expired: older than maxAgeDays 7"}},
		},
		{
			name:  "max age keeps the newest available",
			rules: events.Retention{MaxAgeDays: 7},
			snaps: []Snapshot{snap("failed", "2026-11-19T00:00:00Z", StatusFailed),
				avail("old", "2026-10-01T00:00:00Z"), avail("older", "2026-09-01T00:00:00Z")},
			keep:   []Decision{{"failed", "newest, failed"}, {"old", "newest available"}},
			delete: []Decision{{"older", "expired: older than maxAgeDays 7"}},
		},
		{
			name:  "max age in calendar days across spring forward",
			now:   "2026-03-08T16:00:00Z", // 12:00 EDT on the 23-hour day
			zone:  "America/New_York",
			rules: events.Retention{MaxAgeDays: 1},
			snaps: []Snapshot{
				avail("new", "2026-03-08T15:00:00Z"),
				avail("in", "2026-03-07T17:00:00Z"),  // 12:00 EST the day before: the cutoff
				avail("out", "2026-03-07T16:30:00Z"), // 23.5 hours ago, but 11:30 EST: before the cutoff
			},
			keep:   []Decision{{"new", "newest available, within maxAgeDays 1"}, {"in", "within maxAgeDays 1"}},
			delete: []Decision{{"out", "expired: older than maxAgeDays 1"}},
		},
		{
			name:  "rules combine",
			rules: events.Retention{KeepLast: 1, Daily: 2, MaxAgeDays: 3},
			snaps: []Snapshot{
				avail("a", "2026-11-20T06:00:00Z"), avail("b", "2026-11-20T01:00:00Z"),
				avail("c", "2026-11-19T06:00:00Z"), avail("d", "2026-11-16T06:00:00Z"),
			},
			keep: []Decision{{"a", "newest available, keep-last 1, daily 2026-11-20, within maxAgeDays 3"},
				{"b", "within maxAgeDays 3"}, {"c", "daily 2026-11-19, within maxAgeDays 3"}},
			delete: []Decision{{"d", "expired: older than maxAgeDays 3"}},
		},
		{
			name: "no rules",
			snaps: []Snapshot{avail("a", "2026-11-20T06:00:00Z"), avail("b", "2026-01-01T00:00:00Z"),
				snap("f", "2025-01-01T00:00:00Z", StatusFailed)},
			keep:   []Decision{{"a", "newest available"}, {"b", "no retention rules"}},
			delete: []Decision{{"f", "failed"}},
		},
		{
			name:   "equal times order by name",
			rules:  events.Retention{KeepLast: 1},
			snaps:  []Snapshot{avail("a", now), avail("b", now)},
			keep:   []Decision{{"b", "newest available, keep-last 1"}},
			delete: []Decision{{"a", "not kept by any rule"}},
		},
		{name: "nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := Input{Policy: "p", Target: "t", Now: at(now), Rules: tt.rules, Snapshots: tt.snaps}
			if tt.now != "" {
				in.Now = at(tt.now)
			}
			if tt.zone != "" {
				in.Location = zone(t, tt.zone)
			}
			got := Plan(in)
			want := Result{Keep: tt.keep, Delete: tt.delete, Ignored: tt.ignore}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Plan:\n got keep %q\n     delete %q\n     ignored %q\nwant keep %q\n     delete %q\n     ignored %q",
					got.Keep, got.Delete, got.Ignored, want.Keep, want.Delete, want.Ignored)
			}
		})
	}
}

// TestPlanProperties checks the safety invariants over random histories.
func TestPlanProperties(t *testing.T) {
	rng := rand.New(rand.NewSource(42))
	zones := []*time.Location{time.UTC, zone(t, "America/New_York"), zone(t, "Australia/Lord_Howe"),
		zone(t, "Asia/Kathmandu"), zone(t, "Pacific/Kiritimati")}
	statuses := []Status{StatusCreating, StatusAvailable, StatusAvailable, StatusAvailable, StatusFailed,
		StatusDeleting, StatusCopying, StatusExporting, StatusUnknown, "weird"}
	now := at("2026-11-20T12:00:00Z")
	for iter := 0; iter < 3000; iter++ {
		in := Input{
			Policy: "p", Target: "t", Now: now, Location: zones[rng.Intn(len(zones))],
			Rules: events.Retention{
				KeepLast: pick(rng), Daily: pick(rng), Weekly: pick(rng),
				Monthly: pick(rng), Yearly: pick(rng), MaxAgeDays: pick(rng) * 10,
			},
		}
		for i := range rng.Intn(40) {
			created := now.Add(-time.Duration(rng.Int63n(int64(3 * 365 * 24 * time.Hour)))).Add(2 * time.Hour)
			created = created.Truncate(time.Duration(1+rng.Intn(3)) * time.Hour) // some equal times
			s := Snapshot{Name: string(rune('A'+i%26)) + string(rune('a'+i/26)), CreatedAt: created,
				Status: statuses[rng.Intn(len(statuses))], Tags: naming.ManagedTags("p", "t", created)}
			switch rng.Intn(8) {
			case 0:
				s.Tags = nil
			case 1:
				s.Tags[naming.TagManaged] = "TRUE"
			case 2:
				s.Tags[naming.TagPolicy] = "q"
			case 3:
				s.Tags[naming.TagTarget] = "u"
			}
			in.Snapshots = append(in.Snapshots, s)
		}
		res := Plan(in)
		checkInvariants(t, in, res)

		shuffled := in
		shuffled.Snapshots = append([]Snapshot(nil), in.Snapshots...)
		rng.Shuffle(len(shuffled.Snapshots), func(i, j int) {
			shuffled.Snapshots[i], shuffled.Snapshots[j] = shuffled.Snapshots[j], shuffled.Snapshots[i]
		})
		if again := Plan(shuffled); !reflect.DeepEqual(res, again) {
			t.Fatalf("input order changed the result:\n%+v\n%+v", res, again)
		}
	}
}

func pick(rng *rand.Rand) int {
	if rng.Intn(2) == 0 {
		return 0
	}
	return rng.Intn(6)
}

func checkInvariants(t *testing.T, in Input, res Result) {
	t.Helper()
	byName := make(map[string]Snapshot)
	var newest *Snapshot
	candidates := 0
	for _, s := range in.Snapshots {
		byName[s.Name] = s
		if !isCandidate(in, s) {
			continue
		}
		candidates++
		if s.Status == StatusAvailable && (newest == nil || s.CreatedAt.After(newest.CreatedAt) ||
			s.CreatedAt.Equal(newest.CreatedAt) && s.Name > newest.Name) {
			newest = &s
		}
	}
	seen := make(map[string]bool)
	for _, d := range res.Keep {
		if seen[d.Name] || !isCandidate(in, byName[d.Name]) {
			t.Fatalf("kept %q twice or not a candidate", d.Name)
		}
		seen[d.Name] = true
	}
	for _, d := range res.Delete {
		s := byName[d.Name]
		switch {
		case seen[d.Name]:
			t.Fatalf("%q both kept and deleted", d.Name)
		case !isCandidate(in, s):
			t.Fatalf("deleted %q, which is not a candidate (tags %v)", d.Name, s.Tags)
		case newest != nil && d.Name == newest.Name:
			t.Fatalf("deleted the newest available snapshot %q", d.Name)
		case s.Status != StatusAvailable && s.Status != StatusFailed:
			t.Fatalf("deleted %q in status %q", d.Name, s.Status)
		}
		seen[d.Name] = true
	}
	if len(seen) != candidates {
		t.Fatalf("Keep and Delete hold %d snapshots, want all %d candidates", len(seen), candidates)
	}
	if len(res.Ignored)+candidates != len(in.Snapshots) {
		t.Fatalf("%d ignored + %d candidates != %d snapshots", len(res.Ignored), candidates, len(in.Snapshots))
	}
}

func isCandidate(in Input, s Snapshot) bool {
	return s.Tags[naming.TagManaged] == "true" && s.Tags[naming.TagPolicy] == in.Policy &&
		s.Tags[naming.TagTarget] == in.Target
}
