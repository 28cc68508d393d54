package petu_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/servous/servous/events"
	"github.com/servous/servous/identity/memidentity"
	"github.com/servous/servous/petu"
	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/memstorage"
	"github.com/servous/servous/table"
	"github.com/servous/servous/table/memtable"
	"github.com/servous/servous/transcode"
	"github.com/servous/servous/transcode/memtranscode"
	"github.com/servous/servous/transcode/transcodetest"
)

const (
	lifeOwner = "us-east-1:4f1c2a8e-3b9d-4c6e-9a7f-2d5b8e1c0a3f"
	lifeVideo = "01a2200469bdb4492a99"
	lifeKey   = "uploads/" + lifeOwner + "/" + lifeVideo + "/cat.mp4"
)

// lifecycle is the app on the in-memory adapters, with the test delivering the events as S3 and
// EventBridge would.
type lifecycle struct {
	t       *testing.T
	app     *petu.App
	uploads *memstorage.Bucket
	media   *memstorage.Bucket
	videos  table.Table[petu.Video]
	jobs    chan events.Event
}

func newLifecycle(t *testing.T) *lifecycle {
	t.Helper()
	uploads := memstorage.New("uploads", nil)
	media := memstorage.New("media", nil)
	videos, err := memtable.New[petu.Video]("videos", nil)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := memidentity.New("us-east-1:00000000-0000-4000-8000-000000000000", nil)
	if err != nil {
		t.Fatal(err)
	}
	jobs := make(chan events.Event, 64)
	tr := memtranscode.New(map[string]storage.Bucket{"uploads": uploads, "media": media},
		&memtranscode.Options{Publisher: publisher(jobs)})
	t.Cleanup(func() { tr.Close() })
	app, err := petu.New(petu.Deps{
		Uploads: uploads, Media: media, Videos: videos, Identity: pool, Transcoder: tr,
	}, petu.Config{
		UploadsBucket: "uploads", MediaBucket: "media", Provider: "accounts.google.com",
		Logger: slog.New(slog.NewTextHandler(t.Output(), nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return &lifecycle{t: t, app: app, uploads: uploads, media: media, videos: videos, jobs: jobs}
}

// put uploads data as the browser posts the upload form, and returns S3's notification of it
// with sequencer seq.
func (l *lifecycle) put(data []byte, seq string) []byte {
	l.t.Helper()
	info, err := storage.PutBytes(l.t.Context(), l.uploads, lifeKey, data, &storage.PutOptions{ContentType: "video/mp4"})
	if err != nil {
		l.t.Fatal(err)
	}
	return l.notification(info, seq)
}

func (l *lifecycle) notification(info *storage.ObjectInfo, seq string) []byte {
	l.t.Helper()
	e, err := events.NewObjectEvent(events.ObjectEvent{
		Name: events.ObjectCreatedPost, Bucket: "uploads", Key: lifeKey, Size: info.Size, ETag: info.ETag,
		Sequencer: seq, Time: info.LastModified,
	})
	if err != nil {
		l.t.Fatal(err)
	}
	return e.Payload
}

func (l *lifecycle) onUpload(payload []byte) {
	l.t.Helper()
	if _, err := l.app.OnUpload(l.t.Context(), payload); err != nil {
		l.t.Fatalf("on-upload: %v", err)
	}
}

func (l *lifecycle) onTranscoded(payload []byte) {
	l.t.Helper()
	if _, err := l.app.OnTranscoded(l.t.Context(), payload); err != nil {
		l.t.Fatalf("on-transcoded: %v", err)
	}
}

func (l *lifecycle) record() (petu.Video, error) {
	return l.videos.Get(l.t.Context(), table.Key{Partition: table.String(lifeOwner), Sort: table.String(lifeVideo)}, &table.GetOptions{ConsistentRead: true})
}

func (l *lifecycle) mustRecord(status string) petu.Video {
	l.t.Helper()
	v, err := l.record()
	if err != nil {
		l.t.Fatalf("record: %v", err)
	}
	if v.Status != status {
		l.t.Fatalf("record is %s (job %q, error %q), want %s", v.Status, v.JobID, v.Error, status)
	}
	return v
}

// end waits for the final event of job id, as EventBridge's rule would pass it on.
func (l *lifecycle) end(id string) []byte {
	l.t.Helper()
	ctx, cancel := context.WithTimeout(l.t.Context(), 30*time.Second)
	defer cancel()
	for {
		select {
		case e := <-l.jobs:
			j, err := events.DecodeJobStateChange(e.Payload)
			if err != nil {
				l.t.Fatal(err)
			}
			if j.JobID == id && (j.Status == events.JobComplete || j.Status == events.JobError || j.Status == events.JobCanceled) {
				return e.Payload
			}
		case <-ctx.Done():
			l.t.Fatalf("no end of job %s: a video waiting for it stays processing for ever", id)
			return nil
		}
	}
}

// ready uploads the clip with sequencer seq and carries it through to ready.
func (l *lifecycle) ready(seq string) petu.Video {
	l.t.Helper()
	l.onUpload(l.put(transcodetest.Clip(), seq))
	v := l.mustRecord(petu.StatusProcessing)
	l.onTranscoded(l.end(v.JobID))
	return l.mustRecord(petu.StatusReady)
}

func (l *lifecycle) delete() {
	l.t.Helper()
	v, err := l.record()
	if err != nil {
		l.t.Fatal(err)
	}
	if err := l.app.DeleteVideo(l.t.Context(), &v); err != nil {
		l.t.Fatal(err)
	}
	if _, err := l.record(); !errors.Is(err, table.ErrNotFound) {
		l.t.Fatalf("record after delete: %v", err)
	}
}

func (l *lifecycle) mediaKeys() []string {
	l.t.Helper()
	var keys []string
	for o, err := range storage.Objects(l.t.Context(), l.media, nil) {
		if err != nil {
			l.t.Fatal(err)
		}
		keys = append(keys, o.Key)
	}
	return keys
}

// TestUploadAgainAfterDelete posts a deleted video's upload form again, as the browser may while
// the form is valid: the new upload is a new object (a later sequencer), so it gets a job of its
// own and ends ready, however recently the first job was submitted.
func TestUploadAgainAfterDelete(t *testing.T) {
	l := newLifecycle(t)
	first := l.ready("0A")
	l.delete()

	l.onUpload(l.put(transcodetest.Clip(), "0B"))
	again := l.mustRecord(petu.StatusProcessing)
	if again.JobID == first.JobID {
		t.Fatalf("the new upload was given the deleted video's job %s, which will send no event", first.JobID)
	}
	l.onTranscoded(l.end(again.JobID))
	v := l.mustRecord(petu.StatusReady)
	if len(v.Renditions) == 0 || v.Thumbnail == "" || len(l.mediaKeys()) == 0 {
		t.Errorf("ready without its outputs: %+v, media %v", v, l.mediaKeys())
	}
}

// TestStaleNotificationAfterReupload delivers the first upload's notification late, after the
// video was deleted and the same file posted again: the record it makes is taken over by the new
// upload's notification, whose job ends it; the first job's events change nothing.
func TestStaleNotificationAfterReupload(t *testing.T) {
	l := newLifecycle(t)
	stale := l.put(transcodetest.Clip(), "0A")
	l.onUpload(stale)
	first := l.mustRecord(petu.StatusProcessing)
	firstEnd := l.end(first.JobID)
	l.onTranscoded(firstEnd)
	l.mustRecord(petu.StatusReady)
	l.delete()

	fresh := l.put(transcodetest.Clip(), "0B") // the same bytes: the same ETag
	l.onUpload(stale)
	l.onUpload(fresh)
	v := l.mustRecord(petu.StatusProcessing)
	if v.JobID == first.JobID {
		t.Fatalf("the new upload waits for the deleted video's job %s", first.JobID)
	}
	l.onTranscoded(firstEnd) // the deleted video's job, once more
	l.mustRecord(petu.StatusProcessing)
	l.onUpload(stale) // and the first upload's notification
	l.mustRecord(petu.StatusProcessing)

	l.onTranscoded(l.end(v.JobID))
	ready := l.mustRecord(petu.StatusReady)
	l.onUpload(stale)
	l.onUpload(fresh)
	if after := l.mustRecord(petu.StatusReady); after.JobID != ready.JobID || !after.UpdatedAt.Equal(ready.UpdatedAt) {
		t.Errorf("replayed notifications changed a ready video: %+v, then %+v", ready, after)
	}
}

// TestOlderJobDoesNotEndNewerUpload replaces a video's source while its job runs: the newer
// upload's job decides how the video ends, not the older one's.
func TestOlderJobDoesNotEndNewerUpload(t *testing.T) {
	l := newLifecycle(t)
	l.onUpload(l.put(transcodetest.Clip(), "0A"))
	first := l.mustRecord(petu.StatusProcessing)
	firstEnd := l.end(first.JobID)

	l.onUpload(l.put([]byte("not a video at all"), "0B"))
	second := l.mustRecord(petu.StatusProcessing)
	if second.JobID == first.JobID {
		t.Fatalf("the newer upload kept the older upload's job %s", first.JobID)
	}
	l.onTranscoded(firstEnd)
	l.mustRecord(petu.StatusProcessing)
	l.onTranscoded(l.end(second.JobID))
	if v := l.mustRecord(petu.StatusFailed); v.JobID != second.JobID {
		t.Errorf("ended by job %s, want %s", v.JobID, second.JobID)
	}
}

// A completion event is believed only for outputs the video's job asked for, in the media
// bucket: anything else fails the video rather than pointing it elsewhere.
func TestCompletionWithForeignOutputs(t *testing.T) {
	prefix := "videos/" + lifeOwner + "/" + lifeVideo + "/"
	for name, path := range map[string]string{
		"another bucket":   "s3://elsewhere/" + prefix + "video-480p.mp4",
		"another key":      "s3://media/" + prefix + "other.mp4",
		"not an s3 URL":    "https://media/" + prefix + "video-480p.mp4",
		"another's prefix": "s3://media/videos/" + lifeOwner + "/01a2200469bdb4492a98/video-480p.mp4",
	} {
		t.Run(name, func(t *testing.T) {
			l := newLifecycle(t)
			l.onUpload(l.put(transcodetest.Clip(), "0A"))
			v := l.mustRecord(petu.StatusProcessing)
			l.end(v.JobID)
			e, err := events.NewJobStateChange(events.JobStateChange{
				JobID: v.JobID, Status: events.JobComplete,
				UserMetadata: map[string]string{"owner": lifeOwner, "video": lifeVideo, "upload": "0A"},
				OutputGroups: []events.OutputGroupDetail{{Type: "FILE_GROUP", Outputs: []events.OutputDetail{
					{FilePaths: []string{path}, DurationMs: 1000, Width: 320, Height: 240},
				}}},
			})
			if err != nil {
				t.Fatal(err)
			}
			l.onTranscoded(e.Payload)
			if got := l.mustRecord(petu.StatusFailed); len(got.Renditions) != 0 {
				t.Errorf("failed video with renditions %+v", got.Renditions)
			}
		})
	}
}

// flakyDeletes is a bucket whose next fail deletes fail, as S3's do when throttling outlasts
// the SDK's retries.
type flakyDeletes struct {
	storage.Bucket
	fail int
}

func (b *flakyDeletes) Delete(ctx context.Context, key string) error {
	if b.fail > 0 {
		b.fail--
		return fmt.Errorf("delete %s: %w", key, errors.New("SlowDown: please reduce your request rate"))
	}
	return b.Bucket.Delete(ctx, key)
}

// TestRedundantRenditionGoesOnRetry fails the delete of a redundant rendition (the clip is
// smaller than every size, so its renditions are all one size and all but one are redundant):
// on-transcoded fails, so that the event is retried, and the retry deletes it. Nothing is left
// in the media bucket but the video's renditions and thumbnail.
func TestRedundantRenditionGoesOnRetry(t *testing.T) {
	l := newLifecycle(t)
	deps := l.app.Deps
	deps.Media = &flakyDeletes{Bucket: l.media, fail: 1}
	app, err := petu.New(deps, petu.Config{UploadsBucket: "uploads", MediaBucket: "media", Provider: "accounts.google.com",
		Logger: slog.New(slog.NewTextHandler(t.Output(), nil))})
	if err != nil {
		t.Fatal(err)
	}
	l.app = app
	l.onUpload(l.put(transcodetest.Clip(), "0A"))
	end := l.end(l.mustRecord(petu.StatusProcessing).JobID)
	if _, err := l.app.OnTranscoded(t.Context(), end); err == nil {
		t.Error("on-transcoded succeeded with a redundant rendition left in the media bucket")
	}
	l.onTranscoded(end) // Lambda's retry
	v := l.mustRecord(petu.StatusReady)
	var want []string
	for _, r := range v.Renditions {
		want = append(want, r.Key)
	}
	want = append(want, v.Thumbnail)
	slices.Sort(want)
	if got := l.mediaKeys(); !slices.Equal(got, want) {
		t.Errorf("media bucket holds %v, want the video's outputs %v", got, want)
	}
}

// flakyUpdates is a table whose next fail updates fail, as DynamoDB's do when throttling
// outlasts the SDK's retries.
type flakyUpdates struct {
	table.Table[petu.Video]
	fail int
}

func (t *flakyUpdates) Update(ctx context.Context, key table.Key, changes []table.Change, opts *table.UpdateOptions) (petu.Video, error) {
	if t.fail > 0 {
		t.fail--
		return petu.Video{}, errors.New("ProvisionedThroughputExceededException")
	}
	return t.Table.Update(ctx, key, changes, opts)
}

// TestJobNotRecorded fails the write that records a submitted job: on-upload succeeds all the
// same, since a retry, a minute later, would be past MediaConvert's one-minute window for the
// job's token and submit a second job; the job's end makes the video ready.
func TestJobNotRecorded(t *testing.T) {
	l := newLifecycle(t)
	deps := l.app.Deps
	deps.Videos = &flakyUpdates{Table: l.videos, fail: 1}
	app, err := petu.New(deps, petu.Config{UploadsBucket: "uploads", MediaBucket: "media", Provider: "accounts.google.com",
		Logger: slog.New(slog.NewTextHandler(t.Output(), nil))})
	if err != nil {
		t.Fatal(err)
	}
	l.app = app
	if _, err := l.app.OnUpload(t.Context(), l.put(transcodetest.Clip(), "0A")); err != nil {
		t.Fatalf("on-upload failed once its job was submitted, so its retry would submit another: %v", err)
	}
	l.mustRecord(petu.StatusPending)
	// The record does not name the job: its end is found on the transcoder's bus.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for {
		var e events.Event
		select {
		case e = <-l.jobs:
		case <-ctx.Done():
			t.Fatal("no end of the job")
		}
		j, err := events.DecodeJobStateChange(e.Payload)
		if err != nil {
			t.Fatal(err)
		}
		if j.Status == events.JobComplete {
			l.onTranscoded(e.Payload)
			break
		}
	}
	l.mustRecord(petu.StatusReady)
}

// deleteAfterHead is an uploads bucket whose first Head, once answered, runs then: a user's
// delete landing between on-upload's check of the source and its write of the record.
type deleteAfterHead struct {
	storage.Bucket
	then func()
}

func (b *deleteAfterHead) Head(ctx context.Context, key string) (*storage.ObjectInfo, error) {
	info, err := b.Bucket.Head(ctx, key)
	if then := b.then; then != nil {
		b.then = nil
		then()
	}
	return info, err
}

// TestRepeatedNotificationDuringDelete delivers a ready video's notification again, as S3 may,
// while its owner deletes it: the delete lands after on-upload found the source and before it
// wrote the record. The record on-upload writes must go too, rather than wait for ever for the
// deleted video's job.
func TestRepeatedNotificationDuringDelete(t *testing.T) {
	l := newLifecycle(t)
	notification := l.put(transcodetest.Clip(), "0A")
	l.onUpload(notification)
	l.onTranscoded(l.end(l.mustRecord(petu.StatusProcessing).JobID))
	l.mustRecord(petu.StatusReady)

	uploads := &deleteAfterHead{Bucket: l.uploads}
	deps := l.app.Deps
	deps.Uploads = uploads
	app, err := petu.New(deps, petu.Config{UploadsBucket: "uploads", MediaBucket: "media", Provider: "accounts.google.com",
		Logger: slog.New(slog.NewTextHandler(t.Output(), nil))})
	if err != nil {
		t.Fatal(err)
	}
	l.app = app
	uploads.then = l.delete
	l.onUpload(notification)
	if v, err := l.record(); !errors.Is(err, table.ErrNotFound) {
		t.Errorf("after the delete, on-upload left the record %+v (%v)", v, err)
	}
}

// countingTranscoder counts the jobs submitted through it.
type countingTranscoder struct {
	transcode.Transcoder
	submits int
}

func (c *countingTranscoder) Submit(ctx context.Context, job *transcode.Job) (string, error) {
	c.submits++
	return c.Transcoder.Submit(ctx, job)
}

// TestStartedJobRecorded fails on-upload's record of its job, as a function that dies right
// after submitting it does: the job's PROGRESSING event records it, so that the notification's
// retry — a minute later, past MediaConvert's window for the job's token — submits nothing.
func TestStartedJobRecorded(t *testing.T) {
	l := newLifecycle(t)
	counting := &countingTranscoder{Transcoder: l.app.Transcoder}
	deps := l.app.Deps
	deps.Videos = &flakyUpdates{Table: l.videos, fail: 1}
	deps.Transcoder = counting
	app, err := petu.New(deps, petu.Config{UploadsBucket: "uploads", MediaBucket: "media", Provider: "accounts.google.com",
		Logger: slog.New(slog.NewTextHandler(t.Output(), nil))})
	if err != nil {
		t.Fatal(err)
	}
	l.app = app
	notification := l.put(transcodetest.Clip(), "0A")
	l.onUpload(notification)
	l.mustRecord(petu.StatusPending)

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var jobID string
	for jobID == "" {
		select {
		case e := <-l.jobs:
			j, err := events.DecodeJobStateChange(e.Payload)
			if err != nil {
				t.Fatal(err)
			}
			if j.Status == events.JobProgressing {
				l.onTranscoded(e.Payload)
				jobID = j.JobID
			}
		case <-ctx.Done():
			t.Fatal("no PROGRESSING event")
		}
	}
	if v := l.mustRecord(petu.StatusProcessing); v.JobID != jobID {
		t.Errorf("the started job recorded is %q, want %s", v.JobID, jobID)
	}
	l.onUpload(notification) // Lambda's retry of the first delivery
	if counting.submits != 1 {
		t.Errorf("%d jobs submitted, want 1", counting.submits)
	}
	l.onTranscoded(l.end(jobID))
	l.mustRecord(petu.StatusReady)
}
