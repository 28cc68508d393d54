package memevents

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/servous/servous/events"
	"github.com/servous/servous/runtime"
)

// Errors returned by the bus; returned errors wrap them. Publish's errors
// also wrap events.ErrNotPublished.
var (
	// ErrClosed is returned by Publish and Subscribe after Close.
	ErrClosed = errors.New("memevents: bus closed")
	// ErrQueueFull reports a subscription holding Options.QueueSize
	// deliveries: with Options.NonBlocking at once, otherwise when
	// Publish's context ends while waiting for room.
	ErrQueueFull = errors.New("memevents: subscription queue full")
	// ErrInvalidFilter reports a Filter that cannot be compiled.
	ErrInvalidFilter = errors.New("memevents: invalid filter")
)

// Defaults, as Lambda configures asynchronous invocation.
const (
	DefaultQueueSize   = 10000
	DefaultMaxRetries  = 2
	DefaultBackoff     = time.Minute
	DefaultMaxEventAge = 6 * time.Hour
	DefaultConcurrency = 10
)

// SlowRetry is the shortest retry delay, after TimeScale, that the bus logs
// a warning for: longer than a test should wait, far shorter than Lambda's
// one minute.
const SlowRetry = time.Second

// Conditions under which a delivery is given up, as Lambda names them in
// on-failure destination records.
const (
	RetriesExhausted = "RetriesExhausted"
	EventAgeExceeded = "EventAgeExceeded"
)

// Options configures a Bus. A nil *Options, and zero fields, mean the
// defaults documented on each field.
type Options struct {
	// QueueSize bounds the deliveries each subscription holds: queued,
	// running and waiting to be retried. Default DefaultQueueSize.
	QueueSize int
	// NonBlocking makes Publish fail with ErrQueueFull when a matching
	// subscription is full, instead of waiting for room.
	NonBlocking bool
	// TimeScale multiplies every backoff and maximum event age, so tests run
	// Lambda's minutes in milliseconds: 0.001 turns the one-minute first
	// retry into 60ms. Default 1: a test that leaves it there and has a
	// handler fail waits out Lambda's real backoff.
	TimeScale float64
	// Logger gets a warning each time a retry is scheduled to wait
	// SlowRetry or longer, so that a test waiting out Lambda's real backoff
	// says why it is slow. Default slog.Default().
	Logger *slog.Logger
	// Duplicate, when it returns true for an event, has each matching
	// subscription receive the event twice, as Lambda occasionally invokes a
	// function twice for one event, when the subscription has room for the
	// copy. For tests.
	Duplicate func(e events.Event) bool
	// Reorder permutes a subscription's queued deliveries before its workers
	// take them, by calling swap; (*math/rand.Rand).Shuffle fits. For tests.
	Reorder func(n int, swap func(i, j int))
}

// SubscribeOptions configures one subscription. A nil *SubscribeOptions, and
// zero fields, mean the defaults documented on each field.
type SubscribeOptions struct {
	// Function names the target and sets its timeout; see
	// runtime.LocalOptions.
	Function *runtime.LocalOptions
	// MaxRetries is how often a failed invocation is retried: 0 means
	// DefaultMaxRetries, a negative value none. Lambda allows 0 to 2.
	MaxRetries int
	// Backoff is the delay before the first retry; each further retry waits
	// twice as long. Default DefaultBackoff.
	Backoff time.Duration
	// MaxEventAge is how long after publication an event may still be
	// invoked. Default DefaultMaxEventAge.
	MaxEventAge time.Duration
	// Concurrency bounds the target's simultaneous invocations. Default
	// DefaultConcurrency.
	Concurrency int
	// OnFailure is the on-failure destination. When nil, failures are kept
	// in the subscription's dead-letter queue; see Subscription.DeadLetters.
	OnFailure func(Failure)
}

// Failure is an event a subscription gave up on.
type Failure struct {
	Event events.Event
	// FunctionARN identifies the target; RequestID is the invocations'
	// request id.
	FunctionARN string
	RequestID   string
	// Condition is RetriesExhausted or EventAgeExceeded.
	Condition string
	// Attempts counts the invocations made.
	Attempts int
	// Err is the last invocation's error; nil when the event aged out
	// before its first invocation.
	Err  error
	Time time.Time
}

// Stats counts what a bus has done.
type Stats struct {
	Published   int64 // events accepted by Publish
	Deliveries  int64 // deliveries queued, one per matching subscription, duplicates included
	Invocations int64 // handler invocations, retries included
	Retries     int64 // invocations that were retries
	Succeeded   int64 // deliveries whose handler returned without error
	Failed      int64 // deliveries sent to an on-failure destination
	Discarded   int64 // deliveries dropped by Unsubscribe or Close
	// MaxHeld is the most deliveries one subscription held at once; it never
	// exceeds Options.QueueSize.
	MaxHeld int64
}

// Bus is an in-memory event bus. It implements events.Publisher. Its methods
// are safe for concurrent use.
type Bus struct {
	opts   Options
	ctx    context.Context
	cancel context.CancelFunc
	paused atomic.Bool

	mu     sync.Mutex // serializes changes to subs and closed
	subs   atomic.Pointer[[]*Subscription]
	closed atomic.Bool

	pendMu  sync.Mutex
	pending int
	idle    chan struct{} // closed when pending falls to 0

	published, deliveries, invocations, retries, succeeded, failed, discarded, maxHeld atomic.Int64
}

var _ events.Publisher = (*Bus)(nil)

// New returns a bus. A nil opts means the defaults of Options.
func New(opts *Options) *Bus {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.QueueSize <= 0 {
		o.QueueSize = DefaultQueueSize
	}
	if o.TimeScale <= 0 {
		o.TimeScale = 1
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	b := &Bus{opts: o}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	b.subs.Store(&[]*Subscription{})
	return b
}

func (b *Bus) scale(d time.Duration) time.Duration {
	return time.Duration(float64(d) * b.opts.TimeScale)
}

// Subscribe invokes target for every event f matches, from now on. The error
// wraps ErrInvalidFilter for a bad filter, and ErrClosed after Close.
func (b *Bus) Subscribe(f Filter, target lambda.Handler, opts *SubscribeOptions) (*Subscription, error) {
	if target == nil {
		return nil, errors.New("memevents: subscribe: nil target")
	}
	cf, err := f.compile()
	if err != nil {
		return nil, err
	}
	var o SubscribeOptions
	if opts != nil {
		o = *opts
	}
	switch {
	case o.MaxRetries == 0:
		o.MaxRetries = DefaultMaxRetries
	case o.MaxRetries < 0:
		o.MaxRetries = 0
	case o.MaxRetries > 2:
		return nil, fmt.Errorf("memevents: subscribe: MaxRetries %d: Lambda allows at most 2", o.MaxRetries)
	}
	if o.Backoff <= 0 {
		o.Backoff = DefaultBackoff
	}
	if o.MaxEventAge <= 0 {
		o.MaxEventAge = DefaultMaxEventAge
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	var lo runtime.LocalOptions
	if o.Function != nil {
		lo = *o.Function
	}
	s := &Subscription{
		bus:         b,
		filter:      cf,
		local:       runtime.NewLocal(target, &lo),
		retries:     o.MaxRetries,
		backoff:     o.Backoff,
		maxAge:      o.MaxEventAge,
		concurrency: o.Concurrency,
		onFailure:   o.OnFailure,
		slots:       make(chan struct{}, b.opts.QueueSize),
	}
	s.arn = functionARN(lo)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed.Load() {
		return nil, ErrClosed
	}
	old := *b.subs.Load()
	subs := make([]*Subscription, len(old), len(old)+1)
	copy(subs, old)
	subs = append(subs, s)
	b.subs.Store(&subs)
	return s, nil
}

// functionARN mirrors runtime.LocalOptions' defaults so failures name the
// function as its LambdaContext does.
func functionARN(o runtime.LocalOptions) string {
	if o.FunctionARN != "" {
		return o.FunctionARN
	}
	name := o.FunctionName
	if name == "" {
		name = lambdacontext.FunctionName
	}
	if name == "" {
		name = "function"
	}
	region := o.Region
	if region == "" {
		region = "us-east-1"
	}
	return "arn:aws:lambda:" + region + ":000000000000:function:" + name
}

// Publish queues e for every subscription whose filter matches it and
// returns; handlers run asynchronously. Publish waits for room in full
// subscriptions (see Options.NonBlocking); if ctx ends first, no subscription
// receives e and the error wraps ErrQueueFull. The bus keeps e: do not modify
// its Payload afterwards. Every error wraps events.ErrNotPublished. It also
// wraps ctx's error when ctx has ended before the call, and events.ErrInvalid
// for an event AWS would not deliver: one without Source, Type or Payload, a
// payload that is not a JSON object, and an EventBridge event whose detail
// is not an object or whose PutEvents entry exceeds 256 KB.
func (b *Bus) Publish(ctx context.Context, e events.Event) error {
	if b.closed.Load() {
		return fmt.Errorf("memevents: publish: %w: %w", events.ErrNotPublished, ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memevents: publish: %w: %w", events.ErrNotPublished, context.Cause(ctx))
	}
	if err := validate(e); err != nil {
		return fmt.Errorf("memevents: publish: %w: %w", events.ErrNotPublished, err)
	}
	var (
		detail  map[string]any
		decoded bool
	)
	getDetail := func() map[string]any {
		if !decoded {
			detail, decoded = decodeDetail(e.Payload), true
		}
		return detail
	}
	var buf [8]*Subscription
	matched := buf[:0]
	for _, s := range *b.subs.Load() {
		if s.filter.match(&e, getDetail) {
			matched = append(matched, s)
		}
	}
	if len(matched) == 0 {
		b.published.Add(1)
		return nil
	}
	// Reserve room everywhere first, so an event is delivered to all its
	// subscriptions or to none.
	for i, s := range matched {
		if err := s.acquire(ctx); err != nil {
			for _, r := range matched[:i] {
				r.release(1)
			}
			return err
		}
	}
	// A duplicate only takes room that is free: waiting for it could wait
	// on the original, which is not queued yet.
	var dups []bool
	n := len(matched)
	if b.opts.Duplicate != nil && b.opts.Duplicate(e) {
		dups = make([]bool, len(matched))
		for i, s := range matched {
			if s.tryAcquire() {
				dups[i] = true
				n++
			}
		}
	}
	b.published.Add(1)
	now := time.Now()
	b.addPending(n)
	b.deliveries.Add(int64(n))
	for i, s := range matched {
		s.enqueue(&delivery{event: e, requestID: runtime.NewRequestID(), published: now})
		if dups != nil && dups[i] {
			s.enqueue(&delivery{event: e, requestID: runtime.NewRequestID(), published: now})
		}
	}
	return nil
}

// Wait returns when no delivery is in flight: every published event has been
// handled or sent to its on-failure destination, retries included. It
// returns ctx's error if ctx ends first. While the bus is paused, queued
// deliveries keep Wait waiting.
func (b *Bus) Wait(ctx context.Context) error {
	for {
		b.pendMu.Lock()
		if b.pending == 0 {
			b.pendMu.Unlock()
			return nil
		}
		idle := b.idle
		b.pendMu.Unlock()
		select {
		case <-idle:
		case <-ctx.Done():
			return fmt.Errorf("memevents: wait: %w", context.Cause(ctx))
		}
	}
}

func (b *Bus) addPending(n int) {
	b.pendMu.Lock()
	if b.pending == 0 {
		b.idle = make(chan struct{})
	}
	b.pending += n
	b.pendMu.Unlock()
}

func (b *Bus) donePending() {
	b.pendMu.Lock()
	b.pending--
	if b.pending == 0 {
		close(b.idle)
	}
	b.pendMu.Unlock()
}

// Pause stops workers from starting deliveries; running ones finish.
// Published events queue up until Resume. For tests, with Options.Reorder.
func (b *Bus) Pause() { b.paused.Store(true) }

// Resume restarts delivery after Pause.
func (b *Bus) Resume() {
	b.paused.Store(false)
	for _, s := range *b.subs.Load() {
		s.startWorkers()
	}
}

// Stats returns the bus's counters.
func (b *Bus) Stats() Stats {
	return Stats{
		Published:   b.published.Load(),
		Deliveries:  b.deliveries.Load(),
		Invocations: b.invocations.Load(),
		Retries:     b.retries.Load(),
		Succeeded:   b.succeeded.Load(),
		Failed:      b.failed.Load(),
		Discarded:   b.discarded.Load(),
		MaxHeld:     b.maxHeld.Load(),
	}
}

// Close stops the bus: Publish and Subscribe fail with ErrClosed, running
// handlers' contexts are canceled, and deliveries not yet made are discarded.
// Call Wait first to let them finish.
func (b *Bus) Close() error {
	b.mu.Lock()
	b.closed.Store(true)
	b.mu.Unlock()
	b.cancel()
	for _, s := range *b.subs.Load() {
		s.abandonAll()
		s.stopRetries()
		s.startWorkers() // let paused subscriptions discard their queues
	}
	return nil
}
