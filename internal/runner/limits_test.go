package runner

import (
	"strings"
	"testing"

	"github.com/snapflow/snapflow/events"
)

// The runner fails executions past Step Functions' quotas, as Step
// Functions does: a state payload above the limit fails the execution
// with States.DataLimitExceeded, a history above it with States.Runtime.
func TestLimitsEnforced(t *testing.T) {
	t.Run("payload", func(t *testing.T) {
		r := newRunner(t, func(o *Options) { o.PayloadLimit = 500 })
		rep := run(t, r, policy("limits", []events.Target{orders, carts}, nil))
		if rep.Status != "FAILED" || rep.Error != "States.DataLimitExceeded" {
			t.Fatalf("run: %s %s %s, want FAILED States.DataLimitExceeded", rep.Status, rep.Error, rep.Cause)
		}
		if rep.MaxPayloadBytes <= 500 {
			t.Errorf("MaxPayloadBytes %d, want > 500", rep.MaxPayloadBytes)
		}
	})
	t.Run("history", func(t *testing.T) {
		r := newRunner(t, func(o *Options) { o.HistoryLimit = 20 })
		rep := run(t, r, policy("limits", []events.Target{carts}, nil))
		if rep.Status != "FAILED" {
			t.Fatalf("run: %s, want FAILED", rep.Status)
		}
		tr := target(rep, carts.ID)
		if tr == nil || tr.Status != "FAILED" || tr.Error != "States.Runtime" || !strings.Contains(tr.Cause, "history events") {
			t.Fatalf("target: %+v, want FAILED States.Runtime (history)", tr)
		}
	})
	t.Run("within", func(t *testing.T) {
		r := newRunner(t, nil)
		rep := run(t, r, policy("limits", []events.Target{carts}, nil))
		if rep.Status != "SUCCEEDED" {
			t.Fatalf("run: %s %s %s", rep.Status, rep.Error, rep.Cause)
		}
		tr := target(rep, carts.ID)
		if rep.HistoryEvents < 10 || rep.MaxHistoryEvents < tr.HistoryEvents || tr.HistoryEvents < 15 {
			t.Errorf("history events: run %d, max %d, target %d", rep.HistoryEvents, rep.MaxHistoryEvents, tr.HistoryEvents)
		}
		if rep.MaxPayloadBytes <= 0 || rep.MaxPayloadBytes > PayloadLimit || rep.MaxPayloadState == "" {
			t.Errorf("payload: %d in %q", rep.MaxPayloadBytes, rep.MaxPayloadState)
		}
		t.Logf("history: run %d, target %d; largest payload %d bytes in %s", rep.HistoryEvents, tr.HistoryEvents, rep.MaxPayloadBytes, rep.MaxPayloadState)
	})
}
