package jobevent

import (
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
	got, err := transcode.DecodeEvent(e.Payload)
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
	if diff := cmp.Diff(&want, got); diff != "" {
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
