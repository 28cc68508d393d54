package transcodetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // thumbnails are checked by decoding them
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/servous/servous/events"
	"github.com/servous/servous/storage"
	"github.com/servous/servous/transcode"
	"github.com/servous/servous/transcode/internal/media"
)

// The names of the buckets the suite gives a transcoder.
const (
	InputBucket  = "transcodetest-input"
	OutputBucket = "transcodetest-output"
)

// Env is what the suite hands the transcoder under test.
type Env struct {
	// Buckets holds InputBucket and OutputBucket by name.
	Buckets map[string]storage.Bucket
	// Publisher must receive the transcoder's job state change events.
	Publisher events.Publisher
}

// Target is a transcoder under test, as a subtest gets it. The suite builds the buckets and
// the publisher each subtest needs (it holds inputs back to catch jobs mid-way, and records
// every event), and the target builds its transcoder on them.
type Target struct {
	// NewBucket returns an empty bucket; the suite makes InputBucket and OutputBucket with it.
	NewBucket func(t *testing.T) storage.Bucket
	// NewTranscoder returns the transcoder under test, working on env's buckets and
	// publishing to env's publisher. Stop it with t.Cleanup.
	NewTranscoder func(t *testing.T, env Env) transcode.Transcoder
	// Timeout bounds the wait for one job to end; 0 means one minute.
	Timeout time.Duration
}

// RunTranscoderTests runs the conformance suite. newTarget is called once per subtest.
func RunTranscoderTests(t *testing.T, newTarget func(t *testing.T) Target) {
	tests := []struct {
		name string
		fn   func(t *testing.T, tg Target)
	}{
		{"Complete", testComplete},
		{"Idempotency", testIdempotency},
		{"InvalidJobs", testInvalid},
		{"NotFound", testNotFound},
		{"BadInputs", testBadInputs},
		{"Containers", testContainers},
		{"Rotated", testRotated},
		{"Cancel", testCancel},
		{"Concurrent", testConcurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := newTarget(t)
			if tg.NewBucket == nil || tg.NewTranscoder == nil {
				t.Fatal("transcodetest: the target needs NewBucket and NewTranscoder")
			}
			if tg.Timeout == 0 {
				tg.Timeout = time.Minute
			}
			tt.fn(t, tg)
		})
	}
}

// fixture is one run's buckets, recorder and transcoder.
type fixture struct {
	tg   Target
	in   storage.Bucket
	out  storage.Bucket
	gate *gate
	rec  *recorder
	tr   transcode.Transcoder
}

func newFixture(t *testing.T, tg Target) *fixture {
	t.Helper()
	f := &fixture{tg: tg, out: tg.NewBucket(t), rec: newRecorder()}
	f.gate = &gate{Bucket: tg.NewBucket(t), entered: make(chan string, 100), release: make(chan struct{})}
	f.in = f.gate.Bucket
	f.tr = tg.NewTranscoder(t, Env{
		Buckets:   map[string]storage.Bucket{InputBucket: f.gate, OutputBucket: f.out},
		Publisher: f.rec,
	})
	t.Cleanup(f.gate.open)
	return f
}

func (f *fixture) put(t *testing.T, key string, data []byte) {
	t.Helper()
	if _, err := storage.PutBytes(t.Context(), f.in, key, data, nil); err != nil {
		t.Fatalf("put input %q: %v", key, err)
	}
}

func (f *fixture) submit(t *testing.T, j *transcode.Job) string {
	t.Helper()
	id, err := f.tr.Submit(t.Context(), j)
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	if id == "" {
		t.Fatal("Submit returned an empty id")
	}
	return id
}

// final waits for the job's final event and returns it, decoded.
func (f *fixture) final(t *testing.T, id string) events.JobStateChange {
	t.Helper()
	e, err := f.rec.waitFinal(t.Context(), id, f.tg.Timeout)
	if err != nil {
		t.Fatalf("job %s: %v", id, err)
	}
	return e
}

// keys lists the output bucket under prefix.
func (f *fixture) keys(t *testing.T, prefix string) []string {
	t.Helper()
	var keys []string
	for o, err := range storage.Objects(t.Context(), f.out, &storage.ListOptions{Prefix: prefix}) {
		if err != nil {
			t.Fatalf("list outputs: %v", err)
		}
		keys = append(keys, o.Key)
	}
	return keys
}

func job(key, prefix string) *transcode.Job {
	return &transcode.Job{
		Input:      transcode.Object{Bucket: InputBucket, Key: key},
		Renditions: []transcode.Rendition{{Name: "-120p", Height: 120}},
		Output:     transcode.Destination{Bucket: OutputBucket, Prefix: prefix},
	}
}

func testComplete(t *testing.T, tg Target) {
	f := newFixture(t, tg)
	f.put(t, "uploads/clip.mp4", Clip())
	j := &transcode.Job{
		Input: transcode.Object{Bucket: InputBucket, Key: "uploads/clip.mp4"},
		Renditions: []transcode.Rendition{
			{Name: "-180p", Height: 180},
			{Name: "-w160", Width: 160, Quality: 5},
			{Name: "-box", Width: 200, Height: 200, Bitrate: 300_000},
			{Name: "-big", Height: 480, NoUpscale: true},
		},
		Thumbnail: &transcode.Thumbnail{Name: "-thumb", Width: 96},
		Output:    transcode.Destination{Bucket: OutputBucket, Prefix: "videos/"},
		Metadata:  map[string]string{"video-id": "v-1", "owner": "u-7"},
	}
	id := f.submit(t, j)
	e := f.final(t, id)
	if e.Status != events.JobComplete {
		t.Fatalf("final event %s (%d %s), want COMPLETE", e.Status, e.ErrorCode, e.ErrorMessage)
	}
	st, err := f.tr.Get(t.Context(), id)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if st.State != transcode.StateComplete || st.ID != id {
		t.Fatalf("Get = %+v, want COMPLETE %s", st, id)
	}
	if diff := cmp.Diff(j.Metadata, st.Metadata); diff != "" {
		t.Errorf("status metadata (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(j.Metadata, e.UserMetadata); diff != "" {
		t.Errorf("event userMetadata (-want +got):\n%s", diff)
	}

	type size struct{ W, H int }
	wantSizes := []size{{240, 180}, {160, 120}, {200, 150}, {320, 240}, {96, 72}}
	var keys []string
	var sizes []size
	for _, o := range st.Outputs {
		keys = append(keys, o.Key)
		sizes = append(sizes, size{o.Width, o.Height})
		if o.Bucket != OutputBucket {
			t.Errorf("output %s in bucket %q", o.Key, o.Bucket)
		}
	}
	if diff := cmp.Diff(j.Keys(), keys); diff != "" {
		t.Errorf("output keys (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantSizes, sizes); diff != "" {
		t.Errorf("output sizes (-want +got):\n%s", diff)
	}
	for i, o := range st.Outputs {
		checkOutput(t, f, o, i == len(st.Outputs)-1)
	}

	// The event, as a function decodes it, says what Get says (the event carries no sizes).
	fromEvent, err := transcode.DecodeEvent(f.rec.lastPayload(id))
	if err != nil {
		t.Fatalf("DecodeEvent of the completion event: %v", err)
	}
	fromGet := *st
	fromGet.Outputs = append([]transcode.Output(nil), st.Outputs...)
	for i := range fromGet.Outputs {
		fromGet.Outputs[i].Size = 0
	}
	fromGet.Percent = -1
	if diff := cmp.Diff(&fromGet, fromEvent); diff != "" {
		t.Errorf("completion event vs Get (-Get +event):\n%s", diff)
	}
	if got := f.rec.statuses(id); len(got) < 2 || got[0] != events.JobProgressing {
		t.Errorf("events of the job = %v, want PROGRESSING first", got)
	}
	if n := f.rec.finals(id); n != 1 {
		t.Errorf("%d final events, want 1", n)
	}
	if err := f.tr.Cancel(t.Context(), id); !errors.Is(err, transcode.ErrFinished) {
		t.Errorf("Cancel of a complete job = %v, want ErrFinished", err)
	}
}

// checkOutput reads an output back and checks it is what the status says.
func checkOutput(t *testing.T, f *fixture, o transcode.Output, thumbnail bool) {
	t.Helper()
	data, err := storage.GetBytes(t.Context(), f.out, o.Key)
	if err != nil {
		t.Errorf("output %s: %v", o.Key, err)
		return
	}
	if o.Size != 0 && o.Size != int64(len(data)) {
		t.Errorf("output %s: status says %d bytes, the object has %d", o.Key, o.Size, len(data))
	}
	if thumbnail {
		c, format, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil || format != "jpeg" || c.Width != o.Width || c.Height != o.Height {
			t.Errorf("thumbnail %s: %s %d×%d (%v), want jpeg %d×%d", o.Key, format, c.Width, c.Height, err, o.Width, o.Height)
		}
		if o.Duration != 0 {
			t.Errorf("thumbnail %s: duration %v, want 0", o.Key, o.Duration)
		}
		return
	}
	info, err := media.Probe(bytes.NewReader(data))
	if err != nil {
		t.Errorf("output %s is not an MP4: %v", o.Key, err)
		return
	}
	if w, h := info.DisplaySize(); w != o.Width || h != o.Height {
		t.Errorf("output %s: headers say %d×%d shown, status says %d×%d", o.Key, w, h, o.Width, o.Height)
	}
	if d := o.Duration - ClipDuration; d < -200*time.Millisecond || d > 200*time.Millisecond {
		t.Errorf("output %s: duration %v, want about %v", o.Key, o.Duration, ClipDuration)
	}
}

func testIdempotency(t *testing.T, tg Target) {
	f := newFixture(t, tg)
	f.put(t, "a.mp4", Clip())
	j := job("a.mp4", "idem/")
	j.IdempotencyToken = "upload-1"
	first := f.submit(t, j)
	second := f.submit(t, j)
	if first != second {
		t.Errorf("same token gave jobs %q and %q", first, second)
	}
	j.IdempotencyToken = "upload-2"
	j.Output.Prefix = "idem2/"
	third := f.submit(t, j)
	if third == first {
		t.Errorf("another token gave the same job %q", third)
	}
	for _, id := range []string{first, third} {
		if e := f.final(t, id); e.Status != events.JobComplete {
			t.Errorf("job %s ended %s", id, e.Status)
		}
	}
	if n := f.rec.finals(first); n != 1 {
		t.Errorf("job %s: %d final events, want 1", first, n)
	}
}

func testInvalid(t *testing.T, tg Target) {
	f := newFixture(t, tg)
	f.put(t, "a.mp4", Clip())
	tests := map[string]func(j *transcode.Job){
		"zero by zero":         func(j *transcode.Job) { j.Renditions[0] = transcode.Rendition{Name: "-x"} },
		"100000 pixels":        func(j *transcode.Job) { j.Renditions[0].Height = 100000 },
		"negative width":       func(j *transcode.Job) { j.Renditions[0].Width = -2 },
		"no renditions":        func(j *transcode.Job) { j.Renditions = nil },
		"duplicate names":      func(j *transcode.Job) { j.Renditions = append(j.Renditions, j.Renditions[0]) },
		"no output bucket":     func(j *transcode.Job) { j.Output.Bucket = "" },
		"no input key":         func(j *transcode.Job) { j.Input.Key = "" },
		"quality out of range": func(j *transcode.Job) { j.Renditions[0].Quality = 42 },
		"thumbnail too large":  func(j *transcode.Job) { j.Thumbnail = &transcode.Thumbnail{Name: "-t", Width: 100000} },
	}
	for name, modify := range tests {
		t.Run(name, func(t *testing.T) {
			j := job("a.mp4", "invalid/")
			modify(j)
			id, err := f.tr.Submit(t.Context(), j)
			if !errors.Is(err, transcode.ErrInvalidJob) {
				t.Errorf("Submit = %q, %v; want ErrInvalidJob", id, err)
			}
		})
	}
	if _, err := f.tr.Submit(t.Context(), nil); !errors.Is(err, transcode.ErrInvalidJob) {
		t.Errorf("Submit(nil) = %v, want ErrInvalidJob", err)
	}
	if n := f.rec.count(); n != 0 {
		t.Errorf("invalid jobs published %d events", n)
	}
	if keys := f.keys(t, "invalid/"); len(keys) != 0 {
		t.Errorf("invalid jobs wrote %v", keys)
	}
}

func testNotFound(t *testing.T, tg Target) {
	f := newFixture(t, tg)
	if _, err := f.tr.Get(t.Context(), "1536964333549-opn151"); !errors.Is(err, transcode.ErrNotFound) {
		t.Errorf("Get(unknown) = %v, want ErrNotFound", err)
	}
	if err := f.tr.Cancel(t.Context(), "1536964333549-opn151"); !errors.Is(err, transcode.ErrNotFound) {
		t.Errorf("Cancel(unknown) = %v, want ErrNotFound", err)
	}
}

func testBadInputs(t *testing.T, tg Target) {
	f := newFixture(t, tg)
	c := Clip()
	// Every input fails as MediaConvert fails it: 1010 when it cannot be read or is in no
	// container the service knows (a photo included), 1040 when it is cut short.
	tests := []struct {
		name string
		key  string
		data []byte // nil: the key holds nothing
		code int
	}{
		{"truncated", "truncated.mp4", c[:len(c)*2/3], transcode.CodeInputDecode},
		{"text", "text.mp4", []byte("This is a text file, not a video.\n"), transcode.CodeInputAccess},
		{"empty", "empty.mp4", []byte{}, transcode.CodeInputAccess},
		{"photo", "photo.jpg", media.JPEG(64, 48, 80, "a photo, not a video"), transcode.CodeInputAccess},
		{"audio only", "tone.wav", tone, transcode.CodeInputAccess},
		{"missing", "missing.mp4", nil, transcode.CodeInputAccess},
		// Keys S3 refuses: the bucket's error is an input that cannot be read.
		{"key over 1024 bytes", strings.Repeat("k", 1100) + ".mp4", nil, transcode.CodeInputAccess},
		{"key not UTF-8", "bad\xff.mp4", nil, transcode.CodeInputAccess},
	}
	for _, tt := range tests {
		if tt.data != nil {
			f.put(t, tt.key, tt.data)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			prefix := "bad/" + tt.name + "/"
			j := job(tt.key, prefix)
			j.Thumbnail = &transcode.Thumbnail{Name: "-t"}
			id := f.submit(t, j)
			e := f.final(t, id)
			if e.Status != events.JobError || e.ErrorCode != tt.code || e.ErrorMessage == "" {
				t.Errorf("final event %s %d %q, want ERROR %d with a message", e.Status, e.ErrorCode, e.ErrorMessage, tt.code)
			}
			st, err := f.tr.Get(t.Context(), id)
			if err != nil || st.State != transcode.StateError || st.ErrorCode != tt.code || len(st.Outputs) != 0 {
				t.Errorf("Get = %+v, %v; want ERROR %d without outputs", st, err, tt.code)
			}
			if keys := f.keys(t, prefix); len(keys) != 0 {
				t.Errorf("failed job left %v", keys)
			}
			if n := f.rec.finals(id); n != 1 {
				t.Errorf("%d final events, want 1", n)
			}
		})
	}
}

// testContainers runs a real clip in each container MediaConvert reads video from (see the
// package doc): every transcoder completes it.
func testContainers(t *testing.T, tg Target) {
	f := newFixture(t, tg)
	files, err := containerClips.ReadDir("testdata/containers")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		data, err := containerClips.ReadFile("testdata/containers/" + file.Name())
		if err != nil {
			t.Fatal(err)
		}
		f.put(t, "containers/"+file.Name(), data)
	}
	for _, file := range files {
		t.Run(file.Name(), func(t *testing.T) {
			t.Parallel()
			prefix := "containers/" + file.Name() + "/"
			id := f.submit(t, job("containers/"+file.Name(), prefix))
			e := f.final(t, id)
			if e.Status != events.JobComplete {
				t.Fatalf("final event %s (%d %s), want COMPLETE", e.Status, e.ErrorCode, e.ErrorMessage)
			}
			st, err := f.tr.Get(t.Context(), id)
			if err != nil || st.State != transcode.StateComplete || len(st.Outputs) != 1 {
				t.Fatalf("Get = %+v, %v; want COMPLETE with one output", st, err)
			}
			// The clips are shorter than Clip, and a simulation may not read their length:
			// the output must be an MP4 of the size the status says.
			o := st.Outputs[0]
			data, err := storage.GetBytes(t.Context(), f.out, o.Key)
			if err != nil {
				t.Fatalf("output %s: %v", o.Key, err)
			}
			info, err := media.Probe(bytes.NewReader(data))
			if err != nil || info.Width != o.Width || info.Height != o.Height || o.Height != 120 {
				t.Errorf("output %s: %+v (%v); status says %d×%d, want a height of 120", o.Key, info, err, o.Width, o.Height)
			}
		})
	}
}

// testRotated runs a phone's portrait video: landscape pictures with a matrix turning them a
// quarter clockwise. Outputs are sized and shown upright, as ffmpeg does and MediaConvert
// does with the input's Rotate set to AUTO.
func testRotated(t *testing.T, tg Target) {
	f := newFixture(t, tg)
	phone, err := media.WithRotation(Clip(), 90)
	if err != nil {
		t.Fatalf("rotating the clip: %v", err)
	}
	f.put(t, "phone/portrait.mp4", phone)
	j := &transcode.Job{
		Input: transcode.Object{Bucket: InputBucket, Key: "phone/portrait.mp4"},
		Renditions: []transcode.Rendition{
			{Name: "-120p", Height: 120},
			{Name: "-w180", Width: 180},
			{Name: "-box", Width: 160, Height: 160},
		},
		Thumbnail: &transcode.Thumbnail{Name: "-thumb", Width: 96},
		Output:    transcode.Destination{Bucket: OutputBucket, Prefix: "portrait/"},
	}
	id := f.submit(t, j)
	if e := f.final(t, id); e.Status != events.JobComplete {
		t.Fatalf("final event %s (%d %s), want COMPLETE", e.Status, e.ErrorCode, e.ErrorMessage)
	}
	st, err := f.tr.Get(t.Context(), id)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	type size struct{ W, H int }
	want := []size{{90, 120}, {180, 240}, {120, 160}, {96, 128}}
	var got []size
	for _, o := range st.Outputs {
		got = append(got, size{o.Width, o.Height})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("output sizes of a %d×%d clip turned a quarter (-want +got):\n%s", ClipWidth, ClipHeight, diff)
	}
	for i, o := range st.Outputs {
		checkOutput(t, f, o, i == len(st.Outputs)-1)
	}
}

func testCancel(t *testing.T, tg Target) {
	f := newFixture(t, tg)
	f.put(t, "hold/clip.mp4", Clip())
	j := job("hold/clip.mp4", "canceled/")
	j.Thumbnail = &transcode.Thumbnail{Name: "-t"}
	id := f.submit(t, j)
	select {
	case <-f.gate.entered:
	case <-time.After(f.tg.Timeout):
		t.Fatal("the job never read its input")
	}
	st, err := f.tr.Get(t.Context(), id)
	if err != nil || st.State != transcode.StateProgressing || st.Percent < -1 || st.Percent > 100 {
		t.Errorf("Get while reading the input = %+v, %v; want PROGRESSING", st, err)
	}
	if err := f.tr.Cancel(t.Context(), id); err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	f.gate.open()
	e := f.final(t, id)
	if e.Status != events.JobCanceled {
		t.Errorf("final event %s, want CANCELED", e.Status)
	}
	if st, err := f.tr.Get(t.Context(), id); err != nil || st.State != transcode.StateCanceled {
		t.Errorf("Get after Cancel = %+v, %v; want CANCELED", st, err)
	}
	if err := f.tr.Cancel(t.Context(), id); !errors.Is(err, transcode.ErrFinished) {
		t.Errorf("second Cancel = %v, want ErrFinished", err)
	}
	// A job submitted after it still runs: the transcoder was not stopped.
	f.put(t, "after.mp4", Clip())
	next := f.submit(t, job("after.mp4", "after/"))
	if e := f.final(t, next); e.Status != events.JobComplete {
		t.Errorf("job after a cancel ended %s", e.Status)
	}
	if keys := f.keys(t, "canceled/"); len(keys) != 0 {
		t.Errorf("canceled job left %v", keys)
	}
	if n := f.rec.finals(id); n != 1 {
		t.Errorf("%d final events for the canceled job, want 1", n)
	}
}

func testConcurrent(t *testing.T, tg Target) {
	const n = 20
	f := newFixture(t, tg)
	f.put(t, "clip.mp4", Clip())
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			j := job("clip.mp4", fmt.Sprintf("many/%02d/", i))
			j.Metadata = map[string]string{"n": fmt.Sprint(i)}
			ids[i], errs[i] = f.tr.Submit(t.Context(), j)
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Submit %d: %v", i, errs[i])
		}
		if seen[ids[i]] {
			t.Fatalf("two jobs got id %s", ids[i])
		}
		seen[ids[i]] = true
	}
	for i, id := range ids {
		e := f.final(t, id)
		if e.Status != events.JobComplete {
			t.Errorf("job %d ended %s (%d %s)", i, e.Status, e.ErrorCode, e.ErrorMessage)
		}
		if e.UserMetadata["n"] != fmt.Sprint(i) {
			t.Errorf("job %d's event carries metadata %v", i, e.UserMetadata)
		}
	}
	for i, id := range ids {
		if c := f.rec.finals(id); c != 1 {
			t.Errorf("job %d: %d final events, want 1", i, c)
		}
		if keys := f.keys(t, fmt.Sprintf("many/%02d/", i)); len(keys) != 1 {
			t.Errorf("job %d wrote %v, want one rendition", i, keys)
		}
	}
}

// gate is a bucket whose reads of keys under "hold/" wait until it opens, so a test can
// catch a job while it is reading its input.
type gate struct {
	storage.Bucket
	entered chan string
	once    sync.Once
	release chan struct{}
}

func (g *gate) Get(ctx context.Context, key string, opts *storage.GetOptions) (*storage.Object, error) {
	if strings.HasPrefix(key, "hold/") {
		select {
		case g.entered <- key:
		default:
		}
		select {
		case <-g.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return g.Bucket.Get(ctx, key, opts)
}

func (g *gate) open() { g.once.Do(func() { close(g.release) }) }

// recorder is the suite's events.Publisher: it decodes every job state change and lets tests
// wait for a job's final one.
type recorder struct {
	mu      sync.Mutex
	byJob   map[string][]events.JobStateChange
	last    map[string][]byte // the payload of each job's last event
	n       int
	bad     []error
	changed chan struct{}
}

func newRecorder() *recorder {
	return &recorder{byJob: map[string][]events.JobStateChange{}, last: map[string][]byte{}, changed: make(chan struct{})}
}

func (r *recorder) Publish(_ context.Context, e events.Event) error {
	jc, err := events.DecodeJobStateChange(e.Payload)
	if err == nil && (e.Source != events.SourceMediaConvert || e.Type != events.DetailTypeJobStateChange) {
		err = fmt.Errorf("event source %q type %q", e.Source, e.Type)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	if err != nil {
		r.bad = append(r.bad, err)
	} else {
		r.byJob[jc.JobID] = append(r.byJob[jc.JobID], jc)
		r.last[jc.JobID] = e.Payload
	}
	close(r.changed)
	r.changed = make(chan struct{})
	return nil
}

// lastPayload returns the payload of the job's last event.
func (r *recorder) lastPayload(id string) []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last[id]
}

func isFinal(s events.JobStatus) bool {
	return s == events.JobComplete || s == events.JobError || s == events.JobCanceled
}

func (r *recorder) waitFinal(ctx context.Context, id string, timeout time.Duration) (events.JobStateChange, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		r.mu.Lock()
		if len(r.bad) > 0 {
			err := r.bad[0]
			r.mu.Unlock()
			return events.JobStateChange{}, fmt.Errorf("undecodable event: %w", err)
		}
		for _, e := range r.byJob[id] {
			if isFinal(e.Status) {
				r.mu.Unlock()
				return e, nil
			}
		}
		changed := r.changed
		r.mu.Unlock()
		select {
		case <-changed:
		case <-timer.C:
			return events.JobStateChange{}, fmt.Errorf("no final event within %v (events so far: %v)", timeout, r.statuses(id))
		case <-ctx.Done():
			return events.JobStateChange{}, ctx.Err()
		}
	}
}

func (r *recorder) statuses(id string) []events.JobStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	var s []events.JobStatus
	for _, e := range r.byJob[id] {
		s = append(s, e.Status)
	}
	return s
}

func (r *recorder) finals(id string) int {
	n := 0
	for _, s := range r.statuses(id) {
		if isFinal(s) {
			n++
		}
	}
	return n
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}
