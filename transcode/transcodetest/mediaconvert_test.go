package transcodetest_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/mediaconvert"
	"github.com/aws/aws-sdk-go-v2/service/mediaconvert/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/servous/servous/events"
	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/memstorage"
	"github.com/servous/servous/transcode"
	"github.com/servous/servous/transcode/awsmediaconvert"
	"github.com/servous/servous/transcode/transcodetest"
)

func validInput() *mediaconvert.CreateJobInput {
	return &mediaconvert.CreateJobInput{
		Role: aws.String("arn:aws:iam::111122223333:role/MediaConvertRole"),
		Settings: awsmediaconvert.Settings(&transcode.Job{
			Input:      transcode.Object{Bucket: "input", Key: "a.mp4"},
			Renditions: []transcode.Rendition{{Name: "-720p", Height: 720}, {Name: "-360p", Height: 360, Bitrate: 800_000}},
			Thumbnail:  &transcode.Thumbnail{Name: "-t"},
			Output:     transcode.Destination{Bucket: "out", Prefix: "p/"},
		}),
	}
}

func newClient(srv *transcodetest.MediaConvert) *mediaconvert.Client {
	return mediaconvert.New(mediaconvert.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "secret", ""),
	})
}

func TestMediaConvertRejectsBadSettings(t *testing.T) {
	srv := transcodetest.NewMediaConvert(nil)
	t.Cleanup(srv.Close)
	client := newClient(srv)
	h264 := func(in *mediaconvert.CreateJobInput) *types.H264Settings {
		return in.Settings.OutputGroups[0].Outputs[0].VideoDescription.CodecSettings.H264Settings
	}
	tests := []struct {
		name   string
		modify func(in *mediaconvert.CreateJobInput)
		want   string
	}{
		{"empty role", func(in *mediaconvert.CreateJobInput) { in.Role = aws.String("") }, "/role: Required"},
		{"role not an ARN", func(in *mediaconvert.CreateJobInput) { in.Role = aws.String("admin") }, "/role: Should match"},
		{"no inputs", func(in *mediaconvert.CreateJobInput) { in.Settings.Inputs = nil }, "/settings/inputs: Should have at least 1"},
		{"bad file input", func(in *mediaconvert.CreateJobInput) { in.Settings.Inputs[0].FileInput = aws.String("s3:/input/a.mp4") }, "/settings/inputs/0/fileInput: Should match"},
		{"missing file input", func(in *mediaconvert.CreateJobInput) { in.Settings.Inputs[0].FileInput = nil }, "/settings/inputs/0/fileInput: Required"},
		{"no destination", func(in *mediaconvert.CreateJobInput) {
			in.Settings.OutputGroups[0].OutputGroupSettings.FileGroupSettings.Destination = nil
		}, "fileGroupSettings/destination: Required"},
		{"no output groups", func(in *mediaconvert.CreateJobInput) { in.Settings.OutputGroups = nil }, "/settings/outputGroups: Should have at least 1"},
		{"bitrate too low", func(in *mediaconvert.CreateJobInput) { h264(in).MaxBitrate = aws.Int32(10) }, "h264Settings/maxBitrate: Should be greater than or equal to 1000"},
		{"qvbr level", func(in *mediaconvert.CreateJobInput) { h264(in).QvbrSettings.QvbrQualityLevel = aws.Int32(11) }, "qvbrQualityLevel: Should be less than or equal to 10"},
		{"qvbr without max", func(in *mediaconvert.CreateJobInput) { h264(in).MaxBitrate = nil }, "maxBitrate: Required when rateControlMode is QVBR"},
		{"vbr without bitrate", func(in *mediaconvert.CreateJobInput) {
			in.Settings.OutputGroups[0].Outputs[1].VideoDescription.CodecSettings.H264Settings.Bitrate = nil
		}, "outputs/1/videoDescription/codecSettings/h264Settings/bitrate: Required"},
		{"width too large", func(in *mediaconvert.CreateJobInput) {
			in.Settings.OutputGroups[0].Outputs[0].VideoDescription.Width = aws.Int32(100000)
		}, "outputs/0/videoDescription/width: Should be less than or equal to 8192"},
		{"height too small", func(in *mediaconvert.CreateJobInput) {
			in.Settings.OutputGroups[0].Outputs[0].VideoDescription.Height = aws.Int32(0)
		}, "outputs/0/videoDescription/height: Should be greater than or equal to 32"},
		{"name modifier collision", func(in *mediaconvert.CreateJobInput) {
			in.Settings.OutputGroups[0].Outputs[1].NameModifier = aws.String("-720p")
		}, "outputs/1/nameModifier: Outputs in the same output group must have unique name modifiers"},
		{"missing name modifier", func(in *mediaconvert.CreateJobInput) {
			in.Settings.OutputGroups[0].Outputs[1].NameModifier = nil
		}, "outputs/1/nameModifier: Required"},
		{"frame capture quality", func(in *mediaconvert.CreateJobInput) {
			in.Settings.OutputGroups[0].Outputs[2].VideoDescription.CodecSettings.FrameCaptureSettings.Quality = aws.Int32(0)
		}, "frameCaptureSettings/quality: Should be greater than or equal to 1"},
		{"rotate", func(in *mediaconvert.CreateJobInput) {
			in.Settings.Inputs[0].VideoSelector.Rotate = types.InputRotate("DEGREES_45")
		}, "/settings/inputs/0/videoSelector/rotate: Should be one of"},
		{"file input without a slash", func(in *mediaconvert.CreateJobInput) { in.Settings.Inputs[0].FileInput = aws.String("s3://input") }, "/settings/inputs/0/fileInput: Should match"},
		{"destination not s3", func(in *mediaconvert.CreateJobInput) {
			in.Settings.OutputGroups[0].OutputGroupSettings.FileGroupSettings.Destination = aws.String("https://out/p/")
		}, "fileGroupSettings/destination: Should match pattern"},
		{"aac bitrate", func(in *mediaconvert.CreateJobInput) {
			in.Settings.OutputGroups[0].Outputs[0].AudioDescriptions[0].CodecSettings.AacSettings.Bitrate = aws.Int32(1)
		}, "aacSettings/bitrate: Should be greater than or equal to 6000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validInput()
			tt.modify(in)
			_, err := client.CreateJob(t.Context(), in)
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != "BadRequestException" {
				t.Fatalf("CreateJob = %v, want BadRequestException", err)
			}
			if !strings.Contains(ae.ErrorMessage(), tt.want) {
				t.Errorf("message %q does not say %q", ae.ErrorMessage(), tt.want)
			}
		})
	}
	if _, err := client.CreateJob(t.Context(), validInput()); err != nil {
		t.Errorf("CreateJob(valid) = %v", err)
	}
}

func TestMediaConvertRequiresSignature(t *testing.T) {
	srv := transcodetest.NewMediaConvert(nil)
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL + "/2017-08-29/jobs/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Amzn-ErrorType") != "ForbiddenException" {
		t.Errorf("unsigned GetJob = %d %q, want 403 ForbiddenException", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
}

// TestMediaConvertBucketNames checks the server takes every bucket name the API reference's
// patterns take: the service leaves bucket names to S3, which reports them when the job runs.
func TestMediaConvertBucketNames(t *testing.T) {
	for _, name := range []string{"Upper_Case", "under_score", "a", "x.y..z-", strings.Repeat("b", 80)} {
		t.Run(name, func(t *testing.T) {
			buckets := map[string]storage.Bucket{name: memstorage.New(name, nil)}
			if _, err := storage.PutBytes(t.Context(), buckets[name], "in/a.mp4", transcodetest.Clip(), nil); err != nil {
				t.Fatal(err)
			}
			ended := make(finals, 10)
			srv := transcodetest.NewMediaConvert(&transcodetest.MediaConvertOptions{Buckets: buckets, Publisher: ended})
			t.Cleanup(srv.Close)
			in := validInput()
			in.Settings = awsmediaconvert.Settings(&transcode.Job{
				Input:      transcode.Object{Bucket: name, Key: "in/a.mp4"},
				Renditions: []transcode.Rendition{{Name: "-120p", Height: 120}},
				Output:     transcode.Destination{Bucket: name, Prefix: "out/"},
			})
			client := newClient(srv)
			out, err := client.CreateJob(t.Context(), in)
			if err != nil {
				t.Fatalf("CreateJob: %v", err)
			}
			job := waitJob(t, client, ended, aws.ToString(out.Job.Id))
			if job.Status != types.JobStatusComplete {
				t.Fatalf("job ended %s: %d %s", job.Status, aws.ToInt32(job.ErrorCode), aws.ToString(job.ErrorMessage))
			}
			if _, err := storage.GetBytes(t.Context(), buckets[name], "out/a-120p.mp4"); err != nil {
				t.Errorf("output: %v", err)
			}
		})
	}
}

// The completion event reports each video output's average bitrate (videoDetails.averageBitrate),
// as MediaConvert's does: the output's size over its duration.
func TestMediaConvertAverageBitrate(t *testing.T) {
	bucket := memstorage.New("media", nil)
	if _, err := storage.PutBytes(t.Context(), bucket, "in/a.mp4", transcodetest.Clip(), nil); err != nil {
		t.Fatal(err)
	}
	pub := make(publisher, 10)
	srv := transcodetest.NewMediaConvert(&transcodetest.MediaConvertOptions{Buckets: map[string]storage.Bucket{"media": bucket}, Publisher: pub})
	t.Cleanup(srv.Close)
	in := validInput()
	in.Settings = awsmediaconvert.Settings(&transcode.Job{
		Input:      transcode.Object{Bucket: "media", Key: "in/a.mp4"},
		Renditions: []transcode.Rendition{{Name: "-120p", Height: 120}},
		Thumbnail:  &transcode.Thumbnail{Name: "-t"},
		Output:     transcode.Destination{Bucket: "media", Prefix: "out/"},
	})
	if _, err := newClient(srv).CreateJob(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	var done events.JobStateChange
	for done.Status != events.JobComplete {
		select {
		case e := <-pub:
			jc, err := events.DecodeJobStateChange(e.Payload)
			if err != nil {
				t.Fatal(err)
			}
			if jc.Status == events.JobError {
				t.Fatalf("job failed: %d %s", jc.ErrorCode, jc.ErrorMessage)
			}
			done = jc
		case <-time.After(time.Minute):
			t.Fatal("no completion event")
		}
	}
	outs := done.OutputGroups[0].Outputs
	video, err := storage.GetBytes(t.Context(), bucket, "out/a-120p.mp4")
	if err != nil {
		t.Fatal(err)
	}
	want := int64(float64(len(video)*8) / transcodetest.ClipDuration.Seconds())
	if got := outs[0].AverageBitrate; got != want || got == 0 {
		t.Errorf("averageBitrate of the MP4 = %d, want its size over its duration, %d", got, want)
	}
	if got := outs[1].AverageBitrate; got != 0 {
		t.Errorf("averageBitrate of the frame capture = %d, want none", got)
	}
}

// publisher is an events.Publisher passing events on.
type publisher chan events.Event

func (p publisher) Publish(_ context.Context, e events.Event) error {
	p <- e
	return nil
}

// finals is an events.Publisher passing on the ids of jobs that ended.
type finals chan string

func (f finals) Publish(_ context.Context, e events.Event) error {
	jc, err := events.DecodeJobStateChange(e.Payload)
	if err != nil {
		return err
	}
	switch jc.Status {
	case events.JobComplete, events.JobError, events.JobCanceled:
		f <- jc.JobID
	}
	return nil
}

// waitJob waits for the job's final event and returns the job as GetJob describes it.
func waitJob(t *testing.T, client *mediaconvert.Client, ended finals, id string) *types.Job {
	t.Helper()
	timeout := time.After(time.Minute)
	for {
		select {
		case got := <-ended:
			if got != id {
				continue
			}
		case <-timeout:
			t.Fatalf("job %s did not end", id)
		}
		out, err := client.GetJob(t.Context(), &mediaconvert.GetJobInput{Id: aws.String(id)})
		if err != nil {
			t.Fatalf("GetJob: %v", err)
		}
		return out.Job
	}
}

// TestMediaConvertRotate checks the input's videoSelector rotate: the service ignores
// rotation metadata unless it is AUTO, and turns the picture by a set angle whatever the
// metadata says.
func TestMediaConvertRotate(t *testing.T) {
	srv := transcodetest.NewMediaConvert(nil)
	t.Cleanup(srv.Close)
	client := newClient(srv)
	type size struct{ W, H int }
	tests := []struct {
		rotate   types.InputRotate
		rotation int
		want     size
	}{
		{"", 90, size{160, 120}},
		{types.InputRotateDegree0, 90, size{160, 120}},
		{types.InputRotateAuto, 90, size{90, 120}},
		{types.InputRotateAuto, 270, size{90, 120}},
		{types.InputRotateAuto, 180, size{160, 120}},
		{types.InputRotateAuto, 0, size{160, 120}},
		{types.InputRotateDegrees90, 0, size{90, 120}},
		{types.InputRotateDegrees180, 90, size{160, 120}},
		{types.InputRotateDegrees270, 0, size{90, 120}},
	}
	for _, tt := range tests {
		in := validInput()
		in.Settings = awsmediaconvert.Settings(&transcode.Job{
			Input:      transcode.Object{Bucket: "input", Key: "phone.mov"},
			Renditions: []transcode.Rendition{{Name: "-120p", Height: 120}},
			Output:     transcode.Destination{Bucket: "out"},
		})
		in.Settings.Inputs[0].VideoSelector.Rotate = tt.rotate
		out, err := client.CreateJob(t.Context(), in)
		if err != nil {
			t.Fatalf("CreateJob: %v", err)
		}
		id := aws.ToString(out.Job.Id)
		if err := srv.Complete(id, transcodetest.VideoInfo{Width: 320, Height: 240, Rotation: tt.rotation, Duration: time.Second}); err != nil {
			t.Fatalf("Complete: %v", err)
		}
		got, err := client.GetJob(t.Context(), &mediaconvert.GetJobInput{Id: aws.String(id)})
		if err != nil {
			t.Fatalf("GetJob: %v", err)
		}
		vd := got.Job.OutputGroupDetails[0].OutputDetails[0].VideoDetails
		if g := (size{int(aws.ToInt32(vd.WidthInPx)), int(aws.ToInt32(vd.HeightInPx))}); g != tt.want {
			t.Errorf("rotate %q, input turned %d: output %v, want %v", tt.rotate, tt.rotation, g, tt.want)
		}
	}
}

// TestMediaConvertJobs checks that Jobs lists the jobs created, in order, with their states
// and metadata, and one job for a token used twice.
func TestMediaConvertJobs(t *testing.T) {
	srv := transcodetest.NewMediaConvert(nil)
	t.Cleanup(srv.Close)
	client := newClient(srv)
	var ids []string
	for _, token := range []string{"a", "a", "b"} {
		in := validInput()
		in.ClientRequestToken = aws.String(token)
		in.UserMetadata = map[string]string{"token": token}
		out, err := client.CreateJob(t.Context(), in)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, aws.ToString(out.Job.Id))
	}
	if err := srv.Fail(ids[2], 1010, "no input"); err != nil {
		t.Fatal(err)
	}
	want := []transcodetest.JobSummary{
		{ID: ids[0], State: transcode.StateSubmitted, Metadata: map[string]string{"token": "a"}},
		{ID: ids[2], State: transcode.StateError, Metadata: map[string]string{"token": "b"}},
	}
	if diff := cmp.Diff(want, srv.Jobs()); diff != "" {
		t.Errorf("Jobs (-want +got):\n%s", diff)
	}
}

// TestMediaConvertDuration checks that a job with a duration stays PROGRESSING, writing
// nothing, until it is canceled.
func TestMediaConvertDuration(t *testing.T) {
	bucket := memstorage.New("media", nil)
	if _, err := storage.PutBytes(t.Context(), bucket, "in/a.mp4", transcodetest.Clip(), nil); err != nil {
		t.Fatal(err)
	}
	pub := make(publisher, 10)
	srv := transcodetest.NewMediaConvert(&transcodetest.MediaConvertOptions{Buckets: map[string]storage.Bucket{"media": bucket}, Publisher: pub, Duration: time.Hour})
	t.Cleanup(srv.Close)
	in := validInput()
	in.Settings = awsmediaconvert.Settings(&transcode.Job{
		Input:      transcode.Object{Bucket: "media", Key: "in/a.mp4"},
		Renditions: []transcode.Rendition{{Name: "-120p", Height: 120}},
		Output:     transcode.Destination{Bucket: "media", Prefix: "out/"},
	})
	client := newClient(srv)
	out, err := client.CreateJob(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-pub:
		if jc, err := events.DecodeJobStateChange(e.Payload); err != nil || jc.Status != events.JobProgressing {
			t.Fatalf("first event %+v, %v; want PROGRESSING", jc, err)
		}
	case <-time.After(time.Minute):
		t.Fatal("no PROGRESSING event")
	}
	if _, err := client.CancelJob(t.Context(), &mediaconvert.CancelJobInput{Id: out.Job.Id}); err != nil {
		t.Fatalf("CancelJob of a job in its duration: %v", err)
	}
	if jobs := srv.Jobs(); len(jobs) != 1 || jobs[0].State != transcode.StateCanceled {
		t.Errorf("jobs %+v, want one CANCELED", jobs)
	}
	if _, err := bucket.Head(t.Context(), "out/a-120p.mp4"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("output of a job canceled in its duration: %v", err)
	}
}
