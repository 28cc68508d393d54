package petu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/servous/servous/events"
	"github.com/servous/servous/storage"
	"github.com/servous/servous/table"
	"github.com/servous/servous/transcode"
)

// OnUpload handles the notifications of objects created in the uploads bucket — arriving from S3
// directly, through SQS or through EventBridge, all decode alike. For each upload it creates the
// video's record as pending, submits its transcoding job and records the job as processing.
//
// Notifications arrive at least once and in any order, so OnUpload is idempotent: a repeat finds
// the record and creates nothing new; the job is submitted with a token made of the video id and
// the upload's S3 sequencer, so a repeat that races the first submission gets the same job. The
// upload form stays valid for a while, so the same key can be written again, after a delete or
// while the first upload is still transcoding: each write is a new object with a later sequencer,
// and gets a job of its own, which the record then waits for (an earlier upload's late
// notification changes nothing). Keys petu's API could not have made are logged and dropped, not
// retried. An error makes the event source retry.
func (a *App) OnUpload(ctx context.Context, payload json.RawMessage) (struct{}, error) {
	objs, err := events.DecodeObjectEvents(payload)
	if err != nil {
		// A payload that is not a notification will not become one on a retry.
		a.cfg.Logger.ErrorContext(ctx, "petu on-upload: dropped an undecodable event", slog.Any("error", err))
		return struct{}{}, nil
	}
	var errs []error
	for _, o := range objs {
		if !o.Created() || o.Bucket != a.cfg.UploadsBucket {
			continue
		}
		if err := a.upload(ctx, o); err != nil {
			errs = append(errs, err)
		}
	}
	return struct{}{}, errors.Join(errs...)
}

func (a *App) upload(ctx context.Context, o events.ObjectEvent) error {
	log := a.cfg.Logger.With(slog.String("key", o.Key))
	owner, videoID, fileName, err := ParseUploadKey(o.Key)
	if err != nil {
		log.WarnContext(ctx, "petu on-upload: dropped an upload with a bad key", slog.Any("error", err))
		return nil
	}
	if o.Size <= 0 {
		log.WarnContext(ctx, "petu on-upload: dropped an empty upload")
		return nil
	}
	// A notification can arrive again long after the first, when the video may be gone: only
	// the object it announced, still there, makes a video.
	switch gone, err := a.sourceGone(ctx, o); {
	case err != nil:
		return fmt.Errorf("petu on-upload: head %s: %w", videoID, err)
	case gone:
		log.InfoContext(ctx, "petu on-upload: dropped a notification of an object that is gone or replaced")
		return nil
	}
	now := a.cfg.Now().UTC()
	created := o.Time
	if created.IsZero() {
		created = now
	}
	v := Video{
		Owner: owner, ID: videoID, FileName: fileName, SourceKey: o.Key, Upload: o.Sequencer, Size: o.Size,
		Status: StatusPending, CreatedAt: created.UTC(), UpdatedAt: now,
	}
	switch err := a.Videos.Create(ctx, &v); {
	case errors.Is(err, table.ErrAlreadyExists):
		cur, err := a.Videos.Get(ctx, videoKey(owner, videoID), &table.GetOptions{ConsistentRead: true})
		if errors.Is(err, table.ErrNotFound) {
			return nil // deleted since
		}
		if err != nil {
			return fmt.Errorf("petu on-upload: read %s: %w", videoID, err)
		}
		if ok, err := a.again(ctx, &cur, o); !ok || err != nil {
			return err
		}
	case err != nil:
		return fmt.Errorf("petu on-upload: create %s: %w", videoID, err)
	default:
		// The owner may have deleted the video between the look at its source above and this
		// write, which then made the record anew: its job, submitted with the same token as
		// the deleted one's, would be that job, ended already, and the record would wait for
		// it for ever. The delete takes the source before the record, so a source still there
		// now means the record is wanted.
		gone, err := a.sourceGone(ctx, o)
		if err != nil {
			return fmt.Errorf("petu on-upload: head %s: %w", videoID, err)
		}
		if gone {
			err := a.Videos.Delete(ctx, videoKey(owner, videoID), &table.DeleteOptions{If: table.And(table.Equal("status", StatusPending), sameUpload(o.Sequencer))})
			if err != nil && !errors.Is(err, table.ErrConditionFailed) && !errors.Is(err, table.ErrNotFound) {
				return fmt.Errorf("petu on-upload: drop the record of deleted video %s: %w", videoID, err)
			}
			log.InfoContext(ctx, "petu on-upload: dropped a notification of a video deleted meanwhile")
			return nil
		}
	}

	jobID, err := a.Transcoder.Submit(ctx, a.job(owner, videoID, o.Sequencer, o.Key))
	if errors.Is(err, transcode.ErrInvalidJob) {
		return a.finish(ctx, owner, videoID, o.Sequencer, "", Video{Status: StatusFailed, Error: err.Error()})
	}
	if err != nil {
		return fmt.Errorf("petu on-upload: submit %s: %w", videoID, err)
	}
	_, err = a.Videos.Update(ctx, videoKey(owner, videoID), []table.Change{
		table.Set("status", StatusProcessing),
		table.Set("job_id", jobID),
		table.Set("updated_at", a.cfg.Now().UTC()),
	}, &table.UpdateOptions{If: table.And(table.Equal("status", StatusPending), sameUpload(o.Sequencer))})
	if errors.Is(err, table.ErrConditionFailed) {
		return nil // the job already ended, the video was deleted, or a later upload took over
	}
	if err != nil {
		// The job is submitted: its start records it (started) and its end finds the record
		// whether or not it names the job (finish accepts a record without one), so the video
		// is not lost. A retry would be: Lambda retries an asynchronous event a minute after it
		// failed at the earliest, past MediaConvert's one-minute window for the job's
		// idempotency token, so it could submit a second job.
		log.WarnContext(ctx, "petu on-upload: could not record the job; its end will", slog.String("video", videoID), slog.String("job", jobID), slog.Any("error", err))
		return nil
	}
	log.InfoContext(ctx, "petu on-upload: transcoding", slog.String("video", videoID), slog.String("job", jobID))
	return nil
}

// again decides what a notification does for a video whose record exists: it goes on to submit
// the job when it repeats the record's upload and the first delivery stopped before the job was
// recorded, or when it announces a later upload of the key while the record still waits for an
// earlier one's job. The later upload then takes the record over, and the earlier job is
// canceled: its end would describe the source no longer there.
func (a *App) again(ctx context.Context, cur *Video, o events.ObjectEvent) (bool, error) {
	if cur.SourceKey != o.Key {
		return false, nil
	}
	waiting := cur.Status == StatusPending || cur.Status == StatusProcessing
	switch c := events.CompareSequencers(o.Sequencer, cur.Upload); {
	case c == 0:
		return cur.Status == StatusPending, nil
	case c < 0 || !waiting:
		// An earlier upload's notification, or a later upload of a video that has ended: the
		// video keeps what it has, and goes with its source when deleted.
		return false, nil
	}
	_, err := a.Videos.Update(ctx, videoKey(cur.Owner, cur.ID), []table.Change{
		table.Set("status", StatusPending),
		table.Set("upload", o.Sequencer),
		table.Set("size", o.Size),
		table.Set("updated_at", a.cfg.Now().UTC()),
		table.Remove("job_id"),
	}, &table.UpdateOptions{If: table.And(
		table.Or(table.Equal("status", StatusPending), table.Equal("status", StatusProcessing)),
		sameUpload(cur.Upload),
	)})
	if errors.Is(err, table.ErrConditionFailed) {
		// The record moved on since it was read: decide again on the retry.
		return false, fmt.Errorf("petu on-upload: video %s changed while a later upload took it over", cur.ID)
	}
	if err != nil {
		return false, fmt.Errorf("petu on-upload: take over %s: %w", cur.ID, err)
	}
	if cur.JobID != "" {
		err := a.Transcoder.Cancel(ctx, cur.JobID)
		if err != nil && !errors.Is(err, transcode.ErrFinished) && !errors.Is(err, transcode.ErrNotFound) {
			// Its end is ignored whatever it is; only its outputs could outlive the new job's.
			a.cfg.Logger.WarnContext(ctx, "petu on-upload: could not cancel an earlier upload's job", slog.String("job", cur.JobID), slog.Any("error", err))
		}
	}
	return true, nil
}

// sourceGone reports whether the object a notification announced is no longer there: deleted,
// or replaced by a later upload.
func (a *App) sourceGone(ctx context.Context, o events.ObjectEvent) (bool, error) {
	info, err := a.Uploads.Head(ctx, o.Key)
	if errors.Is(err, storage.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return o.ETag != "" && !storage.ETagsEqual(info.ETag, o.ETag), nil
}

// sameUpload holds when the record is for the upload with sequencer seq; a record made before
// sequencers were recorded has none.
func sameUpload(seq string) table.Condition {
	if seq == "" {
		return table.NotExists("upload")
	}
	return table.Equal("upload", seq)
}

// OnTranscoded handles "MediaConvert Job State Change" events: a complete job makes its video
// ready with its renditions, duration and thumbnail; a failed or canceled one makes it failed
// with the reason; a job that starts (PROGRESSING) is recorded on a video still pending without
// one (see started). Other events change nothing. The update is conditional on the video still
// waiting for this job, of the upload named in the job's metadata, so a repeat, or the end of a job
// whose upload was replaced, changes nothing; outputs of a video deleted meanwhile are removed.
func (a *App) OnTranscoded(ctx context.Context, payload json.RawMessage) (struct{}, error) {
	job, err := transcode.DecodeEvent(payload)
	if err != nil {
		a.cfg.Logger.ErrorContext(ctx, "petu on-transcoded: dropped an undecodable event", slog.Any("error", err))
		return struct{}{}, nil
	}
	owner, videoID, upload := job.Metadata["owner"], job.Metadata["video"], job.Metadata["upload"]
	if !identityIDPattern.MatchString(owner) || !videoIDPattern.MatchString(videoID) {
		a.cfg.Logger.WarnContext(ctx, "petu on-transcoded: dropped a job that is not petu's", slog.String("job", job.ID))
		return struct{}{}, nil
	}
	var result Video
	switch job.State {
	case transcode.StateComplete:
		result, err = a.completed(owner, videoID, job.Outputs)
		if err != nil {
			result = Video{Status: StatusFailed, Error: err.Error()}
			break
		}
		var redundant []string
		result.Renditions, redundant = distinct(result.Renditions)
		if err := a.finish(ctx, owner, videoID, upload, job.ID, result); err != nil {
			return struct{}{}, err
		}
		// A redundant rendition not deleted would stay for ever, owned by no record: the
		// error makes the event source retry, and the retry, finding the video ready, deletes
		// what is left.
		var errs []error
		for _, key := range redundant {
			if err := a.Media.Delete(ctx, key); err != nil {
				errs = append(errs, fmt.Errorf("petu on-transcoded: delete redundant rendition %s: %w", key, err))
			}
		}
		return struct{}{}, errors.Join(errs...)
	case transcode.StateError:
		result = Video{Status: StatusFailed, Error: fmt.Sprintf("transcoding failed (%d): %s", job.ErrorCode, job.ErrorMessage)}
	case transcode.StateCanceled:
		result = Video{Status: StatusFailed, Error: "transcoding canceled"}
	case transcode.StateProgressing:
		return struct{}{}, a.started(ctx, owner, videoID, upload, job.ID)
	default:
		return struct{}{}, nil
	}
	return struct{}{}, a.finish(ctx, owner, videoID, upload, job.ID, result)
}

// started records the job of a video's upload when the job starts, if on-upload has not: an
// on-upload that died between submitting the job and recording it is retried by Lambda a minute
// later at the earliest, past MediaConvert's one-minute window for the job's idempotency token,
// and would submit a second job if it found the video still pending. MediaConvert's PROGRESSING
// event, a few seconds after the submission, lets the retry find the job recorded.
func (a *App) started(ctx context.Context, owner, videoID, upload, jobID string) error {
	_, err := a.Videos.Update(ctx, videoKey(owner, videoID), []table.Change{
		table.Set("status", StatusProcessing),
		table.Set("job_id", jobID),
		table.Set("updated_at", a.cfg.Now().UTC()),
	}, &table.UpdateOptions{If: table.And(table.Equal("status", StatusPending), sameUpload(upload), table.NotExists("job_id"))})
	if errors.Is(err, table.ErrConditionFailed) || errors.Is(err, table.ErrNotFound) {
		return nil // recorded already, ended, deleted, or taken over by a later upload
	}
	if err != nil {
		return fmt.Errorf("petu on-transcoded: record started job of %s: %w", videoID, err)
	}
	return nil
}

// completed reads the outputs of a complete job: each must be one the video's job spec names,
// inside the media bucket. The video lasts as long as its renditions.
func (a *App) completed(owner, videoID string, outputs []transcode.Output) (Video, error) {
	job := a.job(owner, videoID, "", "")
	names := make(map[string]string, len(job.Renditions))
	for i := range job.Renditions {
		names[job.RenditionKey(&job.Renditions[i])] = job.Renditions[i].Name
	}
	thumb := job.ThumbnailKey()
	v := Video{Status: StatusReady}
	for _, o := range outputs {
		if o.Bucket != a.cfg.MediaBucket {
			return Video{}, fmt.Errorf("output %q in bucket %q is outside the media bucket", o.Key, o.Bucket)
		}
		if o.Key == thumb {
			v.Thumbnail = o.Key
			continue
		}
		if _, ok := names[o.Key]; !ok {
			return Video{}, fmt.Errorf("output %q is not one the job asked for", o.Key)
		}
		v.DurationMs = max(v.DurationMs, o.Duration.Milliseconds())
		v.Renditions = append(v.Renditions, Rendition{Key: o.Key, Width: o.Width, Height: o.Height})
	}
	if len(v.Renditions) == 0 {
		return Video{}, errors.New("the job completed without renditions")
	}
	return v, nil
}

// distinct names renditions by the height they really have ("360p") and keeps one of each size:
// renditions never upscale, so a small source makes several of the same size. It returns the
// keys of those left out.
func distinct(rs []Rendition) (kept []Rendition, redundant []string) {
	seen := make(map[[2]int]bool, len(rs))
	// The last of a size is kept: its name is the smallest target, the one nearest the size.
	for _, r := range slices.Backward(rs) {
		size := [2]int{r.Width, r.Height}
		if seen[size] {
			redundant = append(redundant, r.Key)
			continue
		}
		seen[size] = true
		r.Name = fmt.Sprintf("%dp", r.Height)
		kept = append(kept, r)
	}
	slices.SortFunc(kept, func(a, b Rendition) int { return b.Height - a.Height })
	return kept, redundant
}

// finish records how the job of a video's upload ended, if the video is still waiting for it.
func (a *App) finish(ctx context.Context, owner, videoID, upload, jobID string, r Video) error {
	changes := []table.Change{
		table.Set("status", r.Status),
		table.Set("updated_at", a.cfg.Now().UTC()),
	}
	if jobID != "" {
		changes = append(changes, table.Set("job_id", jobID))
	}
	if r.Status == StatusReady {
		changes = append(changes,
			table.Set("renditions", r.Renditions),
			table.Set("duration_ms", r.DurationMs))
		if r.Thumbnail != "" {
			changes = append(changes, table.Set("thumbnail", r.Thumbnail))
		}
	} else {
		changes = append(changes,
			table.Set("error", r.Error),
			table.Set("expires_at", a.cfg.Now().Add(FailedRetention).Unix()))
	}
	waiting := table.And(
		table.Or(table.Equal("status", StatusPending), table.Equal("status", StatusProcessing)),
		sameUpload(upload))
	if jobID != "" {
		// The job must be the video's own: the one recorded, or none yet if this event overtook
		// on-upload's update.
		waiting = table.And(waiting, table.Or(table.NotExists("job_id"), table.Equal("job_id", jobID)))
	}
	_, err := a.Videos.Update(ctx, videoKey(owner, videoID), changes, &table.UpdateOptions{If: waiting})
	if errors.Is(err, table.ErrConditionFailed) {
		if r.Status == StatusReady {
			return a.dropOrphans(ctx, owner, videoID)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("petu: record result of %s: %w", videoID, err)
	}
	a.cfg.Logger.InfoContext(ctx, "petu: video "+r.Status, slog.String("video", videoID), slog.String("job", jobID))
	return nil
}

// dropOrphans removes the outputs of a job whose video was deleted while it ran. A video that
// still exists keeps them: the event was a repeat.
func (a *App) dropOrphans(ctx context.Context, owner, videoID string) error {
	_, err := a.Videos.Get(ctx, videoKey(owner, videoID), &table.GetOptions{ConsistentRead: true})
	if !errors.Is(err, table.ErrNotFound) {
		return err
	}
	return a.DeleteVideo(ctx, &Video{Owner: owner, ID: videoID})
}
