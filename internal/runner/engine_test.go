package runner

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"testing"
	"time"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// TestEngineClock checks the one clock on a small machine: a Wait of an
// hour, a Retry interval and a Wait whose seconds a task returned all take
// exactly their simulated time, the clock jumps over them (the test takes
// far less than a second of real time per wait), and $$.Execution.StartTime
// is simulated.
func TestEngineClock(t *testing.T) {
	root, err := FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	node, err1 := nodeBinary(root)
	module, err2 := engineModule(root)
	if err1 != nil || err2 != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%v %v", err1, err2)
		}
		t.Skipf("needs npm ci: %v %v (skipped: CI is not set)", err1, err2)
	}
	def := `{"StartAt":"Hour","States":{
		"Hour":{"Type":"Wait","Seconds":3600,"Next":"Work"},
		"Work":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f","Payload.$":"$"},
			"Retry":[{"ErrorEquals":["Busy"],"IntervalSeconds":30,"MaxAttempts":2,"BackoffRate":2}],"OutputPath":"$.Payload","Next":"Pause"},
		"Pause":{"Type":"Wait","SecondsPath":"$.wait","Next":"Done"},
		"Done":{"Type":"Pass","Parameters":{"started.$":"$$.Execution.StartTime","id.$":"$$.Execution.Id"},"End":true}}}`
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := emu.NewClock(start, 1)
	var e *engine
	var calls []time.Time
	onMsg := func(m *engineMsg) {
		if m.Op != "task" {
			return
		}
		calls = append(calls, clock.Now())
		if len(calls) == 1 {
			e.result(m.Call, nil, "Busy", "try again")
			return
		}
		e.async(m.Call, func() (json.RawMessage, string, string) {
			time.Sleep(20 * time.Millisecond) // in flight: the clock runs at speed 1
			return json.RawMessage(`{"Payload":{"wait":120}}`), "", ""
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e, err = startEngine(ctx, node, module, clock, map[string]json.RawMessage{"m": json.RawMessage(def)}, io.Discard, onMsg)
	if err != nil {
		t.Fatal(err)
	}
	defer e.close()
	began := time.Now()
	var x *Execution
	if err := e.call(func() { x = e.startExecution("m", "one", json.RawMessage(`{}`), nil) }); err != nil {
		t.Fatal(err)
	}
	if err := x.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	var got Execution
	_ = e.call(func() { got = copyExecution(x) })
	if got.Status != "SUCCEEDED" {
		t.Fatalf("%s %s %s", got.Status, got.Error, got.Cause)
	}
	if real := time.Since(began); real > 5*time.Second {
		t.Errorf("took %v of real time", real)
	}
	near := func(what string, got, want time.Duration) {
		t.Helper()
		if got < want || got > want+time.Second {
			t.Errorf("%s: %v, want %v", what, got, want)
		}
	}
	if len(calls) != 2 {
		t.Fatalf("%d task calls", len(calls))
	}
	near("first task", calls[0].Sub(got.Start), time.Hour)
	near("retry interval", calls[1].Sub(calls[0]), 30*time.Second)
	near("whole execution", got.Stop.Sub(got.Start), time.Hour+30*time.Second+120*time.Second)
	var out struct{ Started, ID string }
	if err := json.Unmarshal(got.Output, &out); err != nil {
		t.Fatal(err)
	}
	st, err := time.Parse(time.RFC3339Nano, out.Started)
	if err != nil || st.Sub(start) > time.Minute || st.Before(start) {
		t.Errorf("$$.Execution.StartTime %q, want the simulated %v", out.Started, start)
	}
	if out.ID != got.ARN {
		t.Errorf("$$.Execution.Id %q, want %q", out.ID, got.ARN)
	}
	// Transitions: Hour, Work, Work (retry), Pause, Done.
	if got.Transitions != 5 {
		t.Errorf("%d transitions, want 5", got.Transitions)
	}
}
