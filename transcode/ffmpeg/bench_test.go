package ffmpeg

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/servous/servous/events"
	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/memstorage"
	"github.com/servous/servous/transcode"
)

type finals chan string

func (f finals) Publish(_ context.Context, e events.Event) error {
	jc, err := events.DecodeJobStateChange(e.Payload)
	if err == nil && transcode.State(jc.Status).Final() {
		if jc.Status != events.JobComplete {
			return fmt.Errorf("job %s ended %s: %s", jc.JobID, jc.Status, jc.ErrorMessage)
		}
		f <- jc.JobID
	}
	return err
}

// BenchmarkHD compares the adapter turning a 10-second 1080p clip into 720p and 480p
// renditions (bucket to bucket: download, probe, encode, upload) with running ffmpeg
// directly on a local file with the same arguments.
func BenchmarkHD(b *testing.B) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		b.Skip("ffmpeg is not installed; install it with: apt-get install ffmpeg")
	}
	dir := b.TempDir()
	src := filepath.Join(dir, "hd.mp4")
	gen := exec.Command("ffmpeg", "-hide_banner", "-v", "error", "-y",
		"-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30:duration=10",
		"-f", "lavfi", "-i", "sine=frequency=440:duration=10",
		"-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac", src)
	if out, err := gen.CombinedOutput(); err != nil {
		b.Fatalf("make the clip: %v\n%s", err, out)
	}
	clip, err := os.ReadFile(src)
	if err != nil {
		b.Fatal(err)
	}
	job := &transcode.Job{
		Input: transcode.Object{Bucket: "in", Key: "hd.mp4"},
		Renditions: []transcode.Rendition{
			{Name: "-720p", Height: 720},
			{Name: "-480p", Height: 480},
		},
		Output: transcode.Destination{Bucket: "out", Prefix: "bench/"},
	}

	b.Run("adapter", func(b *testing.B) {
		b.ReportAllocs()
		in, out := memstorage.New("in", nil), memstorage.New("out", nil)
		if _, err := storage.PutBytes(b.Context(), in, "hd.mp4", clip, nil); err != nil {
			b.Fatal(err)
		}
		done := make(finals, 1)
		tr, err := New(map[string]storage.Bucket{"in": in, "out": out}, &Options{Publisher: done, TempDir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		defer tr.Close()
		cpu := childCPU()
		for b.Loop() {
			if _, err := tr.Submit(b.Context(), job); err != nil {
				b.Fatal(err)
			}
			<-done
		}
		b.ReportMetric((childCPU()-cpu).Seconds()/float64(b.N), "child-cpu-s/op")
	})

	b.Run("ffmpeg-direct", func(b *testing.B) {
		b.ReportAllocs()
		work := b.TempDir()
		if err := os.WriteFile(filepath.Join(work, "input"), clip, 0o600); err != nil {
			b.Fatal(err)
		}
		// The adapter's own command line, from the size ffprobe reports for the clip.
		p := buildPlan(job, probed{width: 1920, height: 1080, audio: true}, work, "veryfast", 96000)
		cpu := childCPU()
		for b.Loop() {
			if out, err := exec.Command("ffmpeg", p.args...).CombinedOutput(); err != nil {
				b.Fatalf("ffmpeg: %v\n%s", err, out)
			}
		}
		b.ReportMetric((childCPU()-cpu).Seconds()/float64(b.N), "child-cpu-s/op")
	})
}

// childCPU is the user and system time of the finished child processes, a measure that
// other work on a busy machine does not inflate as it inflates wall time.
func childCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
