package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/servous/servous/events"
	"github.com/servous/servous/events/memevents"
	"github.com/servous/servous/identity/memidentity"
	"github.com/servous/servous/petu"
	"github.com/servous/servous/storage"
	"github.com/servous/servous/table"
	"github.com/servous/servous/transcode/memtranscode"
)

// startLocal runs the app on an httptest server, as the command does on its listener.
func startLocal(t testing.TB, cfg config) (*local, string) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	cfg.BaseURL = "http://" + srv.Listener.Addr().String()
	if cfg.Transcoder == "" {
		cfg.Transcoder = "mem" // fast and deterministic; TestDemoFFmpeg runs the real one
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	l, err := newLocal(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config = l.Server(l.Handler())
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		if err := l.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return l, cfg.BaseURL
}

// signIn returns a client signed in as name.
func signIn(t testing.TB, l *local, base, name string) *client {
	t.Helper()
	token, err := l.Issuer.Issue(memidentity.Claims{Subject: name, Audience: audience})
	if err != nil {
		t.Fatal(err)
	}
	return &client{base: base, token: token, http: &http.Client{Timeout: time.Minute}}
}

// upload asks the API for a form and posts data with it, as the website does.
func upload(ctx context.Context, c *client, fileName, contentType string, data []byte) (petu.UploadResponse, error) {
	var up petu.UploadResponse
	err := c.do(ctx, http.MethodPost, "/api/uploads", petu.UploadRequest{
		FileName: fileName, ContentType: contentType, Size: int64(len(data)),
	}, &up)
	if err != nil {
		return up, err
	}
	return up, postForm(ctx, c, up.Form, contentType, data)
}

func postForm(ctx context.Context, c *client, f *petu.UploadForm, contentType string, data []byte) error {
	form := storage.UploadForm{URL: f.URL, Fields: f.Fields, Expires: f.Expires}
	req, err := form.NewRequest(ctx, bytes.NewReader(data), int64(len(data)), contentType)
	if err != nil {
		return err
	}
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	if res.StatusCode/100 != 2 {
		return &httpError{status: res.StatusCode, body: string(body)}
	}
	return nil
}

// settle waits until every event published so far, and every event those deliveries caused, has
// been handled.
func settle(t testing.TB, ctx context.Context, l *local) {
	t.Helper()
	if err := l.Uploads.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l.Bus.Wait(ctx); err != nil {
		t.Fatal(err)
	}
}

// jobWatch counts the final job state change events by video, from its own subscription.
type jobWatch struct {
	mu     sync.Mutex
	jobs   map[string]map[string]bool // video id → job ids
	want   int
	done   chan struct{}
	closed bool
}

func watchJobs(t testing.TB, l *local, want int) *jobWatch {
	w := &jobWatch{jobs: map[string]map[string]bool{}, want: want, done: make(chan struct{})}
	_, err := l.Bus.Subscribe(memevents.Filter{
		Source: events.SourceMediaConvert, Types: []string{events.DetailTypeJobStateChange},
		Detail: `{"status": ["COMPLETE", "ERROR", "CANCELED"]}`,
	}, lambda.NewHandler(func(ctx context.Context, payload json.RawMessage) error {
		e, err := events.DecodeJobStateChange(payload)
		if err != nil {
			return err
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		v := e.UserMetadata["video"]
		if w.jobs[v] == nil {
			w.jobs[v] = map[string]bool{}
		}
		w.jobs[v][e.JobID] = true
		if len(w.jobs) >= w.want && !w.closed {
			w.closed = true
			close(w.done)
		}
		return nil
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestDemo(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), &out, "127.0.0.1:0", "mem", true, false, true); err != nil {
		t.Fatalf("run -demo: %v\n%s", err, out.String())
	}
	for _, want := range []string{"transcode memtranscode", "uploaded 78858 bytes", `"status": "ready"`, "360p", "is ready",
		"what this upload would cost on AWS", "mediaconvert", "1,000 uploads like this one", "a month, for the bytes left stored"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestDemoFFmpeg runs -demo with real transcoding: the renditions are real MP4s.
func TestDemoFFmpeg(t *testing.T) {
	requireFFmpeg(t)
	var out bytes.Buffer
	if err := run(t.Context(), &out, "127.0.0.1:0", "ffmpeg", true, false, true); err != nil {
		t.Fatalf("run -demo: %v\n%s", err, out.String())
	}
	for _, want := range []string{"transcode ffmpeg", `"status": "ready"`, `"width": 640`, `"height": 360`, `"durationMs": 2`, "is ready"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
}

// requireFFmpeg skips without ffmpeg and ffprobe, unless SERVOUS_REQUIRE_PEERS=1 makes that a
// failure.
func requireFFmpeg(t *testing.T) {
	t.Helper()
	for _, p := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(p); err != nil {
			msg := p + " not on PATH; install the Debian package ffmpeg (apt-get install ffmpeg)"
			if os.Getenv("SERVOUS_REQUIRE_PEERS") == "1" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
}

func TestWebsiteServedFromSiteBucket(t *testing.T) {
	_, base := startLocal(t, config{})
	for path, want := range map[string]string{
		"/":            "<title>Petu</title>",
		"/app.js":      "/api/uploads",
		"/config.json": `"provider":"local"`,
	} {
		res, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Errorf("GET %s: %s, body lacks %q", path, res.Status, want)
		}
	}
}

// TestReliability runs many users' uploads through the pipeline while the bus duplicates and
// reorders deliveries and the transcoder fails some jobs: every upload must end ready or failed,
// once, with one record and one job.
func TestReliability(t *testing.T) {
	users, perUser := 200, 3
	if testing.Short() {
		users = 20
	}
	total := users * perUser
	before := runtime.NumGoroutine()
	// A subtest, so that its cleanups have closed everything before goroutines are counted.
	t.Run("pipeline", func(t *testing.T) {
		ctx := t.Context()
		var logs syncBuffer
		var rmu sync.Mutex
		rng := rand.New(rand.NewPCG(1, 2))
		l, base := startLocal(t, config{
			Bus: &memevents.Options{
				Duplicate: func(e events.Event) bool {
					rmu.Lock()
					defer rmu.Unlock()
					return rng.IntN(4) == 0
				},
				Reorder: func(n int, swap func(i, j int)) {
					rmu.Lock()
					defer rmu.Unlock()
					rng.Shuffle(n, swap)
				},
			},
			Transcode: &memtranscode.Options{FailureRate: 0.05, Seed: 7},
			Retry:     time.Millisecond,
			Logger:    slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn})),
		})
		watch := watchJobs(t, l, total)

		var wg sync.WaitGroup
		errs := make(chan error, total)
		keys := make(chan string, total)
		for u := range users {
			wg.Go(func() {
				c := signIn(t, l, base, fmt.Sprintf("user-%d", u))
				for i := range perUser {
					up, err := upload(ctx, c, fmt.Sprintf("clip %d.mp4", i), "video/mp4", sample)
					if err != nil {
						errs <- err
						return
					}
					keys <- up.Key
				}
			})
		}
		wg.Wait()
		close(errs)
		close(keys)
		for err := range errs {
			t.Fatalf("upload: %v", err)
		}
		wait, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		select {
		case <-watch.done:
		case <-wait.Done():
			watch.mu.Lock()
			n := len(watch.jobs)
			watch.mu.Unlock()
			t.Fatalf("only %d of %d jobs ended; bus %+v; dead letters %d, %d; log:\n%s", n, total, l.Bus.Stats(),
				len(l.OnUpload.DeadLetters()), len(l.OnTranscoded.DeadLetters()), logs.String())
		}
		settle(t, ctx, l)

		if n := l.Videos.Len(); n != total {
			t.Errorf("%d records for %d uploads", n, total)
		}
		ready, failed := 0, 0
		for key := range keys {
			owner, id, _, err := petu.ParseUploadKey(key)
			if err != nil {
				t.Fatal(err)
			}
			v, err := l.Videos.Get(ctx, table.Key{Partition: table.String(owner), Sort: table.String(id)}, nil)
			if err != nil {
				t.Errorf("upload %s: %v", key, err)
				continue
			}
			switch v.Status {
			case petu.StatusReady:
				ready++
				if len(v.Renditions) == 0 || v.Thumbnail == "" {
					t.Errorf("ready video %s lacks renditions or thumbnail: %+v", v.ID, v)
				}
			case petu.StatusFailed:
				failed++
			default:
				t.Errorf("video %s ended %s", v.ID, v.Status)
			}
			if n := len(watch.jobs[v.ID]); n != 1 {
				t.Errorf("video %s had %d jobs", v.ID, n)
			}
		}
		if ready+failed != total {
			t.Errorf("%d ready + %d failed records, want %d uploads", ready, failed, total)
		}
		if failed == 0 || failed > total/5 {
			t.Errorf("%d of %d failed; the transcoder fails 5%%", failed, total)
		}
		for _, s := range []*memevents.Subscription{l.OnUpload, l.OnTranscoded} {
			if dl := s.DeadLetters(); len(dl) > 0 {
				t.Errorf("%s dead-lettered %d events, first: %v", s.FunctionARN(), len(dl), dl[0].Err)
			}
		}
		st := l.Bus.Stats()
		t.Logf("%d uploads: %d ready, %d failed; bus: %+v", total, ready, failed, st)
		if st.Deliveries <= st.Published {
			t.Errorf("the bus duplicated nothing: %+v", st)
		}
	})
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	waitGoroutines(t, before)
}

// waitGoroutines fails the test if goroutines started by it are still running once everything
// was closed. Exiting goroutines need a moment to be counted out, and nothing signals it.
func waitGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		n := runtime.NumGoroutine()
		if n <= before {
			return
		}
		select {
		case <-deadline:
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines before, %d after:\n%s", before, n, buf[:runtime.Stack(buf, true)])
		case <-tick.C:
		}
	}
}

// syncBuffer is a bytes.Buffer for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
