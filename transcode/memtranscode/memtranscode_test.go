package memtranscode_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/servous/servous/events"
	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/memstorage"
	"github.com/servous/servous/transcode"
	"github.com/servous/servous/transcode/memtranscode"
	"github.com/servous/servous/transcode/transcodetest"
)

func newBucket(t *testing.T) storage.Bucket {
	return memstorage.New("bucket", nil)
}

func TestConformance(t *testing.T) {
	transcodetest.RunTranscoderTests(t, func(t *testing.T) transcodetest.Target {
		return transcodetest.Target{
			NewBucket: newBucket,
			NewTranscoder: func(t *testing.T, env transcodetest.Env) transcode.Transcoder {
				tr := memtranscode.New(env.Buckets, &memtranscode.Options{Publisher: env.Publisher})
				t.Cleanup(func() { tr.Close() })
				return tr
			},
		}
	})
}

// waiter is an events.Publisher tests wait on.
type waiter struct{ ch chan events.Event }

func (w waiter) Publish(_ context.Context, e events.Event) error {
	w.ch <- e
	return nil
}

// final waits for the next final event.
func (w waiter) final(t *testing.T) *transcode.Status {
	t.Helper()
	for {
		select {
		case e := <-w.ch:
			jc, err := events.DecodeJobStateChange(e.Payload)
			if err != nil {
				t.Fatal(err)
			}
			if s := transcode.State(jc.Status); s.Final() {
				return &transcode.Status{ID: jc.JobID, State: s, ErrorCode: jc.ErrorCode, ErrorMessage: jc.ErrorMessage}
			}
		case <-time.After(time.Minute):
			t.Fatal("no final event")
		}
	}
}

func setup(t *testing.T, opts *memtranscode.Options) (*memtranscode.Transcoder, storage.Bucket, storage.Bucket, waiter) {
	t.Helper()
	w := waiter{make(chan events.Event, 100)}
	in, out := memstorage.New("in", nil), memstorage.New("out", nil)
	if opts == nil {
		opts = &memtranscode.Options{}
	}
	opts.Publisher = w
	tr := memtranscode.New(map[string]storage.Bucket{"in": in, "out": out}, opts)
	t.Cleanup(func() { tr.Close() })
	if _, err := storage.PutBytes(t.Context(), in, "clip.mp4", transcodetest.Clip(), nil); err != nil {
		t.Fatal(err)
	}
	return tr, in, out, w
}

func simpleJob(prefix string) *transcode.Job {
	return &transcode.Job{
		Input:      transcode.Object{Bucket: "in", Key: "clip.mp4"},
		Renditions: []transcode.Rendition{{Name: "-sd", Height: 120}},
		Thumbnail:  &transcode.Thumbnail{Name: "-t"},
		Output:     transcode.Destination{Bucket: "out", Prefix: prefix},
	}
}

func TestFailFunc(t *testing.T) {
	tr, _, out, w := setup(t, &memtranscode.Options{
		Fail: func(j *transcode.Job) (int, string, bool) {
			return 1999, "refused " + j.Output.Prefix, j.Output.Prefix == "b/"
		},
	})
	a, _ := tr.Submit(t.Context(), simpleJob("a/"))
	if st := w.final(t); st.ID != a || st.State != transcode.StateComplete {
		t.Errorf("job a = %+v, want COMPLETE", st)
	}
	b, _ := tr.Submit(t.Context(), simpleJob("b/"))
	st := w.final(t)
	if diff := cmp.Diff(&transcode.Status{ID: b, State: transcode.StateError, ErrorCode: 1999, ErrorMessage: "refused b/"}, st); diff != "" {
		t.Errorf("job b (-want +got):\n%s", diff)
	}
	if ok, _ := storage.Exists(t.Context(), out, "b/clip-sd.mp4"); ok {
		t.Error("failed job wrote its rendition")
	}
}

func TestFailureRateIsDeterministic(t *testing.T) {
	run := func() []transcode.State {
		tr, _, _, w := setup(t, &memtranscode.Options{FailureRate: 0.5, Seed: 7})
		var states []transcode.State
		for i := range 12 {
			id, err := tr.Submit(t.Context(), simpleJob(fmt.Sprintf("%d/", i)))
			if err != nil {
				t.Fatal(err)
			}
			for st := w.final(t); ; st = w.final(t) {
				if st.ID == id {
					states = append(states, st.State)
					break
				}
			}
		}
		return states
	}
	first, second := run(), run()
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("same seed, different failures (-first +second):\n%s", diff)
	}
	failed := 0
	for _, s := range first {
		if s == transcode.StateError {
			failed++
		}
	}
	if failed == 0 || failed == len(first) {
		t.Errorf("rate 0.5 failed %d of %d jobs", failed, len(first))
	}
}

func TestLatencyAndCancel(t *testing.T) {
	tr, _, out, w := setup(t, &memtranscode.Options{Latency: time.Hour})
	id, err := tr.Submit(t.Context(), simpleJob("slow/"))
	if err != nil {
		t.Fatal(err)
	}
	e := <-w.ch
	if jc, _ := events.DecodeJobStateChange(e.Payload); jc.Status != events.JobProgressing {
		t.Fatalf("first event %s, want PROGRESSING", jc.Status)
	}
	if err := tr.Cancel(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	if st := w.final(t); st.State != transcode.StateCanceled {
		t.Errorf("final = %s, want CANCELED", st.State)
	}
	if ok, _ := storage.Exists(t.Context(), out, "slow/clip-sd.mp4"); ok {
		t.Error("canceled job wrote its rendition")
	}
}

func TestCloseStopsJobs(t *testing.T) {
	tr, _, _, _ := setup(t, &memtranscode.Options{Latency: time.Hour})
	id, err := tr.Submit(t.Context(), simpleJob("x/"))
	if err != nil {
		t.Fatal(err)
	}
	tr.Close()
	if st, err := tr.Get(t.Context(), id); err != nil || st.State.Final() && st.State != transcode.StateCanceled {
		t.Errorf("after Close: %+v, %v", st, err)
	}
	if _, err := tr.Submit(t.Context(), simpleJob("y/")); !errors.Is(err, memtranscode.ErrClosed) {
		t.Errorf("Submit after Close = %v, want ErrClosed", err)
	}
}

func TestOutputsAreDeterministic(t *testing.T) {
	tr, in, out, w := setup(t, nil)
	mkv := append([]byte{0x1a, 0x45, 0xdf, 0xa3}, bytes.Repeat([]byte{0}, 64)...)
	if _, err := storage.PutBytes(t.Context(), in, "clip.webm", mkv, nil); err != nil {
		t.Fatal(err)
	}
	var got [][]byte
	for _, prefix := range []string{"one/same", "two/same"} {
		j := simpleJob(prefix)
		j.Input.Key = "clip.webm"
		j.Thumbnail.Width = 64
		id, _ := tr.Submit(t.Context(), j)
		if st := w.final(t); st.State != transcode.StateComplete {
			t.Fatalf("job %s: %+v", id, st)
		}
		st, _ := tr.Get(t.Context(), id)
		if st.Outputs[0].Width != 214 || st.Outputs[0].Height != 120 {
			t.Errorf("WebM input: rendition %d×%d, want 214×120 from the assumed 1920×1080", st.Outputs[0].Width, st.Outputs[0].Height)
		}
		b, err := storage.GetBytes(t.Context(), out, prefix+"-sd.mp4")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, b)
	}
	if !bytes.Equal(got[0], got[1]) {
		t.Error("the same job wrote different renditions")
	}
}
