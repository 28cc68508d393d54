package media

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRotationOfMatrix(t *testing.T) {
	const one = 1 << 16
	tests := []struct {
		name       string
		a, b, c, d int32
		want       int
	}{
		{"identity", one, 0, 0, one, 0},
		{"quarter clockwise", 0, one, -one, 0, 90},
		{"half", -one, 0, 0, -one, 180},
		{"quarter anticlockwise", 0, -one, one, 0, 270},
		{"scaled quarter", 0, 2 * one, -2 * one, 0, 90},
		{"within a degree of a quarter", 1000, one, -one, 1000, 90}, // about 89.1°
		{"45 degrees", 46341, 46341, -46341, 46341, 0},
		{"zero", 0, 0, 0, 0, 0},
	}
	for _, tt := range tests {
		m := make([]byte, 44)
		for i, v := range []int32{tt.a, tt.b, 0, tt.c, tt.d} {
			binary.BigEndian.PutUint32(m[4*i:], uint32(v))
		}
		if got := rotation(m); got != tt.want {
			t.Errorf("%s: rotation = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestWithRotation(t *testing.T) {
	for _, deg := range []int{0, 90, 180, 270} {
		rot, err := WithRotation(clip(t), deg)
		if err != nil {
			t.Fatalf("WithRotation(%d): %v", deg, err)
		}
		got, err := Probe(bytes.NewReader(rot))
		if err != nil {
			t.Fatalf("%d: Probe: %v", deg, err)
		}
		if got.Width != 320 || got.Height != 240 || got.Rotation != deg {
			t.Errorf("%d: Probe = %+v, want 320×240 turned %d", deg, got, deg)
		}
		w, h := got.DisplaySize()
		want := [2]int{320, 240}
		if deg%180 != 0 {
			want = [2]int{240, 320}
		}
		if diff := cmp.Diff(want, [2]int{w, h}); diff != "" {
			t.Errorf("%d: DisplaySize (-want +got):\n%s", deg, diff)
		}
	}
	if _, err := WithRotation(clip(t), 45); err == nil {
		t.Error("WithRotation(45) succeeded")
	}
	if _, err := WithRotation([]byte("not a movie"), 90); err == nil {
		t.Error("WithRotation of a text succeeded")
	}
}

func ffprobeOrSkip(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("ffprobe")
	if err != nil {
		if os.Getenv("SERVOUS_REQUIRE_PEERS") == "1" {
			t.Fatalf("ffprobe: %v", err)
		}
		t.Skip("ffprobe not installed (apt-get install ffmpeg)")
	}
	return p
}

// TestRotationAsFFmpegReadsIt checks the turn Probe reads and WithRotation writes is the one
// ffprobe reports: its display matrix rotation is anticlockwise, so it is the negative.
func TestRotationAsFFmpegReadsIt(t *testing.T) {
	ffprobe := ffprobeOrSkip(t)
	dir := t.TempDir()
	for _, deg := range []int{90, 180, 270} {
		rot, err := WithRotation(clip(t), deg)
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, strconv.Itoa(deg)+".mp4")
		if err := os.WriteFile(file, rot, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(ffprobe, "-v", "error", "-select_streams", "v:0",
			"-show_entries", "stream_side_data=rotation", "-of", "default=nw=1:nk=1", file).Output()
		if err != nil {
			t.Fatalf("ffprobe: %v", err)
		}
		got, err := strconv.Atoi(strings.TrimSpace(string(out)))
		if err != nil {
			t.Fatalf("%d: ffprobe printed %q", deg, out)
		}
		if (got+deg)%360 != 0 {
			t.Errorf("written turned %d clockwise, ffprobe reads rotation %d", deg, got)
		}
	}
	// And a matrix ffmpeg wrote itself is read back as ffprobe reads it.
	src := filepath.Join(dir, "clip.mp4")
	dst := filepath.Join(dir, "tagged.mp4")
	if err := os.WriteFile(src, clip(t), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("ffmpeg", "-v", "error", "-y", "-i", src, "-c", "copy", "-metadata:s:v:0", "rotate=90", dst).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	out, err := exec.Command(ffprobe, "-v", "error", "-select_streams", "v:0",
		"-show_entries", "stream_side_data=rotation", "-of", "default=nw=1:nk=1", dst).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	ff, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("ffprobe printed %q", out)
	}
	tagged, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	info, err := Probe(bytes.NewReader(tagged))
	if err != nil {
		t.Fatal(err)
	}
	if info.Rotation%180 != 90 || (info.Rotation+ff)%360 != 0 {
		t.Errorf("ffmpeg's rotated file: Probe reads %d clockwise, ffprobe %d", info.Rotation, ff)
	}
}
