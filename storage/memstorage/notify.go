package memstorage

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/servous/servous/events"
	"github.com/servous/servous/storage"
)

// Publisher receives the bucket's event notifications; events.Publisher, such as a memevents
// bus, is one.
type Publisher = events.Publisher

const (
	eventPut       = events.ObjectCreatedPut
	eventPost      = events.ObjectCreatedPost
	eventCopy      = events.ObjectCreatedCopy
	eventMultipart = events.ObjectCreatedCompleteMultipartUpload
	eventDelete    = events.ObjectRemovedDelete
)

// pending is a change waiting to be published.
type pending struct {
	name      string
	key       string
	size      int64
	etag      string
	sequencer uint64
	time      time.Time
	principal string
}

// notifier publishes events in the order they were queued, from one goroutine that runs only
// while there is something to publish, so a writer never waits for a subscriber.
type notifier struct {
	pub     Publisher
	onError func(error)
	mu      sync.Mutex
	queue   []pending
	running bool
	idle    chan struct{} // closed when the queue drains; replaced when it fills again
}

func newNotifier(pub Publisher, onError func(error)) *notifier {
	idle := make(chan struct{})
	close(idle)
	return &notifier{pub: pub, onError: onError, idle: idle}
}

func (n *notifier) enqueue(p pending, bucket, region string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.queue = append(n.queue, p)
	if !n.running {
		n.running = true
		n.idle = make(chan struct{})
		go n.run(bucket, region)
	}
}

func (n *notifier) run(bucket, region string) {
	for {
		n.mu.Lock()
		if len(n.queue) == 0 {
			n.running = false
			close(n.idle)
			n.mu.Unlock()
			return
		}
		p := n.queue[0]
		n.queue[0] = pending{}
		n.queue = n.queue[1:]
		n.mu.Unlock()

		o := events.ObjectEvent{
			Name:      p.name,
			Bucket:    bucket,
			Key:       p.key,
			Size:      p.size,
			ETag:      trimQuotes(p.etag),
			Sequencer: fmt.Sprintf("%016X", p.sequencer),
			Time:      p.time,
			Region:    region,
			Principal: p.principal,
			RequestID: fmt.Sprintf("%016X", rand.Uint64()),
		}
		e, err := events.NewObjectEvent(o)
		if err == nil {
			err = n.pub.Publish(context.Background(), e)
		}
		if err != nil && n.onError != nil {
			n.onError(fmt.Errorf("memstorage: publish %s %q: %w", p.name, p.key, err))
		}
	}
}

// flush waits until every queued event has been handed to the publisher.
func (n *notifier) flush(ctx context.Context) error {
	n.mu.Lock()
	idle := n.idle
	n.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func trimQuotes(etag string) string {
	if len(etag) >= 2 && etag[0] == '"' && etag[len(etag)-1] == '"' {
		return etag[1 : len(etag)-1]
	}
	return etag
}

// notify queues the event of a change; the caller holds b.mu so events queue in sequencer order.
func (b *Bucket) notify(name string, info *storage.ObjectInfo, seq uint64, principal string) {
	if b.pub == nil {
		return
	}
	b.pub.enqueue(pending{
		name: name, key: info.Key, size: info.Size, etag: info.ETag, sequencer: seq,
		time: b.opts.Now().UTC(), principal: principal,
	}, b.name, b.opts.Region)
}

// Flush waits until the events of every change so far have been handed to Options.Publisher,
// or ctx ends. Publishing itself is asynchronous, as S3's notifications are; Flush lets a test
// or a shutdown wait for it.
func (b *Bucket) Flush(ctx context.Context) error {
	if b.pub == nil {
		return nil
	}
	return b.pub.flush(ctx)
}
