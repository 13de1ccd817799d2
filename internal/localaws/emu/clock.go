// Package emu holds what every emulated service of the local AWS shares: the
// clock, request context, injected faults, the call record and the wire
// protocol helpers (awsQuery XML and awsJson1_1).
package emu

import (
	"context"
	"sync"
	"time"
)

// Clock is the local AWS's notion of time. It runs at Speed times real time
// (an hour-long snapshot takes 3.6 s at speed 1000) and can be moved forward
// by Advance. A speed of 0 stops it: only Advance moves it, which lets a test
// step time deterministically.
type Clock struct {
	mu       sync.Mutex
	simBase  time.Time
	realBase time.Time
	speed    float64
	moved    chan struct{} // closed and replaced on every Advance or SetSpeed
	now      func() time.Time
}

// NewClock returns a clock that reads start now and runs at speed.
func NewClock(start time.Time, speed float64) *Clock {
	if speed < 0 {
		speed = 0
	}
	return &Clock{simBase: start.UTC(), realBase: time.Now(), speed: speed, moved: make(chan struct{}), now: time.Now}
}

// Now returns the simulated time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nowLocked()
}

func (c *Clock) nowLocked() time.Time {
	elapsed := c.now().Sub(c.realBase)
	return c.simBase.Add(time.Duration(float64(elapsed) * c.speed))
}

// Speed returns how many simulated seconds pass per real second.
func (c *Clock) Speed() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.speed
}

// SetSpeed changes the rate of the clock from now on.
func (c *Clock) SetSpeed(speed float64) {
	if speed < 0 {
		speed = 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.simBase, c.realBase = c.nowLocked(), c.now()
	c.speed = speed
	c.signalLocked()
}

// Advance moves the clock forward by d (negative values are ignored).
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.simBase = c.simBase.Add(d)
	}
	c.signalLocked()
	return c.nowLocked()
}

// AdvanceTo moves the clock forward to t if t is later than now.
func (c *Clock) AdvanceTo(t time.Time) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d := t.Sub(c.nowLocked()); d > 0 {
		c.simBase = c.simBase.Add(d)
	}
	c.signalLocked()
	return c.nowLocked()
}

func (c *Clock) signalLocked() {
	close(c.moved)
	c.moved = make(chan struct{})
}

// Sleep blocks until d of simulated time has passed or ctx is done.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	deadline := c.Now().Add(d)
	for {
		c.mu.Lock()
		now, speed, moved := c.nowLocked(), c.speed, c.moved
		c.mu.Unlock()
		left := deadline.Sub(now)
		if left <= 0 {
			return nil
		}
		wait := time.Hour
		if speed > 0 {
			wait = time.Duration(float64(left)/speed) + time.Millisecond
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-moved:
			t.Stop()
		case <-t.C:
		}
	}
}
