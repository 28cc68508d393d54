package media

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func clip(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../../transcodetest/testdata/clip.mp4")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestProbeRealClip(t *testing.T) {
	got, err := Probe(bytes.NewReader(clip(t)))
	if err != nil {
		t.Fatalf("Probe: %v", err)
	}
	want := Info{Container: "mp4", Width: 320, Height: 240, Duration: time.Second}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Probe (-want +got):\n%s", diff)
	}
}

func TestProbeSynthesized(t *testing.T) {
	got, err := Probe(bytes.NewReader(MP4(1280, 720, 2500*time.Millisecond, "hello")))
	if err != nil {
		t.Fatalf("Probe: %v", err)
	}
	want := Info{Container: "mp4", Width: 1280, Height: 720, Duration: 2500 * time.Millisecond}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Probe (-want +got):\n%s", diff)
	}
}

func TestProbeOtherContainers(t *testing.T) {
	ts := make([]byte, 188*3)
	ts[0], ts[188], ts[376] = 0x47, 0x47, 0x47
	for name, in := range map[string][]byte{
		"matroska": append([]byte{0x1a, 0x45, 0xdf, 0xa3}, make([]byte, 100)...),
		"mpegts":   ts,
		"avi":      []byte("RIFF\x00\x00\x00\x00AVI LIST"),
	} {
		got, err := Probe(bytes.NewReader(in))
		if err != nil {
			t.Errorf("%s: Probe: %v", name, err)
			continue
		}
		if got.Container != name || got.Width != DefaultWidth {
			t.Errorf("%s: Probe = %+v", name, got)
		}
	}
}

func TestProbeRejects(t *testing.T) {
	c := clip(t)
	tests := []struct {
		name     string
		in       []byte
		wantCode int
		wantMsg  string
	}{
		{"empty", nil, codeOpen, "empty"},
		{"text", []byte("this is not a video, just text\n"), codeOpen, "no parser"},
		{"truncated mdat", c[:len(c)*2/3], codeDecode, "truncated"},
		{"truncated header", c[:len(c)-3], codeDecode, "truncated"},
		{"only ftyp", c[:32], codeOpen, "no movie box"},
		{"no video track", MP4(0, 0, time.Second, ""), codeOpen, "no video track"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Probe(bytes.NewReader(tt.in))
			e, ok := IsProbeError(err)
			if !ok {
				t.Fatalf("Probe = %v, want *Error", err)
			}
			if e.Code != tt.wantCode || !strings.Contains(e.Msg, tt.wantMsg) {
				t.Errorf("Probe = %d %q, want %d containing %q", e.Code, e.Msg, tt.wantCode, tt.wantMsg)
			}
		})
	}
}

func TestJPEG(t *testing.T) {
	b := JPEG(64, 48, 80, "desc")
	if !bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff, 0xfe}) || !bytes.Contains(b, []byte("desc")) {
		t.Errorf("JPEG does not start with SOI and a comment: % x", b[:8])
	}
}

func FuzzProbe(f *testing.F) {
	f.Add(MP4(320, 240, time.Second, "x"))
	f.Add([]byte{0, 0, 0, 1, 'm', 'o', 'o', 'v', 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0, 0, 0, 0, 'f', 't', 'y', 'p'})
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := Probe(bytes.NewReader(b))
		if err == nil && (info.Width <= 0 || info.Height <= 0) {
			t.Errorf("Probe accepted a video without a size: %+v", info)
		}
	})
}
