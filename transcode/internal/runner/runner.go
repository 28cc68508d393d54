// Package runner keeps the jobs of an in-process transcoder: ids, idempotency tokens (honoured
// for TokenWindow, as MediaConvert honours a ClientRequestToken), states,
// a bound on jobs running at once, cancellation, and the job state change events, in the
// order MediaConvert sends them. memtranscode and ffmpeg differ only in the work a job does.
//
// The job table is bounded as MediaConvert's job history is: a job that ended is forgotten
// Retention after its submission, and Get and Cancel then answer transcode.ErrNotFound.
package runner

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/servous/servous/events"
	"github.com/servous/servous/transcode"
	"github.com/servous/servous/transcode/internal/jobevent"
)

// Work does one job. It reports progress (0–100) as it goes and returns the outputs it wrote,
// an *Error for a job that fails, or ctx's error when canceled. It writes outputs only once
// nothing can fail but the writes, and removes what it wrote if a write fails.
type Work func(ctx context.Context, job *transcode.Job, progress func(percent int)) ([]transcode.Output, error)

// Remove deletes outputs a job wrote but that will not be reported, because the job was
// canceled as it completed.
type Remove func(job *transcode.Job, outputs []transcode.Output)

// Error ends a job in ERROR.
type Error struct {
	Code    int
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("error %d: %s", e.Code, e.Message) }

// Options configures a Runner.
type Options struct {
	Publisher events.Publisher
	Region    string
	Account   string
	// Slots bounds the jobs working at once; 0 means no bound.
	Slots int
	// Now is the clock for job ids, event times and the idempotency token window; nil means
	// time.Now.
	Now func() time.Time
}

// TokenWindow is how long after a successful Submit its idempotency token returns the same
// job; MediaConvert honours a reused ClientRequestToken for one minute, then creates a new
// job.
const TokenWindow = time.Minute

// Retention is how long after its submission a job stays known, as MediaConvert keeps a job
// in its history for 90 days. A job that has not ended by then is kept until it does.
const Retention = 90 * 24 * time.Hour

// ErrClosed is returned by Submit after Close.
var ErrClosed = errors.New("transcoder closed")

// Runner is the job table. Its methods implement transcode.Transcoder, with errors prefixed
// by name.
type Runner struct {
	name   string
	work   Work
	remove Remove
	opts   Options
	queue  string
	slots  chan struct{}
	seq    atomic.Int64

	mu     sync.Mutex
	jobs   map[string]*job
	tokens map[string]tokenUse
	// issued holds the tokens in the order they were given out, so expired ones are pruned
	// from the front without scanning the map.
	issued []tokenUse
	// submitted holds the jobs in the order they were submitted, for the same reason.
	submitted []jobUse
	closed    bool
	wg        sync.WaitGroup
}

// tokenUse is a token's job and when the Submit that created the job succeeded.
type tokenUse struct {
	token, id string
	at        time.Time
}

// jobUse is a job's id and when it was submitted.
type jobUse struct {
	id string
	at time.Time
}

type job struct {
	spec   transcode.Job
	status transcode.Status
	cancel context.CancelFunc
	done   chan struct{}
}

// New returns a Runner.
func New(name string, work Work, remove Remove, opts Options) *Runner {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Account == "" {
		opts.Account = "111122223333"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	r := &Runner{name: name, work: work, remove: remove, opts: opts, jobs: map[string]*job{}, tokens: map[string]tokenUse{}}
	r.queue = fmt.Sprintf("arn:aws:mediaconvert:%s:%s:queues/Default", opts.Region, opts.Account)
	if opts.Slots > 0 {
		r.slots = make(chan struct{}, opts.Slots)
	}
	return r
}

// Close cancels the jobs not yet ended and waits for them to stop.
func (r *Runner) Close() error {
	r.mu.Lock()
	r.closed = true
	for _, j := range r.jobs {
		j.cancel()
	}
	r.mu.Unlock()
	r.wg.Wait()
	return nil
}

// Submit validates spec and starts it; admit, when not nil, is called under the job table's
// lock with the job's copy and may refuse it.
func (r *Runner) Submit(ctx context.Context, spec *transcode.Job, admit func(*transcode.Job)) (string, error) {
	if err := spec.Validate(); err != nil {
		return "", fmt.Errorf("%s: submit: %w", r.name, err)
	}
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("%s: submit: %w", r.name, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return "", fmt.Errorf("%s: submit: %w", r.name, ErrClosed)
	}
	now := r.opts.Now()
	r.pruneTokens(now)
	r.pruneJobs(now)
	if spec.IdempotencyToken != "" {
		if u, ok := r.tokens[spec.IdempotencyToken]; ok && now.Sub(u.at) < TokenWindow {
			return u.id, nil
		}
	}
	id := fmt.Sprintf("%d-%06s", now.UnixMilli(), strconv.FormatInt(r.seq.Add(1), 36))
	j := &job{spec: clone(spec), done: make(chan struct{})}
	j.status = transcode.Status{ID: id, State: transcode.StateSubmitted, Percent: -1, Metadata: j.spec.Metadata}
	if admit != nil {
		admit(&j.spec)
	}
	ctx, cancel := context.WithCancel(context.Background())
	j.cancel = cancel
	r.jobs[id] = j
	r.submitted = append(r.submitted, jobUse{id: id, at: now})
	if spec.IdempotencyToken != "" {
		u := tokenUse{token: spec.IdempotencyToken, id: id, at: now}
		r.tokens[u.token] = u
		r.issued = append(r.issued, u)
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer close(j.done)
		defer cancel()
		r.run(ctx, j)
	}()
	return id, nil
}

// pruneTokens forgets the tokens whose window has passed at now, so the table of tokens holds
// only the last TokenWindow's. r.mu must be held.
func (r *Runner) pruneTokens(now time.Time) {
	for len(r.issued) > 0 && now.Sub(r.issued[0].at) >= TokenWindow {
		u := r.issued[0]
		// After a clock that went back, the token may map to a later use; that one stays.
		if r.tokens[u.token].id == u.id {
			delete(r.tokens, u.token)
		}
		r.issued[0] = tokenUse{} // let the strings go before append moves the slice
		r.issued = r.issued[1:]
	}
	if len(r.issued) == 0 {
		r.issued = nil
	}
}

// pruneJobs forgets the jobs that ended and were submitted Retention or more before now. A
// job still running at that age stays, and is looked at again on the next prune. r.mu must be
// held.
func (r *Runner) pruneJobs(now time.Time) {
	var running []jobUse
	n := 0
	for _, u := range r.submitted {
		if now.Sub(u.at) < Retention {
			break
		}
		n++
		if j, ok := r.jobs[u.id]; ok && !j.status.State.Final() {
			running = append(running, u)
			continue
		}
		delete(r.jobs, u.id)
	}
	if n == 0 {
		return
	}
	clear(r.submitted[:n]) // let the ids go before append moves the slice
	if running != nil {
		r.submitted = append(running, r.submitted[n:]...)
	} else {
		r.submitted = r.submitted[n:]
	}
	if len(r.submitted) == 0 {
		r.submitted = nil
	}
}

// Get returns a copy of the job's status.
func (r *Runner) Get(ctx context.Context, id string) (*transcode.Status, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pruneJobs(r.opts.Now())
	j, ok := r.jobs[id]
	if !ok {
		return nil, fmt.Errorf("%s: get %q: %w", r.name, id, transcode.ErrNotFound)
	}
	st := j.status
	st.Outputs = append([]transcode.Output(nil), st.Outputs...)
	st.Metadata = maps.Clone(st.Metadata)
	return &st, nil
}

// Cancel cancels the job and waits until its work has stopped and its files are gone.
func (r *Runner) Cancel(ctx context.Context, id string) error {
	r.mu.Lock()
	r.pruneJobs(r.opts.Now())
	j, ok := r.jobs[id]
	if !ok {
		r.mu.Unlock()
		return fmt.Errorf("%s: cancel %q: %w", r.name, id, transcode.ErrNotFound)
	}
	if j.status.State.Final() {
		state := j.status.State
		r.mu.Unlock()
		return fmt.Errorf("%s: cancel %q: job is %s: %w", r.name, id, state, transcode.ErrFinished)
	}
	j.status.State = transcode.StateCanceled
	j.status.Percent = -1
	j.cancel()
	r.mu.Unlock()
	select {
	case <-j.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: cancel %q: waiting for the job to stop: %w", r.name, id, ctx.Err())
	}
}

// update applies f to the job's status unless the job was canceled; it reports whether it did.
func (r *Runner) update(j *job, f func(st *transcode.Status)) (transcode.Status, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if j.status.State == transcode.StateCanceled {
		return j.status, false
	}
	f(&j.status)
	return j.status, true
}

func (r *Runner) publish(st transcode.Status) {
	if r.opts.Publisher == nil {
		return
	}
	e, err := events.NewJobStateChange(jobevent.Event(&st, r.opts.Region, r.opts.Account, r.queue, r.opts.Now()))
	if err != nil {
		return // only a job without id or state fails to encode, and every job has both
	}
	// The job moves on either way; a bus that refuses an event has been closed.
	_ = r.opts.Publisher.Publish(context.Background(), e)
}

// run carries a job from SUBMITTED to its final state. It alone publishes the job's events,
// so they leave in order.
func (r *Runner) run(ctx context.Context, j *job) {
	if r.slots != nil {
		select {
		case r.slots <- struct{}{}:
			defer func() { <-r.slots }()
		case <-ctx.Done():
			return // canceled while waiting: MediaConvert sends no event for a job never started
		}
	}
	st, ok := r.update(j, func(st *transcode.Status) {
		st.State = transcode.StateProgressing
		st.Percent = 0
	})
	if !ok {
		return
	}
	r.publish(st)

	progress := func(p int) {
		r.update(j, func(st *transcode.Status) { st.Percent = min(max(p, 0), 100) })
	}
	outputs, err := r.work(ctx, &j.spec, progress)
	if ctx.Err() != nil {
		if err == nil && r.remove != nil {
			r.remove(&j.spec, outputs)
		}
		// Canceled by Cancel, or by Close, which leaves the state to set here.
		r.mu.Lock()
		if !j.status.State.Final() {
			j.status.State, j.status.Percent = transcode.StateCanceled, -1
		}
		r.mu.Unlock()
		r.publishCurrent(j)
		return
	}
	if err != nil {
		var je *Error
		if !errors.As(err, &je) {
			je = &Error{Code: transcode.CodeInternal, Message: err.Error()}
		}
		st, ok = r.update(j, func(st *transcode.Status) {
			st.State, st.Percent, st.ErrorCode, st.ErrorMessage = transcode.StateError, -1, je.Code, je.Message
		})
	} else {
		st, ok = r.update(j, func(st *transcode.Status) {
			st.State, st.Percent, st.Outputs = transcode.StateComplete, -1, outputs
		})
		if !ok && r.remove != nil {
			r.remove(&j.spec, outputs)
		}
	}
	if ok {
		r.publish(st)
	} else {
		r.publishCurrent(j)
	}
}

func (r *Runner) publishCurrent(j *job) {
	r.mu.Lock()
	st := j.status
	r.mu.Unlock()
	r.publish(st)
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
