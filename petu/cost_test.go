package petu_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/servous/servous/cost"
	"github.com/servous/servous/events"
	"github.com/servous/servous/identity/memidentity"
	"github.com/servous/servous/petu"
	"github.com/servous/servous/runtime"
	"github.com/servous/servous/runtime/httpfn"
	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/memstorage"
	"github.com/servous/servous/table/memtable"
	"github.com/servous/servous/transcode"
	"github.com/servous/servous/transcode/memtranscode"
	"github.com/servous/servous/transcode/transcodetest"
)

// maxVideoCost is what one 10-second 720p video may cost, uploaded, transcoded and played once:
// a cent. MediaConvert's output minutes are almost all of it, about three quarters of a cent:
// four outputs of 0.17 minutes (10 seconds, rounded up to the hundredth), two HD (the 1080p
// rendition, which NoUpscale makes at 720p, and the 720p one, which petu then keeps alone) and
// two SD (480p and the thumbnail); then S3's tier 1 requests, some $0.00003.
const maxVideoCost = 0.01 // US dollars, us-east-1 on-demand prices (cost.USEast1)

// TestCostOfAVideo guards what petu costs: it runs one video through the app on the in-memory
// adapters with every block metered (the buckets' and the table's OnCall, the functions through
// cost.Lambda, the job's outputs through Meter.JobDone as on-transcoded meters them) and
// asserts the total. Copy it to guard your own costs: a change that makes a run cost more than
// the bound fails here, with the report saying where the money goes.
func TestCostOfAVideo(t *testing.T) {
	ctx := t.Context()
	m := cost.NewMeter(nil)

	// The app, as petu/cmd/petu builds it, with the meter plugged into every block.
	issuer, err := memidentity.NewIssuer("https://accounts.google.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	const audience = "petu-client.apps.googleusercontent.com"
	pool, err := memidentity.New("us-east-1:00000000-0000-4000-8000-000000000000", &memidentity.Options{
		Providers: []memidentity.Provider{issuer.Provider("accounts.google.com", audience)},
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	uploads := memstorage.New("uploads", &memstorage.Options{BaseURL: srv.URL + "/uploads", Authority: pool, OnCall: m.StorageCall})
	media := memstorage.New("media", &memstorage.Options{BaseURL: srv.URL + "/media", OnCall: m.StorageCall})
	for _, b := range []*memstorage.Bucket{uploads, media} {
		mux.Handle("/"+b.Name()+"/", b.Handler())
	}
	videos, err := memtable.New[petu.Video]("videos", &memtable.Options{OnCall: m.TableCall})
	if err != nil {
		t.Fatal(err)
	}
	jobs := make(publisher, 4)
	tr := memtranscode.New(map[string]storage.Bucket{"uploads": uploads, "media": media}, &memtranscode.Options{Publisher: jobs})
	defer tr.Close()
	app, err := petu.New(petu.Deps{
		Uploads: uploads, Media: media, Videos: videos, Identity: cost.Exchanger(pool, m), Transcoder: cost.Transcoder(tr, m),
	}, petu.Config{UploadsBucket: "uploads", MediaBucket: "media", Provider: "accounts.google.com", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	// The three functions as the template deploys them: 256 MB on arm64.
	quiet := slog.New(slog.DiscardHandler)
	fn := func(name string) *runtime.Options {
		return &runtime.Options{Logger: quiet, Metrics: &runtime.MetricsOptions{Writer: io.Discard}, Middleware: []runtime.Middleware{
			cost.Lambda(m, cost.Function{Name: name, MemoryMB: 256, Arch: "arm64"}),
		}}
	}
	api := &http.Client{Transport: &httpfn.Transport{
		Handler: runtime.NewLocal(httpfn.NewHandler(app.API(), &httpfn.Options{Source: httpfn.FunctionURL, Runtime: fn("api")}), nil),
		Source:  httpfn.FunctionURL,
	}}
	onUpload := runtime.NewLocal(runtime.NewHandler(app.OnUpload, fn("on-upload")), nil)
	onTranscodedJob := func(ctx context.Context, payload json.RawMessage) (struct{}, error) {
		if job, err := transcode.DecodeEvent(payload); err == nil && job.State == transcode.StateComplete {
			m.JobDone(job)
		}
		return app.OnTranscoded(ctx, payload)
	}
	onTranscoded := runtime.NewLocal(runtime.NewHandler(onTranscodedJob, fn("on-transcoded")), nil)

	// A user signs in and uploads a 10-second 720p video of 6.25 MB (5 Mbit/s).
	token, err := issuer.Issue(memidentity.Claims{Subject: "1", Audience: audience, Email: "ada@example.com", EmailVerified: true})
	if err != nil {
		t.Fatal(err)
	}
	video := transcodetest.StandIn(1280, 720, 10*time.Second, 10*5_000_000/8)
	var up petu.UploadResponse
	call(t, api, token, http.MethodPost, "/api/uploads", petu.UploadRequest{FileName: "clip.mp4", ContentType: "video/mp4", Size: int64(len(video))}, &up)
	form := storage.UploadForm{URL: up.Form.URL, Fields: up.Form.Fields, Expires: up.Form.Expires}
	req, err := form.NewRequest(ctx, bytes.NewReader(video), int64(len(video)), "video/mp4")
	if err != nil {
		t.Fatal(err)
	}
	send(t, srv.Client(), req)

	// S3 notifies on-upload, which submits the job; its end goes to on-transcoded.
	head, err := uploads.Head(ctx, up.Key)
	if err != nil {
		t.Fatal(err)
	}
	created, err := events.NewObjectEvent(events.ObjectEvent{
		Name: events.ObjectCreatedPost, Bucket: "uploads", Key: up.Key, Size: head.Size, ETag: head.ETag,
		Sequencer: "0A", Time: head.LastModified,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := onUpload.Invoke(ctx, created.Payload); err != nil {
		t.Fatal(err)
	}
	for {
		e := <-jobs
		if _, err := onTranscoded.Invoke(ctx, e.Payload); err != nil {
			t.Fatal(err)
		}
		if job, err := transcode.DecodeEvent(e.Payload); err != nil || job.State != transcode.StateProgressing {
			break
		}
	}

	// The user lists the videos and plays the 720p rendition once, through its signed URL.
	var list petu.VideoList
	call(t, api, token, http.MethodGet, "/api/videos", nil, &list)
	if len(list.Videos) != 1 || list.Videos[0].Status != petu.StatusReady {
		t.Fatalf("listed %+v, want the video ready", list.Videos)
	}
	var played bool
	for _, r := range list.Videos[0].Renditions {
		if r.Height == 720 {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.URL, nil)
			if err != nil {
				t.Fatal(err)
			}
			send(t, srv.Client(), req)
			played = true
		}
	}
	if !played {
		t.Fatalf("no 720p rendition in %+v", list.Videos[0].Renditions)
	}

	report := m.Report(cost.USEast1())
	t.Logf("one 10-second 720p video, uploaded, transcoded and played once:\n%s", report)
	if report.Total > maxVideoCost {
		t.Errorf("one video costs $%.6f, more than $%v", report.Total, maxVideoCost)
	}
	if report.Total == 0 {
		t.Error("one video costs nothing: the meter is not plugged in")
	}
}

// call calls petu's API with the user's token and decodes its JSON answer into out.
func call(t *testing.T, c *http.Client, token, method, path string, in, out any) {
	t.Helper()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, "https://petu.lambda-url.us-east-1.on.aws"+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res := send(t, c, req)
	if err := json.Unmarshal(res, out); err != nil {
		t.Fatalf("%s %s: %v: %s", method, path, err, res)
	}
}

// send sends req and returns the body of its successful answer.
func send(t *testing.T, c *http.Client, req *http.Request) []byte {
	t.Helper()
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %s: %s", req.Method, req.URL.Path, res.Status, b)
	}
	return b
}
