package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/snapflow/snapflow/events"
	"github.com/snapflow/snapflow/internal/fieldpath"
)

// FuzzDecode feeds arbitrary bytes to Decode, the execution-input decoder
// the plan Lambda and the config loader share. For every input:
//   - Decode does not panic, and gives the same answer twice;
//   - an accepted policy is normalized, passes Validate, and encodes and
//     decodes back to the same policy;
//   - a rejected one is a *ValidationError whose every FieldError has a
//     rule and a JSON path (letters, digits, _ and - joined by dots, [n],
//     ["key"]); only a document that is not a JSON object at all is
//     reported without a path.
//
// The seeds are the sample execution inputs in events/samples and
// near-misses of them; testdata/fuzz/FuzzDecode holds inputs the fuzzer
// found. scripts/fuzz.sh fuzzes it; go test runs the seeds.
func FuzzDecode(f *testing.F) {
	samples, err := filepath.Glob(filepath.Join("..", "..", "events", "samples", "*.json"))
	if err != nil || len(samples) == 0 {
		f.Fatalf("no samples in events/samples: %v", err)
	}
	for _, file := range samples {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range decodeNearMisses {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Decode(data)
		p2, err2 := Decode(data)
		if errText(err) != errText(err2) || !reflect.DeepEqual(p, p2) {
			t.Fatalf("not deterministic:\n%v\n%v", err, err2)
		}
		if err != nil {
			checkRejected(t, data, err)
			return
		}
		if err := Validate(p); err != nil {
			t.Fatalf("Decode accepted a policy Validate rejects: %v", err)
		}
		if n := Normalize(p); !reflect.DeepEqual(n, p) {
			t.Fatalf("Decode's policy is not normalized:\n%+v\n%+v", p, n)
		}
		enc, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("encoding an accepted policy: %v", err)
		}
		back, err := Decode(enc)
		if err != nil {
			t.Fatalf("the re-encoded policy %s is rejected: %v", enc, err)
		}
		if enc2, _ := json.Marshal(back); !bytes.Equal(enc, enc2) {
			t.Fatalf("round trip changed the policy:\n%s\n%s", enc, enc2)
		}
	})
}

// checkRejected checks the error of a rejected input.
func checkRejected(t *testing.T, data []byte, err error) {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %T is not a *ValidationError: %v", err, err)
	}
	if len(ve.Errors) == 0 {
		t.Fatalf("a *ValidationError without errors")
	}
	for _, fe := range ve.Errors {
		if fe.Rule == "" {
			t.Errorf("%q: no rule", fe.Field)
		}
		if fe.Field == "" {
			if !documentRule(data, fe.Rule) {
				t.Errorf("no field path for %q", fe.Rule)
			}
			continue
		}
		segs, err := fieldpath.Parse(fe.Field)
		if err != nil {
			t.Errorf("field %q: %v (rule %q)", fe.Field, err, fe.Rule)
			continue
		}
		// Unknown fields and wrong types are values the input has.
		if fe.Rule == "unknown field" || typeRule.MatchString(fe.Rule) {
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.UseNumber()
			var doc any
			if dec.Decode(&doc) != nil || !fieldpath.Lookup(doc, segs) {
				t.Errorf("field %q (rule %q) is not in the input", fe.Field, fe.Rule)
			}
		}
	}
}

// documentRule reports whether rule, given without a field, is about the
// document as a whole, and the document is indeed not a single JSON object.
func documentRule(data []byte, rule string) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // as Decode: 1e400 is a number, if not an integer
	var v any
	syntaxErr := dec.Decode(&v)
	switch {
	case strings.HasPrefix(rule, "not valid JSON"):
		return syntaxErr != nil
	case strings.HasPrefix(rule, "must be a JSON object"):
		_, obj := v.(map[string]any)
		return syntaxErr == nil && !obj
	case rule == "unexpected data after the policy object":
		return syntaxErr == nil && len(bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n")) > 0
	}
	return false
}

// typeRule matches the rules of values of the wrong JSON type.
var typeRule = regexp.MustCompile(`^must be an? (string|integer|boolean|object|array), not `)

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// decodeNearMisses are inputs one mistake away from a valid policy, and
// some odd documents.
var decodeNearMisses = []string{
	// Valid, small.
	`{"name":"p","targets":[{"service":"memorydb","id":"c"}]}`,
	`{"name":"p","selector":{"tags":{"backup":[]}}}`,
	`{"name":"p","targets":[{"service":"elasticache","id":"Orders","kind":"cache-cluster"}],"copy":{},"export":{"bucket":"b-1.x"}}`,
	// Wrong types.
	`{"name":7,"targets":[{"service":"memorydb","id":"c"}]}`,
	`{"name":"p","targets":{"service":"memorydb","id":"c"}}`,
	`{"name":"p","targets":["memorydb"]}`,
	`{"name":"p","targets":[{"service":"memorydb","id":"c"}],"dryRun":"true"}`,
	`{"name":"p","targets":[{"service":"memorydb","id":"c"}],"retention":{"keepLast":"3"}}`,
	`{"name":"p","targets":[{"service":"memorydb","id":"c"}],"retention":{"keepLast":1.5}}`,
	`{"name":"p","targets":[{"service":"memorydb","id":"c"}],"tags":{"a":1}}`,
	`{"name":"p","selector":{"tags":{"b":"x"}}}`,
	`{"name":"p","selector":[]}`,
	`{"name":"p","targets":[{"service":"memorydb","id":"c"}],"scheduledTime":1700000000}`,
	// Unknown fields, wrong case.
	`{"name":"p","targets":[{"service":"memorydb","id":"c"}],"retain":{}}`,
	`{"Name":"p","targets":[{"service":"memorydb","id":"c"}]}`,
	`{"name":"p","targets":[{"service":"memorydb","id":"c","Kind":"x"}]}`,
	`{"name":"p","targets":[{"service":"memorydb","id":"c"}],"copy":{"kmsKeyID":"k"}}`,
	`{"name":"p","targets":[{"service":"memorydb","id":"c"}],"":1}`,
	`{"name":"p","targets":[{"service":"memorydb","id":"c"}],"a.b[0]":1}`,
	`{"name":"p","targets":[{"service":"memorydb","id":"c","ünïcode":"x"}]}`,
	// Bad values.
	`{"name":"p","targets":[{"service":"memorydb","id":"c"}],"timeZone":"Mars/Olympus"}`,
	`{"name":"p","targets":[{"service":"memorydb","id":"c"}],"timeZone":"Local"}`,
	`{"name":"p","targets":[{"service":"memorydb","id":"c"}],"timeZone":"../../etc/passwd"}`,
	`{"name":"p","targets":[{"service":"memorydb","id":"c"}],"timeZone":"europe/berlin"}`,
	`{"name":"p","targets":[{"service":"memorydb","id":"c"}],"timeZone":"posix/Europe/Berlin"}`,
	`{"name":"p","targets":[{"service":"memorydb","id":"c"}],"timeZone":"Etc/GMT+5"}`,
	`{"name":"p","targets":[{"service":"rds","id":"c"}]}`,
	`{"name":"p","targets":[{"service":"memorydb","id":"c"},{"service":"memorydb","id":"C"}]}`,
	`{"name":"p","targets":[{"service":"redshift-serverless","id":"ab"}],"copy":{}}`,
	`{"name":"p","targets":[{"service":"memorydb","id":"c","region":"EU"}]}`,
	`{"name":"p","targets":[{"service":"memorydb","id":"c"}],"export":{"bucket":"192.168.1.1","prefix":"/x"}}`,
	`{"name":"p","targets":[{"service":"memorydb","id":"c"}],"copy":{"prefix":"sf"}}`,
	`{"name":"p","targets":[{"service":"memorydb","id":"c"}],"retention":{}}`,
	`{"name":"p","targets":[{"service":"memorydb","id":"c"}],"tags":{"aws:x":"1","snapflow:y":"2","":"3","ok":"\u00e9"}}`,
	`{"name":"p","targets":[{"service":"memorydb","id":"c"}],"scheduledTime":"2026-13-01T00:00:00Z","schedule":"daily"}`,
	`{"name":"p","selector":{"services":["memorydb","memorydb","s3"],"tags":{}}}`,
	`{"name":"p","selector":{"tags":{"k":["v"]}},"copy":{}}`,
	`{"name":"Nightly--","targets":[]}`,
	`{"name":"","targets":null,"selector":null}`,
	// Huge numbers.
	`{"name":"p","targets":[{"service":"memorydb","id":"c"}],"rpoMinutes":1e30}`,
	`{"name":"p","targets":[{"service":"memorydb","id":"c"}],"rpoMinutes":9223372036854775808}`,
	`{"name":"p","targets":[{"service":"memorydb","id":"c"}],"rpoMinutes":-9223372036854775808}`,
	`{"name":"p","targets":[{"service":"memorydb","id":"c"}],"redshiftRetentionDays":-0}`,
	`{"name":"p","targets":[{"service":"memorydb","id":"c"}],"rpoMinutes":1e400}`,
	`1e400`,
	// Unicode.
	`{"name":"p\u0000","targets":[{"service":"memorydb","id":"c\ud800"}]}`,
	"{\"name\":\"p\",\"targets\":[{\"service\":\"memorydb\",\"id\":\"c\"}],\"export\":{\"bucket\":\"bkt\",\"prefix\":\"\xff\xfe\"}}",
	`{"name":"п","targets":[{"service":"memorydb","id":"с"}]}`,
	"\ufeff{\"name\":\"p\",\"targets\":[{\"service\":\"memorydb\",\"id\":\"c\"}]}",
	// Duplicate keys.
	`{"name":"p","name":"q","targets":[{"service":"memorydb","id":"c"}]}`,
	`{"name":"p","targets":[{"service":"memorydb","id":"c"}],"targets":5}`,
	`{"name":"p","targets":5,"targets":[{"service":"memorydb","id":"c"}]}`,
	`{"name":"p","targets":[{"service":"memorydb","id":"c","id":7,"id":"d"}]}`,
	// Deep nesting, odd documents.
	`{"name":"p","targets":[{"service":"memorydb","id":"c"}],"copy":{"prefix":{"a":{"b":{"c":[[[[[[[[[[[]]]]]]]]]]]}}}}`,
	`{"name":"p","targets":[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]}`,
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	`null`,
	`[]`,
	`"policy"`,
	`7`,
	``,
	` `,
	`{}`,
	`{"name":"p","targets":[{"service":"memorydb","id":"c"}]} {}`,
	`{"name":"p","targets":[{"service":"memorydb","id":"c"}]}x`,
	`{"name":"p",}`,
	`{"name" "p"}`,
}

// TestDecodeRoundTripFull checks the fuzz target's round trip on a
// policy with every field set, so a field Normalize or the encoding loses
// shows up without fuzzing.
func TestDecodeRoundTripFull(t *testing.T) {
	p := events.Policy{
		Name:                  "full",
		Targets:               []events.Target{{Service: events.ServiceElastiCache, ID: "a", Kind: events.KindCacheCluster, Region: "eu-west-1"}},
		Selector:              &events.TagSelector{Services: []string{events.ServiceMemoryDB}, Tags: map[string][]string{"k": {"v"}}},
		Copy:                  &events.CopySpec{KMSKeyID: "alias/x", Prefix: "cp"},
		Export:                &events.ExportSpec{Bucket: "bucket", Prefix: "x/"},
		Retention:             &events.Retention{KeepLast: 1, Daily: 2, Weekly: 3, Monthly: 4, Yearly: 5, MaxAgeDays: 6},
		TimeZone:              "Europe/Berlin",
		Tags:                  map[string]string{"a": "b"},
		ScheduledTime:         "2026-11-20T02:00:00Z",
		DryRun:                true,
		RPOMinutes:            60,
		Schedule:              "rate(1 hour)",
		RedshiftRetentionDays: 7,
	}
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, p) {
		t.Errorf("round trip:\n%+v\n%+v", got, p)
	}
}

// TestTimeZoneHostIndependent: a time zone is valid when Go's embedded IANA
// database has it, whatever else the host's /usr/share/zoneinfo holds; the
// plan Lambda has only the embedded one.
func TestTimeZoneHostIndependent(t *testing.T) {
	for zone, ok := range map[string]bool{
		"Europe/Berlin": true, "America/Argentina/Buenos_Aires": true, "Etc/GMT+5": true, "EST5EDT": true, "UTC": true,
		"posix/Europe/Berlin": false, "right/UTC": false, "localtime": false, "posixrules": false,
		"europe/berlin": false, "Local": false, "zone.tab": false, "Europe/../UTC": false,
	} {
		p := events.Policy{Name: "p", Targets: []events.Target{{Service: events.ServiceMemoryDB, ID: "c"}}, TimeZone: zone}
		if err := Validate(p); (err == nil) != ok {
			t.Errorf("%s: %v, want valid %v", zone, err, ok)
		}
	}
}
