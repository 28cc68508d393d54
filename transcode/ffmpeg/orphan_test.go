//go:build linux || freebsd

package ffmpeg_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/memstorage"
	"github.com/servous/servous/transcode"
	"github.com/servous/servous/transcode/ffmpeg"
)

// The parent process of TestKilledParent runs this test binary again with these variables: it
// then runs one job and waits to be killed.
const (
	envParent = "SERVOUS_FFMPEG_TEST_PARENT"
	envInput  = "SERVOUS_FFMPEG_TEST_INPUT"
	envTemp   = "SERVOUS_FFMPEG_TEST_TEMP"
	envFFmpeg = "SERVOUS_FFMPEG_TEST_FFMPEG"
)

// TestParentProcess is the process TestKilledParent kills. It is no test of its own.
func TestParentProcess(t *testing.T) {
	if os.Getenv(envParent) != "1" {
		t.Skip("run by TestKilledParent")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	in, out := memstorage.New("in", nil), memstorage.New("out", nil)
	clip, err := os.ReadFile(os.Getenv(envInput))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := storage.PutBytes(ctx, in, "clip.mp4", clip, nil); err != nil {
		t.Fatal(err)
	}
	tr, err := ffmpeg.New(map[string]storage.Bucket{"in": in, "out": out}, &ffmpeg.Options{
		TempDir: os.Getenv(envTemp), FFmpeg: os.Getenv(envFFmpeg), Preset: "ultrafast",
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = tr.Submit(ctx, &transcode.Job{
		Input:      transcode.Object{Bucket: "in", Key: "clip.mp4"},
		Renditions: []transcode.Rendition{{Name: "-240p", Height: 240}},
		Output:     transcode.Destination{Bucket: "out", Prefix: "x/"},
	})
	if err != nil {
		t.Fatal(err)
	}
	<-ctx.Done() // SIGTERM, or SIGKILL which ends the process here
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
}

// parent is a process running a job whose ffmpeg is a stand-in that reports its pid and then
// sleeps with the write end of a pipe open: the pipe reads to its end only once every process
// holding it — the parent and the stand-in — has exited.
type parent struct {
	cmd     *exec.Cmd
	tmp     string
	pipe    *os.File
	ffmpeg  int // the stand-in's pid
	scanner *bufio.Scanner
}

func startParent(t *testing.T) *parent {
	t.Helper()
	requireFFmpeg(t)
	dir := t.TempDir()
	input := filepath.Join(dir, "clip.mp4")
	if err := os.WriteFile(input, lavfi(t, 1, "320x240", false), 0o644); err != nil {
		t.Fatal(err)
	}
	standIn := filepath.Join(dir, "ffmpeg")
	if err := os.WriteFile(standIn, []byte("#!/bin/sh\necho $$ >&3\nexec sleep 600\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestParentProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), envParent+"=1", envInput+"="+input, envTemp+"="+tmp, envFFmpeg+"="+standIn)
	cmd.ExtraFiles = []*os.File{w} // fd 3 in the parent, inherited by its children
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	p := &parent{cmd: cmd, tmp: tmp, pipe: r, scanner: bufio.NewScanner(r)}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if p.ffmpeg > 0 {
			syscall.Kill(p.ffmpeg, syscall.SIGKILL) // if the test failed, the stand-in lives on
		}
		r.Close()
	})
	r.SetReadDeadline(time.Now().Add(2 * time.Minute))
	if !p.scanner.Scan() {
		t.Fatalf("the job's ffmpeg never started: %v", p.scanner.Err())
	}
	p.ffmpeg, err = strconv.Atoi(strings.TrimSpace(p.scanner.Text()))
	if err != nil {
		t.Fatalf("stand-in ffmpeg wrote %q", p.scanner.Text())
	}
	return p
}

// waitChildrenGone reports whether every process holding the pipe, the stand-in ffmpeg
// included, exited before the deadline.
func (p *parent) waitChildrenGone(t *testing.T) bool {
	t.Helper()
	p.pipe.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, err := io.Copy(io.Discard, p.pipe)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}

func jobDirs(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "servous-ffmpeg-") {
			names = append(names, e.Name())
		}
	}
	return names
}

// TestKilledParent kills a process with SIGKILL while its job's ffmpeg runs: ffmpeg dies with
// it, and the next Transcoder on the same temporary directory removes the files it left.
func TestKilledParent(t *testing.T) {
	p := startParent(t)
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()
	if !p.waitChildrenGone(t) {
		t.Fatalf("ffmpeg (pid %d) still runs 30 s after its parent was killed", p.ffmpeg)
	}
	p.ffmpeg = 0
	left := jobDirs(t, p.tmp)
	if len(left) != 1 || !strings.HasPrefix(left[0], "servous-ffmpeg-"+strconv.Itoa(p.cmd.Process.Pid)+"-") {
		t.Fatalf("the killed process left %q; want its one job directory, named after its pid", left)
	}

	// Beside it: a directory of this live process, one of no process, a stranger's file.
	mine, err := os.MkdirTemp(p.tmp, "servous-ffmpeg-"+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"servous-ffmpeg-notapid", "servous-ffmpeg-123"} {
		if err := os.Mkdir(filepath.Join(p.tmp, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tr, err := ffmpeg.New(nil, &ffmpeg.Options{TempDir: p.tmp})
	if err != nil {
		t.Fatal(err)
	}
	tr.Close()
	got := jobDirs(t, p.tmp)
	want := []string{filepath.Base(mine), "servous-ffmpeg-123", "servous-ffmpeg-notapid"}
	slices.Sort(want) // as ReadDir lists them
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("after New: %q; want the killed process's directory gone and %q kept", got, want)
	}
}

// TestTerminatedParent ends a process with SIGTERM while its job's ffmpeg runs: it closes its
// Transcoder and exits cleanly, with ffmpeg and the job's files gone.
func TestTerminatedParent(t *testing.T) {
	p := startParent(t)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Wait(); err != nil {
		t.Errorf("after SIGTERM: %v, want a clean exit", err)
	}
	if !p.waitChildrenGone(t) {
		t.Fatalf("ffmpeg (pid %d) still runs after its parent exited", p.ffmpeg)
	}
	p.ffmpeg = 0
	if left := jobDirs(t, p.tmp); len(left) != 0 {
		t.Errorf("files left after a clean exit: %q", left)
	}
}
