package petu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

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
// the record and creates nothing new; the job is submitted with the video id as its idempotency
// token, so a repeat that races the first submission gets the same job. Keys petu's API could not
// have made are logged and dropped, not retried. An error makes the event source retry.
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
	info, err := a.Uploads.Head(ctx, o.Key)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && o.ETag != "" && !storage.ETagsEqual(info.ETag, o.ETag)) {
		log.InfoContext(ctx, "petu on-upload: dropped a notification of an object that is gone or replaced")
		return nil
	}
	if err != nil {
		return fmt.Errorf("petu on-upload: head %s: %w", videoID, err)
	}
	now := a.cfg.Now().UTC()
	created := o.Time
	if created.IsZero() {
		created = now
	}
	v := Video{
		Owner: owner, ID: videoID, FileName: fileName, SourceKey: o.Key, Size: o.Size,
		Status: StatusPending, CreatedAt: created.UTC(), UpdatedAt: now,
	}
	switch err := a.Videos.Create(ctx, &v); {
	case errors.Is(err, table.ErrAlreadyExists):
		// A repeat. Go on only if the first delivery stopped before its job was recorded.
		v, err = a.Videos.Get(ctx, videoKey(owner, videoID), &table.GetOptions{ConsistentRead: true})
		if errors.Is(err, table.ErrNotFound) {
			return nil // deleted since
		}
		if err != nil {
			return fmt.Errorf("petu on-upload: read %s: %w", videoID, err)
		}
		if v.Status != StatusPending || v.SourceKey != o.Key {
			return nil
		}
	case err != nil:
		return fmt.Errorf("petu on-upload: create %s: %w", videoID, err)
	}

	jobID, err := a.Transcoder.Submit(ctx, a.job(owner, videoID, o.Key))
	if errors.Is(err, transcode.ErrInvalidJob) {
		return a.finish(ctx, owner, videoID, "", Video{Status: StatusFailed, Error: err.Error()})
	}
	if err != nil {
		return fmt.Errorf("petu on-upload: submit %s: %w", videoID, err)
	}
	_, err = a.Videos.Update(ctx, videoKey(owner, videoID), []table.Change{
		table.Set("status", StatusProcessing),
		table.Set("job_id", jobID),
		table.Set("updated_at", a.cfg.Now().UTC()),
	}, &table.UpdateOptions{If: table.Equal("status", StatusPending)})
	if errors.Is(err, table.ErrConditionFailed) {
		return nil // the job already ended, or the video was deleted
	}
	if err != nil {
		return fmt.Errorf("petu on-upload: record job of %s: %w", videoID, err)
	}
	log.InfoContext(ctx, "petu on-upload: transcoding", slog.String("video", videoID), slog.String("job", jobID))
	return nil
}

// OnTranscoded handles "MediaConvert Job State Change" events: a complete job makes its video
// ready with its renditions, duration and thumbnail; a failed or canceled one makes it failed
// with the reason. Other states change nothing. The update is conditional on the video still
// waiting for this job, so a repeat changes nothing; outputs of a video deleted meanwhile are
// removed.
func (a *App) OnTranscoded(ctx context.Context, payload json.RawMessage) (struct{}, error) {
	e, err := events.DecodeJobStateChange(payload)
	if err != nil {
		a.cfg.Logger.ErrorContext(ctx, "petu on-transcoded: dropped an undecodable event", slog.Any("error", err))
		return struct{}{}, nil
	}
	owner, videoID := e.UserMetadata["owner"], e.UserMetadata["video"]
	if !identityIDPattern.MatchString(owner) || !videoIDPattern.MatchString(videoID) {
		a.cfg.Logger.WarnContext(ctx, "petu on-transcoded: dropped a job that is not petu's", slog.String("job", e.JobID))
		return struct{}{}, nil
	}
	var result Video
	switch e.Status {
	case events.JobComplete:
		result, err = a.completed(owner, videoID, e)
		if err != nil {
			result = Video{Status: StatusFailed, Error: err.Error()}
			break
		}
		var redundant []string
		result.Renditions, redundant = distinct(result.Renditions)
		if err := a.finish(ctx, owner, videoID, e.JobID, result); err != nil {
			return struct{}{}, err
		}
		for _, key := range redundant {
			if err := a.Media.Delete(ctx, key); err != nil {
				a.cfg.Logger.WarnContext(ctx, "petu on-transcoded: could not delete a redundant rendition", slog.String("key", key), slog.Any("error", err))
			}
		}
		return struct{}{}, nil
	case events.JobError:
		result = Video{Status: StatusFailed, Error: fmt.Sprintf("transcoding failed (%d): %s", e.ErrorCode, e.ErrorMessage)}
	case events.JobCanceled:
		result = Video{Status: StatusFailed, Error: "transcoding canceled"}
	default:
		return struct{}{}, nil
	}
	return struct{}{}, a.finish(ctx, owner, videoID, e.JobID, result)
}

// completed reads the outputs of a complete job: each output path must be one the video's job
// spec names, inside the media bucket.
func (a *App) completed(owner, videoID string, e events.JobStateChange) (Video, error) {
	job := a.job(owner, videoID, "")
	names := make(map[string]string, len(job.Renditions))
	for i := range job.Renditions {
		names[job.RenditionKey(&job.Renditions[i])] = job.Renditions[i].Name
	}
	thumb := job.ThumbnailKey()
	v := Video{Status: StatusReady}
	for _, g := range e.OutputGroups {
		for _, d := range g.Outputs {
			for _, p := range d.FilePaths {
				bucket, key, ok := strings.Cut(strings.TrimPrefix(p, "s3://"), "/")
				if !ok || bucket != a.cfg.MediaBucket || !strings.HasPrefix(p, "s3://") {
					return Video{}, fmt.Errorf("output %q is outside the media bucket", p)
				}
				if key == thumb {
					v.Thumbnail = key
					continue
				}
				if _, ok := names[key]; !ok {
					return Video{}, fmt.Errorf("output %q is not one the job asked for", p)
				}
				v.DurationMs = max(v.DurationMs, d.DurationMs)
				v.Renditions = append(v.Renditions, Rendition{Key: key, Width: d.Width, Height: d.Height})
			}
		}
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

// finish records how a video's job ended, if the video is still waiting for it.
func (a *App) finish(ctx context.Context, owner, videoID, jobID string, r Video) error {
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
	waiting := table.Or(table.Equal("status", StatusPending), table.Equal("status", StatusProcessing))
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
