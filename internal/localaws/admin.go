package localaws

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// adminPrefix is where the local AWS answers its own control API (never an
// AWS path: S3 bucket names cannot start with "_").
const adminPrefix = "/_localaws/"

// ClockState is the clock as the admin API reports it.
type ClockState struct {
	Now   time.Time `json:"now"`
	Speed float64   `json:"speed"`
}

// ClockChange moves or re-rates the clock through the admin API.
type ClockChange struct {
	Advance   string     `json:"advance,omitempty"`   // a Go duration, e.g. "90s"
	AdvanceTo *time.Time `json:"advanceTo,omitempty"` // moved to if later than now
	Speed     *float64   `json:"speed,omitempty"`
}

// admin serves the control API used by cmd/localaws users, the local runner
// and tests in other processes:
//
//	GET    /_localaws/health
//	GET    /_localaws/calls            DELETE /_localaws/calls
//	GET    /_localaws/faults           POST   /_localaws/faults (emu.Fault)   DELETE /_localaws/faults[/ID]
//	POST   /_localaws/ratelimits (emu.RateLimit)
//	GET    /_localaws/clock            POST   /_localaws/clock (ClockChange)
//	POST   /_localaws/seed (seed file JSON)
//	GET    /_localaws/sns/messages     GET    /_localaws/events
func (a *AWS) admin(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, adminPrefix)
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	fail := func(status int, err error) { http.Error(w, err.Error(), status) }
	decode := func(v any) bool {
		if err := json.Unmarshal(body, v); err != nil {
			fail(http.StatusBadRequest, fmt.Errorf("decoding %s: %w", path, err))
			return false
		}
		return true
	}
	switch {
	case path == "health":
		writeAdmin(w, map[string]any{"ok": true, "region": a.region, "accountId": a.env.AccountID})
	case path == "calls" && r.Method == http.MethodGet:
		writeAdmin(w, a.env.Recorder.Calls())
	case path == "calls" && r.Method == http.MethodDelete:
		a.env.Recorder.Reset()
		writeAdmin(w, map[string]any{})
	case path == "faults" && r.Method == http.MethodGet:
		writeAdmin(w, a.env.Faults.List())
	case path == "faults" && r.Method == http.MethodPost:
		var f emu.Fault
		if decode(&f) {
			writeAdmin(w, map[string]int{"id": a.env.Faults.Add(f)})
		}
	case path == "faults" && r.Method == http.MethodDelete:
		a.env.Faults.Reset()
		writeAdmin(w, map[string]any{})
	case strings.HasPrefix(path, "faults/") && r.Method == http.MethodDelete:
		id, err := strconv.Atoi(strings.TrimPrefix(path, "faults/"))
		if err != nil {
			fail(http.StatusBadRequest, err)
			return
		}
		a.env.Faults.Remove(id)
		writeAdmin(w, map[string]any{})
	case path == "ratelimits" && r.Method == http.MethodPost:
		var l emu.RateLimit
		if decode(&l) {
			a.env.Faults.SetRateLimit(l)
			writeAdmin(w, map[string]any{})
		}
	case path == "clock" && r.Method == http.MethodGet:
		writeAdmin(w, ClockState{Now: a.env.Clock.Now(), Speed: a.env.Clock.Speed()})
	case path == "clock" && r.Method == http.MethodPost:
		var c ClockChange
		if !decode(&c) {
			return
		}
		if c.Advance != "" {
			d, err := time.ParseDuration(c.Advance)
			if err != nil {
				fail(http.StatusBadRequest, fmt.Errorf("advance: %w", err))
				return
			}
			a.env.Clock.Advance(d)
		}
		if c.AdvanceTo != nil {
			a.env.Clock.AdvanceTo(*c.AdvanceTo)
		}
		if c.Speed != nil {
			a.env.Clock.SetSpeed(*c.Speed)
		}
		writeAdmin(w, ClockState{Now: a.env.Clock.Now(), Speed: a.env.Clock.Speed()})
	case path == "seed" && r.Method == http.MethodPost:
		if err := a.Seed(body); err != nil {
			fail(http.StatusBadRequest, err)
			return
		}
		writeAdmin(w, map[string]any{})
	case path == "sns/messages":
		writeAdmin(w, a.sns.Messages())
	case path == "events":
		writeAdmin(w, a.events.Events())
	default:
		fail(http.StatusNotFound, fmt.Errorf("no admin route %s %s", r.Method, r.URL.Path))
	}
}

func writeAdmin(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
