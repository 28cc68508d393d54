package ffmpeg_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/servous/servous/events"
	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/memstorage"
	"github.com/servous/servous/transcode"
	"github.com/servous/servous/transcode/ffmpeg"
	"github.com/servous/servous/transcode/transcodetest"
)

// requireFFmpeg skips the test when ffmpeg or ffprobe is missing, unless
// SERVOUS_REQUIRE_PEERS=1 makes that a failure.
func requireFFmpeg(t testing.TB) {
	t.Helper()
	for _, p := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(p); err != nil {
			msg := p + " is not installed; install it with: apt-get install ffmpeg"
			if os.Getenv("SERVOUS_REQUIRE_PEERS") == "1" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
}

func TestConformance(t *testing.T) {
	requireFFmpeg(t)
	transcodetest.RunTranscoderTests(t, func(t *testing.T) transcodetest.Target {
		return transcodetest.Target{
			NewBucket: func(t *testing.T) storage.Bucket { return memstorage.New("bucket", nil) },
			NewTranscoder: func(t *testing.T, env transcodetest.Env) transcode.Transcoder {
				tr, err := ffmpeg.New(env.Buckets, &ffmpeg.Options{Publisher: env.Publisher, Concurrency: 4, Preset: "ultrafast", TempDir: t.TempDir()})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { tr.Close() })
				return tr
			},
		}
	})
}

// waiter is an events.Publisher tests wait on.
type waiter chan events.Event

func (w waiter) Publish(_ context.Context, e events.Event) error {
	w <- e
	return nil
}

func (w waiter) final(t *testing.T, id string) events.JobStateChange {
	t.Helper()
	timeout := time.After(2 * time.Minute)
	for {
		select {
		case e := <-w:
			jc, err := events.DecodeJobStateChange(e.Payload)
			if err != nil {
				t.Fatal(err)
			}
			if jc.JobID == id && transcode.State(jc.Status).Final() {
				return jc
			}
		case <-timeout:
			t.Fatalf("job %s: no final event", id)
		}
	}
}

// lavfi makes a clip with ffmpeg's test sources.
func lavfi(t *testing.T, seconds int, size string, audio bool) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "clip.mp4")
	args := []string{"-hide_banner", "-v", "error", "-y", "-f", "lavfi", "-i", fmt.Sprintf("testsrc=size=%s:rate=15:duration=%d", size, seconds)}
	if audio {
		args = append(args, "-f", "lavfi", "-i", fmt.Sprintf("sine=duration=%d", seconds), "-c:a", "aac")
	}
	args = append(args, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p")
	args = append(args, out)
	if b, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type env struct {
	tr   *ffmpeg.Transcoder
	in   storage.Bucket
	out  storage.Bucket
	tmp  string
	evts waiter
}

func setup(t *testing.T) *env {
	t.Helper()
	requireFFmpeg(t)
	e := &env{in: memstorage.New("in", nil), out: memstorage.New("out", nil), tmp: t.TempDir(), evts: make(waiter, 100)}
	tr, err := ffmpeg.New(map[string]storage.Bucket{"in": e.in, "out": e.out}, &ffmpeg.Options{Publisher: e.evts, TempDir: e.tmp, Preset: "ultrafast"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	e.tr = tr
	return e
}

func (e *env) put(t *testing.T, key string, b []byte) {
	t.Helper()
	if _, err := storage.PutBytes(t.Context(), e.in, key, b, nil); err != nil {
		t.Fatal(err)
	}
}

func ffprobe(t *testing.T, b []byte, entries string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "probe")
	if err := os.WriteFile(f, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", entries, "-of", "compact=p=0:nk=1", f).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	return strings.TrimSpace(string(out))
}

func TestRealOutputs(t *testing.T) {
	e := setup(t)
	e.put(t, "clip.mp4", transcodetest.Clip())
	id, err := e.tr.Submit(t.Context(), &transcode.Job{
		Input:      transcode.Object{Bucket: "in", Key: "clip.mp4"},
		Renditions: []transcode.Rendition{{Name: "-sd", Height: 120, Bitrate: 200_000}},
		Thumbnail:  &transcode.Thumbnail{Name: "-t", Quality: 90},
		Output:     transcode.Destination{Bucket: "out", Prefix: "v/"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if jc := e.evts.final(t, id); jc.Status != events.JobComplete {
		t.Fatalf("job ended %s: %s", jc.Status, jc.ErrorMessage)
	}
	mp4, err := storage.GetBytes(t.Context(), e.out, "v/clip-sd.mp4")
	if err != nil {
		t.Fatal(err)
	}
	if got := ffprobe(t, mp4, "stream=codec_name,width,height"); got != "h264|160|120\naac" {
		t.Errorf("rendition streams = %q, want h264 160×120 and aac", got)
	}
	// +faststart: the movie box comes before the media data.
	if moov, mdat := bytes.Index(mp4, []byte("moov")), bytes.Index(mp4, []byte("mdat")); moov < 0 || moov > mdat {
		t.Errorf("moov at %d, mdat at %d: want moov first", moov, mdat)
	}
	jpg, err := storage.GetBytes(t.Context(), e.out, "v/clip-t.0000000.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if got := ffprobe(t, jpg, "stream=codec_name,width,height"); got != "mjpeg|320|240" {
		t.Errorf("thumbnail = %q, want a 320×240 JPEG", got)
	}
	if entries, _ := os.ReadDir(e.tmp); len(entries) != 0 {
		t.Errorf("temporary files left: %v", entries)
	}
}

func TestRotatedInputWithoutAudio(t *testing.T) {
	e := setup(t)
	// A phone's portrait video: landscape pixels and a display matrix turning them upright,
	// which ffmpeg writes only when copying a stream.
	dir := t.TempDir()
	plain, rotated := filepath.Join(dir, "plain.mp4"), filepath.Join(dir, "rotated.mp4")
	if err := os.WriteFile(plain, lavfi(t, 1, "320x240", false), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command("ffmpeg", "-v", "error", "-i", plain, "-c", "copy", "-metadata:s:v:0", "rotate=90", rotated).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, b)
	}
	phone, err := os.ReadFile(rotated)
	if err != nil {
		t.Fatal(err)
	}
	e.put(t, "phone.mp4", phone)
	id, err := e.tr.Submit(t.Context(), &transcode.Job{
		Input:      transcode.Object{Bucket: "in", Key: "phone.mp4"},
		Renditions: []transcode.Rendition{{Name: "-160", Height: 160}},
		Output:     transcode.Destination{Bucket: "out"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if jc := e.evts.final(t, id); jc.Status != events.JobComplete {
		t.Fatalf("job ended %s: %s", jc.Status, jc.ErrorMessage)
	}
	st, err := e.tr.Get(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if o := st.Outputs[0]; o.Key != "phone-160.mp4" || o.Width != 120 || o.Height != 160 {
		t.Errorf("output = %+v, want phone-160.mp4 upright at 120×160", o)
	}
	mp4, _ := storage.GetBytes(t.Context(), e.out, "phone-160.mp4")
	if got := ffprobe(t, mp4, "stream=codec_type"); got != "video" {
		t.Errorf("streams = %q, want video only", got)
	}
}

// slowJob is a job that keeps ffmpeg busy for a while: a 4K rendition of a long clip at the
// slowest preset.
func slowJob(t *testing.T, e *env) *transcode.Job {
	e.put(t, "long.mp4", lavfi(t, 30, "320x240", true))
	return &transcode.Job{
		Input:      transcode.Object{Bucket: "in", Key: "long.mp4"},
		Renditions: []transcode.Rendition{{Name: "-4k", Height: 2160}},
		Output:     transcode.Destination{Bucket: "out", Prefix: "slow/"},
	}
}

// setupWatched is setup with ffmpeg behind a wrapper that tells the test through a named pipe
// the moment a job's encoding ffmpeg starts; the returned function waits for that moment.
func setupWatched(t *testing.T) (*env, func()) {
	t.Helper()
	e := setup(t)
	real, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	fifo := filepath.Join(dir, "started")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	wrapper := filepath.Join(dir, "ffmpeg")
	script := "#!/bin/sh\ncase \" $* \" in *\" -progress \"*) echo started > '" + fifo + "' ;; esac\nexec '" + real + "' \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	tr, err := ffmpeg.New(map[string]storage.Bucket{"in": e.in, "out": e.out}, &ffmpeg.Options{
		Publisher: e.evts, TempDir: e.tmp, Preset: "ultrafast", FFmpeg: wrapper,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.tr.Close()
	t.Cleanup(func() { tr.Close() })
	e.tr = tr
	return e, func() {
		t.Helper()
		started := make(chan error, 1)
		go func() {
			// Opening a named pipe for reading blocks until the wrapper opens it to write.
			f, err := os.Open(fifo)
			if err == nil {
				_, err = io.ReadAll(f)
				f.Close()
			}
			started <- err
		}()
		select {
		case err := <-started:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(2 * time.Minute):
			t.Fatal("the job's ffmpeg never started")
		}
	}
}

func TestCancelKillsFFmpeg(t *testing.T) {
	e, encoding := setupWatched(t)
	j := slowJob(t, e)
	id, err := e.tr.Submit(t.Context(), j)
	if err != nil {
		t.Fatal(err)
	}
	encoding()
	if err := e.tr.Cancel(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	if jc := e.evts.final(t, id); jc.Status != events.JobCanceled {
		t.Errorf("final event %s, want CANCELED", jc.Status)
	}
	// Cancel returned after the process and its files were gone.
	if entries, _ := os.ReadDir(e.tmp); len(entries) != 0 {
		t.Errorf("temporary files left after Cancel: %v", entries)
	}
	if ok, _ := storage.Exists(t.Context(), e.out, "slow/long-4k.mp4"); ok {
		t.Error("canceled job uploaded its output")
	}
}

func TestCloseKillsFFmpeg(t *testing.T) {
	e, encoding := setupWatched(t)
	id, err := e.tr.Submit(t.Context(), slowJob(t, e))
	if err != nil {
		t.Fatal(err)
	}
	encoding()
	e.tr.Close()
	if st, err := e.tr.Get(t.Context(), id); err != nil || st.State != transcode.StateCanceled {
		t.Errorf("after Close: %+v, %v; want CANCELED", st, err)
	}
	if entries, _ := os.ReadDir(e.tmp); len(entries) != 0 {
		t.Errorf("temporary files left after Close: %v", entries)
	}
	if _, err := e.tr.Submit(t.Context(), slowJob(t, e)); !errors.Is(err, ffmpeg.ErrClosed) {
		t.Errorf("Submit after Close = %v, want ErrClosed", err)
	}
}

func TestMissingFFmpeg(t *testing.T) {
	_, err := ffmpeg.New(nil, &ffmpeg.Options{FFmpeg: "servous-no-such-ffmpeg"})
	if !errors.Is(err, exec.ErrNotFound) || !strings.Contains(err.Error(), "apt-get install ffmpeg") {
		t.Errorf("New without ffmpeg = %v, want exec.ErrNotFound and how to install it", err)
	}
}
