package transcode_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/servous/servous/events"
	"github.com/servous/servous/transcode"
)

// Every status MediaConvert sends decodes to a transcode.State; the payloads have the shape
// of the examples in MediaConvert's list of EventBridge events.
func TestDecodeEventFixtures(t *testing.T) {
	const id = "1671476818694-phptj0"
	meta := map[string]string{"video": "7"}
	for _, tc := range []struct {
		file string
		want *transcode.Status
	}{
		{"complete", &transcode.Status{ID: "1536964333549-opn151", State: transcode.StateComplete, Percent: -1, Metadata: map[string]string{},
			Outputs: []transcode.Output{{Bucket: "amzn-s3-demo-bucket", Key: "file/file.mp4", Width: 1280, Height: 720, Duration: 180041 * time.Millisecond}}}},
		{"error", &transcode.Status{ID: id, State: transcode.StateError, Percent: -1, Metadata: map[string]string{},
			ErrorCode: 1040, ErrorMessage: "Example error message"}},
		{"canceled", &transcode.Status{ID: id, State: transcode.StateCanceled, Percent: -1, Metadata: meta}},
		{"progressing", &transcode.Status{ID: id, State: transcode.StateProgressing, Percent: -1, Metadata: meta}},
		// Sent once MediaConvert has read the input: the job is running.
		{"input-information", &transcode.Status{ID: id, State: transcode.StateProgressing, Percent: -1, Metadata: meta}},
		{"status-update", &transcode.Status{ID: id, State: transcode.StateProgressing, Percent: 34, Metadata: meta}},
		// A warning does not stop the job.
		{"new-warning", &transcode.Status{ID: id, State: transcode.StateProgressing, Percent: -1, Metadata: meta}},
		// A job hops queues while it waits to start.
		{"queue-hop", &transcode.Status{ID: id, State: transcode.StateSubmitted, Percent: -1, Metadata: meta}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b, err := os.ReadFile("testdata/mediaconvert-job-" + tc.file + ".json")
			if err != nil {
				t.Fatal(err)
			}
			st, err := transcode.DecodeEvent(b)
			if err != nil {
				t.Fatalf("DecodeEvent: %v", err)
			}
			if diff := cmp.Diff(tc.want, st); diff != "" {
				t.Errorf("DecodeEvent (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeEventRejects(t *testing.T) {
	progressing, err := os.ReadFile("testdata/mediaconvert-job-progressing.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		payload []byte
		want    error
	}{
		{"S3 event", []byte(`{"source":"aws.s3"}`), events.ErrWrongKind},
		{"status MediaConvert does not send", []byte(strings.Replace(string(progressing), `"PROGRESSING"`, `"PAUSED"`, 1)), events.ErrMalformed},
		{"no status", []byte(strings.Replace(string(progressing), `"status": "PROGRESSING",`, "", 1)), events.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := transcode.DecodeEvent(tc.payload)
			if !errors.Is(err, tc.want) || st != nil {
				t.Errorf("DecodeEvent = %+v, %v; want nil and an error wrapping %v", st, err, tc.want)
			}
		})
	}
}

// Every status of a "MediaConvert Job State Change" decodes to a State; any other is
// malformed.
func TestDecodeEventStates(t *testing.T) {
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
		e, err := events.NewJobStateChange(events.JobStateChange{JobID: "1536964333549-opn151", Status: tc.status})
		if err != nil {
			t.Fatal(err)
		}
		st, err := transcode.DecodeEvent(e.Payload)
		if err != nil || st.State != tc.want {
			t.Errorf("DecodeEvent of a %s event = %+v, %v; want state %s", tc.status, st, err, tc.want)
		}
	}
}

// A complete job's outputs come from the event's file paths; a frame capture has no duration,
// and a path that is not an s3:// URL gives no bucket or key.
func TestDecodeEventOutputs(t *testing.T) {
	e, err := events.NewJobStateChange(events.JobStateChange{
		JobID: "1536964333549-opn151", Status: events.JobComplete,
		UserMetadata: map[string]string{"video": "7"},
		OutputGroups: []events.OutputGroupDetail{{Type: "FILE_GROUP", Outputs: []events.OutputDetail{
			{FilePaths: []string{"s3://media/v/7/cat-720p.mp4"}, DurationMs: 2500, Width: 1280, Height: 720},
			{FilePaths: []string{"s3://media/v/7/cat-thumb.0000000.jpg"}, DurationMs: 2500, Width: 640, Height: 360},
			{FilePaths: []string{"https://media/v/7/x.mp4"}, DurationMs: 2500, Width: 320, Height: 180},
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := transcode.DecodeEvent(e.Payload)
	if err != nil {
		t.Fatal(err)
	}
	want := &transcode.Status{
		ID: "1536964333549-opn151", State: transcode.StateComplete, Percent: -1,
		Metadata: map[string]string{"video": "7"},
		Outputs: []transcode.Output{
			{Bucket: "media", Key: "v/7/cat-720p.mp4", Width: 1280, Height: 720, Duration: 2500 * time.Millisecond},
			{Bucket: "media", Key: "v/7/cat-thumb.0000000.jpg", Width: 640, Height: 360},
			{Width: 320, Height: 180, Duration: 2500 * time.Millisecond},
		},
	}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("DecodeEvent (-want +got):\n%s", diff)
	}
}
