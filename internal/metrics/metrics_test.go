package metrics

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/snapflow/snapflow/events"
)

func TestTargetDimension(t *testing.T) {
	tests := []struct {
		in   events.Target
		want string
	}{
		{events.Target{Service: "elasticache", ID: "orders", Kind: "replication-group"}, "elasticache/orders"},
		{events.Target{Service: "elasticache", ID: "orders", Kind: "cache-cluster"}, "elasticache/cache-cluster/orders"},
		{events.Target{Service: "memorydb", ID: "ledger", Region: "eu-west-1"}, "memorydb/ledger@eu-west-1"},
		{events.Target{Service: "redshift-serverless", ID: "bi"}, "redshift-serverless/bi"},
	}
	for _, tt := range tests {
		if got := TargetDimension(tt.in); got != tt.want {
			t.Errorf("TargetDimension(%+v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestWriterEMF(t *testing.T) {
	var buf bytes.Buffer
	w := Writer{Out: &buf, Namespace: "Test"}
	at := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
	if err := w.Target(at, "nightly", events.Target{Service: "memorydb", ID: "ledger"}, Counts{Succeeded: 1}); err != nil {
		t.Fatal(err)
	}
	if err := w.Run(at, "nightly", Counts{Succeeded: 3, Failed: 2}); err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	if len(lines) != 2 {
		t.Fatalf("got %d lines: %s", len(lines), buf.String())
	}
	want := []string{
		`{"_aws":{"Timestamp":1795140000000,"CloudWatchMetrics":[{"Namespace":"Test","Dimensions":[["Policy","Target"]],
		  "Metrics":[{"Name":"SnapshotsSucceeded","Unit":"Count"},{"Name":"SnapshotsFailed","Unit":"Count"}]}]},
		  "Policy":"nightly","Target":"memorydb/ledger","SnapshotsSucceeded":1,"SnapshotsFailed":0}`,
		`{"_aws":{"Timestamp":1795140000000,"CloudWatchMetrics":[{"Namespace":"Test","Dimensions":[["Policy"]],
		  "Metrics":[{"Name":"SnapshotsSucceeded","Unit":"Count"},{"Name":"SnapshotsFailed","Unit":"Count"}]}]},
		  "Policy":"nightly","SnapshotsSucceeded":3,"SnapshotsFailed":2}`,
	}
	for i, line := range lines {
		var got, exp any
		if err := json.Unmarshal(line, &got); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		if err := json.Unmarshal([]byte(want[i]), &exp); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, exp) {
			t.Errorf("line %d:\n got %s\nwant %s", i, line, want[i])
		}
	}
}

func TestWriterDefaultNamespace(t *testing.T) {
	var buf bytes.Buffer
	if err := (Writer{Out: &buf}).Run(time.Unix(0, 0), "p", Counts{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(buf.Bytes(), []byte(`"Namespace":"Snapflow"`)) {
		t.Errorf("no default namespace: %s", buf.String())
	}
}
