package awsmediaconvert

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mediaconvert"
	"github.com/aws/aws-sdk-go-v2/service/mediaconvert/types"
	"github.com/aws/smithy-go"

	"github.com/servous/servous/transcode"
	"github.com/servous/servous/transcode/internal/jobevent"
)

// Options configures a Transcoder. A nil *Options means the Default queue and 96 kb/s AAC.
type Options struct {
	// Queue is the queue's name or ARN; empty means the account's Default queue.
	Queue string
	// AudioBitrate is the AAC bitrate in bits per second; 0 means 96000.
	AudioBitrate int
}

// Transcoder runs jobs on MediaConvert. It is safe for concurrent use.
type Transcoder struct {
	client *mediaconvert.Client
	role   string
	opts   Options
}

var _ transcode.Transcoder = (*Transcoder)(nil)

// New returns a Transcoder that creates jobs with client, as the IAM role roleARN.
func New(client *mediaconvert.Client, roleARN string, opts *Options) *Transcoder {
	t := &Transcoder{client: client, role: roleARN}
	if opts != nil {
		t.opts = *opts
	}
	if t.opts.AudioBitrate == 0 {
		t.opts.AudioBitrate = 96000
	}
	return t
}

// Client returns the SDK client, for what this package does not cover.
func (t *Transcoder) Client() *mediaconvert.Client { return t.client }

// Submit creates the job. It implements transcode.Transcoder.
func (t *Transcoder) Submit(ctx context.Context, job *transcode.Job) (string, error) {
	if err := job.Validate(); err != nil {
		return "", fmt.Errorf("awsmediaconvert: submit: %w", err)
	}
	in := &mediaconvert.CreateJobInput{
		Role:         aws.String(t.role),
		Settings:     settings(job, t.opts.AudioBitrate),
		UserMetadata: job.Metadata,
	}
	if t.opts.Queue != "" {
		in.Queue = aws.String(t.opts.Queue)
	}
	if job.IdempotencyToken != "" {
		in.ClientRequestToken = aws.String(job.IdempotencyToken)
	}
	out, err := t.client.CreateJob(ctx, in)
	if err != nil {
		if code(err) == "BadRequestException" {
			return "", fmt.Errorf("awsmediaconvert: create job: %w: %w", transcode.ErrInvalidJob, err)
		}
		return "", fmt.Errorf("awsmediaconvert: create job: %w", err)
	}
	if out.Job == nil || out.Job.Id == nil {
		return "", errors.New("awsmediaconvert: create job: response has no job id")
	}
	return *out.Job.Id, nil
}

// Get returns the job's status. It implements transcode.Transcoder.
func (t *Transcoder) Get(ctx context.Context, id string) (*transcode.Status, error) {
	if !sendable(id) {
		return nil, fmt.Errorf("awsmediaconvert: get job %q: %w", id, transcode.ErrNotFound)
	}
	out, err := t.client.GetJob(ctx, &mediaconvert.GetJobInput{Id: aws.String(id)})
	if err != nil {
		if code(err) == "NotFoundException" {
			return nil, fmt.Errorf("awsmediaconvert: get job %q: %w: %w", id, transcode.ErrNotFound, err)
		}
		return nil, fmt.Errorf("awsmediaconvert: get job %q: %w", id, err)
	}
	if out.Job == nil {
		return nil, fmt.Errorf("awsmediaconvert: get job %q: response has no job", id)
	}
	return Status(out.Job), nil
}

// Cancel cancels the job. It implements transcode.Transcoder.
func (t *Transcoder) Cancel(ctx context.Context, id string) error {
	if !sendable(id) {
		return fmt.Errorf("awsmediaconvert: cancel job %q: %w", id, transcode.ErrNotFound)
	}
	_, err := t.client.CancelJob(ctx, &mediaconvert.CancelJobInput{Id: aws.String(id)})
	if err == nil {
		return nil
	}
	switch code(err) {
	case "NotFoundException":
		return fmt.Errorf("awsmediaconvert: cancel job %q: %w: %w", id, transcode.ErrNotFound, err)
	case "ConflictException":
		return fmt.Errorf("awsmediaconvert: cancel job %q: %w: %w", id, transcode.ErrFinished, err)
	case "BadRequestException":
		// The service may refuse to cancel an ended job as a bad request; tell that apart
		// from a request that is bad for another reason.
		if st, gerr := t.Get(ctx, id); gerr == nil && st.State.Final() {
			return fmt.Errorf("awsmediaconvert: cancel job %q: %w: %w", id, transcode.ErrFinished, err)
		}
	}
	return fmt.Errorf("awsmediaconvert: cancel job %q: %w", id, err)
}

// sendable reports whether id can name a job in a request path. No job has an id that cannot,
// so such an id is not found, as it is in every other Transcoder, without asking: the SDK
// refuses an empty id, and "." or ".." would address another resource (GET .../jobs/. is
// ListJobs once the path is cleaned).
func sendable(id string) bool {
	return id != "" && id != "." && id != ".."
}

func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// Status returns the transcode status of a MediaConvert job, as GetJob returns it. Output keys
// are worked out from the job's settings, which GetJob returns but its output details do not
// name.
func Status(j *types.Job) *transcode.Status {
	st := &transcode.Status{
		ID:           aws.ToString(j.Id),
		State:        transcode.State(j.Status),
		Percent:      -1,
		ErrorCode:    int(aws.ToInt32(j.ErrorCode)),
		ErrorMessage: aws.ToString(j.ErrorMessage),
		Metadata:     j.UserMetadata,
	}
	if st.State == transcode.StateProgressing && j.JobPercentComplete != nil {
		st.Percent = int(*j.JobPercentComplete)
	}
	if st.State != transcode.StateComplete || j.Settings == nil {
		return st
	}
	input := ""
	if len(j.Settings.Inputs) > 0 {
		input = aws.ToString(j.Settings.Inputs[0].FileInput)
	}
	for gi, g := range j.OutputGroupDetails {
		if gi >= len(j.Settings.OutputGroups) {
			break
		}
		sg := j.Settings.OutputGroups[gi]
		dest := ""
		if s := sg.OutputGroupSettings; s != nil && s.FileGroupSettings != nil {
			dest = aws.ToString(s.FileGroupSettings.Destination)
		}
		for oi, d := range g.OutputDetails {
			if oi >= len(sg.Outputs) {
				break
			}
			out := transcode.Output{Duration: time.Duration(aws.ToInt32(d.DurationInMs)) * time.Millisecond}
			if d.VideoDetails != nil {
				out.Width = int(aws.ToInt32(d.VideoDetails.WidthInPx))
				out.Height = int(aws.ToInt32(d.VideoDetails.HeightInPx))
			}
			out.Bucket, out.Key, _ = jobevent.SplitS3(outputPath(input, dest, &sg.Outputs[oi]))
			if sg.Outputs[oi].ContainerSettings != nil && sg.Outputs[oi].ContainerSettings.Container == types.ContainerTypeRaw {
				out.Duration = 0
			}
			st.Outputs = append(st.Outputs, out)
		}
	}
	return st
}

// outputPath names an output as MediaConvert does: the destination, the base name (the
// destination's last segment, or the input's name without its extension when the
// destination ends in "/"), the name modifier and the extension.
func outputPath(input, dest string, o *types.Output) string {
	base := path.Base(input)
	base = strings.TrimSuffix(base, path.Ext(base))
	if !strings.HasSuffix(dest, "/") {
		base = path.Base(dest)
		dest = strings.TrimSuffix(dest, base)
	}
	ext := ".mp4"
	if o.ContainerSettings != nil && o.ContainerSettings.Container == types.ContainerTypeRaw {
		ext = ".0000000.jpg"
	}
	if o.Extension != nil {
		ext = "." + *o.Extension
	}
	return dest + base + aws.ToString(o.NameModifier) + ext
}
