package cost

import (
	"context"
	"sync"
	"time"

	"github.com/servous/servous/transcode"
)

// MediaConvert's resource in a [Key]: jobs run in the account's default on-demand queue.
const mediaConvertQueue = "Default"

// Transcoder returns t metering the outputs of each job it sees complete through Get, once
// per job id, as [Meter.JobDone] does. Submit and Cancel are passed through: MediaConvert
// bills outputs, not requests.
func Transcoder(t transcode.Transcoder, m *Meter) transcode.Transcoder {
	return &meteredTranscoder{t: t, m: m}
}

type meteredTranscoder struct {
	t transcode.Transcoder
	m *Meter
}

func (mt *meteredTranscoder) Submit(ctx context.Context, job *transcode.Job) (string, error) {
	return mt.t.Submit(ctx, job)
}

func (mt *meteredTranscoder) Get(ctx context.Context, id string) (*transcode.Status, error) {
	s, err := mt.t.Get(ctx, id)
	if err == nil && s != nil {
		mt.m.JobDone(s)
	}
	return s, err
}

func (mt *meteredTranscoder) Cancel(ctx context.Context, id string) error {
	return mt.t.Cancel(ctx, id)
}

// JobDone meters the outputs of a complete job, once per job id; statuses of jobs in any
// other state, and repeats, are ignored. Code that learns of a job's end from its state
// change event calls it with the status [transcode.DecodeEvent] returns, so a job whose end
// is delivered twice is metered once (per Meter).
//
// Pricing (https://aws.amazon.com/mediaconvert/pricing/, on-demand): MediaConvert bills
// each output by its duration, in output minutes, at a rate set by the output's resolution
// (SD below 720 lines, HD from 720 up to 1080, UHD above), frame rate and the features it
// uses. Every output of a transcode job (H.264, QVBR or VBR, single-pass HQ; see
// awsmediaconvert's settings) uses only Basic tier features: the pricing page's Basic tier
// covers "AVC codec and speed-optimized or balanced single-pass encoding", and the
// H264QualityTuningLevel reference calls SINGLE_PASS_HQ the balance of speed and quality and
// says only MULTI_PASS_HQ outputs "incur pro-tier pricing". So the Basic tier's prices apply.
// (Earlier, single-pass HQ was billed at the Professional tier, as bills quoted in
// aws-solutions-library-samples/video-on-demand-on-aws issue 90 show: "HD, AVC/H.264, <=30
// fps, Single pass HQ, Pro Tier".) The resolution class is taken from the output's shorter
// side, so a portrait 1080×1920 video is HD, as its landscape twin is. An output's duration
// is rounded up to the 0.01 minute on-demand queues bill in (the CreateQueue API reference:
// "billed in increments of .01 minute"), with a minimum of 10 seconds per output (the
// pricing page's on-demand terms, read from a translated copy).
//
// Frame rate is not known from a status: outputs keep their input's frame rate, and the
// meter assumes 30 frames per second or fewer, the lowest rate class. Faster outputs cost
// more, by a multiplier per frame rate class (twice as much up to 60 frames per second in
// the pricing we could read; not confirmed against the current page).
//
// A thumbnail is a frame capture output. MediaConvert reports a duration for a frame
// capture as for a video output, about the job's (the user guide's "File group with a frame
// capture output" shows one of 185000 ms beside its MP4's 180041 ms), and bills an output by
// its duration, so the meter counts a thumbnail for the job's longest output duration at its
// own resolution's rate (a Status gives thumbnails no duration). The pricing page does not
// list frame captures separately; this could not be confirmed.
func (m *Meter) JobDone(s *transcode.Status) {
	if s == nil || s.State != transcode.StateComplete || !m.jobs.first(s.ID) {
		return
	}
	var longest time.Duration
	for _, o := range s.Outputs {
		longest = max(longest, o.Duration)
	}
	for _, o := range s.Outputs {
		d := o.Duration
		if d == 0 {
			d = longest
		}
		m.Add(Key{ServiceMediaConvert, mediaConvertQueue, resolutionUnit(o.Width, o.Height)}, OutputMinutes(d))
	}
}

// OutputMinutes returns the minutes MediaConvert bills for an output of duration d: d in
// minutes, rounded up to the next 0.01 minute, and at least 10 seconds.
func OutputMinutes(d time.Duration) float64 {
	d = max(d, 10*time.Second)
	// Hundredths of a minute are 600 ms each.
	const step = 600 * time.Millisecond
	n := (d + step - 1) / step
	return float64(n) / 100
}

// resolutionUnit names MediaConvert's resolution class of a w×h output.
func resolutionUnit(w, h int) string {
	lines := min(w, h)
	if lines <= 0 {
		lines = max(w, h)
	}
	switch {
	case lines < 720:
		return UnitMinutesSD
	case lines <= 1080:
		return UnitMinutesHD
	default:
		return UnitMinutesUHD
	}
}

// jobSet remembers the jobs metered.
type jobSet struct {
	mu  sync.Mutex
	ids map[string]struct{}
}

// first reports whether id is new, and remembers it.
func (j *jobSet) first(id string) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, ok := j.ids[id]; ok {
		return false
	}
	j.ids[id] = struct{}{}
	return true
}
