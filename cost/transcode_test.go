package cost_test

import (
	"context"
	"testing"
	"time"

	"github.com/servous/servous/cost"
	"github.com/servous/servous/events"
	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/memstorage"
	"github.com/servous/servous/transcode"
	"github.com/servous/servous/transcode/memtranscode"
	"github.com/servous/servous/transcode/transcodetest"
)

// OutputMinutes rounds up to the 0.01 minute on-demand queues bill in, with MediaConvert's
// 10-second minimum per output.
func TestOutputMinutes(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want float64
	}{
		{0, 10.0 / 60}, // 10 s is 0.1666… minutes, rounded up to 0.17
		{time.Second, 0.17},
		{45 * time.Second, 0.75},
		{45*time.Second + time.Millisecond, 0.76},
		{10 * time.Minute, 10},
	} {
		want := c.want
		if c.d == 0 {
			want = 0.17
		}
		near(t, c.d.String(), cost.OutputMinutes(c.d), want)
	}
}

// MediaConvert pricing (https://aws.amazon.com/mediaconvert/pricing/, Basic tier, up to 30
// fps): SD $0.0075, HD $0.015, UHD $0.030 per output minute. A 10-minute job with a 1080p,
// a 720p portrait, a 480p and a 2160p output and a thumbnail: 10 HD minutes twice, 10 SD
// minutes, 10 UHD minutes and the thumbnail for the job's 10 minutes at SD; a job's end
// seen twice is metered once.
func TestJobDoneTiers(t *testing.T) {
	m := cost.NewMeter(nil)
	s := &transcode.Status{ID: "job-1", State: transcode.StateComplete, Outputs: []transcode.Output{
		{Width: 1920, Height: 1080, Duration: 10 * time.Minute},
		{Width: 720, Height: 1280, Duration: 10 * time.Minute},
		{Width: 854, Height: 480, Duration: 10 * time.Minute},
		{Width: 3840, Height: 2160, Duration: 10 * time.Minute},
		{Width: 640, Height: 360}, // the thumbnail
	}}
	m.JobDone(s)
	m.JobDone(s)
	m.JobDone(&transcode.Status{ID: "job-2", State: transcode.StateError})
	u := m.Usage()
	near(t, "HD minutes", u.Get("mediaconvert", "Default", cost.UnitMinutesHD), 20)
	near(t, "SD minutes", u.Get("mediaconvert", "Default", cost.UnitMinutesSD), 20)
	near(t, "UHD minutes", u.Get("mediaconvert", "Default", cost.UnitMinutesUHD), 10)
	near(t, "cost", u.Report(cost.USEast1()).Total, 20*0.015+20*0.0075+10*0.030)
}

// The wrapper meters a job it sees complete through Get, once, with the in-memory
// transcoder; a status decoded from the job's state change event, given to JobDone, is the
// same job and adds nothing.
func TestTranscoderWithMemtranscode(t *testing.T) {
	ctx := t.Context()
	uploads, videos := memstorage.New("uploads", nil), memstorage.New("videos", nil)
	if _, err := storage.PutBytes(ctx, uploads, "u/clip.mp4", transcodetest.Clip(), nil); err != nil { // 320×240, 1 s
		t.Fatal(err)
	}
	ended := make(chan *transcode.Status, 4)
	bus := publisherFunc(func(_ context.Context, e events.Event) error {
		if s, err := transcode.DecodeEvent(e.Payload); err == nil && s.State.Final() {
			ended <- s
		}
		return nil
	})
	tr := memtranscode.New(map[string]storage.Bucket{"uploads": uploads, "videos": videos}, &memtranscode.Options{Publisher: bus})
	t.Cleanup(func() { tr.Close() })
	m := cost.NewMeter(nil)
	mt := cost.Transcoder(tr, m)
	id, err := mt.Submit(ctx, &transcode.Job{
		Input:      transcode.Object{Bucket: "uploads", Key: "u/clip.mp4"},
		Renditions: []transcode.Rendition{{Name: "-180p", Height: 180}},
		Thumbnail:  &transcode.Thumbnail{Name: "-thumb", Width: 160},
		Output:     transcode.Destination{Bucket: "videos", Prefix: "v/"},
	})
	if err != nil {
		t.Fatal(err)
	}
	evs := <-ended
	if evs.State != transcode.StateComplete {
		t.Fatalf("job ended %s", evs.State)
	}
	for range 2 {
		if _, err := mt.Get(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	m.JobDone(evs)
	// Two SD outputs (the rendition and the thumbnail) of 1 s, billed 10 s each: 0.17 min.
	near(t, "SD minutes", m.Usage().Get("mediaconvert", "Default", cost.UnitMinutesSD), 0.34)
}

type publisherFunc func(context.Context, events.Event) error

func (f publisherFunc) Publish(ctx context.Context, e events.Event) error { return f(ctx, e) }
