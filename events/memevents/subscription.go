package memevents

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/servous/servous/events"
	"github.com/servous/servous/runtime"
)

// Subscription is one target's subscription to a bus.
type Subscription struct {
	bus         *Bus
	filter      *compiledFilter
	local       *runtime.Local
	arn         string
	retries     int
	backoff     time.Duration
	maxAge      time.Duration
	concurrency int
	onFailure   func(Failure)
	// slots holds a token per delivery held, bounding memory.
	slots   chan struct{}
	removed atomic.Bool

	mu      sync.Mutex
	queue   []*delivery
	head    int
	running int
	dirty   bool // queued deliveries not reordered yet
	dead    []Failure
	// timers holds deliveries waiting to be retried, so Close and
	// Unsubscribe can discard them without waiting out their backoff.
	timers map[*delivery]*time.Timer
	// workers are the running workers, so Close can abandon their
	// invocations; idle are workers kept for the next start.
	workers []*worker
	idle    []*worker
}

type delivery struct {
	event     events.Event
	requestID string
	published time.Time
	attempts  int
	err       error
	ctx       context.Context // the invocations', made by the first
}

// worker is one of a subscription's worker goroutines: it invokes the
// target through its own runtime.Worker, on its own goroutine. When an
// invocation is abandoned (the handler ran past its deadline, or the bus
// closed), the worker's goroutine stays with the handler, and the delivery
// and the worker's place go to others.
type worker struct {
	s    *Subscription
	rt   *runtime.Worker
	i    int                      // index in s.workers
	cur  atomic.Pointer[delivery] // the delivery being invoked
	gone atomic.Bool              // an invocation was abandoned
}

// FunctionARN returns the ARN the target is invoked under.
func (s *Subscription) FunctionARN() string { return s.arn }

// DeadLetters returns the failures kept so far, oldest first, and removes
// them from the queue. It is empty when SubscribeOptions.OnFailure is set.
func (s *Subscription) DeadLetters() []Failure {
	s.mu.Lock()
	defer s.mu.Unlock()
	dead := s.dead
	s.dead = nil
	return dead
}

// Unsubscribe stops deliveries to the target. Queued deliveries and pending
// retries are discarded; running invocations finish.
func (s *Subscription) Unsubscribe() {
	b := s.bus
	b.mu.Lock()
	old := *b.subs.Load()
	subs := make([]*Subscription, 0, len(old))
	for _, x := range old {
		if x != s {
			subs = append(subs, x)
		}
	}
	b.subs.Store(&subs)
	b.mu.Unlock()
	s.removed.Store(true)
	s.stopRetries()
	s.startWorkers()
}

func (s *Subscription) tryAcquire() bool {
	select {
	case s.slots <- struct{}{}:
		s.noteHeld()
		return true
	default:
		return false
	}
}

func (s *Subscription) acquire(ctx context.Context) error {
	if s.tryAcquire() {
		return nil
	}
	if s.bus.opts.NonBlocking {
		return fmt.Errorf("memevents: publish to %s: %w: %w (%d deliveries held)", s.arn, events.ErrNotPublished, ErrQueueFull, cap(s.slots))
	}
	select {
	case s.slots <- struct{}{}:
		s.noteHeld()
		return nil
	case <-ctx.Done():
		return fmt.Errorf("memevents: publish to %s: %w: %w: %w", s.arn, events.ErrNotPublished, ErrQueueFull, context.Cause(ctx))
	case <-s.bus.ctx.Done():
		return fmt.Errorf("memevents: publish: %w: %w", events.ErrNotPublished, ErrClosed)
	}
}

func (s *Subscription) noteHeld() {
	n := int64(len(s.slots))
	for {
		m := s.bus.maxHeld.Load()
		if n <= m || s.bus.maxHeld.CompareAndSwap(m, n) {
			return
		}
	}
}

func (s *Subscription) release(n int) {
	for range n {
		<-s.slots
	}
}

func (s *Subscription) enqueue(d *delivery) {
	s.mu.Lock()
	if s.head > 0 && len(s.queue) == cap(s.queue) {
		n := copy(s.queue, s.queue[s.head:])
		clear(s.queue[n:])
		s.queue = s.queue[:n]
		s.head = 0
	}
	s.queue = append(s.queue, d)
	s.dirty = true
	w := s.mayStart()
	s.mu.Unlock()
	if w != nil {
		go s.work(w)
	}
}

// mayStart returns, with s.mu held, a worker to start, counted as running,
// or nil when none should start.
func (s *Subscription) mayStart() *worker {
	if s.running >= s.concurrency || s.head == len(s.queue) {
		return nil
	}
	if s.bus.paused.Load() && !s.stopping() {
		return nil
	}
	s.running++
	var w *worker
	if n := len(s.idle); n > 0 {
		w = s.idle[n-1]
		s.idle[n-1] = nil
		s.idle = s.idle[:n-1]
	} else {
		w = &worker{s: s}
		w.rt = s.local.NewWorker(w.abandoned)
	}
	w.i = len(s.workers)
	s.workers = append(s.workers, w)
	return w
}

// stopWorker removes w from the running workers, with s.mu held.
func (s *Subscription) stopWorker(w *worker) {
	s.running--
	last := len(s.workers) - 1
	s.workers[w.i] = s.workers[last]
	s.workers[w.i].i = w.i
	s.workers[last] = nil
	s.workers = s.workers[:last]
}

func (s *Subscription) stopping() bool {
	return s.removed.Load() || s.bus.closed.Load()
}

func (s *Subscription) startWorkers() {
	for {
		s.mu.Lock()
		w := s.mayStart()
		s.mu.Unlock()
		if w == nil {
			return
		}
		go s.work(w)
	}
}

// abandonAll abandons the running invocations, whose deliveries are then
// discarded since the subscription is stopping.
func (s *Subscription) abandonAll() {
	s.mu.Lock()
	running := append([]*worker(nil), s.workers...)
	s.mu.Unlock()
	for _, w := range running {
		w.rt.Abandon()
	}
}

func (s *Subscription) work(w *worker) {
	for {
		s.mu.Lock()
		if s.head == len(s.queue) || (s.bus.paused.Load() && !s.stopping()) {
			s.stopWorker(w)
			s.idle = append(s.idle, w)
			s.mu.Unlock()
			return
		}
		if reorder := s.bus.opts.Reorder; reorder != nil && s.dirty && len(s.queue)-s.head > 1 {
			q := s.queue[s.head:]
			reorder(len(q), func(i, j int) { q[i], q[j] = q[j], q[i] })
		}
		s.dirty = false
		d := s.queue[s.head]
		s.queue[s.head] = nil
		s.head++
		if s.head == len(s.queue) {
			s.queue, s.head = s.queue[:0], 0
		}
		s.mu.Unlock()
		if !w.deliver(d) {
			return // abandoned: the goroutine leaves with its handler
		}
	}
}

// deliver makes one attempt at d and settles it. It reports false when the
// invocation was abandoned, in which case w.abandoned settled it.
func (w *worker) deliver(d *delivery) bool {
	s := w.s
	b := s.bus
	if s.stopping() {
		b.discarded.Add(1)
		s.finish()
		return true
	}
	if time.Since(d.published) > b.scale(s.maxAge) {
		s.fail(d, EventAgeExceeded)
		return true
	}
	d.attempts++
	b.invocations.Add(1)
	if d.attempts > 1 {
		b.retries.Add(1)
	}
	if d.ctx == nil {
		// Not the bus's context: the bus cancels an invocation by
		// abandoning it (see Close), so the handler's context needs no
		// parent that can be canceled, which would cost every invocation.
		d.ctx = lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: d.requestID, InvokedFunctionArn: s.arn})
	}
	w.cur.Store(d)
	_, err := w.rt.Invoke(d.ctx, d.event.Payload)
	if w.gone.Load() {
		return false
	}
	w.cur.Store(nil)
	s.settle(d, err)
	return true
}

// abandoned is called by w's runtime.Worker when it abandons the running
// invocation: w's goroutine is the handler's until it returns, so w stops
// counting as running and the delivery is settled here.
func (w *worker) abandoned(err error) {
	w.gone.Store(true)
	s := w.s
	s.mu.Lock()
	s.stopWorker(w)
	s.mu.Unlock()
	s.settle(w.cur.Load(), err)
	s.startWorkers()
}

// settle ends an attempt at d: done, retried later, or given up.
func (s *Subscription) settle(d *delivery, err error) {
	b := s.bus
	if err == nil {
		b.succeeded.Add(1)
		s.finish()
		return
	}
	d.err = err
	if s.stopping() {
		b.discarded.Add(1)
		s.finish()
		return
	}
	if d.attempts > s.retries {
		s.fail(d, RetriesExhausted)
		return
	}
	// Read before d is requeued, when a worker may take it.
	attempt, requestID := d.attempts+1, d.requestID
	delay := b.scale(s.backoff << (attempt - 2))
	if s.retryAfter(d, delay) && delay >= SlowRetry {
		b.opts.Logger.Warn("memevents: a retry waits Lambda's backoff; tests set memevents.Options.TimeScale (0.001 makes a minute 60ms)",
			"delay", delay, "function", s.arn, "requestId", requestID, "attempt", attempt, "error", err)
	}
}

// retryAfter requeues d after delay, unless the subscription is stopping, and
// reports whether it will.
func (s *Subscription) retryAfter(d *delivery, delay time.Duration) bool {
	b := s.bus
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping() {
		// stopRetries may have run already; nothing would requeue d.
		b.discarded.Add(1)
		s.release(1)
		b.donePending()
		return false
	}
	if s.timers == nil {
		s.timers = make(map[*delivery]*time.Timer)
	}
	s.timers[d] = time.AfterFunc(delay, func() {
		s.mu.Lock()
		_, waiting := s.timers[d]
		delete(s.timers, d)
		s.mu.Unlock()
		if waiting {
			s.enqueue(d)
		}
	})
	return true
}

// stopRetries requeues deliveries waiting for a retry at once; the worker
// discards them since the subscription is stopping.
func (s *Subscription) stopRetries() {
	s.mu.Lock()
	var due []*delivery
	for d, t := range s.timers {
		t.Stop()
		due = append(due, d)
	}
	clear(s.timers)
	s.mu.Unlock()
	for _, d := range due {
		s.enqueue(d)
	}
}

func (s *Subscription) finish() {
	s.release(1)
	s.bus.donePending()
}

func (s *Subscription) fail(d *delivery, condition string) {
	f := Failure{
		Event:       d.event,
		FunctionARN: s.arn,
		RequestID:   d.requestID,
		Condition:   condition,
		Attempts:    d.attempts,
		Err:         d.err,
		Time:        time.Now(),
	}
	s.bus.failed.Add(1)
	if s.onFailure == nil || !s.callOnFailure(f) {
		s.mu.Lock()
		s.dead = append(s.dead, f)
		s.mu.Unlock()
	}
	s.finish()
}

// callOnFailure runs the destination, reporting false if it panicked, in
// which case the failure is kept in the dead-letter queue instead.
func (s *Subscription) callOnFailure(f Failure) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	s.onFailure(f)
	return true
}
