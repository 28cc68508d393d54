package memtranscode

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/servous/servous/events"
	"github.com/servous/servous/storage"
	"github.com/servous/servous/transcode"
	"github.com/servous/servous/transcode/internal/jobevent"
	"github.com/servous/servous/transcode/internal/media"
)

// Options configures a Transcoder. A nil *Options means no events, no latency and no injected
// failures, in region us-east-1 of account 111122223333.
type Options struct {
	// Publisher receives the job state change events; nil publishes nothing.
	Publisher events.Publisher
	// Region and Account fill the events' envelopes and ARNs.
	Region  string
	Account string
	// Latency is how long a job spends PROGRESSING after reading its input.
	Latency time.Duration
	// Fail, when not nil, is asked once per job, after its input was read: fail true ends
	// the job in ERROR with code and msg.
	Fail func(job *transcode.Job) (code int, msg string, fail bool)
	// FailureRate, from 0 to 1, fails that share of jobs (with code 1999) when Fail is nil,
	// drawn in submission order from a generator seeded with Seed.
	FailureRate float64
	Seed        uint64
}

// Transcoder runs simulated jobs in goroutines. It is safe for concurrent use; Close stops
// the jobs still running.
type Transcoder struct {
	buckets map[string]storage.Bucket
	opts    Options
	queue   string
	seq     atomic.Int64

	mu     sync.Mutex
	jobs   map[string]*job
	tokens map[string]string
	rng    *rand.Rand
	closed bool
	wg     sync.WaitGroup
}

type job struct {
	spec   transcode.Job
	status transcode.Status
	fail   bool // drawn at submission
	cancel context.CancelFunc
	done   chan struct{}
}

var _ transcode.Transcoder = (*Transcoder)(nil)

// New returns a Transcoder that reads inputs from and writes outputs to buckets, keyed by
// bucket name as jobs name them.
func New(buckets map[string]storage.Bucket, opts *Options) *Transcoder {
	t := &Transcoder{buckets: buckets, jobs: map[string]*job{}, tokens: map[string]string{}}
	if opts != nil {
		t.opts = *opts
	}
	if t.opts.Region == "" {
		t.opts.Region = "us-east-1"
	}
	if t.opts.Account == "" {
		t.opts.Account = "111122223333"
	}
	t.queue = fmt.Sprintf("arn:aws:mediaconvert:%s:%s:queues/Default", t.opts.Region, t.opts.Account)
	t.rng = rand.New(rand.NewPCG(t.opts.Seed, 0x6d656d7472616e73))
	return t
}

// ErrClosed is returned by Submit after Close.
var ErrClosed = errors.New("memtranscode: transcoder closed")

// Close cancels the jobs still running and waits for them to stop.
func (t *Transcoder) Close() error {
	t.mu.Lock()
	t.closed = true
	for _, j := range t.jobs {
		if j.cancel != nil {
			j.cancel()
		}
	}
	t.mu.Unlock()
	t.wg.Wait()
	return nil
}

// Submit starts the job. It implements transcode.Transcoder.
func (t *Transcoder) Submit(ctx context.Context, spec *transcode.Job) (string, error) {
	if err := spec.Validate(); err != nil {
		return "", fmt.Errorf("memtranscode: submit: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("memtranscode: submit: %w", err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return "", ErrClosed
	}
	if spec.IdempotencyToken != "" {
		if id, ok := t.tokens[spec.IdempotencyToken]; ok {
			return id, nil
		}
	}
	id := t.newID()
	j := &job{spec: clone(spec), done: make(chan struct{})}
	j.status = transcode.Status{ID: id, State: transcode.StateSubmitted, Percent: -1, Metadata: j.spec.Metadata}
	if t.opts.Fail == nil && t.opts.FailureRate > 0 {
		j.fail = t.rng.Float64() < t.opts.FailureRate
	}
	runCtx, cancel := context.WithCancel(context.Background())
	j.cancel = cancel
	t.jobs[id] = j
	if spec.IdempotencyToken != "" {
		t.tokens[spec.IdempotencyToken] = id
	}
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		defer close(j.done)
		defer cancel()
		t.run(runCtx, j)
	}()
	return id, nil
}

// newID returns an id shaped like MediaConvert's: milliseconds, a dash, six characters.
func (t *Transcoder) newID() string {
	n := t.seq.Add(1)
	return fmt.Sprintf("%d-%06s", time.Now().UnixMilli(), strconv.FormatInt(n, 36))
}

// Get returns the job's status. It implements transcode.Transcoder.
func (t *Transcoder) Get(ctx context.Context, id string) (*transcode.Status, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	j, ok := t.jobs[id]
	if !ok {
		return nil, fmt.Errorf("memtranscode: get %q: %w", id, transcode.ErrNotFound)
	}
	st := j.status
	st.Outputs = append([]transcode.Output(nil), st.Outputs...)
	st.Metadata = maps.Clone(st.Metadata)
	return &st, nil
}

// Cancel cancels the job and waits until it has stopped and removed anything it wrote. It
// implements transcode.Transcoder.
func (t *Transcoder) Cancel(ctx context.Context, id string) error {
	t.mu.Lock()
	j, ok := t.jobs[id]
	if !ok {
		t.mu.Unlock()
		return fmt.Errorf("memtranscode: cancel %q: %w", id, transcode.ErrNotFound)
	}
	if j.status.State.Final() {
		state := j.status.State
		t.mu.Unlock()
		return fmt.Errorf("memtranscode: cancel %q: job is %s: %w", id, state, transcode.ErrFinished)
	}
	j.status.State = transcode.StateCanceled
	j.status.Percent = -1
	j.cancel()
	t.mu.Unlock()
	select {
	case <-j.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("memtranscode: cancel %q: waiting for the job to stop: %w", id, ctx.Err())
	}
}

// update applies f to the job's status unless the job was canceled; it reports whether it did.
func (t *Transcoder) update(j *job, f func(st *transcode.Status)) (transcode.Status, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if j.status.State == transcode.StateCanceled {
		return j.status, false
	}
	f(&j.status)
	return j.status, true
}

func (t *Transcoder) publish(st transcode.Status) {
	if t.opts.Publisher == nil {
		return
	}
	e, err := events.NewJobStateChange(jobevent.Event(&st, t.opts.Region, t.opts.Account, t.queue, time.Now()))
	if err != nil {
		return // only a job without id or state fails to encode, and every job has both
	}
	// The job is over or moving on either way; a bus that refuses the event has closed.
	_ = t.opts.Publisher.Publish(context.Background(), e)
}

// run carries a job from SUBMITTED to its final state. It alone publishes the job's events,
// so they leave in order.
func (t *Transcoder) run(ctx context.Context, j *job) {
	st, ok := t.update(j, func(st *transcode.Status) {
		st.State = transcode.StateProgressing
		st.Percent = 0
	})
	if !ok {
		return // canceled before it started: MediaConvert sends no event then
	}
	t.publish(st)
	canceled := func() {
		t.mu.Lock()
		st := j.status
		t.mu.Unlock()
		t.publish(st)
	}
	fail := func(code int, msg string) {
		st, ok := t.update(j, func(st *transcode.Status) {
			st.State, st.Percent, st.ErrorCode, st.ErrorMessage = transcode.StateError, -1, code, msg
		})
		if ok {
			t.publish(st)
		} else {
			canceled()
		}
	}

	in, etag, err := t.probe(ctx, &j.spec.Input)
	if ctx.Err() != nil {
		canceled()
		return
	}
	if err != nil {
		code := transcode.CodeInternal
		if e, ok := media.IsProbeError(err); ok {
			code = e.Code
		}
		fail(code, fmt.Sprintf("Unable to open input file [%s]: [Failed probe/open: [%v]]", jobevent.S3URL(j.spec.Input.Bucket, j.spec.Input.Key), err))
		return
	}
	t.update(j, func(st *transcode.Status) { st.Percent = 25 })

	if t.opts.Latency > 0 {
		timer := time.NewTimer(t.opts.Latency)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			canceled()
			return
		}
	}
	if t.opts.Fail != nil {
		if code, msg, f := t.opts.Fail(&j.spec); f {
			fail(code, msg)
			return
		}
	} else if j.fail {
		fail(transcode.CodeInternal, "memtranscode: injected failure")
		return
	}
	t.update(j, func(st *transcode.Status) { st.Percent = 75 })

	outputs, err := t.write(ctx, &j.spec, in, etag)
	if ctx.Err() != nil {
		canceled()
		return
	}
	if err != nil {
		fail(transcode.CodeOutputWrite, err.Error())
		return
	}
	st, ok = t.update(j, func(st *transcode.Status) {
		st.State, st.Percent, st.Outputs = transcode.StateComplete, -1, outputs
	})
	if !ok {
		t.remove(&j.spec, outputs)
		canceled()
		return
	}
	t.publish(st)
}

func (t *Transcoder) probe(ctx context.Context, in *transcode.Object) (media.Info, string, error) {
	b, ok := t.buckets[in.Bucket]
	if !ok {
		return media.Info{}, "", &media.Error{Code: transcode.CodeInputAccess, Msg: "NoSuchBucket: no bucket " + strconv.Quote(in.Bucket)}
	}
	obj, err := b.Get(ctx, in.Key, nil)
	if errors.Is(err, storage.ErrNotFound) {
		return media.Info{}, "", &media.Error{Code: transcode.CodeInputAccess, Msg: "NoSuchKey: the input object does not exist"}
	}
	if err != nil {
		return media.Info{}, "", err
	}
	defer obj.Close()
	info, err := media.Probe(obj)
	return info, obj.Info.ETag, err
}

// write puts every output, or none: on an error it deletes what it wrote.
func (t *Transcoder) write(ctx context.Context, spec *transcode.Job, in media.Info, etag string) ([]transcode.Output, error) {
	b, ok := t.buckets[spec.Output.Bucket]
	if !ok {
		return nil, fmt.Errorf("Unable to write to output file [s3://%s/]: [NoSuchBucket]", spec.Output.Bucket)
	}
	var outs []transcode.Output
	put := func(key, ctype string, data []byte, w, h int, d time.Duration) error {
		info, err := storage.PutBytes(ctx, b, key, data, &storage.PutOptions{ContentType: ctype})
		if err != nil {
			t.remove(spec, outs)
			return fmt.Errorf("Unable to write to output file [%s]: [%v]", jobevent.S3URL(spec.Output.Bucket, key), err)
		}
		outs = append(outs, transcode.Output{Bucket: spec.Output.Bucket, Key: key, Width: w, Height: h, Duration: d, Size: info.Size})
		return nil
	}
	src := jobevent.S3URL(spec.Input.Bucket, spec.Input.Key)
	for i := range spec.Renditions {
		r := &spec.Renditions[i]
		w, h := transcode.OutputSize(in.Width, in.Height, r.Width, r.Height, r.NoUpscale)
		q, br := r.Mode()
		desc := fmt.Sprintf("memtranscode rendition\ninput: %s\ninput etag: %s\ninput: %dx%d %s %s\nrendition: %s\nsize: %dx%d\nquality: %d\nbitrate: %d\ncodecs: H.264, AAC\n",
			src, etag, in.Width, in.Height, in.Container, in.Duration, r.Name, w, h, q, br)
		if err := put(spec.RenditionKey(r), "video/mp4", media.MP4(w, h, in.Duration, desc), w, h, in.Duration); err != nil {
			return nil, err
		}
	}
	if th := spec.Thumbnail; th != nil {
		w, h := transcode.OutputSize(in.Width, in.Height, th.Width, th.Height, false)
		desc := fmt.Sprintf("memtranscode thumbnail of %s (etag %s), first frame, %dx%d", src, etag, w, h)
		if err := put(spec.ThumbnailKey(), "image/jpeg", media.JPEG(w, h, th.JPEGQuality(), desc), w, h, 0); err != nil {
			return nil, err
		}
	}
	return outs, nil
}

// remove deletes outputs a job wrote but will not report.
func (t *Transcoder) remove(spec *transcode.Job, outs []transcode.Output) {
	b := t.buckets[spec.Output.Bucket]
	for _, o := range outs {
		b.Delete(context.Background(), o.Key)
	}
}

func clone(j *transcode.Job) transcode.Job {
	c := *j
	c.Renditions = append([]transcode.Rendition(nil), j.Renditions...)
	if j.Thumbnail != nil {
		th := *j.Thumbnail
		c.Thumbnail = &th
	}
	c.Metadata = maps.Clone(j.Metadata)
	return c
}
