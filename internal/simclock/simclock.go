// Package simclock lets a handler binary read the local runner's simulated
// clock. The local runner (internal/runner) runs the workflow and the local
// AWS on one accelerated clock; it sets SNAPFLOW_CLOCK_URL in every
// function's environment to the local AWS's admin clock endpoint. In AWS the
// variable is unset and handlers use the wall clock.
//
// A main wires it up in one line:
//
//	s.Now = simclock.FromEnv(os.Getenv) // nil (wall clock) outside the local runner
package simclock

import (
	"encoding/json"
	"net/http"
	"time"
)

// EnvURL names the variable holding the clock endpoint
// (http://127.0.0.1:<port>/_localaws/clock).
const EnvURL = "SNAPFLOW_CLOCK_URL"

// FromEnv returns a clock reading the endpoint named by SNAPFLOW_CLOCK_URL,
// or nil when it is unset. A read that fails falls back to the wall clock.
func FromEnv(getenv func(string) string) func() time.Time {
	url := getenv(EnvURL)
	if url == "" {
		return nil
	}
	return New(url)
}

// New returns a clock reading url (GET: {"now": RFC 3339 time, "speed": n}).
// The clock does not move backwards: only the local AWS's clock jumps
// (forward, between invocations), and each read asks it.
func New(url string) func() time.Time {
	client := &http.Client{Timeout: 2 * time.Second}
	return func() time.Time {
		resp, err := client.Get(url)
		if err != nil {
			return time.Now()
		}
		defer resp.Body.Close()
		var st struct {
			Now time.Time `json:"now"`
		}
		if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&st) != nil || st.Now.IsZero() {
			return time.Now()
		}
		return st.Now
	}
}
