package cost_test

import (
	"math"
	"sync"
	"testing"
	"time"
)

// clock is a settable clock for a Meter.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// near fails t unless got is want to within a relative 1e-9.
func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-9*math.Max(math.Abs(want), 1e-12) {
		t.Errorf("%s = %.12g, want %.12g", what, got, want)
	}
}

// cents rounds dollars to cents, as AWS's examples print them.
func cents(usd float64) float64 { return math.Round(usd*100) / 100 }
