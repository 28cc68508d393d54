package cost

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// A Meter counts billable units, per service, per resource and per unit. It is safe for
// concurrent use and cheap enough to leave on in production: metering a call is a map lookup
// under a read lock and an atomic add, without allocating once the counter exists.
//
// The zero Meter is not ready for use; call [NewMeter].
type Meter struct {
	now func() time.Time

	mu       sync.RWMutex
	counters map[Key]*counter

	storage storageState
	jobs    jobSet
}

// MeterOptions configure [NewMeter]. A nil *MeterOptions means the defaults.
type MeterOptions struct {
	// Now is the meter's clock, which integrates the bytes stored over time. Nil means
	// time.Now.
	Now func() time.Time
}

// NewMeter returns an empty meter.
func NewMeter(opts *MeterOptions) *Meter {
	m := &Meter{now: monotonicClock(), counters: make(map[Key]*counter)}
	if opts != nil && opts.Now != nil {
		m.now = opts.Now
	}
	m.storage.buckets = make(map[string]*bucketState)
	m.jobs.ids = make(map[string]struct{})
	return m
}

// A Key names one metered quantity: a unit of a resource of a service, such as
// {ServiceS3, "photos", UnitS3Tier1} for the PUT-class requests made to bucket "photos".
type Key struct {
	Service  string
	Resource string
	Unit     string
}

// counter is a float64 updated atomically.
type counter struct{ bits atomic.Uint64 }

func (c *counter) add(v float64) {
	for {
		old := c.bits.Load()
		if c.bits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+v)) {
			return
		}
	}
}

func (c *counter) load() float64 { return math.Float64frombits(c.bits.Load()) }

// Add adds q units to the quantity k names. Blocks of this package meter through it; use it
// to meter what they do not see, such as a service this package does not know.
func (m *Meter) Add(k Key, q float64) { m.counter(k).add(q) }

// counter returns k's counter, making it on first use.
func (m *Meter) counter(k Key) *counter {
	m.mu.RLock()
	c := m.counters[k]
	m.mu.RUnlock()
	if c == nil {
		m.mu.Lock()
		if c = m.counters[k]; c == nil {
			c = new(counter)
			m.counters[k] = c
		}
		m.mu.Unlock()
	}
	return c
}

// Usage returns a snapshot of everything metered so far, the bytes stored integrated up to
// now on the meter's clock.
func (m *Meter) Usage() Usage {
	u := make(Usage)
	m.mu.RLock()
	for k, c := range m.counters {
		if v := c.load(); v != 0 {
			u[k] = v
		}
	}
	m.mu.RUnlock()
	m.storage.snapshot(m.now(), u)
	return u
}

// monotonicClock returns a clock that reads the wall clock once and then only the monotonic
// one, which costs one clock read instead of time.Now's two: the meter reads it whenever a
// bucket's stored bytes change. Its times follow the wall clock as of the meter's creation.
func monotonicClock() func() time.Time {
	base := time.Now()
	return func() time.Time { return base.Add(time.Since(base)) }
}
