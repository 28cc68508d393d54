package transcodetest_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mediaconvert"
	"github.com/aws/aws-sdk-go-v2/service/mediaconvert/types"

	"github.com/servous/servous/transcode/transcodetest"
)

// clock is a clock a test moves by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// The server's clock decides a clientRequestToken's window: the token returns its job for a
// minute after the CreateJob that made it, then makes a new job.
func TestMediaConvertTokenWindowOnClock(t *testing.T) {
	c := &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	srv := transcodetest.NewMediaConvert(&transcodetest.MediaConvertOptions{Now: c.Now})
	t.Cleanup(srv.Close)
	client := newClient(srv)
	create := func() *types.Job {
		t.Helper()
		in := validInput()
		in.ClientRequestToken = aws.String("upload-1")
		out, err := client.CreateJob(t.Context(), in)
		if err != nil {
			t.Fatal(err)
		}
		return out.Job
	}
	first := create()
	if got := aws.ToTime(first.CreatedAt); !got.Equal(c.Now()) {
		t.Errorf("createdAt %v, want the server's clock %v", got, c.Now())
	}
	c.Advance(time.Minute - time.Millisecond)
	if again := create(); aws.ToString(again.Id) != aws.ToString(first.Id) {
		t.Errorf("within the minute the token made job %s, want %s", aws.ToString(again.Id), aws.ToString(first.Id))
	}
	c.Advance(time.Millisecond)
	if later := create(); aws.ToString(later.Id) == aws.ToString(first.Id) {
		t.Errorf("a minute after, the token still gave job %s", aws.ToString(first.Id))
	}
}

// A job that ended is forgotten JobRetention after its creation, as MediaConvert keeps 90 days
// of job history; a job still running is kept until it ends.
func TestMediaConvertForgetsOldJobs(t *testing.T) {
	c := &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	srv := transcodetest.NewMediaConvert(&transcodetest.MediaConvertOptions{Now: c.Now})
	t.Cleanup(srv.Close)
	client := newClient(srv)
	create := func() string {
		t.Helper()
		out, err := client.CreateJob(t.Context(), validInput())
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.Job.Id)
	}
	get := func(id string) error {
		_, err := client.GetJob(t.Context(), &mediaconvert.GetJobInput{Id: aws.String(id)})
		return err
	}
	done, running := create(), create()
	if err := srv.Complete(done, transcodetest.VideoInfo{Width: 640, Height: 360, Duration: time.Second}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(running); err != nil {
		t.Fatal(err)
	}
	c.Advance(transcodetest.JobRetention - time.Millisecond)
	if err := get(done); err != nil {
		t.Errorf("GetJob a millisecond before the retention: %v", err)
	}
	c.Advance(time.Millisecond)
	var nf *types.NotFoundException
	if err := get(done); !errors.As(err, &nf) {
		t.Errorf("GetJob of a job ended and created %v ago = %v, want NotFoundException", transcodetest.JobRetention, err)
	}
	if _, err := client.CancelJob(t.Context(), &mediaconvert.CancelJobInput{Id: aws.String(done)}); !errors.As(err, &nf) {
		t.Errorf("CancelJob of a forgotten job = %v, want NotFoundException", err)
	}
	if err := get(running); err != nil {
		t.Errorf("GetJob of a job still running at the retention: %v", err)
	}
	if err := srv.Complete(running, transcodetest.VideoInfo{Width: 640, Height: 360, Duration: time.Second}); err != nil {
		t.Fatal(err)
	}
	if err := get(running); !errors.As(err, &nf) {
		t.Errorf("GetJob of the running job once ended, past the retention = %v, want NotFoundException", err)
	}
}
