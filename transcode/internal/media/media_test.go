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
	m2ts := make([]byte, 192*3)
	m2ts[4], m2ts[196], m2ts[388] = 0x47, 0x47, 0x47
	for _, tt := range []struct {
		container string
		in        []byte
	}{
		{"matroska", append([]byte{0x1a, 0x45, 0xdf, 0xa3}, make([]byte, 100)...)},
		{"mpegts", ts},
		{"mpegts", m2ts},
		{"mpeg", []byte("\x00\x00\x01\xba\x44\x00\x04\x00\x04\x01")},
		{"avi", []byte("RIFF\x00\x00\x00\x00AVI LIST")},
		{"asf", append(bytes.Clone(asfHeader), 0, 0, 0, 0)},
		{"flv", []byte("FLV\x01\x05\x00\x00\x00\x09")},
		{"mxf", append(bytes.Clone(mxfHeader), 0x04, 0x00)},
		{"mpegvideo", []byte("\x00\x00\x01\xb3\x04\x00\x30")},
		{"h264", []byte("\x00\x00\x00\x01\x67\x64\x00\x0a")},
		{"h264", []byte("\x00\x00\x01\x09\x10\x00")},
		{"hevc", []byte("\x00\x00\x00\x01\x40\x01\x0c\x01")},
		{"hevc", []byte("\x00\x00\x00\x01\x46\x01\x50")},
	} {
		got, err := Probe(bytes.NewReader(tt.in))
		if err != nil {
			t.Errorf("%s % x: Probe: %v", tt.container, tt.in[:8], err)
			continue
		}
		want := Info{Container: tt.container, Width: DefaultWidth, Height: DefaultHeight, Duration: DefaultDuration}
		if got != want {
			t.Errorf("%s % x: Probe = %+v, want %+v", tt.container, tt.in[:8], got, want)
		}
	}
	gif := []byte("GIF89a\x40\x00\x30\x00\xf7\x1f\x00")
	if got, err := Probe(bytes.NewReader(gif)); err != nil || got.Container != "gif" || got.Width != 64 || got.Height != 48 {
		t.Errorf("GIF: Probe = %+v, %v; want gif 64×48", got, err)
	}
}

// TestProbeRejectsNear refuses inputs that start like a video but are not one.
func TestProbeRejectsNear(t *testing.T) {
	for name, tt := range map[string]struct {
		in  []byte
		msg string
	}{
		"FLV of audio only":       {[]byte("FLV\x01\x04\x00\x00\x00\x09"), MsgNoVideo},
		"FLV version 2":           {[]byte("FLV\x02\x05\x00\x00\x00\x09"), MsgUnknown},
		"H.264 slice first":       {[]byte("\x00\x00\x00\x01\x65\x88\x84"), MsgUnknown},
		"forbidden bit":           {[]byte("\x00\x00\x00\x01\xe7\x64\x00"), MsgUnknown},
		"MPEG audio start code":   {[]byte("\x00\x00\x01\xc0\x00\x10\x00"), MsgUnknown},
		"WAV":                     {[]byte("RIFF\x24\x00\x00\x00WAVEfmt "), MsgUnknown},
		"MXF key of another pack": {[]byte("\x06\x0e\x2b\x34\x01\x01\x01\x01\x0d\x01\x02\x01\x01\x02"), MsgUnknown},
		"PNG":                     {[]byte("\x89PNG\r\n\x1a\n\x00\x00"), MsgUnknown},
	} {
		_, err := Probe(bytes.NewReader(tt.in))
		e, ok := IsProbeError(err)
		if !ok || e.Code != codeOpen || e.Msg != tt.msg {
			t.Errorf("%s: Probe error %v, want %d %q", name, err, codeOpen, tt.msg)
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
