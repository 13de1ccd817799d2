package policy

import (
	"testing"

	"github.com/snapflow/snapflow/events"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		name, in string
		want     []FieldError
	}{
		{"minimal", `{"name":"p","targets":[{"service":"memorydb","id":"c"}]}`, nil},
		{"unknown top-level", `{"name":"p","targets":[{"service":"memorydb","id":"c"}],"retain":{}}`,
			fe("retain", "unknown field")},
		{"unknown nested", `{"name":"p","targets":[{"service":"memorydb","id":"c"},{"service":"memorydb","id":"d","Kind":"x"}]}`,
			fe("targets[1].Kind", "unknown field")},
		{"wrong case", `{"Name":"p","targets":[{"service":"memorydb","id":"c"}]}`,
			[]FieldError{{"Name", "unknown field"}}},
		{"wrong types", `{"name":7,"targets":[{"service":"memorydb","id":"c"}],"retention":{"keepLast":"3","daily":1.5},"dryRun":"yes","tags":{"a":1},"selector":{"tags":{"b":"x"}}}`,
			[]FieldError{
				{"dryRun", "must be a boolean, not a string"},
				{"name", "must be a string, not the number 7"},
				{"retention.daily", "must be an integer, not the number 1.5"},
				{"retention.keepLast", "must be an integer, not a string"},
				{"selector.tags[\"b\"]", "must be an array, not a string"},
				{"tags[\"a\"]", "must be a string, not the number 1"},
			}},
		{"targets object", `{"name":"p","targets":{"service":"memorydb"}}`,
			fe("targets", "must be an array, not an object")},
		{"integer overflow", `{"name":"p","targets":[{"service":"memorydb","id":"c"}],"rpoMinutes":1e30}`,
			fe("rpoMinutes", "must be an integer, not the number 1e30")},
		{"nulls", `{"name":"p","targets":[{"service":"memorydb","id":"c"}],"copy":null,"tags":null}`, nil},
		{"not an object", `[1]`, fe("", "must be a JSON object, not an array")},
		{"null", `null`, fe("", "must be a JSON object, not null")},
		{"syntax", `{"name":`, fe("", "not valid JSON: unexpected EOF")},
		{"syntax offset", `{"name" "p"}`, fe("", "not valid JSON at byte 9: invalid character '\"' after object key")},
		{"trailing data", `{"name":"p","targets":[{"service":"memorydb","id":"c"}]} {}`,
			fe("", "unexpected data after the policy object")},
		{"then validated", `{"name":"p","targets":[{"service":"memorydb","id":"c","kind":"cache-cluster"}]}`,
			fe("targets[0].kind", "is only allowed for elasticache targets")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.in))
			checkErr(t, err, tt.want)
		})
	}
}

func TestDecodeNormalizes(t *testing.T) {
	p, err := Decode([]byte(`{"name":"p","targets":[{"service":"elasticache","id":"Orders"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := events.Target{Service: "elasticache", ID: "orders", Kind: "replication-group"}
	if p.Targets[0] != want || p.TimeZone != "UTC" {
		t.Errorf("got %+v, time zone %q", p.Targets[0], p.TimeZone)
	}
}
