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

// Status returns the status an event reports. Output sizes are 0: the event does not carry
// them.
func Status(e events.JobStateChange) *transcode.Status {
	st := &transcode.Status{
		ID:           e.JobID,
		State:        transcode.State(e.Status),
		Percent:      -1,
		ErrorCode:    e.ErrorCode,
		ErrorMessage: e.ErrorMessage,
		Metadata:     e.UserMetadata,
	}
	if e.Progress != nil {
		st.Percent = e.Progress.Percent
	}
	if e.Status == events.JobStatusUpdate {
		st.State = transcode.StateProgressing
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
		g := events.OutputGroupDetail{Type: "FILE_GROUP"}
		for _, o := range st.Outputs {
			d := events.OutputDetail{
				FilePaths:  []string{S3URL(o.Bucket, o.Key)},
				DurationMs: o.Duration.Milliseconds(),
				Width:      o.Width,
				Height:     o.Height,
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
