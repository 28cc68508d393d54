// Package memevents provides an in-memory event bus that invokes Lambda
// handlers with Lambda's asynchronous delivery semantics.
//
// A [Bus] implements events.Publisher. Subscribe a target, any
// aws-lambda-go lambda.Handler (one built with lambda.NewHandler or with
// package runtime), to the events a [Filter] selects; the bus invokes it
// in-process as runtime.Local does, with a lambdacontext carrying a request
// id, the function's ARN and a deadline, so a handler cannot tell the bus
// from S3 or EventBridge invoking it in AWS.
//
// # Delivery
//
// Delivery is asynchronous and at least once, as Lambda invokes a function
// for an S3 notification or an EventBridge rule:
//
//   - Publish returns once the event is queued for every matching
//     subscription; handlers run later, on the subscription's workers, at most
//     SubscribeOptions.Concurrency at a time.
//   - A handler that returns an error, panics or times out is retried, by
//     default twice, after a backoff that doubles (one minute, then two, as
//     Lambda does). Options.TimeScale shrinks every delay for tests.
//   - Each worker runs its handler on its own goroutine through a
//     runtime.Worker, so a delivery costs no goroutine of its own. A handler
//     still running at its deadline is given up on, as Lambda gives up on a
//     function that timed out: its delivery is retried or sent to the
//     on-failure destination, and another worker takes its place, while
//     the handler's goroutine is left to finish on its own.
//   - An event older than the maximum event age (default six hours) is not
//     invoked again.
//   - An event that exhausts its retries or its age goes to the
//     subscription's on-failure destination, with the last error: the
//     function in SubscribeOptions.OnFailure, or the dead-letter queue read
//     with [Subscription.DeadLetters]. No event is dropped silently.
//   - Retries of one event keep its request id, as Lambda's do.
//
// # Testing
//
// Lambda waits one minute before the first retry and two before the
// second, and so does the bus by default: a test whose handler fails once
// would wait a minute. Tests scale every delay down:
//
//	bus := memevents.New(&memevents.Options{TimeScale: 0.001}) // a minute of backoff takes 60ms
//
// A retry still scheduled to wait [SlowRetry] or longer is logged as a
// warning (Options.Logger, slog.Default() unless set), so a test that waits
// out Lambda's real backoff says why it is slow.
//
// [Bus.Wait] returns when every delivery in flight has finished, retries
// included, so tests wait on the bus rather than sleep. Options.Duplicate
// delivers chosen events twice and Options.Reorder shuffles queued
// deliveries; with [Bus.Pause] and [Bus.Resume] a test queues a batch and
// releases it in another order. Handlers must therefore be idempotent and
// order-tolerant, as they must be in AWS.
//
// # Memory
//
// Each subscription holds at most Options.QueueSize deliveries (queued,
// running or waiting to be retried); memory stays bounded however many
// events are published. When a subscription is full, Publish waits for room
// (back-pressure) until its context ends, or, with Options.NonBlocking,
// fails at once; both errors wrap [ErrQueueFull]. Back-pressure is the
// default because a bus that accepted an event must deliver it: dropping or
// evicting queued events would break at-least-once, and an unbounded queue
// only moves the failure to the out-of-memory killer. A slow consumer thus
// slows its producers, as Lambda's throttling does. Failed events wait in the
// dead-letter queue until DeadLetters takes them; a long run with failing
// handlers should read it or set SubscribeOptions.OnFailure.
package memevents
