package polling

import (
	"testing"
	"time"
)

func TestWait(t *testing.T) {
	s := time.Second
	tests := []struct {
		name string
		in   Input
		want time.Duration
	}{
		{"first, nothing known, elasticache", Input{Service: "elasticache"}, 90 * s},
		{"first, nothing known, serverless", Input{Service: "elasticache-serverless"}, 60 * s},
		{"first, nothing known, memorydb", Input{Service: "memorydb"}, 90 * s},
		{"first, nothing known, redshift", Input{Service: "redshift-serverless"}, 120 * s},
		{"first, unknown service", Input{Service: "rds"}, 90 * s},
		{"first, last duration known", Input{Service: "memorydb", Expected: 200 * s}, 200 * s},
		{"first, expected minus elapsed", Input{Service: "memorydb", Expected: 200 * s, Elapsed: 50 * s}, 150 * s},
		{"first, expected already passed", Input{Service: "memorydb", Expected: 20 * s, Elapsed: 50 * s}, 30 * s},
		{"first, expected short", Input{Service: "memorydb", Expected: 3 * s}, Min},
		{"first, expected long: one wait", Input{Service: "memorydb", Expected: time.Hour}, time.Hour},
		{"first, expected beyond MaxKnown", Input{Service: "memorydb", Expected: 20 * time.Hour}, MaxKnown},
		{"redshift estimate", Input{Service: "redshift-serverless", Remaining: 40 * s}, 45 * s},
		{"redshift estimate wins over expected", Input{Service: "redshift-serverless", Polls: 3, Last: 200 * s, Expected: time.Hour, Remaining: 20 * s}, 25 * s},
		{"redshift estimate long: one wait", Input{Service: "redshift-serverless", Remaining: time.Hour}, time.Hour + 5*s},
		{"backoff", Input{Service: "elasticache", Polls: 1, Last: 20 * s}, 26 * s},
		{"backoff from nothing", Input{Service: "elasticache", Polls: 1}, 13 * s},
		{"backoff capped", Input{Service: "elasticache", Polls: 9, Last: 250 * s}, Max},
		{"before the expected end: wait for it", Input{Service: "elasticache", Polls: 1, Last: 100 * s, Expected: 120 * s, Elapsed: 100 * s}, 20 * s},
		{"past the expected end: a fortieth", Input{Service: "elasticache", Polls: 1, Last: 3600 * s, Expected: 3600 * s, Elapsed: 3601 * s}, 90 * s},
		{"past the expected end: at least Min", Input{Service: "elasticache", Polls: 2, Last: 40 * s, Expected: 120 * s, Elapsed: 125 * s}, Min},
		{"far past the expected end: the overrun", Input{Service: "elasticache", Polls: 3, Last: 90 * s, Expected: 3600 * s, Elapsed: 3720 * s}, 120 * s},
		{"far past the expected end: at most Max", Input{Service: "elasticache", Polls: 5, Last: 150 * s, Expected: 3600 * s, Elapsed: 7200 * s}, Max},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Wait(tt.in); got != tt.want {
				t.Errorf("Wait(%+v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// TestWaitBounded checks every wait stays within [Min, Max] and that a
// backoff never shrinks when nothing is expected.
func TestWaitBounded(t *testing.T) {
	s := time.Second
	for _, svc := range []string{"elasticache", "elasticache-serverless", "memorydb", "redshift-serverless"} {
		last := time.Duration(0)
		for polls := range 20 {
			w := Wait(Input{Service: svc, Polls: polls, Last: last, Elapsed: time.Duration(polls) * 30 * s})
			if w < Min || w > Max {
				t.Fatalf("%s poll %d: %v out of bounds", svc, polls, w)
			}
			if polls > 1 && w < last {
				t.Fatalf("%s poll %d: %v shorter than the last %v", svc, polls, w, last)
			}
			last = w
		}
		if last != Max {
			t.Errorf("%s: backoff ends at %v, want %v", svc, last, Max)
		}
	}
}

func TestSeconds(t *testing.T) {
	if got := Seconds(Input{Service: "elasticache", Polls: 1, Last: 9500 * time.Millisecond}); got != 13 {
		t.Errorf("Seconds = %d, want 13 (12.35 s rounded up)", got)
	}
}

func TestEstimate(t *testing.T) {
	s := time.Second
	tests := []struct {
		name          string
		elapsed, wait time.Duration
		polls         int
		want          time.Duration
	}{
		{"bracketed: the first quarter", 3700 * s, 90 * s, 3, 3632500 * time.Millisecond},
		{"first poll done: a step earlier", 3600 * s, 3600 * s, 1, 3510 * s},
		{"first poll done, short: Min earlier", 61 * s, 61 * s, 1, 51 * s},
		{"never below a second", 5 * s, 5 * s, 1, s},
	}
	for _, tt := range tests {
		if got := Estimate(tt.elapsed, tt.wait, tt.polls); got != tt.want {
			t.Errorf("%s: Estimate(%v, %v, %d) = %v, want %v", tt.name, tt.elapsed, tt.wait, tt.polls, got, tt.want)
		}
	}
}

// TestConverges runs the estimate and the waits over successive runs of a
// snapshot of a fixed duration: from the third run on, each run is noticed
// within max(30 s, 5 %) and polls at most four times (transitions at most
// 2× the oracle's one poll).
func TestConverges(t *testing.T) {
	for _, actual := range []time.Duration{time.Minute, 10 * time.Minute, time.Hour, 6 * time.Hour} {
		expected := time.Duration(0)
		for run := range 5 {
			elapsed, last, polls := time.Duration(0), time.Duration(0), 0
			for {
				w := Wait(Input{Service: "elasticache", Polls: polls, Last: last, Elapsed: elapsed, Expected: expected})
				elapsed += w
				last = w
				polls++
				if elapsed >= actual {
					break
				}
			}
			late := elapsed - actual
			t.Logf("%v, run %d: %d polls, noticed %v late", actual, run, polls, late)
			if run > 1 && (late > max(30*time.Second, actual/20) || polls > 4) {
				t.Errorf("%v, run %d: %d polls, noticed %v late", actual, run, polls, late)
			}
			expected = Estimate(elapsed, last, polls)
		}
	}
}

// TestConvergesEverywhere runs successive runs of snapshots of every
// duration from 1 min to 6 h (7 s apart), each service's default first
// wait: from the fifth run on, every one is noticed within max(30 s, 5 %)
// with at most 4 polls (transitions at most 2× the oracle's one poll), and
// the polls stay few on average.
func TestConvergesEverywhere(t *testing.T) {
	for _, svc := range []string{"elasticache", "elasticache-serverless", "memorydb"} {
		n, polls := 0, 0
		for actual := time.Minute; actual <= 6*time.Hour; actual += 7 * time.Second {
			expected := time.Duration(0)
			for run := range 8 {
				elapsed, last, p := time.Duration(0), time.Duration(0), 0
				for elapsed < actual {
					w := Wait(Input{Service: svc, Polls: p, Last: last, Elapsed: elapsed, Expected: expected})
					elapsed, last, p = elapsed+w, w, p+1
				}
				if late := elapsed - actual; run >= 4 && (late > max(30*time.Second, actual/20) || p > 4) {
					t.Errorf("%s %v, run %d: %d polls, noticed %v late", svc, actual, run+1, p, late)
				}
				if run >= 4 {
					n++
					polls += p
				}
				expected = Estimate(elapsed, last, p)
			}
		}
		if avg := float64(polls) / float64(n); avg > 2 {
			t.Errorf("%s: %.2f polls per steady-state run, want at most 2", svc, avg)
		} else {
			t.Logf("%s: %.2f polls per steady-state run over %d runs", svc, avg, n)
		}
	}
}
