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
	"math"
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

	"github.com/servous/servous/cost"
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
	memoryMB      = 256 // the functions' memory, as the template's Globals give it
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
	// fns are the functions under the emulator, and mc the MediaConvert server; nil in memory.
	fns map[string]*runtimetest.Function
	mc  *transcodetest.MediaConvert
	// completed are the COMPLETE events of the jobs, as the transcoder sent them.
	completed []events.JobStateChange
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
	checkMetering(t, aws)

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

// startPeers makes the app's table in dynalite and starts the Cognito server, with petu's pool
// trusting issuer, and the S3 server, with petu's buckets.
func startPeers(t *testing.T, ctx context.Context, dyn *tabletest.Dynalite, issuer *memidentity.Issuer) (cognitoSrv *httptest.Server, s3srv *storagetest.S3Server) {
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
	cognitoSrv = httptest.NewServer(cognito)
	t.Cleanup(cognitoSrv.Close)

	// S3 asks the Cognito server about the credentials it minted, as S3 asks IAM about those STS
	// mints for the pool's authenticated role, whose policy the template limits to
	// uploads/${cognito-identity.amazonaws.com:sub}/* — the server's default prefix.
	s3srv = storagetest.NewS3Server(t, &storagetest.S3ServerOptions{Region: region, Authority: cognito})
	for _, b := range []string{uploadsBucket, mediaBucket} {
		if err := s3srv.CreateBucket(b); err != nil {
			t.Fatal(err)
		}
	}
	return cognitoSrv, s3srv
}

// awsStack starts the peers and the three functions under the emulator.
func awsStack(t *testing.T, ctx context.Context, dyn *tabletest.Dynalite, issuer *memidentity.Issuer, bins string) *stack {
	t.Helper()
	cognitoSrv, s3srv := startPeers(t, ctx, dyn, issuer)
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
	calls := newCallLog()
	env := map[string]string{
		"AWS_REGION":                        region,
		"AWS_ACCESS_KEY_ID":                 s3srv.Credentials.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":             s3srv.Credentials.SecretAccessKey,
		"AWS_ENDPOINT_URL_S3":               calls.proxy(t, s3srv.URL, s3Actions, calls.s3Request),
		"AWS_ENDPOINT_URL_DYNAMODB":         calls.proxy(t, dyn.Endpoint, dynamoDBActions, calls.dynamoDBResponse),
		"AWS_ENDPOINT_URL_COGNITO_IDENTITY": cognitoSrv.URL,
		"AWS_ENDPOINT_URL_MEDIACONVERT":     calls.proxy(t, mc.URL, mediaConvertActions, nil),
		"AWS_EC2_METADATA_DISABLED":         "true",
		"AWS_LAMBDA_FUNCTION_TIMEOUT":       "30",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE":   fmt.Sprint(memoryMB),
		awsapp.EnvLogUsage:                  "true",
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
		calls: calls, fns: fns, mc: mc,
		api: fns["api"], onUpload: fns["on-upload"], onTranscoded: fns["on-transcoded"],
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
		if state.Status == events.JobComplete {
			s.completed = append(s.completed, state)
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
	// s3 counts each function's S3 requests by price class (a cost.UnitS3… unit), dynamoDB
	// sums the capacity DynamoDB's answers to it say it consumed.
	s3       map[string]map[string]int
	dynamoDB map[string]*capacity
}

// capacity is what DynamoDB's answers to a function say it consumed.
type capacity struct {
	// Read and Write sum the CapacityUnits of the answers' ConsumedCapacity.
	Read, Write float64
	// Refused counts the conditional writes refused (ConditionalCheckFailedException),
	// whose answers carry no ConsumedCapacity.
	Refused int
}

func newCallLog() *callLog {
	return &callLog{
		seen:     map[string]map[string]bool{},
		s3:       map[string]map[string]int{},
		dynamoDB: map[string]*capacity{},
	}
}

var appIDRE = regexp.MustCompile(`(?:^| )app/([^ ]+)`)

// proxy starts a reverse proxy to target that notes the actions of each request, passes each
// answer with the function that asked to observe (when not nil), and returns its URL. The Host
// header is kept, so signatures made for the proxy still verify.
func (c *callLog) proxy(t *testing.T, target string, actions func(*http.Request) []string, observe func(fn string, res *http.Response) error) string {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(u)
		r.Out.Host = r.In.Host
	}}
	if observe != nil {
		rp.ModifyResponse = func(res *http.Response) error {
			m := appIDRE.FindStringSubmatch(res.Request.Header.Get("User-Agent"))
			if m == nil {
				return nil
			}
			if err := observe(m[1], res); err != nil {
				t.Errorf("%s: %v", m[1], err)
			}
			return nil
		}
	}
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

// s3Request counts an S3 request the server answered by its price class, from its method and
// query alone (Amazon S3 pricing, https://aws.amazon.com/s3/pricing/): PUT, COPY, POST and
// LIST requests are tier 1, DELETE requests (DeleteObject, a multi-object delete, an abort of a
// multipart upload) free, GET, HEAD and the rest tier 2. Failed requests count: S3 bills them.
func (c *callLog) s3Request(fn string, res *http.Response) error {
	r := res.Request
	_, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	class := cost.UnitS3Tier2
	switch {
	case r.Method == http.MethodDelete, r.Method == http.MethodPost && r.URL.Query().Has("delete"):
		class = cost.UnitS3Free
	case r.Method == http.MethodPut, r.Method == http.MethodPost, r.Method == http.MethodGet && key == "":
		class = cost.UnitS3Tier1
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.s3[fn] == nil {
		c.s3[fn] = map[string]int{}
	}
	c.s3[fn][class]++
	return nil
}

// dynamoDBResponse sums the ConsumedCapacity of a DynamoDB answer: an object for one table's
// operations, a list of them for batches. Reads are GetItem, Query, Scan and the batch and
// transaction gets; everything else writes.
func (c *callLog) dynamoDBResponse(fn string, res *http.Response) error {
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	res.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return err
	}
	var answer struct {
		Type             string          `json:"__type"`
		ConsumedCapacity json.RawMessage `json:"ConsumedCapacity"`
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		return fmt.Errorf("DynamoDB answer %q: %v", body, err)
	}
	type consumed struct{ CapacityUnits float64 }
	var units float64
	switch cc := bytes.TrimSpace(answer.ConsumedCapacity); {
	case len(cc) == 0:
	case cc[0] == '[':
		var all []consumed
		if err := json.Unmarshal(cc, &all); err != nil {
			return err
		}
		for _, one := range all {
			units += one.CapacityUnits
		}
	default:
		var one consumed
		if err := json.Unmarshal(cc, &one); err != nil {
			return err
		}
		units = one.CapacityUnits
	}
	_, op, _ := strings.Cut(res.Request.Header.Get("X-Amz-Target"), ".")
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dynamoDB[fn] == nil {
		c.dynamoDB[fn] = &capacity{}
	}
	cp := c.dynamoDB[fn]
	switch op {
	case "GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems":
		cp.Read += units
	default:
		cp.Write += units
	}
	if strings.HasSuffix(answer.Type, "#ConditionalCheckFailedException") {
		cp.Refused++
	}
	return nil
}

// checkMetering holds the usage each function under the emulator logged (cost.LogUsage, turned
// on by PETU_LOG_USAGE) to what the wire saw: the requests the S3 server got from it, the
// capacity DynamoDB said it consumed, the emulator's REPORT lines, and the outputs of the jobs
// MediaConvert completed.
func checkMetering(t *testing.T, s *stack) {
	t.Helper()
	for _, fn := range functions {
		out := s.fns[fn.name].Output()
		u, err := cost.ReadUsage(strings.NewReader(out))
		if err != nil {
			t.Fatalf("%s's usage: %v", fn.name, err)
		}
		t.Logf("%s's usage:\n%s", fn.name, u.Report(cost.USEast1()))

		// S3: each request the server received, by price class.
		s.calls.mu.Lock()
		wire, cp := maps.Clone(s.calls.s3[fn.name]), capacity{}
		if c := s.calls.dynamoDB[fn.name]; c != nil {
			cp = *c
		}
		s.calls.mu.Unlock()
		for _, class := range []string{cost.UnitS3Tier1, cost.UnitS3Tier2, cost.UnitS3Free} {
			var metered float64
			for _, b := range []string{uploadsBucket, mediaBucket} {
				metered += u.Get(cost.ServiceS3, b, class)
			}
			if metered != float64(wire[class]) {
				t.Errorf("%s: metered %v S3 %s, the S3 server received %d", fn.name, metered, class, wire[class])
			}
		}

		// DynamoDB: the ConsumedCapacity of its answers. A refused conditional write's answer
		// carries none, and dynalite's no stored item; awsdynamodb bills it the item the write
		// would have made (table.Call), a unit for each of petu's records, all under 1 KB.
		rru := u.Get(cost.ServiceDynamoDB, videosTable, cost.UnitReadUnits)
		wru := u.Get(cost.ServiceDynamoDB, videosTable, cost.UnitWriteUnits)
		if rru != cp.Read {
			t.Errorf("%s: metered %v read units, DynamoDB's answers consumed %v", fn.name, rru, cp.Read)
		}
		if want := cp.Write + float64(cp.Refused); wru != want {
			t.Errorf("%s: metered %v write units, DynamoDB's answers consumed %v and refused %d conditional writes", fn.name, wru, cp.Write, cp.Refused)
		}
		t.Logf("%s: S3 requests %v; DynamoDB %v RRU, %v WRU (%d refused writes)", fn.name, wire, rru, wru, cp.Refused)

		checkBilledDurations(t, fn.name, out)
	}

	// MediaConvert: on-transcoded meters each job whose COMPLETE event it is given, by the
	// durations and sizes of the outputs the event lists. Each job the server made completed,
	// and every complete job's event was delivered.
	var ids []string
	for _, j := range s.mc.Jobs() {
		ids = append(ids, j.ID)
		if j.State != "COMPLETE" {
			t.Errorf("job %s is %s", j.ID, j.State)
		}
	}
	var delivered []string
	want := map[string]float64{}
	for _, e := range s.completed {
		delivered = append(delivered, e.JobID)
		for _, g := range e.OutputGroups {
			for _, o := range g.Outputs {
				// MediaConvert's resolution classes, by the output's shorter side: SD below 720
				// lines, HD to 1080, UHD above (https://aws.amazon.com/mediaconvert/pricing/).
				class := cost.UnitMinutesHD
				switch lines := min(o.Width, o.Height); {
				case lines < 720:
					class = cost.UnitMinutesSD
				case lines > 1080:
					class = cost.UnitMinutesUHD
				}
				want[class] += cost.OutputMinutes(time.Duration(o.DurationMs) * time.Millisecond)
			}
		}
	}
	slices.Sort(ids)
	slices.Sort(delivered)
	if !slices.Equal(ids, delivered) || len(ids) == 0 {
		t.Errorf("MediaConvert made the jobs %v, on-transcoded was told %v complete", ids, delivered)
	}
	u, err := cost.ReadUsage(strings.NewReader(s.fns["on-transcoded"].Output()))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, l := range u.Lines() {
		if l.Service == cost.ServiceMediaConvert {
			got[l.Unit] += l.Quantity
		}
	}
	if !cmp.Equal(got, want, cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) < 1e-9 })) {
		t.Errorf("on-transcoded metered the MediaConvert minutes %v, the jobs' outputs last %v", got, want)
	}
	t.Logf("MediaConvert: %d jobs, %v output minutes", len(ids), got)
}

// reportRE is the emulator's REPORT line, as Lambda prints it.
var reportRE = regexp.MustCompile(`REPORT RequestId: (\S+)\s.*?Billed Duration: (\d+) ms\s+Memory Size: (\d+) MB`)

// checkBilledDurations holds each invocation's metered duration to the Billed Duration of its
// REPORT line. The meter measures inside the runtime's loop, so it sees less than the emulator,
// which times the invocation from its own side of the Runtime API: it must not exceed the
// REPORT's figure, nor fall short of it by more than billedSlack and a tenth of the figure
// (the emulator's share grows with the machine's load; 6 ms was the most seen on a quiet
// 2-core machine, on an invocation billed 75 ms). The first invocation's Billed
// Duration includes the INIT phase, as Lambda's does for a custom runtime; the meter counts it
// from the cost package's initialisation, so what ran before (the process's start, the Go
// runtime's, the packages initialised earlier) is missing from it: there it may fall short by
// the emulator's INIT REPORT duration as well.
func checkBilledDurations(t *testing.T, fn, out string) {
	t.Helper()
	const billedSlack = 10 // ms
	metered := map[string]float64{}
	for line := range strings.Lines(out) {
		if !strings.Contains(line, cost.UsageMessage) {
			continue
		}
		var rec struct {
			RequestID string `json:"requestId"`
		}
		start := strings.IndexByte(line, '{')
		if start < 0 || json.Unmarshal([]byte(line[start:]), &rec) != nil {
			continue
		}
		u, err := cost.ReadUsage(strings.NewReader(line))
		if err != nil {
			t.Fatal(err)
		}
		gbs := 0.0
		for _, l := range u.Lines() {
			if l.Service == cost.ServiceLambda && (l.Unit == cost.UnitGBSecondsArm64 || l.Unit == cost.UnitGBSecondsX86) {
				gbs += l.Quantity
			}
		}
		metered[rec.RequestID] = gbs / (float64(memoryMB) / 1024) * 1000
	}
	init, _ := runtimetest.InitReport(out)
	reports := reportRE.FindAllStringSubmatch(out, -1)
	if len(reports) == 0 || len(reports) != len(metered) {
		t.Errorf("%s: %d REPORT lines, %d usage records", fn, len(reports), len(metered))
	}
	for i, r := range reports {
		id, mem := r[1], r[3]
		var billed float64
		fmt.Sscan(r[2], &billed)
		if mem != fmt.Sprint(memoryMB) {
			t.Errorf("%s: REPORT of %s: memory %s MB, want %d", fn, id, mem, memoryMB)
		}
		ms, ok := metered[id]
		if !ok {
			t.Errorf("%s: no usage record of invocation %s", fn, id)
			continue
		}
		slack := billedSlack + billed/10
		if i == 0 {
			slack += math.Ceil(float64(init.Microseconds()) / 1000)
		}
		t.Logf("%s: invocation %d: metered %.0f ms, REPORT billed %.0f ms", fn, i, ms, billed)
		if ms > billed+1e-6 || ms < billed-slack {
			t.Errorf("%s: invocation %d (%s) metered %.3f ms, REPORT billed %v ms: want at most that and at most %v ms less (INIT REPORT %v)", fn, i, id, ms, billed, slack, init)
		}
	}
}
