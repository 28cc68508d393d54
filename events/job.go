package events

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// DetailTypeJobStateChange is the EventBridge detail-type of MediaConvert
// job events.
const DetailTypeJobStateChange = "MediaConvert Job State Change"

// JobStatus is the status a MediaConvert job state change reports.
type JobStatus string

// Statuses of MediaConvert job state changes.
const (
	JobSubmitted        JobStatus = "SUBMITTED"
	JobProgressing      JobStatus = "PROGRESSING"
	JobStatusUpdate     JobStatus = "STATUS_UPDATE"
	JobInputInformation JobStatus = "INPUT_INFORMATION"
	JobComplete         JobStatus = "COMPLETE"
	JobCanceled         JobStatus = "CANCELED"
	JobError            JobStatus = "ERROR"
	JobNewWarning       JobStatus = "NEW_WARNING"
	JobQueueHop         JobStatus = "QUEUE_HOP"
)

// JobStateChange is a MediaConvert "Job State Change" event.
type JobStateChange struct {
	// Envelope holds the EventBridge fields. Resources nil encodes as the
	// job's ARN.
	Envelope
	// Timestamp is the detail's timestamp (milliseconds). When zero the
	// encoder uses Envelope.Time, and the other way round.
	Timestamp time.Time
	Status    JobStatus
	JobID     string
	// Queue is the queue's ARN.
	Queue        string
	UserMetadata map[string]string
	// Progress is set on STATUS_UPDATE events.
	Progress *JobProgress
	// FramesDecoded counts input frames decoded so far (STATUS_UPDATE).
	FramesDecoded int64
	// OutputGroups describe the outputs of a COMPLETE job.
	OutputGroups []OutputGroupDetail
	// Warnings are reported on COMPLETE and NEW_WARNING events.
	Warnings []JobWarning
	// ErrorCode and ErrorMessage are set on ERROR events.
	ErrorCode    int
	ErrorMessage string
}

// JobProgress is how far a job has come.
type JobProgress struct {
	// Percent is jobPercentComplete, 0 to 100.
	Percent      int
	CurrentPhase string
	RetryCount   int
	// Phases maps a phase (PROBING, TRANSCODING, UPLOADING) to its progress.
	Phases map[string]PhaseProgress
}

// PhaseProgress is the progress of one phase of a job.
type PhaseProgress struct {
	Status  string
	Percent int
}

// OutputGroupDetail describes one output group of a finished job.
type OutputGroupDetail struct {
	// Type is the group's type, such as FILE_GROUP or HLS_GROUP.
	Type string
	// PlaylistFilePaths are the group's manifests (HLS, DASH, CMAF groups).
	PlaylistFilePaths []string
	Outputs           []OutputDetail
}

// OutputDetail describes one output of a finished job.
type OutputDetail struct {
	// FilePaths are the S3 URLs written, such as "s3://bucket/file.mp4".
	FilePaths      []string
	DurationMs     int64
	Width          int
	Height         int
	AverageBitrate int64
}

// JobWarning counts one kind of warning.
type JobWarning struct {
	Code  int
	Count int
}

type jobDetail struct {
	Status             JobStatus         `json:"status"`
	JobID              string            `json:"jobId"`
	Queue              string            `json:"queue"`
	AccountID          string            `json:"accountId"`
	Timestamp          int64             `json:"timestamp"`
	UserMetadata       map[string]string `json:"userMetadata"`
	FramesDecoded      int64             `json:"framesDecoded,omitempty"`
	JobProgress        *jobProgress      `json:"jobProgress,omitempty"`
	OutputGroupDetails []outputGroupJSON `json:"outputGroupDetails,omitempty"`
	Warnings           []jobWarningJSON  `json:"warnings,omitempty"`
	ErrorCode          int               `json:"errorCode,omitempty"`
	ErrorMessage       string            `json:"errorMessage,omitempty"`
}

type jobProgress struct {
	PhaseProgress      map[string]phaseJSON `json:"phaseProgress,omitempty"`
	JobPercentComplete int                  `json:"jobPercentComplete"`
	CurrentPhase       string               `json:"currentPhase,omitempty"`
	RetryCount         int                  `json:"retryCount"`
}

type phaseJSON struct {
	Status          string `json:"status"`
	PercentComplete int    `json:"percentComplete"`
}

type outputGroupJSON struct {
	Type              string       `json:"type"`
	PlaylistFilePaths []string     `json:"playlistFilePaths,omitempty"`
	OutputDetails     []outputJSON `json:"outputDetails"`
}

type outputJSON struct {
	OutputFilePaths []string     `json:"outputFilePaths"`
	DurationInMs    int64        `json:"durationInMs"`
	VideoDetails    *videoDetail `json:"videoDetails,omitempty"`
}

type videoDetail struct {
	WidthInPx      int   `json:"widthInPx"`
	HeightInPx     int   `json:"heightInPx"`
	AverageBitrate int64 `json:"averageBitrate,omitempty"`
}

type jobWarningJSON struct {
	Code  int `json:"code"`
	Count int `json:"count"`
}

// JobARN returns the ARN of a MediaConvert job.
func JobARN(region, account, jobID string) string {
	return "arn:" + partition(region) + ":mediaconvert:" + region + ":" + account + ":jobs/" + jobID
}

// NewJobStateChange returns j as the event MediaConvert sends to EventBridge.
// The error wraps ErrInvalid without a JobID or Status.
func NewJobStateChange(j JobStateChange) (Event, error) {
	if j.JobID == "" || j.Status == "" {
		return Event{}, fmt.Errorf("%w: job state change needs a job id and a status", ErrInvalid)
	}
	switch {
	case j.Timestamp.IsZero() && j.Time.IsZero():
		j.Timestamp = time.Now()
		j.Time = j.Timestamp
	case j.Timestamp.IsZero():
		j.Timestamp = j.Time
	case j.Time.IsZero():
		j.Time = j.Timestamp
	}
	env := j.Envelope
	if env.Region == "" {
		env.Region = "us-east-1"
	}
	if env.Resources == nil {
		env.Resources = []string{JobARN(env.Region, env.Account, j.JobID)}
	}
	d := jobDetail{
		Status:        j.Status,
		JobID:         j.JobID,
		Queue:         j.Queue,
		AccountID:     j.Account,
		Timestamp:     j.Timestamp.UnixMilli(),
		UserMetadata:  j.UserMetadata,
		FramesDecoded: j.FramesDecoded,
		ErrorCode:     j.ErrorCode,
		ErrorMessage:  j.ErrorMessage,
	}
	if d.UserMetadata == nil {
		d.UserMetadata = map[string]string{}
	}
	if p := j.Progress; p != nil {
		d.JobProgress = &jobProgress{JobPercentComplete: p.Percent, CurrentPhase: p.CurrentPhase, RetryCount: p.RetryCount}
		if p.Phases != nil {
			d.JobProgress.PhaseProgress = make(map[string]phaseJSON, len(p.Phases))
			for name, ph := range p.Phases {
				d.JobProgress.PhaseProgress[name] = phaseJSON{Status: ph.Status, PercentComplete: ph.Percent}
			}
		}
	}
	for _, g := range j.OutputGroups {
		gj := outputGroupJSON{Type: g.Type, PlaylistFilePaths: g.PlaylistFilePaths, OutputDetails: []outputJSON{}}
		for _, o := range g.Outputs {
			oj := outputJSON{OutputFilePaths: o.FilePaths, DurationInMs: o.DurationMs}
			if oj.OutputFilePaths == nil {
				oj.OutputFilePaths = []string{}
			}
			if o.Width != 0 || o.Height != 0 || o.AverageBitrate != 0 {
				oj.VideoDetails = &videoDetail{WidthInPx: o.Width, HeightInPx: o.Height, AverageBitrate: o.AverageBitrate}
			}
			gj.OutputDetails = append(gj.OutputDetails, oj)
		}
		d.OutputGroupDetails = append(d.OutputGroupDetails, gj)
	}
	for _, w := range j.Warnings {
		d.Warnings = append(d.Warnings, jobWarningJSON(w))
	}
	return newEventBridgeEvent(env, SourceMediaConvert, DetailTypeJobStateChange, d, "", "")
}

// DecodeJobStateChange decodes a MediaConvert job state change
// (lambdaevents.EventBridgeEvent from source aws.mediaconvert). The error
// wraps ErrWrongKind for other events and ErrMalformed for a payload that is
// not JSON or a detail without job id or status.
func DecodeJobStateChange(payload []byte) (JobStateChange, error) {
	e, err := decodeEventBridge(payload)
	if err != nil {
		return JobStateChange{}, err
	}
	if e.Source != SourceMediaConvert || e.DetailType != DetailTypeJobStateChange {
		return JobStateChange{}, fmt.Errorf("%w: EventBridge event %q from %q, want a MediaConvert job state change", ErrWrongKind, e.DetailType, e.Source)
	}
	var d jobDetail
	if err := json.Unmarshal(e.Detail, &d); err != nil {
		return JobStateChange{}, fmt.Errorf("%w: job state change detail: %w", ErrMalformed, err)
	}
	if d.JobID == "" || d.Status == "" {
		return JobStateChange{}, fmt.Errorf("%w: job state change without jobId or status", ErrMalformed)
	}
	j := JobStateChange{
		Envelope:      envelopeOf(&e),
		Timestamp:     time.UnixMilli(d.Timestamp).UTC(),
		Status:        JobStatus(strings.ToUpper(string(d.Status))),
		JobID:         d.JobID,
		Queue:         d.Queue,
		UserMetadata:  d.UserMetadata,
		FramesDecoded: d.FramesDecoded,
		ErrorCode:     d.ErrorCode,
		ErrorMessage:  d.ErrorMessage,
	}
	if j.Account == "" {
		j.Account = d.AccountID
	}
	if p := d.JobProgress; p != nil {
		j.Progress = &JobProgress{Percent: p.JobPercentComplete, CurrentPhase: p.CurrentPhase, RetryCount: p.RetryCount}
		if p.PhaseProgress != nil {
			j.Progress.Phases = make(map[string]PhaseProgress, len(p.PhaseProgress))
			for name, ph := range p.PhaseProgress {
				j.Progress.Phases[name] = PhaseProgress{Status: ph.Status, Percent: ph.PercentComplete}
			}
		}
	}
	for _, g := range d.OutputGroupDetails {
		og := OutputGroupDetail{Type: g.Type, PlaylistFilePaths: g.PlaylistFilePaths}
		for _, o := range g.OutputDetails {
			od := OutputDetail{FilePaths: o.OutputFilePaths, DurationMs: o.DurationInMs}
			if v := o.VideoDetails; v != nil {
				od.Width, od.Height, od.AverageBitrate = v.WidthInPx, v.HeightInPx, v.AverageBitrate
			}
			og.Outputs = append(og.Outputs, od)
		}
		j.OutputGroups = append(j.OutputGroups, og)
	}
	for _, w := range d.Warnings {
		j.Warnings = append(j.Warnings, JobWarning(w))
	}
	return j, nil
}
