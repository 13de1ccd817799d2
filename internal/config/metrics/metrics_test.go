package metrics

import (
	"testing"

	"github.com/snapflow/snapflow/events"
)

func TestTargetDimension(t *testing.T) {
	tests := []struct {
		target events.Target
		want   string
	}{
		{events.Target{Service: "elasticache", ID: "orders", Kind: "replication-group"}, "elasticache/orders"},
		{events.Target{Service: "elasticache", ID: "orders-001", Kind: "cache-cluster"}, "elasticache/cache-cluster/orders-001"},
		{events.Target{Service: "memorydb", ID: "ledger"}, "memorydb/ledger"},
		{events.Target{Service: "redshift-serverless", ID: "reporting", Region: "us-west-2"}, "redshift-serverless/reporting@us-west-2"},
	}
	for _, tt := range tests {
		if got := TargetDimension(tt.target); got != tt.want {
			t.Errorf("TargetDimension(%+v) = %q, want %q", tt.target, got, tt.want)
		}
	}
}
