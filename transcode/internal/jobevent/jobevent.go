// Package jobevent converts between transcode.Status and events.JobStateChange, the
// "MediaConvert Job State Change" event every transcoder emits.
package jobevent

import (
	"fmt"
	"strings"
	"time"

	"github.com/servous/servous/events"
	"github.com/servous/servous/transcode"
)

// State returns the job state that a "MediaConvert Job State Change" status reports. Every
// status MediaConvert documents maps to a transcode.State: the in-flight events
// (INPUT_INFORMATION, STATUS_UPDATE, NEW_WARNING) to PROGRESSING, and QUEUE_HOP, which a job
// makes while it waits in a queue, to SUBMITTED. Another status is an error wrapping
// events.ErrMalformed.
func State(s events.JobStatus) (transcode.State, error) {
	switch s {
	case events.JobSubmitted, events.JobQueueHop:
		return transcode.StateSubmitted, nil
	case events.JobProgressing, events.JobInputInformation, events.JobStatusUpdate:
		return transcode.StateProgressing, nil
	case events.JobNewWarning:
		// A warning does not stop the job. MediaConvert sends one for a queued job only
		// when it cannot hop queues (warning 100000), and Submit never sets queue hopping;
		// every other warning comes from processing.
		return transcode.StateProgressing, nil
	case events.JobComplete:
		return transcode.StateComplete, nil
	case events.JobError:
		return transcode.StateError, nil
	case events.JobCanceled:
		return transcode.StateCanceled, nil
	}
	return "", fmt.Errorf("%w: job state change status %q is not one MediaConvert sends", events.ErrMalformed, s)
}

// Decode returns the status an event reports, or an error from State for a status
// MediaConvert does not send.
func Decode(e events.JobStateChange) (*transcode.Status, error) {
	if _, err := State(e.Status); err != nil {
		return nil, err
	}
	return Status(e), nil
}

// Status returns the status an event reports. Output sizes are 0: the event does not carry
// them. It is for events whose status State knows, such as those a runner publishes; for
// another status the State is empty, and Decode says why.
func Status(e events.JobStateChange) *transcode.Status {
	state, _ := State(e.Status)
	st := &transcode.Status{
		ID:           e.JobID,
		State:        state,
		Percent:      -1,
		ErrorCode:    e.ErrorCode,
		ErrorMessage: e.ErrorMessage,
		Metadata:     e.UserMetadata,
	}
	if e.Progress != nil {
		st.Percent = e.Progress.Percent
	}
	for _, g := range e.OutputGroups {
		for _, o := range g.Outputs {
			out := transcode.Output{
				Width:    o.Width,
				Height:   o.Height,
				Duration: time.Duration(o.DurationMs) * time.Millisecond,
			}
			if len(o.FilePaths) > 0 {
				out.Bucket, out.Key, _ = SplitS3(o.FilePaths[0])
			}
			if strings.HasSuffix(out.Key, ".jpg") {
				// A frame capture reports the job's duration, not the picture's.
				out.Duration = 0
			}
			st.Outputs = append(st.Outputs, out)
		}
	}
	return st
}

// Event returns the event that reports st, for a job in queue.
func Event(st *transcode.Status, region, account, queue string, now time.Time) events.JobStateChange {
	e := events.JobStateChange{
		Envelope:     events.Envelope{Region: region, Account: account, Time: now},
		Timestamp:    now,
		Status:       events.JobStatus(st.State),
		JobID:        st.ID,
		Queue:        queue,
		UserMetadata: st.Metadata,
		ErrorCode:    st.ErrorCode,
		ErrorMessage: st.ErrorMessage,
	}
	if e.UserMetadata == nil {
		e.UserMetadata = map[string]string{}
	}
	if len(st.Outputs) > 0 {
		var job time.Duration // the longest output's, which a frame capture reports
		for _, o := range st.Outputs {
			job = max(job, o.Duration)
		}
		g := events.OutputGroupDetail{Type: "FILE_GROUP"}
		for _, o := range st.Outputs {
			d := events.OutputDetail{
				FilePaths:  []string{S3URL(o.Bucket, o.Key)},
				DurationMs: o.Duration.Milliseconds(),
				Width:      o.Width,
				Height:     o.Height,
			}
			if o.Duration == 0 && strings.HasSuffix(o.Key, ".jpg") {
				d.DurationMs = job.Milliseconds()
			}
			if o.Duration > 0 {
				d.AverageBitrate = int64(float64(o.Size*8) / o.Duration.Seconds())
			}
			g.Outputs = append(g.Outputs, d)
		}
		e.OutputGroups = []events.OutputGroupDetail{g}
	}
	return e
}

// S3URL returns "s3://bucket/key".
func S3URL(bucket, key string) string { return fmt.Sprintf("s3://%s/%s", bucket, key) }

// SplitS3 splits "s3://bucket/key".
func SplitS3(u string) (bucket, key string, ok bool) {
	rest, ok := strings.CutPrefix(u, "s3://")
	if !ok {
		return "", "", false
	}
	bucket, key, ok = strings.Cut(rest, "/")
	return bucket, key, ok && bucket != "" && key != ""
}
