package summary

import (
	"strings"
	"testing"
)

func TestUnwrapError(t *testing.T) {
	lambdaCause := `{"errorType":"Snapflow.TargetBusy","errorMessage":"Snapflow.TargetBusy: elasticache CreateSnapshot","trace":[]}`
	child := `{"ExecutionArn":"arn:x","Status":"FAILED","Error":"Snapflow.TargetBusy","Cause":` + quote(lambdaCause) + `}`
	tests := []struct {
		name, errName, cause, wantName, wantCause string
	}{
		{"child execution", "States.TaskFailed", child, "Snapflow.TargetBusy", "Snapflow.TargetBusy: elasticache CreateSnapshot"},
		{"lowercase members", "States.TaskFailed", `{"error":"Snapflow.NotFound","cause":"gone"}`, "Snapflow.NotFound", "gone"},
		{"lambda payload", "Snapflow.TargetBusy", lambdaCause, "Snapflow.TargetBusy", "Snapflow.TargetBusy: elasticache CreateSnapshot"},
		{"child timed out", "States.TaskFailed", `{"Status":"TIMED_OUT","Error":"States.Timeout","Cause":""}`, "States.Timeout", ""},
		{"plain text", "Snapflow.Throttled", "Rate exceeded", "Snapflow.Throttled", "Rate exceeded"},
		{"JSON without an error", "States.Runtime", `{"a":1}`, "States.Runtime", `{"a":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, c := unwrapError(tt.errName, tt.cause)
			if n != tt.wantName || c != tt.wantCause {
				t.Errorf("unwrapError = %q, %q; want %q, %q", n, c, tt.wantName, tt.wantCause)
			}
		})
	}
}

func quote(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}

func TestTruncate(t *testing.T) {
	if got := truncate("héllo wörld", 8); got != "héll..." || len(got) > 8 {
		t.Errorf("truncate = %q", got)
	}
	if got := truncate("short", 10); got != "short" {
		t.Errorf("truncate = %q", got)
	}
}
