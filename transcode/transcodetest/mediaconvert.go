package transcodetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/servous/servous/events"
	"github.com/servous/servous/storage"
	"github.com/servous/servous/transcode"
	"github.com/servous/servous/transcode/internal/media"
)

// MediaConvertOptions configures a MediaConvert server. A nil *MediaConvertOptions means
// region us-east-1, account 111122223333, no events and jobs that wait for Start, Complete or
// Fail.
type MediaConvertOptions struct {
	Region  string
	Account string
	// Publisher, when not nil, receives the "MediaConvert Job State Change" events of every
	// job: PROGRESSING, then COMPLETE, ERROR or CANCELED (the last only for a job that was
	// progressing, as MediaConvert does).
	Publisher events.Publisher
	// Buckets, when not nil, makes jobs run by themselves: each job reads its input from the
	// bucket named in its s3:// URL, fails with error 1010 or 1040 when the input is missing
	// or not a video, and otherwise writes a stand-in MP4 for every MP4 output and a JPEG
	// for every frame capture output (contents describe the output; sizes follow the
	// settings, and the input's rotation when its videoSelector rotate is AUTO) before it
	// completes. The rules for recognising a video are those of
	// memtranscode.
	Buckets map[string]storage.Bucket
	// TokenWindow is how long a clientRequestToken returns the job it first created; 0
	// means one minute, MediaConvert's window. A token is forgotten once its window has
	// passed.
	TokenWindow time.Duration
	// Now is the server's clock: job and event times, token windows and job history. Nil
	// means time.Now.
	Now func() time.Time
	// Duration is how long a job running by itself (see Buckets) stays PROGRESSING before
	// it reads its input, as a real job transcodes for minutes; 0 means no wait. The wait is
	// on the real clock, not Now.
	Duration time.Duration
}

// JobRetention is how long after its creation a job that ended stays known to the server:
// MediaConvert keeps 90 days of job history, and GetJob and CancelJob of an older job answer
// NotFoundException, as of a job that never was.
const JobRetention = 90 * 24 * time.Hour

// VideoInfo describes an input video to a server completing a job by hand.
type VideoInfo struct {
	// Width and Height are the stored picture's.
	Width  int
	Height int
	// Rotation is the input's rotation metadata, in degrees clockwise (0, 90, 180 or 270):
	// a phone's portrait video is stored landscape and turned 90. Outputs are sized from the
	// turned picture when the job's input has videoSelector rotate AUTO, as the service does;
	// without it the service ignores the metadata. DEGREES_90, DEGREES_180 and DEGREES_270
	// turn the picture whatever the metadata says.
	Rotation int
	Duration time.Duration
}

// MediaConvert is an in-process server for the parts of AWS Elemental MediaConvert's REST-JSON
// API (version 2017-08-29) that a transcoder uses: CreateJob (POST /2017-08-29/jobs), GetJob
// (GET /2017-08-29/jobs/{id}) and CancelJob (DELETE /2017-08-29/jobs/{id}). It validates job
// settings and rejects bad ones with BadRequestException, as the service does, and emits
// the service's EventBridge events. Point an SDK client at it with BaseEndpoint = URL.
//
// Jobs move on by themselves when MediaConvertOptions.Buckets is set; otherwise the test
// moves them with Start, Progress, Complete and Fail.
type MediaConvert struct {
	// URL is the server's base URL, for the SDK client's BaseEndpoint.
	URL string

	srv     *httptest.Server
	region  string
	account string
	pub     events.Publisher
	buckets map[string]storage.Bucket
	window  time.Duration
	lasts   time.Duration

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	now func() time.Time

	mu     sync.Mutex
	jobs   map[string]*mcJob
	tokens map[string]tokenUse
	// issued and created hold the tokens and the jobs in the order they came, so those
	// whose time has passed are forgotten from the front.
	issued  []tokenUse
	created []tokenUse
	pubErrs []error
}

// tokenUse is a token, or none, with the job it created and when.
type tokenUse struct {
	token string
	id    string
	when  time.Time
}

// mcJob is a job as the server keeps it: the wire form, plus what it needs to run it.
type mcJob struct {
	wire     wireJob
	settings jobSettings
	cancel   context.CancelFunc
	done     chan struct{} // closed when a job running by itself has stopped
}

// snapshot copies the wire form for a response encoded outside the lock.
func (j *mcJob) snapshot() wireJob {
	w := j.wire
	timing := *j.wire.Timing
	w.Timing = &timing
	return w
}

// NewMediaConvert starts a server; Close stops it.
func NewMediaConvert(opts *MediaConvertOptions) *MediaConvert {
	var o MediaConvertOptions
	if opts != nil {
		o = *opts
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.Account == "" {
		o.Account = "111122223333"
	}
	if o.TokenWindow == 0 {
		o.TokenWindow = time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &MediaConvert{
		region:  o.Region,
		account: o.Account,
		pub:     o.Publisher,
		buckets: o.Buckets,
		window:  o.TokenWindow,
		lasts:   o.Duration,
		now:     o.Now,
		jobs:    map[string]*mcJob{},
		tokens:  map[string]tokenUse{},
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2017-08-29/jobs", s.createJob)
	mux.HandleFunc("GET /2017-08-29/jobs/{id}", s.getJob)
	mux.HandleFunc("DELETE /2017-08-29/jobs/{id}", s.cancelJob)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		apiError(w, http.StatusNotFound, "NotFoundException", fmt.Sprintf("no such operation: %s %s", r.Method, r.URL.Path))
	})
	s.srv = httptest.NewServer(requireSignature(mux))
	s.URL = s.srv.URL
	return s
}

// Close stops the server and waits for running jobs to stop.
func (s *MediaConvert) Close() {
	s.cancel()
	s.srv.Close()
	s.wg.Wait()
}

// PublishErrors returns the errors the Publisher returned so far.
func (s *MediaConvert) PublishErrors() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]error(nil), s.pubErrs...)
}

// JobCount returns how many jobs the server holds (those not yet forgotten): a CreateJob that
// returned the job of its token created none.
func (s *MediaConvert) JobCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.jobs)
}

// JobSummary is what Jobs tells of a job.
type JobSummary struct {
	ID    string
	State transcode.State
	// Metadata is the job's user metadata.
	Metadata map[string]string
}

// Jobs returns the jobs the server holds (those not yet forgotten), in the order they were
// created, for a test to count the jobs made for each thing it asked for.
func (s *MediaConvert) Jobs() []JobSummary {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]JobSummary, 0, len(s.jobs))
	for _, c := range s.created {
		if j, ok := s.jobs[c.id]; ok {
			out = append(out, JobSummary{ID: j.wire.ID, State: transcode.State(j.wire.Status), Metadata: maps.Clone(j.wire.UserMetadata)})
		}
	}
	return out
}

// QueueARN returns the ARN of the queue a job lands in when CreateJob names none.
func (s *MediaConvert) QueueARN() string {
	return fmt.Sprintf("arn:aws:mediaconvert:%s:%s:queues/Default", s.region, s.account)
}

func requireSignature(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
			apiError(w, http.StatusForbidden, "ForbiddenException", "Missing Authentication Token")
			return
		}
		h.ServeHTTP(w, r)
	})
}

func apiError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"message": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

type createJobRequest struct {
	ClientRequestToken string            `json:"clientRequestToken"`
	JobTemplate        string            `json:"jobTemplate"`
	Queue              string            `json:"queue"`
	Role               string            `json:"role"`
	Settings           json.RawMessage   `json:"settings"`
	UserMetadata       map[string]string `json:"userMetadata"`
}

func (s *MediaConvert) createJob(w http.ResponseWriter, r *http.Request) {
	var req createJobRequest
	body, err := io.ReadAll(r.Body)
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	if err != nil {
		apiError(w, http.StatusBadRequest, "BadRequestException", "Could not parse request body: "+err.Error())
		return
	}
	var settings jobSettings
	if len(req.Settings) > 0 {
		dec := json.NewDecoder(bytes.NewReader(req.Settings))
		if err := dec.Decode(&settings); err != nil {
			apiError(w, http.StatusBadRequest, "BadRequestException", "/settings: "+err.Error())
			return
		}
	}
	if msgs := validateCreateJob(&req, &settings); len(msgs) > 0 {
		apiError(w, http.StatusBadRequest, "BadRequestException", strings.Join(msgs, ", "))
		return
	}
	queue := req.Queue
	if queue == "" || queue == "Default" {
		queue = s.QueueARN()
	} else if !strings.HasPrefix(queue, "arn:") {
		queue = fmt.Sprintf("arn:aws:mediaconvert:%s:%s:queues/%s", s.region, s.account, queue)
	}

	s.mu.Lock()
	now := s.now()
	s.forgetLocked(now)
	if req.ClientRequestToken != "" {
		if u, ok := s.tokens[req.ClientRequestToken]; ok && now.Sub(u.when) < s.window {
			j := s.jobs[u.id].snapshot()
			s.mu.Unlock()
			writeJSON(w, http.StatusCreated, map[string]any{"job": j})
			return
		}
	}
	id := newJobID(now)
	j := &mcJob{
		wire: wireJob{
			Arn:                events.JobARN(s.region, s.account, id),
			ID:                 id,
			ClientRequestToken: req.ClientRequestToken,
			CreatedAt:          epoch(now),
			Queue:              queue,
			Role:               req.Role,
			Settings:           req.Settings,
			Status:             string(transcode.StateSubmitted),
			UserMetadata:       req.UserMetadata,
			Timing:             &wireTiming{SubmitTime: epoch(now)},
		},
		settings: settings,
	}
	s.jobs[id] = j
	s.created = append(s.created, tokenUse{id: id, when: now})
	if req.ClientRequestToken != "" {
		u := tokenUse{req.ClientRequestToken, id, now}
		s.tokens[u.token] = u
		s.issued = append(s.issued, u)
	}
	wire := j.snapshot()
	if s.buckets != nil {
		ctx, cancel := context.WithCancel(s.ctx)
		j.cancel = cancel
		j.done = make(chan struct{})
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer close(j.done)
			defer cancel()
			s.run(ctx, id)
		}()
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{"job": wire})
}

// forgetLocked forgets the tokens whose window has passed at now, and the jobs that ended
// and were created JobRetention or more before now. s.mu must be held.
func (s *MediaConvert) forgetLocked(now time.Time) {
	n := 0
	for _, u := range s.issued {
		if now.Sub(u.when) < s.window {
			break
		}
		n++
		// After a clock that went back, the token may name a later job; that one stays.
		if s.tokens[u.token].id == u.id {
			delete(s.tokens, u.token)
		}
	}
	clear(s.issued[:n])
	s.issued = s.issued[n:]

	var running []tokenUse
	n = 0
	for _, u := range s.created {
		if now.Sub(u.when) < JobRetention {
			break
		}
		n++
		if j, ok := s.jobs[u.id]; ok && !transcode.State(j.wire.Status).Final() {
			running = append(running, u) // kept until it ends
			continue
		}
		delete(s.jobs, u.id)
	}
	clear(s.created[:n])
	if running != nil {
		s.created = append(running, s.created[n:]...)
	} else {
		s.created = s.created[n:]
	}
}

func (s *MediaConvert) getJob(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	s.forgetLocked(s.now())
	j, ok := s.jobs[id]
	var wire wireJob
	if ok {
		wire = j.snapshot()
	}
	s.mu.Unlock()
	if !ok {
		apiError(w, http.StatusNotFound, "NotFoundException", "The specified job was not found: "+id)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"job": wire})
}

func (s *MediaConvert) cancelJob(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	s.forgetLocked(s.now())
	j, ok := s.jobs[id]
	if !ok {
		s.mu.Unlock()
		apiError(w, http.StatusNotFound, "NotFoundException", "The specified job was not found: "+id)
		return
	}
	prev := transcode.State(j.wire.Status)
	if prev.Final() {
		s.mu.Unlock()
		apiError(w, http.StatusConflict, "ConflictException", fmt.Sprintf("Job %s is %s and can no longer be canceled", id, prev))
		return
	}
	j.wire.Status = string(transcode.StateCanceled)
	j.wire.JobPercentComplete = nil
	j.wire.Timing.FinishTime = epoch(s.now())
	if j.cancel != nil {
		j.cancel()
	}
	ev := s.eventLocked(j)
	done := j.done
	s.mu.Unlock()
	if done != nil {
		// Answer once the job has stopped and removed what it wrote, so a caller who
		// canceled finds no outputs.
		select {
		case <-done:
		case <-r.Context().Done():
		}
	}
	if prev == transcode.StateProgressing {
		s.publish(ev)
	}
	writeJSON(w, http.StatusAccepted, map[string]any{})
}

// Start moves a submitted job to PROGRESSING and publishes the event.
func (s *MediaConvert) Start(id string) error {
	return s.transition(id, func(j *mcJob) error {
		if j.wire.Status != string(transcode.StateSubmitted) {
			return fmt.Errorf("job %s is %s, not SUBMITTED", id, j.wire.Status)
		}
		j.wire.Status = string(transcode.StateProgressing)
		j.wire.CurrentPhase = "PROBING"
		zero := 0
		j.wire.JobPercentComplete = &zero
		j.wire.Timing.StartTime = epoch(s.now())
		return nil
	}, true)
}

// Progress sets a progressing job's jobPercentComplete. It publishes nothing: MediaConvert
// reports progress in STATUS_UPDATE events only when asked to.
func (s *MediaConvert) Progress(id string, percent int) error {
	return s.transition(id, func(j *mcJob) error {
		if j.wire.Status != string(transcode.StateProgressing) {
			return fmt.Errorf("job %s is %s, not PROGRESSING", id, j.wire.Status)
		}
		j.wire.CurrentPhase = "TRANSCODING"
		j.wire.JobPercentComplete = &percent
		return nil
	}, false)
}

// Complete ends a job as COMPLETE, describing the outputs its settings produce from an input
// like in, and publishes the event. A submitted job is started first.
func (s *MediaConvert) Complete(id string, in VideoInfo) error {
	return s.finish(id, func(j *mcJob) {
		j.wire.Status = string(transcode.StateComplete)
		j.wire.OutputGroupDetails = outputDetails(&j.settings, in)
	})
}

// completeWith ends a job as COMPLETE with the outputs it wrote.
func (s *MediaConvert) completeWith(id string, groups []wireOutputGroupDetail) error {
	return s.finish(id, func(j *mcJob) {
		j.wire.Status = string(transcode.StateComplete)
		j.wire.OutputGroupDetails = groups
	})
}

// Fail ends a job as ERROR with the code and message, and publishes the event. A submitted
// job is started first.
func (s *MediaConvert) Fail(id string, code int, msg string) error {
	return s.finish(id, func(j *mcJob) {
		j.wire.Status = string(transcode.StateError)
		j.wire.ErrorCode = &code
		j.wire.ErrorMessage = msg
	})
}

func (s *MediaConvert) finish(id string, end func(*mcJob)) error {
	s.mu.Lock()
	j, ok := s.jobs[id]
	submitted := ok && j.wire.Status == string(transcode.StateSubmitted)
	s.mu.Unlock()
	if submitted {
		if err := s.Start(id); err != nil {
			return err
		}
	}
	return s.transition(id, func(j *mcJob) error {
		if j.wire.Status != string(transcode.StateProgressing) {
			return fmt.Errorf("job %s is %s, not PROGRESSING", id, j.wire.Status)
		}
		end(j)
		j.wire.JobPercentComplete = nil
		j.wire.CurrentPhase = ""
		j.wire.Timing.FinishTime = epoch(s.now())
		return nil
	}, true)
}

func (s *MediaConvert) transition(id string, f func(*mcJob) error, publish bool) error {
	s.mu.Lock()
	j, ok := s.jobs[id]
	if !ok {
		s.mu.Unlock()
		return fmt.Errorf("transcodetest: no job %q: %w", id, transcode.ErrNotFound)
	}
	if err := f(j); err != nil {
		s.mu.Unlock()
		return fmt.Errorf("transcodetest: %w", err)
	}
	ev := s.eventLocked(j)
	s.mu.Unlock()
	if publish {
		s.publish(ev)
	}
	return nil
}

func (s *MediaConvert) eventLocked(j *mcJob) events.JobStateChange {
	now := s.now()
	e := events.JobStateChange{
		Envelope:     events.Envelope{Account: s.account, Region: s.region, Time: now},
		Timestamp:    now,
		Status:       events.JobStatus(j.wire.Status),
		JobID:        j.wire.ID,
		Queue:        j.wire.Queue,
		UserMetadata: j.wire.UserMetadata,
	}
	if e.UserMetadata == nil {
		e.UserMetadata = map[string]string{}
	}
	if j.wire.ErrorCode != nil {
		e.ErrorCode = *j.wire.ErrorCode
		e.ErrorMessage = j.wire.ErrorMessage
	}
	for _, g := range j.wire.OutputGroupDetails {
		eg := events.OutputGroupDetail{Type: "FILE_GROUP"}
		for _, o := range g.OutputDetails {
			eg.Outputs = append(eg.Outputs, events.OutputDetail{
				FilePaths:  o.paths,
				DurationMs: o.DurationInMs,
				Width:      o.VideoDetails.WidthInPx,
				Height:     o.VideoDetails.HeightInPx,
				// MediaConvert reports each video output's average bitrate in the event.
				AverageBitrate: o.bitrate,
			})
		}
		e.OutputGroups = append(e.OutputGroups, eg)
	}
	return e
}

func (s *MediaConvert) publish(e events.JobStateChange) {
	if s.pub == nil {
		return
	}
	ev, err := events.NewJobStateChange(e)
	if err == nil {
		err = s.pub.Publish(context.Background(), ev)
	}
	if err != nil {
		s.mu.Lock()
		s.pubErrs = append(s.pubErrs, err)
		s.mu.Unlock()
	}
}

// run is a job that moves by itself on the server's buckets.
func (s *MediaConvert) run(ctx context.Context, id string) {
	if err := s.Start(id); err != nil {
		return // canceled before it started
	}
	if s.lasts > 0 {
		t := time.NewTimer(s.lasts)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
	}
	s.mu.Lock()
	settings := s.jobs[id].settings
	s.mu.Unlock()

	input := settings.Inputs[0].FileInput
	in, err := s.probe(ctx, input)
	if ctx.Err() != nil {
		return
	}
	if err != nil {
		code := transcode.CodeInternal
		if e, ok := media.IsProbeError(err); ok {
			code = e.Code
		}
		s.Fail(id, code, fmt.Sprintf("Unable to open input file [%s]: [Failed probe/open: [%v]]", input, err))
		return
	}
	groups := outputDetails(&settings, in)
	var written []string
	cleanup := func() {
		for _, p := range written {
			b, k, _ := splitS3(p)
			s.buckets[b].Delete(context.Background(), k)
		}
	}
	for gi, g := range groups {
		for oi, o := range g.OutputDetails {
			out := &settings.OutputGroups[gi].Outputs[oi]
			b, key, _ := splitS3(o.paths[0])
			bucket, ok := s.buckets[b]
			if !ok {
				cleanup()
				s.Fail(id, transcode.CodeOutputWrite, fmt.Sprintf("Unable to write to output file [%s]: [NoSuchBucket]", o.paths[0]))
				return
			}
			desc := fmt.Sprintf("transcodetest MediaConvert output of job %s\ninput: %s\noutput: %s\nsize: %dx%d\n", id, input, o.paths[0], o.VideoDetails.WidthInPx, o.VideoDetails.HeightInPx)
			var data []byte
			var ct string
			if out.ContainerSettings.Container == "RAW" {
				q := 80
				if fc := out.VideoDescription.CodecSettings.FrameCaptureSettings; fc != nil && fc.Quality != nil {
					q = *fc.Quality
				}
				data, ct = media.JPEG(o.VideoDetails.WidthInPx, o.VideoDetails.HeightInPx, q, desc), "image/jpeg"
			} else {
				data, ct = media.MP4(o.VideoDetails.WidthInPx, o.VideoDetails.HeightInPx, in.Duration, desc), "video/mp4"
			}
			if _, err := storage.PutBytes(ctx, bucket, key, data, &storage.PutOptions{ContentType: ct}); err != nil {
				cleanup()
				if ctx.Err() == nil {
					s.Fail(id, transcode.CodeOutputWrite, fmt.Sprintf("Unable to write to output file [%s]: [%v]", o.paths[0], err))
				}
				return
			}
			written = append(written, o.paths[0])
			if ct == "video/mp4" && in.Duration > 0 {
				groups[gi].OutputDetails[oi].bitrate = int64(float64(len(data)*8) / in.Duration.Seconds())
			}
		}
	}
	s.mu.Lock()
	canceled := s.jobs[id].wire.Status == string(transcode.StateCanceled)
	s.mu.Unlock()
	if canceled {
		cleanup()
		return
	}
	if err := s.completeWith(id, groups); err != nil {
		cleanup() // canceled while the outputs were written
	}
}

func (s *MediaConvert) probe(ctx context.Context, url string) (VideoInfo, error) {
	b, key, _ := splitS3(url)
	bucket, ok := s.buckets[b]
	if !ok {
		return VideoInfo{}, &media.Error{Code: transcode.CodeInputAccess, Msg: "NoSuchBucket"}
	}
	obj, err := bucket.Get(ctx, key, nil)
	if errors.Is(err, storage.ErrNotFound) {
		return VideoInfo{}, &media.Error{Code: transcode.CodeInputAccess, Msg: "NoSuchKey"}
	}
	if err != nil {
		if ctx.Err() != nil {
			return VideoInfo{}, ctx.Err()
		}
		// A key S3 refuses, like any input the service cannot read, is 1010.
		return VideoInfo{}, &media.Error{Code: transcode.CodeInputAccess, Msg: err.Error()}
	}
	defer obj.Close()
	info, err := media.Probe(obj)
	if err != nil {
		return VideoInfo{}, err
	}
	return VideoInfo{Width: info.Width, Height: info.Height, Rotation: info.Rotation, Duration: info.Duration}, nil
}

// outputDetails describes the outputs settings produce from an input like in.
func outputDetails(st *jobSettings, in VideoInfo) []wireOutputGroupDetail {
	inBase := path.Base(st.Inputs[0].FileInput)
	inBase = strings.TrimSuffix(inBase, path.Ext(inBase))
	in = turned(in, st.Inputs[0].rotate())
	var groups []wireOutputGroupDetail
	for _, g := range st.OutputGroups {
		dest := g.OutputGroupSettings.FileGroupSettings.Destination
		base := inBase
		if !strings.HasSuffix(dest, "/") {
			// The destination's last segment is the base name.
			base = path.Base(dest)
			dest = strings.TrimSuffix(dest, base)
		}
		var gd wireOutputGroupDetail
		for _, o := range g.Outputs {
			vd := o.VideoDescription
			w, h := 0, 0
			if vd != nil {
				w, h = outputSize(in, vd)
			}
			ext := ".mp4"
			dur := in.Duration.Milliseconds()
			if o.ContainerSettings.Container == "RAW" {
				ext = ".0000000.jpg"
			}
			if o.Extension != "" {
				ext = "." + o.Extension
			}
			gd.OutputDetails = append(gd.OutputDetails, wireOutputDetail{
				paths:        []string{dest + base + o.NameModifier + ext},
				DurationInMs: dur,
				VideoDetails: wireVideoDetails{WidthInPx: w, HeightInPx: h},
			})
		}
		groups = append(groups, gd)
	}
	return groups
}

// turned returns in as the service sees it with the input's rotate setting: the picture
// turned, Rotation cleared.
func turned(in VideoInfo, rotate string) VideoInfo {
	deg := 0
	switch rotate {
	case "AUTO":
		deg = in.Rotation
	case "DEGREES_90":
		deg = 90
	case "DEGREES_180":
		deg = 180
	case "DEGREES_270":
		deg = 270
	}
	if deg%180 != 0 {
		in.Width, in.Height = in.Height, in.Width
	}
	in.Rotation = 0
	return in
}

func outputSize(in VideoInfo, vd *videoDescription) (int, int) {
	w, h := deref(vd.Width), deref(vd.Height)
	switch vd.ScalingBehavior {
	case "FIT", "FIT_NO_UPSCALE":
		return transcode.OutputSize(in.Width, in.Height, w, h, vd.ScalingBehavior == "FIT_NO_UPSCALE")
	}
	if w != 0 && h != 0 {
		return w, h // DEFAULT pads, STRETCH_TO_OUTPUT and FILL fill the frame
	}
	return transcode.OutputSize(in.Width, in.Height, w, h, false)
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// splitS3 splits an s3:// URL at the first slash after the bucket name.
func splitS3(u string) (bucket, key string, ok bool) {
	rest, ok := strings.CutPrefix(u, "s3://")
	if !ok {
		return "", "", false
	}
	bucket, key, ok = strings.Cut(rest, "/")
	return bucket, key, ok && bucket != ""
}

func newJobID(now time.Time) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	var b [6]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return fmt.Sprintf("%d-%s", now.UnixMilli(), b[:])
}

func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }
