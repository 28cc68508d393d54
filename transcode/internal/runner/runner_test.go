package runner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/servous/servous/events"
	"github.com/servous/servous/transcode"
)

type statuses struct {
	mu sync.Mutex
	s  []string
}

func (p *statuses) Publish(_ context.Context, e events.Event) error {
	jc, err := events.DecodeJobStateChange(e.Payload)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.s = append(p.s, jc.JobID+" "+string(jc.Status))
	return nil
}

func (p *statuses) all() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.s...)
}

func spec() *transcode.Job {
	return &transcode.Job{
		Input:      transcode.Object{Bucket: "in", Key: "a.mp4"},
		Renditions: []transcode.Rendition{{Name: "-a", Height: 120}},
		Output:     transcode.Destination{Bucket: "out"},
	}
}

// A job waiting for a slot is canceled without an event, as MediaConvert sends none for a
// job that never started; the slot's holder is not disturbed.
func TestCancelWhileWaitingForASlot(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 2)
	work := func(ctx context.Context, j *transcode.Job, progress func(int)) ([]transcode.Output, error) {
		started <- struct{}{}
		select {
		case <-release:
			return []transcode.Output{{Bucket: "out", Key: "a-a.mp4"}}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	pub := &statuses{}
	r := New("test", work, nil, Options{Publisher: pub, Slots: 1})
	t.Cleanup(func() { r.Close() })

	first, err := r.Submit(t.Context(), spec(), nil)
	if err != nil {
		t.Fatal(err)
	}
	<-started
	second, err := r.Submit(t.Context(), spec(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := r.Get(t.Context(), second); st.State != transcode.StateSubmitted {
		t.Errorf("queued job is %s, want SUBMITTED", st.State)
	}
	if err := r.Cancel(t.Context(), second); err != nil {
		t.Fatal(err)
	}
	close(release)
	r.mu.Lock()
	done := r.jobs[first].done
	r.mu.Unlock()
	<-done
	want := []string{first + " PROGRESSING", first + " COMPLETE"}
	if diff := cmp.Diff(want, pub.all()); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if err := r.Cancel(t.Context(), second); !errors.Is(err, transcode.ErrFinished) {
		t.Errorf("second Cancel = %v, want ErrFinished", err)
	}
}

// A job that fails with something other than *Error ends with the internal error code.
func TestUnexpectedErrorIsInternal(t *testing.T) {
	work := func(ctx context.Context, j *transcode.Job, progress func(int)) ([]transcode.Output, error) {
		progress(250) // clamped
		return nil, errors.New("disk full")
	}
	r := New("test", work, nil, Options{})
	t.Cleanup(func() { r.Close() })
	id, err := r.Submit(t.Context(), spec(), nil)
	if err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	done := r.jobs[id].done
	r.mu.Unlock()
	<-done
	st, _ := r.Get(t.Context(), id)
	if st.State != transcode.StateError || st.ErrorCode != transcode.CodeInternal || st.ErrorMessage != "disk full" {
		t.Errorf("status = %+v", st)
	}
}

// clock is a clock a test moves by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func instant(ctx context.Context, j *transcode.Job, progress func(int)) ([]transcode.Output, error) {
	return []transcode.Output{{Bucket: j.Output.Bucket, Key: j.RenditionKey(&j.Renditions[0])}}, nil
}

// A token returns its job for one minute after the Submit that created it, as MediaConvert
// honours a ClientRequestToken; reusing it later starts a new job, which the token then
// returns for the next minute.
func TestTokenWindow(t *testing.T) {
	c := &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	r := New("test", instant, nil, Options{Now: c.Now})
	t.Cleanup(func() { r.Close() })
	submit := func() string {
		t.Helper()
		j := spec()
		j.IdempotencyToken = "upload-1"
		id, err := r.Submit(t.Context(), j, nil)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}

	first := submit()
	steps := []struct {
		advance time.Duration
		newJob  bool
	}{
		{0, false},
		{59*time.Second + 999*time.Millisecond, false}, // 59.999s after the first
		{time.Millisecond, true},                       // 60s: the window has passed
		{30 * time.Second, false},                      // 30s after the second job
		{30 * time.Second, true},                       // 60s after the second job
	}
	ids := map[string]bool{first: true}
	last := first
	for i, s := range steps {
		c.Advance(s.advance)
		id := submit()
		switch {
		case s.newJob && ids[id]:
			t.Errorf("step %d: Submit gave the earlier job %q, want a new job", i, id)
		case !s.newJob && id != last:
			t.Errorf("step %d: Submit gave %q, want the job %q the token returns", i, id, last)
		}
		ids[id] = true
		last = id
	}
	if n := len(ids); n != 3 {
		t.Errorf("%d jobs, want 3", n)
	}
	r.mu.Lock()
	jobs := len(r.jobs)
	r.mu.Unlock()
	if jobs != 3 {
		t.Errorf("runner holds %d jobs, want 3", jobs)
	}
}

// Tokens are forgotten once their window has passed, so a long-running transcoder holds only
// the last minute's.
func TestTokensPruned(t *testing.T) {
	c := &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	r := New("test", instant, nil, Options{Now: c.Now})
	t.Cleanup(func() { r.Close() })
	held := func() (tokens, issued int) {
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.tokens), len(r.issued)
	}
	// One token a second for five minutes: at most a minute's worth is held at any time.
	for i := range 300 {
		j := spec()
		j.IdempotencyToken = fmt.Sprintf("upload-%d", i)
		if _, err := r.Submit(t.Context(), j, nil); err != nil {
			t.Fatal(err)
		}
		if tokens, issued := held(); tokens > 60 || issued > 60 {
			t.Fatalf("after %d submissions a second apart: %d tokens, %d issued; want at most 60", i+1, tokens, issued)
		}
		c.Advance(time.Second)
	}
	// Pruning leaves the last minute's tokens working.
	recent := spec()
	recent.IdempotencyToken = "upload-299"
	a, _ := r.Submit(t.Context(), recent, nil)
	b, _ := r.Submit(t.Context(), recent, nil)
	if a != b {
		t.Errorf("a token of the last minute gave jobs %q and %q", a, b)
	}
	c.Advance(TokenWindow)
	if _, err := r.Submit(t.Context(), spec(), nil); err != nil { // no token: prunes all the same
		t.Fatal(err)
	}
	if tokens, issued := held(); tokens != 0 || issued != 0 {
		t.Errorf("a minute after the last token: %d tokens, %d issued; want none", tokens, issued)
	}
}

// A job that ended is forgotten Retention after its submission, as MediaConvert drops a job
// from its history after 90 days: Get and Cancel then answer ErrNotFound. A job still running
// at that age is kept until it ends.
func TestJobsForgottenAfterRetention(t *testing.T) {
	c := &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	release := make(chan struct{})
	work := func(ctx context.Context, j *transcode.Job, progress func(int)) ([]transcode.Output, error) {
		if j.Metadata["slow"] == "yes" {
			select {
			case <-release:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return instant(ctx, j, progress)
	}
	pub := &statuses{}
	r := New("test", work, nil, Options{Now: c.Now, Publisher: pub})
	t.Cleanup(func() { r.Close() })
	held := func() (jobs, submitted int) {
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.jobs), len(r.submitted)
	}
	wait := func(id string, state transcode.State) {
		t.Helper()
		for {
			st, err := r.Get(t.Context(), id)
			if err != nil {
				t.Fatal(err)
			}
			if st.State == state {
				return
			}
			r.mu.Lock()
			done := r.jobs[id].done
			r.mu.Unlock()
			<-done
		}
	}

	old, err := r.Submit(t.Context(), spec(), nil)
	if err != nil {
		t.Fatal(err)
	}
	wait(old, transcode.StateComplete)
	slowSpec := spec()
	slowSpec.Metadata = map[string]string{"slow": "yes"}
	slow, err := r.Submit(t.Context(), slowSpec, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Advance(Retention - time.Millisecond)
	young, err := r.Submit(t.Context(), spec(), nil)
	if err != nil {
		t.Fatal(err)
	}
	wait(young, transcode.StateComplete)
	if _, err := r.Get(t.Context(), old); err != nil {
		t.Errorf("Get of a job a millisecond short of the retention: %v", err)
	}

	c.Advance(time.Millisecond)
	if _, err := r.Get(t.Context(), old); !errors.Is(err, transcode.ErrNotFound) {
		t.Errorf("Get of a job submitted %v ago = %v, want ErrNotFound", Retention, err)
	}
	if err := r.Cancel(t.Context(), old); !errors.Is(err, transcode.ErrNotFound) {
		t.Errorf("Cancel of a forgotten job = %v, want ErrNotFound", err)
	}
	if st, err := r.Get(t.Context(), slow); err != nil || st.State.Final() {
		t.Errorf("Get of a job still running at the retention = %+v, %v; want it kept", st, err)
	}
	if _, err := r.Get(t.Context(), young); err != nil {
		t.Errorf("Get of a younger job: %v", err)
	}
	if jobs, submitted := held(); jobs != 2 || submitted != 2 {
		t.Errorf("held %d jobs, %d submissions; want 2 and 2", jobs, submitted)
	}

	r.mu.Lock()
	done := r.jobs[slow].done
	r.mu.Unlock()
	close(release)
	<-done
	if _, err := r.Get(t.Context(), slow); !errors.Is(err, transcode.ErrNotFound) {
		t.Errorf("Get of the slow job once ended, past the retention = %v, want ErrNotFound", err)
	}
	c.Advance(Retention)
	if _, err := r.Get(t.Context(), slow); !errors.Is(err, transcode.ErrNotFound) {
		t.Errorf("Get of the slow job once ended and past the retention = %v, want ErrNotFound", err)
	}
	if jobs, submitted := held(); jobs != 0 || submitted != 0 {
		t.Errorf("held %d jobs, %d submissions after every retention passed; want none", jobs, submitted)
	}
}
