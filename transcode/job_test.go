package transcode

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func validJob() *Job {
	return &Job{
		Input:      Object{Bucket: "in", Key: "uploads/cat.mov"},
		Renditions: []Rendition{{Name: "-720p", Height: 720}, {Name: "-480p", Height: 480, Bitrate: 1_000_000}},
		Thumbnail:  &Thumbnail{Name: "-thumb", Width: 320},
		Output:     Destination{Bucket: "out", Prefix: "videos/"},
	}
}

func TestValidateAcceptsValidJob(t *testing.T) {
	if err := validJob().Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
}

func TestValidateRejects(t *testing.T) {
	tests := []struct {
		name   string
		modify func(j *Job)
		want   string
	}{
		{"no renditions", func(j *Job) { j.Renditions = nil }, "no renditions"},
		{"zero by zero", func(j *Job) { j.Renditions[0].Height = 0 }, "width and height are both 0"},
		{"huge", func(j *Job) { j.Renditions[0].Width = 100000 }, "width 100000 out of range"},
		{"tiny", func(j *Job) { j.Renditions[0].Height = 8 }, "height 8 out of range"},
		{"negative", func(j *Job) { j.Renditions[0].Height = -720 }, "height -720 out of range"},
		{"odd", func(j *Job) { j.Renditions[0].Height = 721 }, "odd"},
		{"same names", func(j *Job) { j.Renditions[1].Name = "-720p" }, "used twice"},
		{"thumbnail name clash", func(j *Job) { j.Thumbnail.Name = "-480p" }, "used twice"},
		{"empty name", func(j *Job) { j.Renditions[0].Name = "" }, "name is empty"},
		{"slash in name", func(j *Job) { j.Renditions[0].Name = "a/b" }, `has '/'`},
		{"quality", func(j *Job) { j.Renditions[0].Quality = 11 }, "quality 11"},
		{"bitrate", func(j *Job) { j.Renditions[0].Bitrate = 10 }, "bitrate 10"},
		{"thumbnail quality", func(j *Job) { j.Thumbnail.Quality = 101 }, "quality 101"},
		{"no input key", func(j *Job) { j.Input.Key = "" }, "input key is empty"},
		{"no input bucket", func(j *Job) { j.Input.Bucket = "" }, "input bucket is empty"},
		{"no output bucket", func(j *Job) { j.Output.Bucket = "" }, "output bucket is empty"},
		{"long token", func(j *Job) { j.IdempotencyToken = strings.Repeat("t", 65) }, "longer than 64"},
		{"token not ascii", func(j *Job) { j.IdempotencyToken = "é" }, "printable ASCII"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := validJob()
			tt.modify(j)
			err := j.Validate()
			if !errors.Is(err, ErrInvalidJob) {
				t.Fatalf("Validate = %v, want ErrInvalidJob", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate = %q, want it to mention %q", err, tt.want)
			}
		})
	}
	var nilJob *Job
	if err := nilJob.Validate(); !errors.Is(err, ErrInvalidJob) {
		t.Errorf("nil job: Validate = %v, want ErrInvalidJob", err)
	}
}

func TestOutputSize(t *testing.T) {
	tests := []struct {
		srcW, srcH, w, h int
		noUpscale        bool
		wantW, wantH     int
	}{
		{1920, 1080, 0, 720, false, 1280, 720},
		{1920, 1080, 0, 480, false, 854, 480},
		{1920, 1080, 1280, 0, false, 1280, 720},
		{1920, 1080, 640, 640, false, 640, 360},   // fits the box, keeps aspect
		{1080, 1920, 640, 640, false, 360, 640},   // portrait
		{320, 240, 0, 720, false, 960, 720},       // upscale allowed
		{320, 240, 0, 720, true, 320, 240},        // not when asked
		{321, 241, 0, 1080, true, 320, 240},       // kept size made even
		{320, 240, 0, 0, false, 320, 240},         // no target keeps size
		{1920, 1080, 0, 0, false, 1920, 1080},     // no target keeps size
		{1000, 3, 0, 32, false, 10666, 32},        // extreme aspect still even
		{0, 0, 0, 720, false, 0, 0},               // unknown input
		{1920, 1080, 1280, 1080, true, 1280, 720}, // downscale with NoUpscale
	}
	for _, tt := range tests {
		w, h := OutputSize(tt.srcW, tt.srcH, tt.w, tt.h, tt.noUpscale)
		if w != tt.wantW || h != tt.wantH {
			t.Errorf("OutputSize(%d, %d, %d, %d, %v) = %d×%d, want %d×%d",
				tt.srcW, tt.srcH, tt.w, tt.h, tt.noUpscale, w, h, tt.wantW, tt.wantH)
		}
		if w%2 != 0 || h%2 != 0 {
			t.Errorf("OutputSize(%d, %d, %d, %d) = %d×%d, want even", tt.srcW, tt.srcH, tt.w, tt.h, w, h)
		}
	}
}

func TestKeys(t *testing.T) {
	j := validJob()
	if diff := cmp.Diff([]string{"videos/cat-720p.mp4", "videos/cat-480p.mp4", "videos/cat-thumb.0000000.jpg"}, j.Keys()); diff != "" {
		t.Errorf("Keys (-want +got):\n%s", diff)
	}
	j.Output.Prefix = "videos/kitten"
	if got, want := j.RenditionKey(&j.Renditions[0]), "videos/kitten-720p.mp4"; got != want {
		t.Errorf("RenditionKey with a base name = %q, want %q", got, want)
	}
	j.Output.Prefix = ""
	j.Input.Key = "cat"
	if got, want := j.RenditionKey(&j.Renditions[0]), "cat-720p.mp4"; got != want {
		t.Errorf("RenditionKey without prefix = %q, want %q", got, want)
	}
	j.Thumbnail = nil
	if got := j.ThumbnailKey(); got != "" {
		t.Errorf("ThumbnailKey without thumbnail = %q, want empty", got)
	}
}

func TestModeAndStates(t *testing.T) {
	r := Rendition{}
	if q, b := r.Mode(); q != DefaultQuality || b != 0 {
		t.Errorf("Mode() = %d, %d; want default quality", q, b)
	}
	r = Rendition{Bitrate: 2000}
	if q, b := r.Mode(); q != 0 || b != 2000 {
		t.Errorf("Mode() = %d, %d; want bitrate only", q, b)
	}
	for s, final := range map[State]bool{StateSubmitted: false, StateProgressing: false, StateComplete: true, StateError: true, StateCanceled: true} {
		if s.Final() != final {
			t.Errorf("%s.Final() = %v", s, !final)
		}
	}
}
