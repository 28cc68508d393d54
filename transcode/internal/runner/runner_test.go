package runner

import (
	"context"
	"errors"
	"sync"
	"testing"

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
