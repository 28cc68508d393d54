package transcode

import (
	"fmt"
	"strings"
	"time"

	"github.com/servous/servous/events"
)

// DecodeEvent decodes a "MediaConvert Job State Change" EventBridge event, as a rule delivers
// it to a function, into the status of the job it reports: its id, state, metadata, error, and
// for a complete job its outputs, in the order of the job's renditions, then the thumbnail.
// Every adapter publishes these events, and MediaConvert itself does, so a function handling
// them works with all of them.
//
// Every status MediaConvert sends maps to a State: INPUT_INFORMATION, STATUS_UPDATE and
// NEW_WARNING, sent while a job runs, to StateProgressing (with Percent from a
// STATUS_UPDATE's jobPercentComplete, -1 otherwise); QUEUE_HOP, sent while a job waits in a
// queue, to StateSubmitted; the rest to the state of the same name. An output's Bucket and
// Key come from its first s3:// file path; a thumbnail (a frame capture, whose event
// reports the job's duration) has Duration 0, as in the Status Get returns. Size is 0: the
// event does not carry it.
//
// The error wraps events.ErrWrongKind for another kind of event, and events.ErrMalformed for
// a payload that is not one, including one whose status MediaConvert does not send.
func DecodeEvent(payload []byte) (*Status, error) {
	e, err := events.DecodeJobStateChange(payload)
	if err != nil {
		return nil, fmt.Errorf("transcode: decode job event: %w", err)
	}
	state, err := eventState(e.Status)
	if err != nil {
		return nil, fmt.Errorf("transcode: decode job event: %w", err)
	}
	st := &Status{
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
			out := Output{
				Width:    o.Width,
				Height:   o.Height,
				Duration: time.Duration(o.DurationMs) * time.Millisecond,
			}
			if len(o.FilePaths) > 0 {
				out.Bucket, out.Key = splitS3(o.FilePaths[0])
			}
			if strings.HasSuffix(out.Key, ".jpg") {
				out.Duration = 0 // a frame capture reports the job's duration, not the picture's
			}
			st.Outputs = append(st.Outputs, out)
		}
	}
	return st, nil
}

// eventState returns the state a job state change status reports.
func eventState(s events.JobStatus) (State, error) {
	switch s {
	case events.JobSubmitted, events.JobQueueHop:
		return StateSubmitted, nil
	case events.JobProgressing, events.JobInputInformation, events.JobStatusUpdate:
		return StateProgressing, nil
	case events.JobNewWarning:
		// A warning does not stop the job. MediaConvert sends one for a queued job only when
		// it cannot hop queues (warning 100000), and no adapter sets queue hopping; every
		// other warning comes from processing.
		return StateProgressing, nil
	case events.JobComplete:
		return StateComplete, nil
	case events.JobError:
		return StateError, nil
	case events.JobCanceled:
		return StateCanceled, nil
	}
	return "", fmt.Errorf("%w: job state change status %q is not one MediaConvert sends", events.ErrMalformed, s)
}

// splitS3 splits "s3://bucket/key"; anything else gives empty strings.
func splitS3(u string) (bucket, key string) {
	rest, ok := strings.CutPrefix(u, "s3://")
	if !ok {
		return "", ""
	}
	bucket, key, ok = strings.Cut(rest, "/")
	if !ok || bucket == "" || key == "" {
		return "", ""
	}
	return bucket, key
}
