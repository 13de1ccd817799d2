package events

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestRoundTrip decodes each testdata payload into its type, encodes it
// again and compares the two documents as JSON values.
func TestRoundTrip(t *testing.T) {
	tests := []struct {
		file string
		into any
	}{
		{"policy.json", &Policy{}},
		{"plan-input.json", &PlanInput{}},
		{"work-item.json", &WorkItem{}},
		{"plan-output.json", &PlanOutput{}},
		{"target-input.json", &TargetInput{}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(in, tt.into); err != nil {
				t.Fatalf("unmarshal: %v", err)
			}
			out, err := json.Marshal(tt.into)
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			assertJSONEq(t, in, out)
		})
	}
}

// TestZeroValuesOmitted checks that optional fields stay off the wire.
func TestZeroValuesOmitted(t *testing.T) {
	out, err := json.Marshal(Policy{Name: "p", Targets: []Target{{Service: ServiceMemoryDB, ID: "c"}}})
	if err != nil {
		t.Fatal(err)
	}
	assertJSONEq(t, []byte(`{"name":"p","targets":[{"service":"memorydb","id":"c"}]}`), out)
}

func assertJSONEq(t *testing.T, want, got []byte) {
	t.Helper()
	var w, g any
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("want: %v", err)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got: %v", err)
	}
	if !reflect.DeepEqual(w, g) {
		t.Errorf("JSON differs\nwant: %s\n got: %s", want, got)
	}
}
