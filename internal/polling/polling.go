// Package polling decides how long the state machine waits before it polls
// a snapshot, copy or export again.
//
// Every poll costs about three Step Functions state transitions (Wait, the
// Lambda task, Choice), so a wait should end close to when the work is
// expected to be done, and back off while it is not:
//
//   - The first wait of a phase comes from what is known: the service's own
//     estimate (Redshift Serverless's estimatedSecondsToCompletion), else
//     what is left of the expected duration (the target's last snapshot,
//     measured and tagged by the poll step), else a default by service.
//   - Later waits grow by Factor from the previous one, within [Min, Max],
//     and while the expected end is ahead they stop at most Slack past it.
//
// Wait is pure: the same Input always gives the same wait.
package polling

import (
	"math"
	"time"

	"github.com/snapflow/snapflow/events"
)

// Bounds of every wait, and the growth of successive ones.
const (
	Min    = 10 * time.Second
	Max    = 300 * time.Second
	Factor = 1.5
)

// defaultFirst is the first wait of a phase when nothing is known about the
// target. Small caches snapshot in a minute or two; Redshift Serverless
// snapshots take longer. Unknown services get the ElastiCache value.
var defaultFirst = map[string]time.Duration{
	events.ServiceElastiCache:           90 * time.Second,
	events.ServiceElastiCacheServerless: 60 * time.Second,
	events.ServiceMemoryDB:              90 * time.Second,
	events.ServiceRedshiftServerless:    120 * time.Second,
}

// DefaultFirst returns the first wait of a phase for service when nothing is
// known about the target.
func DefaultFirst(service string) time.Duration {
	if d, ok := defaultFirst[service]; ok {
		return d
	}
	return defaultFirst[events.ServiceElastiCache]
}

// Input is what is known when a wait is chosen.
type Input struct {
	// Service is the target's service (events.Service*).
	Service string
	// Polls is the number of polls of the phase so far: 0 for the wait
	// right after the step that started the phase.
	Polls int
	// Last is the previous wait of the phase; 0 if none.
	Last time.Duration
	// Elapsed is the time since the phase started.
	Elapsed time.Duration
	// Expected is how long the phase is expected to take in all; 0 when
	// unknown.
	Expected time.Duration
	// Remaining is the service's own estimate of the time left; 0 when
	// unknown.
	Remaining time.Duration
}

// Slack is how far past the expected end a wait may reach: a tenth of the
// expected duration, at least Min.
func Slack(expected time.Duration) time.Duration {
	return max(Min, expected/10)
}

// Wait returns the time to wait before the next poll, in [Min, Max].
func Wait(in Input) time.Duration {
	var w time.Duration
	switch {
	case in.Remaining > 0:
		// The service knows best; poll just after it expects to finish.
		w = in.Remaining + Min/2
	case in.Polls == 0 && in.Expected > 0:
		w = in.Expected - in.Elapsed
	case in.Polls == 0:
		w = DefaultFirst(in.Service)
	default:
		last := in.Last
		if last <= 0 {
			last = Min
		}
		w = time.Duration(math.Round(float64(last) * Factor))
		if left := in.Expected - in.Elapsed; in.Expected > 0 && left > 0 {
			w = min(w, left+Slack(in.Expected))
		}
	}
	return min(max(w, Min), Max)
}

// Seconds returns Wait in whole seconds, rounded up, as the state machine's
// Wait state takes it.
func Seconds(in Input) int {
	return int(math.Ceil(Wait(in).Seconds()))
}
