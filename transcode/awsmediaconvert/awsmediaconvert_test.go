package awsmediaconvert_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/mediaconvert"
	"github.com/aws/aws-sdk-go-v2/service/mediaconvert/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/servous/servous/events"
	"github.com/servous/servous/transcode"
	"github.com/servous/servous/transcode/awsmediaconvert"
	"github.com/servous/servous/transcode/transcodetest"
)

const role = "arn:aws:iam::111122223333:role/MediaConvertRole"

func newClient(t *testing.T, url string) *mediaconvert.Client {
	t.Helper()
	return mediaconvert.New(mediaconvert.Options{
		Region:       "us-west-2",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
	})
}

// recorder is an events.Publisher that keeps what it is given.
type recorder struct {
	mu     sync.Mutex
	events []events.Event
}

func (r *recorder) Publish(_ context.Context, e events.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	return nil
}

func (r *recorder) all() []events.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]events.Event(nil), r.events...)
}

func job() *transcode.Job {
	return &transcode.Job{
		Input: transcode.Object{Bucket: "uploads", Key: "u/1/cat.mov"},
		Renditions: []transcode.Rendition{
			{Name: "-720p", Height: 720},
			{Name: "-480p", Height: 480, Bitrate: 1_500_000},
			{Name: "-box", Width: 640, Height: 640, NoUpscale: true, Quality: 9},
		},
		Thumbnail: &transcode.Thumbnail{Name: "-thumb", Width: 320},
		Output:    transcode.Destination{Bucket: "videos", Prefix: "v/1/"},
		Metadata:  map[string]string{"video": "1"},
	}
}

func TestSubmitGetCompleteAndEvent(t *testing.T) {
	rec := &recorder{}
	srv := transcodetest.NewMediaConvert(&transcodetest.MediaConvertOptions{Region: "us-west-2", Publisher: rec})
	t.Cleanup(srv.Close)
	tr := awsmediaconvert.New(newClient(t, srv.URL), role, nil)
	ctx := t.Context()

	id, err := tr.Submit(ctx, job())
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	st, err := tr.Get(ctx, id)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if diff := cmp.Diff(&transcode.Status{ID: id, State: transcode.StateSubmitted, Percent: -1, Metadata: map[string]string{"video": "1"}}, st); diff != "" {
		t.Errorf("Get after Submit (-want +got):\n%s", diff)
	}
	if err := srv.Start(id); err != nil {
		t.Fatal(err)
	}
	if err := srv.Progress(id, 40); err != nil {
		t.Fatal(err)
	}
	if st, err = tr.Get(ctx, id); err != nil || st.State != transcode.StateProgressing || st.Percent != 40 {
		t.Errorf("Get while progressing = %+v, %v; want PROGRESSING 40%%", st, err)
	}
	if err := srv.Complete(id, transcodetest.VideoInfo{Width: 1920, Height: 1080, Duration: 12345 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	st, err = tr.Get(ctx, id)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	d := 12345 * time.Millisecond
	want := &transcode.Status{ID: id, State: transcode.StateComplete, Percent: -1, Metadata: map[string]string{"video": "1"},
		Outputs: []transcode.Output{
			{Bucket: "videos", Key: "v/1/cat-720p.mp4", Width: 1280, Height: 720, Duration: d},
			{Bucket: "videos", Key: "v/1/cat-480p.mp4", Width: 854, Height: 480, Duration: d},
			{Bucket: "videos", Key: "v/1/cat-box.mp4", Width: 640, Height: 360, Duration: d},
			{Bucket: "videos", Key: "v/1/cat-thumb.0000000.jpg", Width: 320, Height: 180},
		}}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("Get after Complete (-want +got):\n%s", diff)
	}

	evs := rec.all()
	if len(evs) != 2 {
		t.Fatalf("published %d events, want PROGRESSING and COMPLETE", len(evs))
	}
	for _, e := range evs {
		if e.Source != events.SourceMediaConvert || e.Type != events.DetailTypeJobStateChange {
			t.Errorf("event source %q type %q", e.Source, e.Type)
		}
	}
	fromEvent, err := transcode.DecodeEvent(evs[1].Payload)
	if err != nil {
		t.Fatalf("DecodeEvent: %v", err)
	}
	if diff := cmp.Diff(want, fromEvent); diff != "" {
		t.Errorf("DecodeEvent(COMPLETE) (-want +got):\n%s", diff)
	}
	if err := tr.Cancel(ctx, id); !errors.Is(err, transcode.ErrFinished) {
		t.Errorf("Cancel after COMPLETE = %v, want ErrFinished", err)
	}
}

func TestFailAndCancel(t *testing.T) {
	rec := &recorder{}
	srv := transcodetest.NewMediaConvert(&transcodetest.MediaConvertOptions{Publisher: rec})
	t.Cleanup(srv.Close)
	tr := awsmediaconvert.New(newClient(t, srv.URL), role, &awsmediaconvert.Options{Queue: "Default"})
	ctx := t.Context()

	failed, err := tr.Submit(ctx, job())
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Fail(failed, 1010, "Unable to open input file"); err != nil {
		t.Fatal(err)
	}
	st, err := tr.Get(ctx, failed)
	if err != nil || st.State != transcode.StateError || st.ErrorCode != 1010 || st.ErrorMessage != "Unable to open input file" {
		t.Errorf("Get failed job = %+v, %v", st, err)
	}
	evs := rec.all()
	last, err := transcode.DecodeEvent(evs[len(evs)-1].Payload)
	if err != nil || last.State != transcode.StateError || last.ErrorCode != 1010 {
		t.Errorf("DecodeEvent(ERROR) = %+v, %v", last, err)
	}

	canceled, err := tr.Submit(ctx, job())
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Cancel(ctx, canceled); err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	if st, err := tr.Get(ctx, canceled); err != nil || st.State != transcode.StateCanceled {
		t.Errorf("Get canceled job = %+v, %v", st, err)
	}
	if err := tr.Cancel(ctx, canceled); !errors.Is(err, transcode.ErrFinished) {
		t.Errorf("second Cancel = %v, want ErrFinished", err)
	}
	if err := srv.Complete(canceled, transcodetest.VideoInfo{Width: 64, Height: 64}); err == nil {
		t.Error("Complete of a canceled job succeeded")
	}
}

func TestErrors(t *testing.T) {
	srv := transcodetest.NewMediaConvert(nil)
	t.Cleanup(srv.Close)
	ctx := t.Context()
	tr := awsmediaconvert.New(newClient(t, srv.URL), role, nil)

	_, err := tr.Get(ctx, "1536964333549-opn151")
	var ae smithy.APIError
	if !errors.Is(err, transcode.ErrNotFound) || !errors.As(err, &ae) || ae.ErrorCode() != "NotFoundException" {
		t.Errorf("Get unknown = %v, want ErrNotFound and NotFoundException", err)
	}
	if err := tr.Cancel(ctx, "nope"); !errors.Is(err, transcode.ErrNotFound) {
		t.Errorf("Cancel unknown = %v, want ErrNotFound", err)
	}
	bad := job()
	bad.Renditions[0].Height = 100000
	if _, err := tr.Submit(ctx, bad); !errors.Is(err, transcode.ErrInvalidJob) {
		t.Errorf("Submit absurd rendition = %v, want ErrInvalidJob", err)
	}

	// A role the service refuses gets past local validation and comes back as a
	// BadRequestException.
	noRole := awsmediaconvert.New(newClient(t, srv.URL), "not-a-role", nil)
	_, err = noRole.Submit(ctx, job())
	if !errors.Is(err, transcode.ErrInvalidJob) || !errors.As(err, &ae) || ae.ErrorCode() != "BadRequestException" || !strings.Contains(ae.ErrorMessage(), "/role") {
		t.Errorf("Submit with a bad role = %v, want ErrInvalidJob and BadRequestException about /role", err)
	}
}

// counter is an HTTP client that counts the requests it sends.
type counter struct{ n atomic.Int64 }

func (c *counter) Do(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultClient.Do(r)
}

// An id no job can have is not found, as memtranscode says; one that cannot be put in a
// request path is refused without a request.
func TestMalformedIDNotFound(t *testing.T) {
	srv := transcodetest.NewMediaConvert(nil)
	t.Cleanup(srv.Close)
	c := &counter{}
	client := mediaconvert.New(mediaconvert.Options{
		Region:       "us-west-2",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		HTTPClient:   c,
	})
	tr := awsmediaconvert.New(client, role, nil)
	for _, tc := range []struct {
		id   string
		sent bool
	}{
		{"", false},
		{".", false},
		{"..", false},
		{" ", true},
		{"a/b", true},
		{"?x", true},
	} {
		before := c.n.Load()
		if _, err := tr.Get(t.Context(), tc.id); !errors.Is(err, transcode.ErrNotFound) {
			t.Errorf("Get(%q) = %v, want ErrNotFound", tc.id, err)
		}
		if err := tr.Cancel(t.Context(), tc.id); !errors.Is(err, transcode.ErrNotFound) {
			t.Errorf("Cancel(%q) = %v, want ErrNotFound", tc.id, err)
		}
		if sent := c.n.Load() != before; sent != tc.sent {
			t.Errorf("Get and Cancel of %q sent requests: %v, want %v", tc.id, sent, tc.sent)
		}
	}
}

func TestIdempotencyToken(t *testing.T) {
	srv := transcodetest.NewMediaConvert(nil)
	t.Cleanup(srv.Close)
	tr := awsmediaconvert.New(newClient(t, srv.URL), role, nil)
	j := job()
	j.IdempotencyToken = "upload-42"
	a, err := tr.Submit(t.Context(), j)
	if err != nil {
		t.Fatal(err)
	}
	b, err := tr.Submit(t.Context(), j)
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Errorf("same token gave jobs %q and %q", a, b)
	}
	j.IdempotencyToken = ""
	c, err := tr.Submit(t.Context(), j)
	if err != nil || c == a {
		t.Errorf("Submit without token = %q, %v; want a new job", c, err)
	}
}

func TestSettings(t *testing.T) {
	s := awsmediaconvert.Settings(job())
	if got := aws.ToString(s.Inputs[0].FileInput); got != "s3://uploads/u/1/cat.mov" {
		t.Errorf("FileInput = %q", got)
	}
	g := s.OutputGroups[0]
	if got := aws.ToString(g.OutputGroupSettings.FileGroupSettings.Destination); got != "s3://videos/v/1/" {
		t.Errorf("Destination = %q", got)
	}
	var mods []string
	for _, o := range g.Outputs {
		mods = append(mods, aws.ToString(o.NameModifier))
	}
	if diff := cmp.Diff([]string{"-720p", "-480p", "-box", "-thumb"}, mods); diff != "" {
		t.Errorf("name modifiers (-want +got):\n%s", diff)
	}
	h720 := g.Outputs[0].VideoDescription.CodecSettings.H264Settings
	if h720.RateControlMode != types.H264RateControlModeQvbr || aws.ToInt32(h720.QvbrSettings.QvbrQualityLevel) != 7 || aws.ToInt32(h720.MaxBitrate) == 0 {
		t.Errorf("720p rate control = %s level %v max %v", h720.RateControlMode, h720.QvbrSettings, h720.MaxBitrate)
	}
	h480 := g.Outputs[1].VideoDescription.CodecSettings.H264Settings
	if h480.RateControlMode != types.H264RateControlModeVbr || aws.ToInt32(h480.Bitrate) != 1_500_000 {
		t.Errorf("480p rate control = %s bitrate %v", h480.RateControlMode, h480.Bitrate)
	}
	if sb := g.Outputs[2].VideoDescription.ScalingBehavior; sb != types.ScalingBehaviorFitNoUpscale {
		t.Errorf("box scaling = %s", sb)
	}
	th := g.Outputs[3]
	if th.ContainerSettings.Container != types.ContainerTypeRaw || aws.ToInt32(th.VideoDescription.CodecSettings.FrameCaptureSettings.MaxCaptures) != 1 {
		t.Errorf("thumbnail output = %+v", th)
	}
}
