package jobevent

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/servous/servous/events"
	"github.com/servous/servous/transcode"
)

func TestRoundTrip(t *testing.T) {
	st := &transcode.Status{
		ID: "1536964333549-opn151", State: transcode.StateComplete, Percent: -1,
		Metadata: map[string]string{"video": "7"},
		Outputs: []transcode.Output{
			{Bucket: "videos", Key: "a/cat-720p.mp4", Width: 1280, Height: 720, Duration: 2500 * time.Millisecond, Size: 1 << 20},
			{Bucket: "videos", Key: "a/cat-t.0000000.jpg", Width: 320, Height: 180, Size: 9000},
		},
	}
	e, err := events.NewJobStateChange(Event(st, "eu-west-1", "123456789012", "arn:aws:mediaconvert:eu-west-1:123456789012:queues/Default", time.Unix(1700000000, 0)))
	if err != nil {
		t.Fatal(err)
	}
	jc, err := events.DecodeJobStateChange(e.Payload)
	if err != nil {
		t.Fatal(err)
	}
	if jc.OutputGroups[0].Outputs[0].AverageBitrate != 3355443 {
		t.Errorf("average bitrate = %d, want size×8/duration", jc.OutputGroups[0].Outputs[0].AverageBitrate)
	}
	// MediaConvert reports a frame capture with the job's duration, not the picture's none.
	if d := jc.OutputGroups[0].Outputs[1].DurationMs; d != 2500 {
		t.Errorf("frame capture durationInMs = %d, want the job's 2500", d)
	}
	want := *st
	want.Outputs = append([]transcode.Output(nil), st.Outputs...)
	for i := range want.Outputs {
		want.Outputs[i].Size = 0 // events do not carry sizes
	}
	if diff := cmp.Diff(&want, Status(jc)); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestSplitS3(t *testing.T) {
	for in, want := range map[string][3]string{
		"s3://b/k/x.mp4": {"b", "k/x.mp4", "true"},
		"s3://b/":        {"b", "", "false"},
		"https://b/k":    {"", "", "false"},
	} {
		b, k, ok := SplitS3(in)
		if got := [3]string{b, k, map[bool]string{true: "true", false: "false"}[ok]}; got != want {
			t.Errorf("SplitS3(%q) = %v, want %v", in, got, want)
		}
	}
}

// Every status of a "MediaConvert Job State Change" maps to a transcode.State; any other is
// malformed.
func TestState(t *testing.T) {
	for _, tc := range []struct {
		status events.JobStatus
		want   transcode.State
	}{
		{events.JobSubmitted, transcode.StateSubmitted},
		{events.JobQueueHop, transcode.StateSubmitted},
		{events.JobProgressing, transcode.StateProgressing},
		{events.JobInputInformation, transcode.StateProgressing},
		{events.JobStatusUpdate, transcode.StateProgressing},
		{events.JobNewWarning, transcode.StateProgressing},
		{events.JobComplete, transcode.StateComplete},
		{events.JobError, transcode.StateError},
		{events.JobCanceled, transcode.StateCanceled},
	} {
		got, err := State(tc.status)
		if err != nil || got != tc.want {
			t.Errorf("State(%s) = %q, %v; want %s", tc.status, got, err, tc.want)
		}
		e := events.JobStateChange{JobID: "1536964333549-opn151", Status: tc.status}
		st, err := Decode(e)
		if err != nil || st.State != tc.want {
			t.Errorf("Decode of a %s event = %+v, %v; want state %s", tc.status, st, err, tc.want)
		}
		if st := Status(e); st.State != tc.want {
			t.Errorf("Status of a %s event has state %q, want %s", tc.status, st.State, tc.want)
		}
	}
	for _, s := range []events.JobStatus{"", "PAUSED", "progressing", "COMPLETED"} {
		if got, err := State(s); !errors.Is(err, events.ErrMalformed) {
			t.Errorf("State(%q) = %q, %v; want an error wrapping ErrMalformed", s, got, err)
		}
		if st, err := Decode(events.JobStateChange{JobID: "1536964333549-opn151", Status: s}); !errors.Is(err, events.ErrMalformed) || st != nil {
			t.Errorf("Decode of a %q event = %+v, %v; want nil and ErrMalformed", s, st, err)
		}
	}
}
