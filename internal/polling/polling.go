// Package polling decides how long the state machine waits before it polls
// a snapshot, copy or export again.
//
// Every poll costs about three Step Functions state transitions (Wait, the
// Lambda task, Choice), so a wait should end close to when the work is
// expected to be done, and back off while it is not:
//
//   - A wait aims at the expected end when one is known: the service's own
//     estimate (Redshift Serverless's estimatedSecondsToCompletion), else
//     what is left of the expected duration (the target's last snapshot,
//     measured and tagged by the poll step). Such a wait may be long (up to
//     MaxKnown): one Wait state costs the same transitions however long.
//   - Past the expected end, the polls come in small steps: a fortieth of
//     the expected duration, at least Min, growing with the overrun (half
//     of it), at most Max, so a snapshot is noticed within a few percent
//     of its duration.
//   - With nothing known, the first wait is a default by service and later
//     waits grow by Factor from the previous one, within [Min, Max].
//
// Wait is pure: the same Input always gives the same wait.
package polling

import (
	"math"
	"time"

	"github.com/snapflow/snapflow/events"
)

// Bounds of every wait, and the growth of successive ones. Factor 1.3
// rather than 1.5: over snapshots of 1 min to 6 h a first run is noticed
// 15 % sooner (about 110 s late on average at 1–15 min, from 130) for about
// one poll more, and its narrower last bracket makes the next runs' first
// poll closer (TestConvergesEverywhere holds from the fifth run, not the
// sixth).
const (
	Min    = 10 * time.Second
	Max    = 300 * time.Second
	Factor = 1.3
	// MaxKnown bounds a wait aimed at a known end: the target execution's
	// default timeout (12 h).
	MaxKnown = 12 * time.Hour
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

// Step is the wait between polls once the expected end has passed: a
// fortieth of the expected duration, or the overrun so far when that is
// more (the steps double), within [Min, Max].
func Step(expected, overrun time.Duration) time.Duration {
	return min(max(expected/40, overrun, Min), Max)
}

// Wait returns the time to wait before the next poll: in [Min, Max], or up
// to MaxKnown when it aims at a known end.
func Wait(in Input) time.Duration {
	switch {
	case in.Remaining > 0:
		// The service knows best; poll just after it expects to finish.
		return min(in.Remaining+Min/2, MaxKnown)
	case in.Expected > 0 && in.Expected > in.Elapsed:
		// Poll at the expected end.
		return min(max(in.Expected-in.Elapsed, Min), MaxKnown)
	case in.Expected > 0:
		return Step(in.Expected, in.Elapsed-in.Expected)
	case in.Polls == 0:
		return DefaultFirst(in.Service)
	}
	last := in.Last
	if last <= 0 {
		last = Min
	}
	return min(max(time.Duration(math.Round(float64(last)*Factor)), Min), Max)
}

// Estimate is the duration to record for the next run's first wait, from a
// phase that ended at the poll made elapsed after it started, waited
// before that poll. Polls after the first bracket the end between the
// previous poll and this one: record the first quarter of the bracket (the
// next run polls there, then in Steps). Done at the first poll, it may have
// ended long before: record a Step less, so the next run probes earlier.
// Over successive runs the estimate settles within a Step of the true
// duration. The quarter, not the middle: a first poll past the end is late
// by up to what it overshoots, one before it costs a Step; over snapshots of
// 1 min to 6 h, the middle still missed "noticed within max(30 s, 5 %)" at
// the eighth run for 0.3 % of durations, the quarter for none from the
// fifth, for 0.2 more polls on average (TestConvergesEverywhere).
func Estimate(elapsed, waited time.Duration, polls int) time.Duration {
	if polls > 1 && waited > 0 && elapsed-waited > 0 {
		return elapsed - waited + waited/4
	}
	return max(elapsed-Step(elapsed, 0), time.Second)
}

// Seconds returns Wait in whole seconds, rounded up, as the state machine's
// Wait state takes it.
func Seconds(in Input) int {
	return int(math.Ceil(Wait(in).Seconds()))
}
