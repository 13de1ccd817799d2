package policy

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/snapflow/snapflow/events"
)

// valid returns a policy that passes Validate; tests change one thing.
func valid() events.Policy {
	return events.Policy{
		Name: "nightly",
		Targets: []events.Target{
			{Service: events.ServiceElastiCache, ID: "orders-cache"},
			{Service: events.ServiceMemoryDB, ID: "ledger"},
		},
		Retention: &events.Retention{KeepLast: 3},
		Tags:      map[string]string{"team": "orders"},
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(p *events.Policy)
		want   []FieldError // nil: valid
	}{
		{"valid", func(p *events.Policy) {}, nil},
		{"all services", func(p *events.Policy) {
			p.Targets = []events.Target{
				{Service: "elasticache", ID: "Orders-Cache", Kind: "replication-group"},
				{Service: "elasticache", ID: strings.Repeat("c", 50), Kind: "cache-cluster"},
				{Service: "elasticache-serverless", ID: "catalog"},
				{Service: "memorydb", ID: "ledger", Region: "eu-central-1"},
				{Service: "redshift-serverless", ID: "an-analytics-1", Region: "us-gov-west-1"},
			}
		}, nil},
		{"selector only", func(p *events.Policy) {
			p.Targets = nil
			p.Selector = &events.TagSelector{Tags: map[string][]string{"backup": nil}}
		}, nil},
		{"name missing", func(p *events.Policy) { p.Name = "" },
			fe("name", policyName.text)},
		{"name too long", func(p *events.Policy) { p.Name = strings.Repeat("a", 41) },
			fe("name", policyName.text)},
		{"name uppercase", func(p *events.Policy) { p.Name = "Nightly" },
			fe("name", policyName.text)},
		{"name starts with digit", func(p *events.Policy) { p.Name = "1nightly" },
			fe("name", policyName.text)},
		{"name double hyphen", func(p *events.Policy) { p.Name = "a--b" },
			fe("name", policyName.text)},
		{"no targets", func(p *events.Policy) { p.Targets = nil },
			fe("targets", "at least one target or a selector is required")},
		{"unknown service", func(p *events.Policy) { p.Targets[1].Service = "rds" },
			fe("targets[1].service", "must be one of elasticache, elasticache-serverless, memorydb, redshift-serverless")},
		{"empty id", func(p *events.Policy) { p.Targets[0].ID = "" },
			fe("targets[0].id", replicationGroupID.text)},
		{"replication group id 41", func(p *events.Policy) { p.Targets[0].ID = strings.Repeat("a", 41) },
			fe("targets[0].id", replicationGroupID.text)},
		{"cache cluster id 51", func(p *events.Policy) {
			p.Targets[0].Kind = events.KindCacheCluster
			p.Targets[0].ID = strings.Repeat("a", 51)
		}, fe("targets[0].id", cacheClusterID.text)},
		{"id trailing hyphen", func(p *events.Policy) { p.Targets[0].ID = "orders-" },
			fe("targets[0].id", replicationGroupID.text)},
		{"id starts with digit", func(p *events.Policy) { p.Targets[1].ID = "1ledger" },
			fe("targets[1].id", memoryDBClusterName.text)},
		{"id underscore", func(p *events.Policy) {
			p.Targets[1] = events.Target{Service: events.ServiceElastiCacheServerless, ID: "my_cache"}
		}, fe("targets[1].id", serverlessCacheName.text)},
		{"namespace too short", func(p *events.Policy) {
			p.Targets[1] = events.Target{Service: events.ServiceRedshiftServerless, ID: "ab"}
		}, fe("targets[1].id", namespaceName.text)},
		{"namespace uppercase", func(p *events.Policy) {
			p.Targets[1] = events.Target{Service: events.ServiceRedshiftServerless, ID: "Analytics"}
		}, fe("targets[1].id", namespaceName.text)},
		{"unknown kind", func(p *events.Policy) { p.Targets[0].Kind = "cluster" },
			fe("targets[0].kind", "must be one of replication-group, cache-cluster")},
		{"kind on memorydb", func(p *events.Policy) { p.Targets[1].Kind = events.KindCacheCluster },
			fe("targets[1].kind", "is only allowed for elasticache targets")},
		{"bad region", func(p *events.Policy) { p.Targets[1].Region = "Frankfurt" },
			fe("targets[1].region", "must be a region code such as us-east-1")},
		{"duplicate target", func(p *events.Policy) {
			p.Targets = append(p.Targets, events.Target{Service: "elasticache", ID: "ORDERS-cache", Kind: "replication-group"})
		}, fe("targets[2]", "duplicates targets[0]")},
		{"same id other kind", func(p *events.Policy) {
			p.Targets = append(p.Targets, events.Target{Service: "elasticache", ID: "orders-cache", Kind: "cache-cluster"})
		}, nil},
		{"same id other region", func(p *events.Policy) {
			p.Targets = append(p.Targets, events.Target{Service: "memorydb", ID: "ledger", Region: "us-west-2"})
		}, nil},
		{"copy redshift", func(p *events.Policy) {
			p.Targets[1] = events.Target{Service: events.ServiceRedshiftServerless, ID: "analytics"}
			p.Copy = &events.CopySpec{}
		}, fe("targets[1]", "copy is not supported for redshift-serverless")},
		{"export redshift", func(p *events.Policy) {
			p.Targets[1] = events.Target{Service: events.ServiceRedshiftServerless, ID: "analytics"}
			p.Export = &events.ExportSpec{Bucket: "exports"}
		}, fe("targets[1]", "export is not supported for redshift-serverless")},
		{"copy prefix", func(p *events.Policy) { p.Copy = &events.CopySpec{Prefix: "cp2"} }, nil},
		{"copy prefix sf", func(p *events.Policy) { p.Copy = &events.CopySpec{Prefix: "sf"} },
			fe("copy.prefix", `must be 1 to 10 lowercase letters or digits, starting with a letter, other than "sf"`)},
		{"copy prefix hyphen", func(p *events.Policy) { p.Copy = &events.CopySpec{Prefix: "sf-c"} },
			fe("copy.prefix", `must be 1 to 10 lowercase letters or digits, starting with a letter, other than "sf"`)},
		{"export", func(p *events.Policy) { p.Export = &events.ExportSpec{Bucket: "acme.exports-1", Prefix: "a/b/"} }, nil},
		{"export bucket", func(p *events.Policy) { p.Export = &events.ExportSpec{Bucket: "Acme"} },
			fe("export.bucket", "must be a valid S3 bucket name")},
		{"export prefix slash", func(p *events.Policy) { p.Export = &events.ExportSpec{Bucket: "acme", Prefix: "/x"} },
			fe("export.prefix", `must not start with "/"`)},
		{"export prefix long", func(p *events.Policy) {
			p.Export = &events.ExportSpec{Bucket: "acme", Prefix: strings.Repeat("x", maxExportPrefix+1)}
		}, fe("export.prefix", "must be valid UTF-8 of at most 951 bytes")},
		{"selector", func(p *events.Policy) {
			p.Selector = &events.TagSelector{Services: []string{"memorydb"}, Tags: map[string][]string{"env": {"prod"}}}
			p.Copy = &events.CopySpec{}
		}, nil},
		{"selector bad service", func(p *events.Policy) {
			p.Selector = &events.TagSelector{Services: []string{"memorydb", "s3", "memorydb"}, Tags: map[string][]string{"env": nil}}
		}, []FieldError{
			{"selector.services[1]", "must be one of elasticache, elasticache-serverless, memorydb, redshift-serverless"},
			{"selector.services[2]", "duplicates memorydb"},
		}},
		{"selector no tags", func(p *events.Policy) { p.Selector = &events.TagSelector{} },
			fe("selector.tags", "must have at least one key")},
		{"selector all services with export", func(p *events.Policy) {
			p.Selector = &events.TagSelector{Tags: map[string][]string{"env": nil}}
			p.Export = &events.ExportSpec{Bucket: "acme"}
		}, fe("selector.services", "must list the services and leave out redshift-serverless when copy or export is set")},
		{"selector redshift with copy", func(p *events.Policy) {
			p.Selector = &events.TagSelector{Services: []string{"redshift-serverless"}, Tags: map[string][]string{"env": nil}}
			p.Copy = &events.CopySpec{}
		}, fe("selector.services", "must list the services and leave out redshift-serverless when copy or export is set")},
		{"retention negative", func(p *events.Policy) { p.Retention = &events.Retention{KeepLast: -1, Daily: 7} },
			fe("retention.keepLast", "must be >= 0")},
		{"retention empty", func(p *events.Policy) { p.Retention = &events.Retention{} },
			fe("retention", "at least one of keepLast, daily, weekly, monthly, yearly, maxAgeDays must be > 0")},
		{"retention max age only", func(p *events.Policy) { p.Retention = &events.Retention{MaxAgeDays: 30} }, nil},
		{"time zone", func(p *events.Policy) { p.TimeZone = "America/Argentina/Buenos_Aires" }, nil},
		{"time zone unknown", func(p *events.Policy) { p.TimeZone = "Mars/Olympus" },
			fe("timeZone", "must be an IANA time zone name such as Europe/Berlin")},
		{"time zone local", func(p *events.Policy) { p.TimeZone = "Local" },
			fe("timeZone", "must be an IANA time zone name such as Europe/Berlin")},
		{"tag aws prefix", func(p *events.Policy) { p.Tags = map[string]string{"AWS:x": "y"} },
			fe(`tags["AWS:x"]`, `key must not start with "aws:"`)},
		{"tag reserved prefix", func(p *events.Policy) { p.Tags = map[string]string{"snapflow:policy": "y"} },
			fe(`tags["snapflow:policy"]`, `key must not start with "snapflow:", which snapflow reserves`)},
		{"tag key chars", func(p *events.Policy) { p.Tags = map[string]string{"a#b": "y"} },
			fe(`tags["a#b"]`, "key must be 1 to 128 letters, digits, spaces or _.:/=+-@")},
		{"tag key long", func(p *events.Policy) { p.Tags = map[string]string{strings.Repeat("k", 129): "y"} },
			fe(`tags["`+strings.Repeat("k", 129)+`"]`, "key must be 1 to 128 letters, digits, spaces or _.:/=+-@")},
		{"tag value", func(p *events.Policy) { p.Tags = map[string]string{"k": "é"} },
			fe(`tags["k"]`, "value must be at most 256 letters, digits, spaces or _.:/=+-@")},
		{"tag value empty and max", func(p *events.Policy) {
			p.Tags = map[string]string{"a": "", "b": strings.Repeat("v", 256), "c d:e/f=g+h-i@j_k.l": "x y"}
		}, nil},
		{"46 tags", func(p *events.Policy) { p.Tags = manyTags(46) }, nil},
		{"47 tags", func(p *events.Policy) { p.Tags = manyTags(47) },
			fe("tags", "must have at most 46 tags (50 per resource, 4 of them managed by snapflow)")},
		{"scheduled time", func(p *events.Policy) { p.ScheduledTime = "2026-11-20T02:00:00+01:00" }, nil},
		{"scheduled time bad", func(p *events.Policy) { p.ScheduledTime = "2026-11-20 02:00" },
			fe("scheduledTime", "must be an RFC 3339 time such as 2026-11-20T02:00:00Z")},
		{"rpo", func(p *events.Policy) { p.RPOMinutes = -5 }, fe("rpoMinutes", "must be >= 0")},
		{"schedule", func(p *events.Policy) { p.Schedule = "rate(1 day)" }, nil},
		{"schedule bad", func(p *events.Policy) { p.Schedule = "0 3 * * *" },
			fe("schedule", "must be a cron(...) or rate(...) expression")},
		{"redshift retention", func(p *events.Policy) { p.RedshiftRetentionDays = -1 }, nil},
		{"redshift retention max", func(p *events.Policy) { p.RedshiftRetentionDays = 3653 }, nil},
		{"redshift retention bad", func(p *events.Policy) { p.RedshiftRetentionDays = 3654 },
			fe("redshiftRetentionDays", "must be -1 (indefinitely) or 1 to 3653")},
		{"several at once", func(p *events.Policy) {
			p.Targets = append(p.Targets, events.Target{Service: "s3", ID: "x"})
			p.Retention.KeepLast = -1
		}, []FieldError{
			{"targets[2].service", "must be one of elasticache, elasticache-serverless, memorydb, redshift-serverless"},
			{"retention.keepLast", "must be >= 0"},
			{"retention", "at least one of keepLast, daily, weekly, monthly, yearly, maxAgeDays must be > 0"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := valid()
			tt.change(&p)
			checkErr(t, Validate(p), tt.want)
		})
	}
}

func TestValidationErrorMessage(t *testing.T) {
	err := &ValidationError{Errors: []FieldError{
		{"targets[2].service", "must be one of elasticache, elasticache-serverless, memorydb, redshift-serverless"},
		{"retention.keepLast", "must be >= 0"},
	}}
	want := "invalid input: targets[2].service: must be one of elasticache, elasticache-serverless, memorydb, redshift-serverless; retention.keepLast: must be >= 0"
	if err.Error() != want {
		t.Errorf("got  %s\nwant %s", err, want)
	}
}

func TestValidBucket(t *testing.T) {
	tests := map[string]bool{
		"abc": true, "my.bucket-1": true, "ab": false, strings.Repeat("a", 64): false,
		"-abc": false, "abc-": false, "a..b": false, "a_b": false, "ABC": false,
		"192.168.5.4": false, "xn--abc": false, "sthree-x": false, "amzn-s3-demo-x": false,
		"x-s3alias": false, "x--ol-s3": false, "x.mrap": false, "x--x-s3": false,
	}
	for b, want := range tests {
		if got := validBucket(b); got != want {
			t.Errorf("validBucket(%q) = %v, want %v", b, got, want)
		}
	}
}

func TestNormalize(t *testing.T) {
	in := events.Policy{Name: "p", Targets: []events.Target{
		{Service: "elasticache", ID: "Orders"},
		{Service: "elasticache", ID: "c1", Kind: "cache-cluster"},
		{Service: "memorydb", ID: "Ledger"},
	}}
	got := Normalize(in)
	want := events.Policy{Name: "p", TimeZone: "UTC", Targets: []events.Target{
		{Service: "elasticache", ID: "orders", Kind: "replication-group"},
		{Service: "elasticache", ID: "c1", Kind: "cache-cluster"},
		{Service: "memorydb", ID: "ledger"},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Normalize = %+v\nwant %+v", got, want)
	}
	if in.Targets[0].ID != "Orders" || in.TimeZone != "" {
		t.Error("Normalize modified its input")
	}
	if zone := Normalize(events.Policy{TimeZone: "Asia/Tokyo"}).TimeZone; zone != "Asia/Tokyo" {
		t.Errorf("time zone = %q", zone)
	}
}

func TestSlot(t *testing.T) {
	tests := []struct {
		name, scheduled, start string
		want                   time.Time
		err                    string
	}{
		{"scheduled wins", "2026-11-20T02:00:59Z", "2026-11-20T02:03:00Z",
			time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC), ""},
		{"scheduled offset", "2026-11-20T03:30:10+01:00", "",
			time.Date(2026, 11, 20, 2, 30, 0, 0, time.UTC), ""},
		{"manual run", "", "2026-11-20T10:15:42.123Z",
			time.Date(2026, 11, 20, 10, 15, 0, 0, time.UTC), ""},
		{"bad start", "", "yesterday", time.Time{}, "invalid input: executionStartTime: must be an RFC 3339 time"},
		{"bad scheduled", "soon", "2026-11-20T10:15:42Z", time.Time{}, "invalid input: scheduledTime: must be an RFC 3339 time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Slot(events.Policy{ScheduledTime: tt.scheduled}, tt.start)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("err = %v, want %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tt.want) || got.Location() != time.UTC {
				t.Errorf("Slot = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	sel := events.TagSelector{
		Services: []string{"elasticache", "memorydb"},
		Tags:     map[string][]string{"env": {"prod", "staging"}, "backup": nil},
	}
	tests := []struct {
		name    string
		service string
		tags    map[string]string
		want    bool
	}{
		{"match", "memorydb", map[string]string{"env": "prod", "backup": "x", "other": "y"}, true},
		{"empty value present", "elasticache", map[string]string{"env": "staging", "backup": ""}, true},
		{"other value", "memorydb", map[string]string{"env": "dev", "backup": "x"}, false},
		{"key missing", "memorydb", map[string]string{"env": "prod"}, false},
		{"other service", "elasticache-serverless", map[string]string{"env": "prod", "backup": "x"}, false},
		{"case matters", "memorydb", map[string]string{"env": "Prod", "backup": "x"}, false},
	}
	for _, tt := range tests {
		if got := Match(sel, tt.service, tt.tags); got != tt.want {
			t.Errorf("%s: Match = %v, want %v", tt.name, got, tt.want)
		}
	}
	if !Match(events.TagSelector{Tags: map[string][]string{"a": nil}}, "redshift-serverless", map[string]string{"a": "1"}) {
		t.Error("empty services should match every service")
	}
}

func fe(field, rule string) []FieldError { return []FieldError{{field, rule}} }

func manyTags(n int) map[string]string {
	tags := make(map[string]string, n)
	for i := range n {
		tags[fmt.Sprintf("k%d", i)] = "v"
	}
	return tags
}

func checkErr(t *testing.T, err error, want []FieldError) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want a *ValidationError", err)
	}
	if !reflect.DeepEqual(ve.Errors, want) {
		t.Errorf("errors:\n got %q\nwant %q", ve.Errors, want)
	}
}
