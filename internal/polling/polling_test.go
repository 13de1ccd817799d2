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
		{"first, expected already passed", Input{Service: "memorydb", Expected: 20 * s, Elapsed: 50 * s}, Min},
		{"first, expected short", Input{Service: "memorydb", Expected: 3 * s}, Min},
		{"first, expected long", Input{Service: "memorydb", Expected: time.Hour}, Max},
		{"redshift estimate", Input{Service: "redshift-serverless", Remaining: 40 * s}, 45 * s},
		{"redshift estimate wins over expected", Input{Service: "redshift-serverless", Polls: 3, Last: 200 * s, Expected: time.Hour, Remaining: 20 * s}, 25 * s},
		{"redshift estimate long", Input{Service: "redshift-serverless", Remaining: time.Hour}, Max},
		{"backoff", Input{Service: "elasticache", Polls: 1, Last: 20 * s}, 30 * s},
		{"backoff from nothing", Input{Service: "elasticache", Polls: 1}, 15 * s},
		{"backoff capped", Input{Service: "elasticache", Polls: 9, Last: 250 * s}, Max},
		{"backoff stops near expected end", Input{Service: "elasticache", Polls: 1, Last: 100 * s, Expected: 120 * s, Elapsed: 100 * s}, 32 * s},
		{"backoff past expected end grows", Input{Service: "elasticache", Polls: 2, Last: 40 * s, Expected: 120 * s, Elapsed: 130 * s}, 60 * s},
		{"slack is a tenth of long durations", Input{Service: "elasticache", Polls: 1, Last: 280 * s, Expected: 1000 * s, Elapsed: 900 * s}, 200 * s},
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
	if got := Seconds(Input{Service: "elasticache", Polls: 1, Last: 7 * time.Second}); got != 11 {
		t.Errorf("Seconds = %d, want 11 (10.5 s rounded up)", got)
	}
}
