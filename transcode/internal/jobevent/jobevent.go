// Package jobevent builds the "MediaConvert Job State Change" event that reports a
// transcode.Status, as the in-process transcoders publish it; transcode.DecodeEvent reads it
// back.
package jobevent

import (
	"fmt"
	"strings"
	"time"

	"github.com/servous/servous/events"
	"github.com/servous/servous/transcode"
)

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
