package awsapp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/servous/servous/events"
	"github.com/servous/servous/identity/identitytest"
	"github.com/servous/servous/identity/memidentity"
	"github.com/servous/servous/petu"
	"github.com/servous/servous/petu/cmd/internal/awsapp"
	"github.com/servous/servous/runtime"
	"github.com/servous/servous/runtime/httpfn"
	"github.com/servous/servous/runtime/runtimetest"
	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/awss3"
	"github.com/servous/servous/storage/memstorage"
	"github.com/servous/servous/storage/storagetest"
	"github.com/servous/servous/table"
	"github.com/servous/servous/table/awsdynamodb"
	"github.com/servous/servous/table/memtable"
	"github.com/servous/servous/table/tabletest"
	"github.com/servous/servous/transcode/memtranscode"
	"github.com/servous/servous/transcode/transcodetest"
)

// The names the test gives the app's resources, as the deployment template would.
const (
	uploadsBucket = "petu-uploads"
	mediaBucket   = "petu-media"
	videosTable   = "petu-videos"
	poolID        = "us-east-1:4f1c2a6e-9b0d-4c7e-8a35-2d6b1e0f9c41"
	provider      = "accounts.google.com"
	audience      = "petu-client-id.apps.googleusercontent.com"
	mediaRole     = "arn:aws:iam::111122223333:role/petu-mediaconvert"
	region        = "us-east-1"
)

// The functions as the template deploys them, by package.
var functions = []struct{ name, pkg string }{
	{"api", "github.com/servous/servous/petu/cmd/api"},
	{"on-upload", "github.com/servous/servous/petu/cmd/on-upload"},
	{"on-transcoded", "github.com/servous/servous/petu/cmd/on-transcoded"},
}

// invoker is a Lambda function: under the emulator (runtimetest.Function) or in-process
// (runtime.Local). Both answer a function error with its error payload.
type invoker interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

// stack is petu deployed somewhere, with what a test needs to play the event sources and look
// behind the API.
type stack struct {
	// The three functions.
	api, onUpload, onTranscoded invoker
	// client sends upload forms and fetches signed URLs.
	client *http.Client
	// uploads, media and videos are the app's resources, reached with the test's own rights.
	uploads, media storage.Bucket
	videos         table.Table[petu.Video]
	// jobEvents receives the transcoder's "MediaConvert Job State Change" events.
	jobEvents <-chan events.Event
	// calls notes the AWS calls each function made; nil in memory.
	calls *callLog
}

// publisher is an events.Publisher handing events to a channel, for the test to deliver as
// EventBridge would.
type publisher chan events.Event

func (p publisher) Publish(ctx context.Context, e events.Event) error {
	select {
	case p <- e:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestStack runs petu as deployed: the three functions built as Lambda runs them, each under
// aws-lambda-rie, talking over HTTP with the SDK to the S3 (gofakes3), DynamoDB (dynalite),
// Cognito Identity and MediaConvert servers. The test plays the event sources: HTTP requests
// turned into Function URL invocations, the S3 notification of the upload, MediaConvert's job
// state change as EventBridge delivers it. The same flow runs on the in-memory adapters with the
// functions in-process, and both must end the same way.
func TestStack(t *testing.T) {
	emulator := runtimetest.EmulatorPath(t)
	t.Logf("emulator: %s", emulator)
	dyn := tabletest.StartDynalite(t)

	bins := buildFunctions(t)

	// The flow's own deadline, builds aside: they are quick from a warm cache and slow from a
	// cold one, which no deadline here can help.
	ctx, cancel := context.WithTimeout(t.Context(), 75*time.Second)
	defer cancel()

	issuer, err := memidentity.NewIssuer("https://accounts.google.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	aws := awsStack(t, ctx, dyn, issuer, bins)
	mem := memStack(t, issuer)

	var got, want outcome
	t.Run("aws", func(t *testing.T) { got = runFlow(t, ctx, aws, issuer) })
	t.Run("memory", func(t *testing.T) { want = runFlow(t, ctx, mem, issuer) })
	if t.Failed() {
		return
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the stack on AWS's wire protocol ended otherwise than the in-memory one (-memory +aws):\n%s", diff)
	}

	// Every call a function made is one its policy in the template allows.
	fns := templateFunctions(t, loadTemplate(t))
	for _, fn := range functions {
		made := aws.calls.made(fn.name)
		if len(made) == 0 {
			t.Errorf("%s made no AWS call the proxies saw", fn.name)
		}
		allowed := allowedActions(fns["cmd/"+fn.name])
		for _, a := range made {
			if !allowed[a] {
				t.Errorf("%s calls %s, which its policy in the template does not allow", fn.name, a)
			}
		}
		t.Logf("%s called %v", fn.name, made)
	}
	t.Logf("outcome: %+v", got)
}

// buildFunctions builds the three functions as Lambda runs them and returns the directory that
// holds each one's bootstrap, in a directory named after the function.
func buildFunctions(t *testing.T) string {
	t.Helper()
	// Each function builds in a subtest of its own; the binaries are
	// moved out of the subtests' directories, which go when the subtests end. The first build
	// alone fills the build cache with the dependencies all three share; the other two then
	// compile their own package and link, at once.
	bins := t.TempDir()
	built := t.Run("build", func(t *testing.T) {
		for i, fn := range functions {
			t.Run(fn.name, func(t *testing.T) {
				if i > 0 {
					t.Parallel()
				}
				bin := runtimetest.Build(t, fn.pkg, nil)
				dir := filepath.Join(bins, fn.name)
				if err := os.Mkdir(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Rename(bin, filepath.Join(dir, "bootstrap")); err != nil {
					t.Fatal(err)
				}
			})
		}
	})
	if !built {
		t.FailNow()
	}
	return bins
}

// awsStack starts the peers and the three functions under the emulator.
func awsStack(t *testing.T, ctx context.Context, dyn *tabletest.Dynalite, issuer *memidentity.Issuer, bins string) *stack {
	t.Helper()
	err := dyn.CreateTable(ctx, videosTable, table.Schema{
		PartitionKey: "owner", SortKey: "id", ExpiresAt: "expires_at",
	})
	if err != nil {
		t.Fatal(err)
	}

	cognito := identitytest.NewServer(nil)
	if err := cognito.AddPool(poolID, &identitytest.PoolOptions{
		Providers: []identitytest.Provider{identitytest.Provider(issuer.Provider(provider, audience))},
	}); err != nil {
		t.Fatal(err)
	}
	cognitoSrv := httptest.NewServer(cognito)
	t.Cleanup(cognitoSrv.Close)

	// S3 asks the Cognito server about the credentials it minted, as S3 asks IAM about those STS
	// mints for the pool's authenticated role, whose policy the template limits to
	// uploads/${cognito-identity.amazonaws.com:sub}/* — the server's default prefix.
	s3srv := storagetest.NewS3Server(t, &storagetest.S3ServerOptions{Region: region, Authority: cognito})
	for _, b := range []string{uploadsBucket, mediaBucket} {
		if err := s3srv.CreateBucket(b); err != nil {
			t.Fatal(err)
		}
	}
	s3c := s3srv.Client()
	uploads, media := awss3.New(s3c, uploadsBucket, nil), awss3.New(s3c, mediaBucket, nil)

	jobs := make(publisher, 16)
	mc := transcodetest.NewMediaConvert(&transcodetest.MediaConvertOptions{
		Region:    region,
		Publisher: jobs,
		Buckets:   map[string]storage.Bucket{uploadsBucket: uploads, mediaBucket: media},
	})
	t.Cleanup(mc.Close)

	videos, err := awsdynamodb.New[petu.Video](dyn.Client, videosTable, nil)
	if err != nil {
		t.Fatal(err)
	}

	// The functions reach S3, DynamoDB and MediaConvert through proxies that note which
	// function made which call, for the check against the template's policies.
	calls := &callLog{seen: map[string]map[string]bool{}}
	env := map[string]string{
		"AWS_REGION":                        region,
		"AWS_ACCESS_KEY_ID":                 s3srv.Credentials.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":             s3srv.Credentials.SecretAccessKey,
		"AWS_ENDPOINT_URL_S3":               calls.proxy(t, s3srv.URL, s3Actions),
		"AWS_ENDPOINT_URL_DYNAMODB":         calls.proxy(t, dyn.Endpoint, dynamoDBActions),
		"AWS_ENDPOINT_URL_COGNITO_IDENTITY": cognitoSrv.URL,
		"AWS_ENDPOINT_URL_MEDIACONVERT":     calls.proxy(t, mc.URL, mediaConvertActions),
		"AWS_EC2_METADATA_DISABLED":         "true",
		"AWS_LAMBDA_FUNCTION_TIMEOUT":       "30",
		awsapp.EnvUploadsBucket:             uploadsBucket,
		awsapp.EnvMediaBucket:               mediaBucket,
		awsapp.EnvVideosTable:               videosTable,
		awsapp.EnvIdentityPool:              poolID,
		awsapp.EnvLoginProvider:             provider,
		awsapp.EnvMediaRole:                 mediaRole,
		awsapp.EnvS3PathStyle:               "true",
	}
	fns := map[string]*runtimetest.Function{}
	for _, fn := range functions {
		e := maps.Clone(env)
		e["AWS_LAMBDA_FUNCTION_NAME"] = "petu-" + fn.name
		e["AWS_SDK_UA_APP_ID"] = fn.name // names the caller in the SDK's User-Agent
		fns[fn.name] = runtimetest.Run(t, filepath.Join(bins, fn.name, "bootstrap"), &runtimetest.Options{Env: e})
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, fn := range functions {
				t.Logf("%s's output:\n%s", fn.name, fns[fn.name].Output())
			}
		}
	})
	t.Cleanup(func() {
		// Each function's cold start, as the emulator reports it on the first invocation.
		for _, fn := range functions {
			if d, ok := runtimetest.InitReport(fns[fn.name].Output()); ok {
				t.Logf("%s: cold start, init %v", fn.name, d)
			}
		}
	})
	return &stack{
		calls: calls,
		api:   fns["api"], onUpload: fns["on-upload"], onTranscoded: fns["on-transcoded"],
		client:  s3srv.HTTPClient(),
		uploads: uploads, media: media, videos: videos,
		jobEvents: jobs,
	}
}

// memStack is the same app on the in-memory adapters, its functions run in-process with the
// same middleware as under Lambda: the run petu/cmd/petu makes.
func memStack(t *testing.T, issuer *memidentity.Issuer) *stack {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	pool, err := memidentity.New(poolID, &memidentity.Options{
		Providers: []memidentity.Provider{issuer.Provider(provider, audience)},
	})
	if err != nil {
		t.Fatal(err)
	}
	uploads := memstorage.New(uploadsBucket, &memstorage.Options{BaseURL: srv.URL + "/" + uploadsBucket, Authority: pool})
	media := memstorage.New(mediaBucket, &memstorage.Options{BaseURL: srv.URL + "/" + mediaBucket})
	for _, b := range []*memstorage.Bucket{uploads, media} {
		mux.Handle("/"+b.Name()+"/", b.Handler())
	}
	videos, err := memtable.New[petu.Video](videosTable, nil)
	if err != nil {
		t.Fatal(err)
	}
	jobs := make(publisher, 16)
	tr := memtranscode.New(map[string]storage.Bucket{uploadsBucket: uploads, mediaBucket: media}, &memtranscode.Options{Publisher: jobs})
	t.Cleanup(func() { tr.Close() })
	logger := slog.New(slog.NewTextHandler(t.Output(), nil))
	app, err := petu.New(petu.Deps{
		Uploads: uploads, Media: media, Videos: videos, Identity: pool, Transcoder: tr,
	}, petu.Config{UploadsBucket: uploadsBucket, MediaBucket: mediaBucket, Provider: provider, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	opts := &runtime.Options{Logger: logger, Metrics: &runtime.MetricsOptions{Writer: io.Discard}}
	return &stack{
		api:          runtime.NewLocal(httpfn.NewHandler(app.API(), &httpfn.Options{Source: httpfn.FunctionURL, Runtime: opts}), &runtime.LocalOptions{FunctionName: "petu-api"}),
		onUpload:     runtime.NewLocal(runtime.NewHandler(app.OnUpload, opts), &runtime.LocalOptions{FunctionName: "petu-on-upload"}),
		onTranscoded: runtime.NewLocal(runtime.NewHandler(app.OnTranscoded, opts), &runtime.LocalOptions{FunctionName: "petu-on-transcoded"}),
		client:       srv.Client(),
		uploads:      uploads, media: media, videos: videos,
		jobEvents: jobs,
	}
}

// outcome is what a run of the flow leaves, without what differs between any two runs (ids,
// times, signatures).
type outcome struct {
	Upload   int64
	Record   petu.Video
	JobState events.JobStatus
	Outputs  []string
	Listed   []petu.VideoView
	Media    []string
	// Again is the record of the same upload form posted again after the delete.
	Again petu.Video
}

// runFlow signs in, uploads a video, delivers its events, lists it, replays every event, and
// deletes it, checking each step against the stack's resources.
func runFlow(t *testing.T, ctx context.Context, s *stack, issuer *memidentity.Issuer) outcome {
	var out outcome
	// The API behind its Function URL (auth type NONE, buffered): each request becomes the
	// invocation payload Lambda sends, and the function's answer the HTTP response.
	viaURL := &http.Client{Transport: &httpfn.Transport{Handler: s.api, Source: httpfn.FunctionURL}}
	token, err := issuer.Issue(memidentity.Claims{Subject: "108378460427152693140", Audience: audience, Name: "Ada", Email: "ada@example.com", EmailVerified: true})
	if err != nil {
		t.Fatal(err)
	}
	api := &apiClient{t: t, ctx: ctx, client: viaURL, token: token}

	// Sign in and ask for an upload form.
	clip := transcodetest.Clip()
	var up petu.UploadResponse
	api.do(http.MethodPost, "/api/uploads", petu.UploadRequest{FileName: "clip.mp4", ContentType: "video/mp4", Size: int64(len(clip))}, http.StatusOK, &up)
	owner, videoID, fileName, err := petu.ParseUploadKey(up.Key)
	if err != nil || videoID != up.VideoID || fileName != "clip.mp4" {
		t.Fatalf("upload key %q (video %q): %v", up.Key, up.VideoID, err)
	}
	unauthorized := &apiClient{t: t, ctx: ctx, client: viaURL, token: "not-a-token"}
	unauthorized.do(http.MethodGet, "/api/videos", nil, http.StatusUnauthorized, nil)

	// The form is signed with the user's own credentials: it lets the file in under the user's
	// prefix only.
	form := storage.UploadForm{URL: up.Form.URL, Fields: up.Form.Fields, Expires: up.Form.Expires}
	elsewhere := form
	elsewhere.Fields = maps.Clone(form.Fields)
	elsewhere.Fields["key"] = strings.Replace(up.Key, owner, "us-east-1:00000000-0000-4000-8000-000000000000", 1)
	if code, body := postForm(t, ctx, s.client, &elsewhere, clip); code != http.StatusForbidden {
		t.Errorf("upload form with another user's key: status %d, want 403: %s", code, body)
	}
	if code, body := postForm(t, ctx, s.client, &form, clip); code/100 != 2 {
		t.Fatalf("upload: status %d: %s", code, body)
	}
	head, err := s.uploads.Head(ctx, up.Key)
	if err != nil {
		t.Fatal(err)
	}
	out.Upload = head.Size

	// S3 notifies on-upload.
	created, err := events.NewObjectEvent(events.ObjectEvent{
		Name: events.ObjectCreatedPost, Bucket: uploadsBucket, Key: up.Key,
		Size: head.Size, ETag: strings.Trim(head.ETag, `"`), Time: head.LastModified, Region: region,
	})
	if err != nil {
		t.Fatal(err)
	}
	invoke(t, ctx, s.onUpload, created.Payload)
	processing := record(t, ctx, s, owner, videoID)
	if processing.Status != petu.StatusProcessing || processing.JobID == "" || processing.SourceKey != up.Key || processing.Size != int64(len(clip)) {
		t.Fatalf("after on-upload the record is %+v, want processing with a job", processing)
	}

	// The job runs; EventBridge delivers its end to on-transcoded, as the template's rule does
	// (status COMPLETE, ERROR or CANCELED).
	done, state := jobEnd(t, ctx, s, processing.JobID)
	out.JobState = state.Status
	if got := state.UserMetadata; got["owner"] != owner || got["video"] != videoID {
		t.Errorf("job's user metadata %v, want owner %s and video %s", got, owner, videoID)
	}
	prefix := "s3://" + mediaBucket + "/videos/" + owner + "/" + videoID + "/"
	for _, g := range state.OutputGroups {
		for _, d := range g.Outputs {
			for _, p := range d.FilePaths {
				rel, ok := strings.CutPrefix(p, prefix)
				if !ok {
					t.Errorf("output %s is not under %s", p, prefix)
				}
				// MediaConvert's server gives a frame capture the input's duration, memtranscode
				// none; petu reads durations of renditions only.
				o := fmt.Sprintf("%s %dx%d", rel, d.Width, d.Height)
				if path.Ext(rel) == ".mp4" {
					o += fmt.Sprintf(" %dms", d.DurationMs)
				}
				out.Outputs = append(out.Outputs, o)
			}
		}
	}
	slices.Sort(out.Outputs)
	invoke(t, ctx, s.onTranscoded, done.Payload)

	// The video is listed ready, with signed URLs that fetch its renditions from the bucket.
	ready := record(t, ctx, s, owner, videoID)
	if ready.Status != petu.StatusReady || ready.JobID != processing.JobID || len(ready.Renditions) == 0 || ready.Thumbnail == "" {
		t.Fatalf("after on-transcoded the record is %+v, want ready with renditions and a thumbnail", ready)
	}
	out.Record = normalize(ready)
	var list petu.VideoList
	api.do(http.MethodGet, "/api/videos", nil, http.StatusOK, &list)
	if len(list.Videos) != 1 || list.Videos[0].ID != videoID {
		t.Fatalf("listed %+v, want video %s", list.Videos, videoID)
	}
	v := list.Videos[0]
	if len(v.Renditions) != len(ready.Renditions) {
		t.Fatalf("listed %d renditions, the record has %d", len(v.Renditions), len(ready.Renditions))
	}
	for i, r := range v.Renditions {
		fetch(t, ctx, s, r.URL, ready.Renditions[i].Key, "video/mp4")
	}
	fetch(t, ctx, s, v.ThumbnailURL, ready.Thumbnail, "image/jpeg")
	out.Listed = normalizeViews(list.Videos)
	var one petu.VideoView
	api.do(http.MethodGet, "/api/videos/"+videoID, nil, http.StatusOK, &one)
	if diff := cmp.Diff(out.Listed, normalizeViews([]petu.VideoView{one})); diff != "" {
		t.Errorf("GET /api/videos/%s differs from the listing (-listed +got):\n%s", videoID, diff)
	}
	mediaKeys := objects(t, ctx, s.media, "videos/"+owner+"/"+videoID+"/")
	for _, k := range mediaKeys {
		out.Media = append(out.Media, strings.TrimPrefix(k, "videos/"+owner+"/"+videoID+"/"))
	}

	// Every event once more, as AWS may deliver it: nothing changes.
	invoke(t, ctx, s.onUpload, created.Payload)
	invoke(t, ctx, s.onTranscoded, done.Payload)
	if diff := cmp.Diff(ready, record(t, ctx, s, owner, videoID)); diff != "" {
		t.Errorf("replayed events changed the record (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(mediaKeys, objects(t, ctx, s.media, "videos/"+owner+"/"+videoID+"/")); diff != "" {
		t.Errorf("replayed events changed the media bucket (-before +after):\n%s", diff)
	}
	var again petu.VideoList
	api.do(http.MethodGet, "/api/videos", nil, http.StatusOK, &again)
	if diff := cmp.Diff(out.Listed, normalizeViews(again.Videos)); diff != "" {
		t.Errorf("replayed events changed the listing (-before +after):\n%s", diff)
	}

	// DELETE removes the record, the source and the renditions.
	api.do(http.MethodDelete, "/api/videos/"+videoID, nil, http.StatusNoContent, nil)
	if _, err := s.videos.Get(ctx, table.Key{Partition: table.String(owner), Sort: table.String(videoID)}, &table.GetOptions{ConsistentRead: true}); !errors.Is(err, table.ErrNotFound) {
		t.Errorf("record after DELETE: %v, want table.ErrNotFound", err)
	}
	if _, err := s.uploads.Head(ctx, up.Key); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("source after DELETE: %v, want storage.ErrNotFound", err)
	}
	if left := objects(t, ctx, s.media, "videos/"+owner+"/"+videoID+"/"); len(left) > 0 {
		t.Errorf("renditions after DELETE: %v", left)
	}
	api.do(http.MethodGet, "/api/videos/"+videoID, nil, http.StatusNotFound, nil)
	api.do(http.MethodDelete, "/api/videos/"+videoID, nil, http.StatusNotFound, nil)
	// The upload's notification, delivered once more after the delete, brings nothing back.
	invoke(t, ctx, s.onUpload, created.Payload)
	var empty petu.VideoList
	api.do(http.MethodGet, "/api/videos", nil, http.StatusOK, &empty)
	if len(empty.Videos) != 0 {
		t.Errorf("listed after DELETE and a replayed upload notification: %+v", empty.Videos)
	}

	// The form is still valid: posted again, it writes a new object at the key, which S3
	// announces with a later sequencer. That upload gets a job of its own and ends ready like
	// the first, although the first job was submitted within MediaConvert's one-minute window
	// for its idempotency token.
	if code, body := postForm(t, ctx, s.client, &form, clip); code/100 != 2 {
		t.Fatalf("upload again: status %d: %s", code, body)
	}
	head, err = s.uploads.Head(ctx, up.Key)
	if err != nil {
		t.Fatal(err)
	}
	recreated, err := events.NewObjectEvent(events.ObjectEvent{
		Name: events.ObjectCreatedPost, Bucket: uploadsBucket, Key: up.Key,
		Size: head.Size, ETag: strings.Trim(head.ETag, `"`), Time: head.LastModified, Region: region,
	})
	if err != nil {
		t.Fatal(err)
	}
	invoke(t, ctx, s.onUpload, recreated.Payload)
	reprocessing := record(t, ctx, s, owner, videoID)
	if reprocessing.Status != petu.StatusProcessing || reprocessing.JobID == "" {
		t.Fatalf("after on-upload of the second upload the record is %+v, want processing with a job", reprocessing)
	}
	if reprocessing.JobID == processing.JobID {
		t.Fatalf("the second upload was given the deleted video's job %s, which ended already: the video would stay processing for ever", processing.JobID)
	}
	redone, _ := jobEnd(t, ctx, s, reprocessing.JobID)
	invoke(t, ctx, s.onTranscoded, redone.Payload)
	// The first upload's notification and its job's end, once more: the second upload keeps
	// what its own job made.
	invoke(t, ctx, s.onUpload, created.Payload)
	invoke(t, ctx, s.onTranscoded, done.Payload)
	reready := record(t, ctx, s, owner, videoID)
	if reready.Status != petu.StatusReady || reready.JobID != reprocessing.JobID {
		t.Fatalf("after the second upload's job the record is %+v, want ready by job %s", reready, reprocessing.JobID)
	}
	out.Again = normalize(reready)
	api.do(http.MethodDelete, "/api/videos/"+videoID, nil, http.StatusNoContent, nil)
	if left := objects(t, ctx, s.media, "videos/"+owner+"/"+videoID+"/"); len(left) > 0 {
		t.Errorf("renditions after the second DELETE: %v", left)
	}
	return out
}

// jobEnd waits for the event that ends job id and returns it, decoded too.
func jobEnd(t *testing.T, ctx context.Context, s *stack, id string) (events.Event, events.JobStateChange) {
	t.Helper()
	for {
		var e events.Event
		select {
		case e = <-s.jobEvents:
		case <-ctx.Done():
			t.Fatalf("no end of job %s: %v", id, ctx.Err())
		}
		state, err := events.DecodeJobStateChange(e.Payload)
		if err != nil {
			t.Fatal(err)
		}
		if state.JobID != id {
			t.Fatalf("event of job %s, want %s", state.JobID, id)
		}
		if state.Status == events.JobComplete || state.Status == events.JobError || state.Status == events.JobCanceled {
			return e, state
		}
	}
}

// normalize leaves out of a record what differs between runs.
func normalize(v petu.Video) petu.Video {
	v.Owner, v.ID, v.JobID, v.Upload = "", "", "", ""
	v.CreatedAt, v.UpdatedAt = time.Time{}, time.Time{}
	v.SourceKey, v.Thumbnail = base(v.SourceKey), base(v.Thumbnail)
	v.Renditions = slices.Clone(v.Renditions)
	for i := range v.Renditions {
		v.Renditions[i].Key = base(v.Renditions[i].Key)
	}
	return v
}

// base is the last element of a key, or "" for none.
func base(key string) string {
	if key == "" {
		return ""
	}
	return path.Base(key)
}

// normalizeViews leaves out of listed videos what differs between runs, keeping whether each URL
// is there.
func normalizeViews(vs []petu.VideoView) []petu.VideoView {
	out := make([]petu.VideoView, len(vs))
	for i, v := range vs {
		rec := normalize(*v.Video)
		out[i] = petu.VideoView{Video: &rec, ThumbnailURL: strings.Repeat("signed", min(len(v.ThumbnailURL), 1))}
		for _, r := range v.Renditions {
			r.URL = strings.Repeat("signed", min(len(r.URL), 1))
			out[i].Renditions = append(out[i].Renditions, r)
		}
	}
	return out
}

func record(t *testing.T, ctx context.Context, s *stack, owner, videoID string) petu.Video {
	t.Helper()
	v, err := s.videos.Get(ctx, table.Key{Partition: table.String(owner), Sort: table.String(videoID)}, &table.GetOptions{ConsistentRead: true})
	if err != nil {
		t.Fatalf("record of %s: %v", videoID, err)
	}
	return v
}

func objects(t *testing.T, ctx context.Context, b storage.Bucket, prefix string) []string {
	t.Helper()
	var keys []string
	for o, err := range storage.Objects(ctx, b, &storage.ListOptions{Prefix: prefix}) {
		if err != nil {
			t.Fatalf("list %s: %v", prefix, err)
		}
		keys = append(keys, o.Key)
	}
	return keys
}

// fetch GETs a signed URL as a browser would and checks that it serves the object.
func fetch(t *testing.T, ctx context.Context, s *stack, url, key, contentType string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", url, res.Status, body)
	}
	want, err := storage.GetBytes(ctx, s.media, key)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(body, want) || len(body) == 0 {
		t.Errorf("GET %s: %d bytes, not the %d of %s", url, len(body), len(want), key)
	}
	if ct, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type")); ct != contentType {
		t.Errorf("GET %s: Content-Type %q, want %s", url, res.Header.Get("Content-Type"), contentType)
	}
}

// postForm posts file with an upload form as a browser does and returns the answer.
func postForm(t *testing.T, ctx context.Context, c *http.Client, f *storage.UploadForm, file []byte) (int, string) {
	t.Helper()
	req, err := f.NewRequest(ctx, bytes.NewReader(file), int64(len(file)), "video/mp4")
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(body)
}

// invoke invokes an event function and checks that it succeeded: its handlers answer {}.
func invoke(t *testing.T, ctx context.Context, fn invoker, payload []byte) {
	t.Helper()
	res, err := fn.Invoke(ctx, payload)
	if err != nil {
		t.Fatal(err)
	}
	if string(res) != "{}" {
		t.Fatalf("invocation answered %s", res)
	}
}

// apiClient calls the API as the site does, with the user's sign-in token.
type apiClient struct {
	t      *testing.T
	ctx    context.Context
	client *http.Client
	token  string
}

// apiURL is the API's Function URL.
const apiURL = "https://petuapi0123456789abcdef.lambda-url." + region + ".on.aws"

func (c *apiClient) do(method, path string, in any, wantStatus int, out any) {
	c.t.Helper()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			c.t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(c.ctx, method, apiURL+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.client.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	if res.StatusCode != wantStatus {
		c.t.Fatalf("%s %s: %s, want %d: %s", method, path, res.Status, wantStatus, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
}

// callLog notes the AWS actions each function's requests need, as IAM would check them. The
// SDK names the function in its User-Agent ("app/<name>", from AWS_SDK_UA_APP_ID).
type callLog struct {
	mu   sync.Mutex
	seen map[string]map[string]bool
}

var appIDRE = regexp.MustCompile(`(?:^| )app/([^ ]+)`)

// proxy starts a reverse proxy to target that notes the actions of each request, and returns
// its URL. The Host header is kept, so signatures made for the proxy still verify.
func (c *callLog) proxy(t *testing.T, target string, actions func(*http.Request) []string) string {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(u)
		r.Out.Host = r.In.Host
	}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m := appIDRE.FindStringSubmatch(r.Header.Get("User-Agent")); m != nil {
			c.mu.Lock()
			if c.seen[m[1]] == nil {
				c.seen[m[1]] = map[string]bool{}
			}
			for _, a := range actions(r) {
				c.seen[m[1]][a] = true
			}
			c.mu.Unlock()
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func (c *callLog) made(fn string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Sorted(maps.Keys(c.seen[fn]))
}

// s3Actions maps a path-style S3 request to the IAM actions it needs.
func s3Actions(r *http.Request) []string {
	_, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	switch {
	case r.Method == http.MethodPost && r.URL.Query().Has("delete"):
		return []string{"s3:DeleteObject"}
	case key == "" && r.Method == http.MethodGet:
		return []string{"s3:ListBucket"}
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		return []string{"s3:GetObject"}
	case r.Method == http.MethodPut && r.Header.Get("X-Amz-Copy-Source") != "":
		return []string{"s3:GetObject", "s3:PutObject"}
	case r.Method == http.MethodPut || r.Method == http.MethodPost:
		return []string{"s3:PutObject"}
	case r.Method == http.MethodDelete:
		return []string{"s3:DeleteObject"}
	}
	return []string{"s3:unknown " + r.Method}
}

// dynamoDBActions maps a DynamoDB request to its action: the operation in X-Amz-Target.
func dynamoDBActions(r *http.Request) []string {
	_, op, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
	return []string{"dynamodb:" + op}
}

// mediaConvertActions maps a MediaConvert request to the IAM actions it needs; creating a job
// passes the job's role to MediaConvert.
func mediaConvertActions(r *http.Request) []string {
	switch r.Method {
	case http.MethodPost:
		return []string{"mediaconvert:CreateJob", "iam:PassRole"}
	case http.MethodGet:
		return []string{"mediaconvert:GetJob"}
	case http.MethodDelete:
		return []string{"mediaconvert:CancelJob"}
	}
	return []string{"mediaconvert:unknown " + r.Method}
}
