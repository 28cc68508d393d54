package awsapp_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"maps"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/servous/servous/events"
	"github.com/servous/servous/identity/memidentity"
	"github.com/servous/servous/internal/faultproxy"
	"github.com/servous/servous/petu"
	"github.com/servous/servous/petu/cmd/internal/awsapp"
	"github.com/servous/servous/runtime/httpfn"
	"github.com/servous/servous/runtime/runtimetest"
	"github.com/servous/servous/storage"
	"github.com/servous/servous/storage/awss3"
	"github.com/servous/servous/table"
	"github.com/servous/servous/table/awsdynamodb"
	"github.com/servous/servous/table/tabletest"
	"github.com/servous/servous/transcode/transcodetest"
)

// The soak's size and faults. The defaults fit CI; the issue's full size is
// -soak.uploads=200 -soak.users=20.
var (
	soakUploads   = flag.Int("soak.uploads", 20, "TestSoak: uploads in all")
	soakUsers     = flag.Int("soak.users", 5, "TestSoak: users making them")
	soakParallel  = flag.Int("soak.parallel", 4, "TestSoak: users acting at once")
	soakInstances = flag.Int("soak.instances", 2, "TestSoak: execution environments per function")
	soakSeed      = flag.Uint64("soak.seed", 0, "TestSoak: the seed of every decision; 0 means "+faultproxy.SeedEnv+" or a hash of the test's name")
	soakFaults    = flag.Float64("soak.faults", 0.05, "TestSoak: fraction of each service's requests answered with its throttling or server error, or delayed")
	soakResets    = flag.Float64("soak.resets", 0.01, "TestSoak: fraction of each service's requests whose connection is reset")
	soakRepeats   = flag.Float64("soak.repeats", 0.02, "TestSoak: fraction of events delivered twice, as Lambda's asynchronous queue may")
	soakCrashes   = flag.Int("soak.crashes", 10, "TestSoak: the least number of function crashes")
	soakTimeout   = flag.Duration("soak.timeout", 4*time.Minute, "TestSoak: bound of the run, builds aside")
	// Lambda waits a minute before the first retry of an asynchronous invocation, two before
	// the second, and MediaConvert keeps a job's idempotency token a minute: the soak keeps
	// their ratios on a shorter clock. It must stay well above the SDK's own backoff between
	// attempts at a request (up to a second or two), which is not scaled: two deliveries of
	// an event a few SDK retries apart are well inside the token window in AWS.
	soakJob    = flag.Float64("soak.job", 2, "TestSoak: how many minutes a transcoding job takes")
	soakMinute = flag.Duration("soak.minute", 2*time.Second, "TestSoak: what stands for a minute in retry delays and MediaConvert's token window")
)

// TestSoak runs petu as deployed (TestStack's stack) through fault-injecting proxies: uploads
// from several users, each service's requests faulted (throttling and server errors in the
// service's wire format, added latency, connection resets before the request, after the peer
// processed it, and halfway through the answer), and the event functions crashed — their
// process killed with SIGKILL in the middle of an invocation, at a request the seed picks,
// before or after the peer has it — and their events retried as Lambda's asynchronous
// invocation does. After the run drains, it checks what must hold whatever happened: every
// upload ends ready or failed, with one record and one job; nothing is left of deleted or
// failed videos; and no event was given up on.
//
// Every decision comes from the seed, printed at the start; the run replays as far as the
// concurrency of users and functions lets it (see faultproxy's Determinism).
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("the soak runs the whole stack under faults for tens of seconds")
	}
	emulator := runtimetest.EmulatorPath(t)
	seed := *soakSeed
	if seed == 0 {
		seed = faultproxy.TestSeed(t)
	}
	cfg := soakConfig{
		uploads: *soakUploads, users: max(*soakUsers, 1), parallel: max(*soakParallel, 1),
		instances: max(*soakInstances, 1), seed: seed, faults: *soakFaults, resets: *soakResets,
		crashes: *soakCrashes, minute: *soakMinute, repeats: *soakRepeats,
		job: time.Duration(*soakJob * float64(*soakMinute)),
	}
	t.Logf("soak: seed %d; replay with: go test ./petu/cmd/internal/awsapp -run TestSoak -soak.seed=%d -soak.uploads=%d -soak.users=%d -soak.parallel=%d -soak.instances=%d -soak.faults=%g -soak.resets=%g -soak.repeats=%g -soak.minute=%v -soak.job=%g",
		seed, seed, cfg.uploads, cfg.users, cfg.parallel, cfg.instances, cfg.faults, cfg.resets, cfg.repeats, cfg.minute, *soakJob)
	t.Logf("emulator: %s", emulator)
	dyn := tabletest.StartDynalite(t)
	bins := buildFunctions(t)

	ctx, cancel := context.WithTimeout(t.Context(), *soakTimeout)
	defer cancel()
	issuer, err := memidentity.NewIssuer("https://accounts.google.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	s := startSoak(t, ctx, &cfg, dyn, issuer, bins)
	s.run(t, ctx, issuer)
}

type soakConfig struct {
	uploads, users, parallel, instances int
	seed                                uint64
	faults, resets, repeats             float64
	crashes                             int
	minute                              time.Duration
	job                                 time.Duration
}

// soak is the stack under faults, with what the run counts.
type soak struct {
	cfg *soakConfig

	// The functions, each a pool of execution environments.
	api, onUpload, onTranscoded *pool
	client                      *http.Client // the browser's, for upload forms
	s3                          *s3.Client   // the test's own, straight to the S3 server
	uploads, media              storage.Bucket
	videos                      table.Table[petu.Video]
	mc                          *transcodetest.MediaConvert
	jobEvents                   chan events.Event
	proxies                     map[string]*faultproxy.Proxy

	// crashP is the chance that an attempt at an event is crashed.
	crashP float64
	// running holds the invocation each environment runs, by its SDK application id.
	runningMu sync.Mutex
	running   map[string]*invocation

	// inflight counts the event deliveries under way, with their retries.
	inflight sync.WaitGroup
	pending  atomic.Int64

	mu          sync.Mutex
	faultLog    []string
	crashes     map[string]int // by function and where: "on-upload before", …
	retries     map[string]int // by function
	apiRetries  int
	repeated    int // events delivered twice
	deadLetters []deadLetter
	failures    []string
	byVideo     map[string]*upload // by video id
	jobEnds     map[string]int     // terminal events delivered, by video id
	videoDone   map[string]chan struct{}
}

// deadLetter is an event given up on after its retries: what Lambda sends to the function's
// on-failure destination (an invocation record with condition RetriesExhausted).
type deadLetter struct {
	Function string
	Event    string
	Attempts int
	Response string
}

// upload is one upload of the run and what it is planned to meet.
type upload struct {
	n       int
	user    int
	garbage bool // a file that is not a video: its job fails
	// deleteEarly deletes the video while it transcodes; deleteLate once it is ready.
	deleteEarly, deleteLate bool

	owner, videoID, key string
	deleted             bool
	// exposed counts the attempts at its notification that sent MediaConvert a CreateJob and
	// did not get to record the job.
	exposed int
}

// invocation is an attempt at an event in an environment, with the crash planned for it, if
// any: the process is killed at its at-th request to a service, as the request arrives
// (after false; the request, on its way, still reaches the peer) or once the peer answered
// it.
type invocation struct {
	fn      *runtimetest.Function
	crash   bool
	at      int
	after   bool
	seen    int
	fired   bool
	firedOn string
	// submitted is set once the invocation sent MediaConvert a CreateJob, recorded once
	// DynamoDB had its update of the record after that.
	submitted, recorded bool
}

// pool is a function's execution environments, each under its own emulator: an invocation
// takes one that is free, as Lambda does.
type pool struct {
	name string
	free chan *environment
	all  []*environment
}

type environment struct {
	fn    *runtimetest.Function
	appID string
}

// Invoke runs payload in a free environment; pool is an invoker for httpfn.Transport.
func (p *pool) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	e, err := p.take(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { p.free <- e }()
	return e.fn.Invoke(ctx, payload)
}

func (p *pool) take(ctx context.Context) (*environment, error) {
	select {
	case e := <-p.free:
		return e, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// draw hashes the seed and what names a decision into a uniform number in [0, 1) and a
// number to pick with.
func (c *soakConfig) draw(what string, n ...int) (float64, uint64) {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], c.seed)
	h.Write(b[:])
	io.WriteString(h, what)
	for _, k := range n {
		binary.LittleEndian.PutUint64(b[:], uint64(k))
		h.Write(b[:])
	}
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / (1 << 53), x
}

// startSoak starts the peers behind fault proxies and the functions' environments.
func startSoak(t *testing.T, ctx context.Context, cfg *soakConfig, dyn *tabletest.Dynalite, issuer *memidentity.Issuer, bins string) *soak {
	t.Helper()
	s := &soak{
		cfg: cfg, running: map[string]*invocation{}, crashes: map[string]int{}, retries: map[string]int{},
		byVideo: map[string]*upload{}, jobEnds: map[string]int{}, videoDone: map[string]chan struct{}{},
		proxies: map[string]*faultproxy.Proxy{},
	}
	// Enough crashes are planned that at least cfg.crashes land, whatever the size: each
	// upload makes two events, and a planned crash lands when the invocation gets as far.
	s.crashP = min(0.5, max(0.05, 3*float64(cfg.crashes)/float64(2*max(cfg.uploads, 1))))

	cognitoSrv, s3srv := startPeers(t, ctx, dyn, issuer)
	s.s3 = s3srv.Client()
	s.uploads, s.media = awss3.New(s.s3, uploadsBucket, nil), awss3.New(s.s3, mediaBucket, nil)
	s.client = s3srv.HTTPClient()
	// The channel holds every event the run can make, so MediaConvert never waits on it.
	s.jobEvents = make(chan events.Event, 8*cfg.uploads+64)
	s.mc = transcodetest.NewMediaConvert(&transcodetest.MediaConvertOptions{
		Region:      region,
		Publisher:   publisher(s.jobEvents),
		Buckets:     map[string]storage.Bucket{uploadsBucket: s.uploads, mediaBucket: s.media},
		TokenWindow: cfg.minute,
		Duration:    cfg.job,
	})
	t.Cleanup(s.mc.Close)
	videos, err := awsdynamodb.New[petu.Video](dyn.Client, videosTable, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.videos = videos

	// Errors and latency share the fault rate, resets theirs.
	rates := map[faultproxy.Fault]float64{
		faultproxy.Throttle:             cfg.faults * 0.4,
		faultproxy.ServerError:          cfg.faults * 0.4,
		faultproxy.Latency:              cfg.faults * 0.2,
		faultproxy.ResetBeforeRequest:   cfg.resets / 3,
		faultproxy.ResetAfterProcessing: cfg.resets / 3,
		faultproxy.ResetMidBody:         cfg.resets / 3,
	}
	proxy := func(name string, p faultproxy.Protocol, upstream string) string {
		fp := faultproxy.New(t, p, upstream, &faultproxy.Options{
			Seed: cfg.seed, Rates: rates, Observe: s.observe,
			Logf: func(format string, args ...any) {
				s.mu.Lock()
				s.faultLog = append(s.faultLog, name+": "+fmt.Sprintf(format, args...))
				s.mu.Unlock()
			},
		})
		s.proxies[name] = fp
		return fp.URL
	}
	env := map[string]string{
		"AWS_REGION":                        region,
		"AWS_ACCESS_KEY_ID":                 s3srv.Credentials.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":             s3srv.Credentials.SecretAccessKey,
		"AWS_ENDPOINT_URL_S3":               proxy("S3", faultproxy.S3, s3srv.URL),
		"AWS_ENDPOINT_URL_DYNAMODB":         proxy("DynamoDB", faultproxy.DynamoDB, dyn.Endpoint),
		"AWS_ENDPOINT_URL_COGNITO_IDENTITY": proxy("Cognito", faultproxy.CognitoIdentity, cognitoSrv.URL),
		"AWS_ENDPOINT_URL_MEDIACONVERT":     proxy("MediaConvert", faultproxy.MediaConvert, s.mc.URL),
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
	pools := map[string]*pool{}
	for _, fn := range functions {
		p := &pool{name: fn.name, free: make(chan *environment, cfg.instances)}
		for i := range cfg.instances {
			e := maps.Clone(env)
			e["AWS_LAMBDA_FUNCTION_NAME"] = "petu-" + fn.name
			// The application id in the SDK's User-Agent names the environment a request
			// comes from, for the crash planned for its invocation.
			appID := fmt.Sprintf("%s-%d", fn.name, i)
			e["AWS_SDK_UA_APP_ID"] = appID
			env := &environment{fn: runtimetest.Run(t, filepath.Join(bins, fn.name, "bootstrap"), &runtimetest.Options{Env: e}), appID: appID}
			p.all = append(p.all, env)
			p.free <- env
		}
		pools[fn.name] = p
	}
	s.api, s.onUpload, s.onTranscoded = pools["api"], pools["on-upload"], pools["on-transcoded"]
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		s.mu.Lock()
		log := s.faultLog
		s.mu.Unlock()
		t.Logf("faults injected (%d):\n%s", len(log), strings.Join(log, "\n"))
		for _, p := range pools {
			for _, e := range p.all {
				out := e.fn.Output()
				if len(out) > 20000 {
					out = "…" + out[len(out)-20000:]
				}
				t.Logf("%s's output:\n%s", e.appID, out)
			}
		}
	})
	return s
}

var uaAppID = regexp.MustCompile(`(?:^| )app/([^ ]+)`)

// observe is the proxies' Observe: it counts each invocation's requests, notes the jobs it
// created, and kills the function at the request its crash names.
func (s *soak) observe(r *http.Request, after bool) {
	m := uaAppID.FindStringSubmatch(r.Header.Get("User-Agent"))
	if m == nil {
		return
	}
	s.runningMu.Lock()
	defer s.runningMu.Unlock()
	c := s.running[m[1]]
	if c == nil {
		return
	}
	// A request on its way when the process dies may still reach the peer.
	if r.Method == http.MethodPost && r.URL.Path == "/2017-08-29/jobs" {
		c.submitted = true
	}
	if after && c.submitted && strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".UpdateItem") {
		c.recorded = true
	}
	if c.fired {
		return
	}
	if !after {
		c.seen++
	}
	if !c.crash || c.seen != c.at || c.after != after {
		return
	}
	c.fired = true
	where := "before"
	if after {
		where = "after"
	}
	c.firedOn = fmt.Sprintf("%s %s %s", where, r.Method, actionOf(r))
	if err := c.fn.Kill(); err != nil {
		c.fired = false
		c.firedOn = ""
	}
}

// actionOf names a request's operation for the figures.
func actionOf(r *http.Request) string {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		_, op, _ := strings.Cut(t, ".")
		return op
	}
	if strings.HasPrefix(r.URL.Path, "/2017-08-29/jobs") {
		return mediaConvertActions(r)[0]
	}
	return s3Actions(r)[0]
}

// deliver invokes an event function with payload as Lambda's asynchronous invocation does
// (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html): a
// function error — an error the handler returns, or the runtime's, a crash included — is
// retried twice, a minute after the first attempt and two after the second; an event that
// fails all three goes to the on-failure destination. Crashes are planned on the first two
// attempts only, so that a crash alone never exhausts an event's retries.
//
// It returns whether the event was handled, and how many of its attempts sent MediaConvert a
// CreateJob and did not get to record the job.
func (s *soak) deliver(ctx context.Context, p *pool, event string, payload []byte) (ok bool, exposed int) {
	var last string
	for attempt := range 3 {
		if attempt > 0 {
			s.mu.Lock()
			s.retries[p.name]++
			s.mu.Unlock()
			wait := time.NewTimer(time.Duration(attempt) * s.cfg.minute)
			select {
			case <-wait.C:
			case <-ctx.Done():
				wait.Stop()
				s.fail("%s %s: %v before attempt %d", p.name, event, ctx.Err(), attempt+1)
				return false, exposed
			}
		}
		e, err := p.take(ctx)
		if err != nil {
			s.fail("%s %s: %v", p.name, event, err)
			return false, exposed
		}
		c := &invocation{fn: e.fn}
		if u, x := s.cfg.draw("crash/"+p.name+"/"+event, attempt); attempt < 2 && u < s.crashP {
			// When all goes well, on-upload makes five requests (HeadObject, PutItem,
			// HeadObject, CreateJob, UpdateItem), on-transcoded one to three (UpdateItem,
			// and DeleteObject of each redundant rendition).
			reqs := 5
			if p.name == "on-transcoded" {
				reqs = 3
			}
			c.crash, c.at, c.after = true, 1+int(x%uint64(reqs)), x>>32&1 == 1
		}
		s.runningMu.Lock()
		s.running[e.appID] = c
		s.runningMu.Unlock()
		res, err := e.fn.Invoke(ctx, payload)
		s.runningMu.Lock()
		delete(s.running, e.appID)
		s.runningMu.Unlock()
		if c.fired {
			s.mu.Lock()
			s.crashes[p.name+" "+c.firedOn]++
			s.faultLog = append(s.faultLog, fmt.Sprintf("crash: %s %s, attempt %d: killed %s", p.name, event, attempt+1, c.firedOn))
			s.mu.Unlock()
		}
		p.free <- e
		if c.submitted && !c.recorded {
			exposed++
		}
		if err == nil && string(res) == "{}" {
			return true, exposed
		}
		if ctx.Err() != nil {
			s.fail("%s %s: %v", p.name, event, ctx.Err())
			return false, exposed
		}
		last = string(res)
		if err != nil && len(res) == 0 {
			last = err.Error()
		}
	}
	s.mu.Lock()
	s.deadLetters = append(s.deadLetters, deadLetter{Function: p.name, Event: event, Attempts: 3, Response: last})
	s.mu.Unlock()
	return false, exposed
}

// fail notes a failure of the run from any goroutine; the test reports them at the end.
func (s *soak) fail(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, fmt.Sprintf(format, args...))
}

// goDeliver delivers an event in the background, counted until it is done. Lambda's queue may
// hand an event to the function more than once even when it succeeds: a share of the events
// is delivered a second time at once, and repeat told how that delivery went.
func (s *soak) goDeliver(ctx context.Context, p *pool, event string, payload []byte, done func(ok bool, exposed int), repeat func(exposed int)) {
	if u, _ := s.cfg.draw("repeat/" + p.name + "/" + event); u < s.cfg.repeats {
		s.mu.Lock()
		s.repeated++
		s.mu.Unlock()
		s.inflight.Add(1)
		s.pending.Add(1)
		go func() {
			defer s.inflight.Done()
			defer s.pending.Add(-1)
			_, exposed := s.deliver(ctx, p, event+" (again)", payload)
			if repeat != nil {
				repeat(exposed)
			}
		}()
	}
	s.inflight.Add(1)
	s.pending.Add(1)
	go func() {
		defer s.inflight.Done()
		defer s.pending.Add(-1)
		ok, exposed := s.deliver(ctx, p, event, payload)
		if done != nil {
			done(ok, exposed)
		}
	}()
}

// dispatch plays EventBridge's rule for on-transcoded, as the template writes it: each job's
// start (PROGRESSING) and end (COMPLETE, ERROR, CANCELED) invokes it asynchronously.
func (s *soak) dispatch(ctx context.Context) {
	for {
		var e events.Event
		select {
		case e = <-s.jobEvents:
		case <-ctx.Done():
			return
		}
		state, err := events.DecodeJobStateChange(e.Payload)
		if err != nil {
			s.fail("undecodable job event: %v", err)
			continue
		}
		video := state.UserMetadata["video"]
		if state.Status == events.JobProgressing {
			s.goDeliver(ctx, s.onTranscoded, "job "+state.JobID+" "+string(state.Status), e.Payload, nil, nil)
			continue
		}
		if state.Status != events.JobComplete && state.Status != events.JobError && state.Status != events.JobCanceled {
			continue
		}
		s.goDeliver(ctx, s.onTranscoded, "job "+state.JobID+" "+string(state.Status), e.Payload, func(bool, int) {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.jobEnds[video]++
			if ch, ok := s.videoDone[video]; ok && s.jobEnds[video] == 1 {
				close(ch)
			}
		}, nil)
	}
}

// run makes the uploads, drains, checks and prints the figures.
func (s *soak) run(t *testing.T, ctx context.Context, issuer *memidentity.Issuer) {
	go s.dispatch(ctx)
	start := time.Now()

	tokens := make([]string, s.cfg.users)
	for i := range tokens {
		tok, err := issuer.Issue(memidentity.Claims{Subject: fmt.Sprintf("1%020d", i), Audience: audience, Name: fmt.Sprintf("user %d", i), Email: fmt.Sprintf("user%d@example.com", i), EmailVerified: true})
		if err != nil {
			t.Fatal(err)
		}
		tokens[i] = tok
	}
	plan := make([]*upload, s.cfg.uploads)
	for i := range plan {
		u, _ := s.cfg.draw("plan", i)
		plan[i] = &upload{n: i, user: i % s.cfg.users, garbage: u < 0.1, deleteEarly: u >= 0.1 && u < 0.2, deleteLate: u >= 0.2 && u < 0.3}
	}

	// Each user makes their uploads one after the other; cfg.parallel users act at once.
	var users sync.WaitGroup
	sem := make(chan struct{}, s.cfg.parallel)
	for user := range s.cfg.users {
		users.Go(func() {
			for _, up := range plan {
				if up.user != user {
					continue
				}
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					return
				}
				if err := s.uploadOne(ctx, tokens[user], up); err != nil {
					s.fail("upload %d (video %s): %v", up.n, up.videoID, err)
				}
				<-sem
			}
		})
	}
	users.Wait()
	flowsDone := time.Now()

	// Drain: every delivery done, every job ended and its end delivered.
	if err := s.drain(ctx); err != nil {
		t.Errorf("drain: %v", err)
	}
	drained := time.Now()

	s.mu.Lock()
	failures := slices.Clone(s.failures)
	s.mu.Unlock()
	for _, f := range failures {
		t.Error(f)
	}
	s.check(t, ctx, plan)
	s.figures(t, drained.Sub(start), drained.Sub(flowsDone))
}

// uploadOne is a user's upload: the form from the API, the file to S3, S3's notification to
// on-upload, and the delete the plan asks for.
func (s *soak) uploadOne(ctx context.Context, token string, up *upload) error {
	file := transcodetest.Clip()
	if up.garbage {
		file = bytes.Repeat([]byte("not a video; "), 64)
	}
	var res petu.UploadResponse
	if err := s.call(ctx, token, http.MethodPost, "/api/uploads", petu.UploadRequest{FileName: fmt.Sprintf("clip-%03d.mp4", up.n), ContentType: "video/mp4", Size: int64(len(file))}, http.StatusOK, &res); err != nil {
		return err
	}
	owner, videoID, _, err := petu.ParseUploadKey(res.Key)
	if err != nil {
		return err
	}
	done := make(chan struct{})
	s.mu.Lock()
	up.owner, up.videoID, up.key = owner, videoID, res.Key
	s.byVideo[videoID] = up
	s.videoDone[videoID] = done
	s.mu.Unlock()

	form := storage.UploadForm{URL: res.Form.URL, Fields: res.Form.Fields, Expires: res.Form.Expires}
	req, err := form.NewRequest(ctx, bytes.NewReader(file), int64(len(file)), "video/mp4")
	if err != nil {
		return err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("upload: %s: %s", resp.Status, body)
	}
	head, err := s.uploads.Head(ctx, res.Key)
	if err != nil {
		return err
	}
	created, err := events.NewObjectEvent(events.ObjectEvent{
		Name: events.ObjectCreatedPost, Bucket: uploadsBucket, Key: res.Key,
		Size: head.Size, ETag: strings.Trim(head.ETag, `"`), Time: head.LastModified, Region: region,
	})
	if err != nil {
		return err
	}
	recorded := make(chan bool, 1)
	exposed := func(n int) {
		s.mu.Lock()
		up.exposed += n
		s.mu.Unlock()
	}
	s.goDeliver(ctx, s.onUpload, fmt.Sprintf("upload %d", up.n), created.Payload, func(ok bool, n int) {
		exposed(n)
		recorded <- ok
	}, exposed)

	switch {
	case up.deleteEarly:
		// Once the record is there (the user sees the video listed), while it transcodes.
		select {
		case ok := <-recorded:
			if !ok {
				return nil
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	case up.deleteLate:
		select {
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
		var v petu.VideoView
		if err := s.call(ctx, token, http.MethodGet, "/api/videos/"+videoID, nil, http.StatusOK, &v); err != nil {
			return err
		}
	default:
		return nil
	}
	if err := s.call(ctx, token, http.MethodDelete, "/api/videos/"+videoID, nil, http.StatusNoContent, nil); err != nil {
		return err
	}
	s.mu.Lock()
	up.deleted = true
	s.mu.Unlock()
	return nil
}

// call calls the API as the site does, trying again on a 5xx or 429 answer as a user would.
// A DELETE that answers 404 after an attempt that failed succeeded: the failed one deleted.
func (s *soak) call(ctx context.Context, token, method, path string, in any, want int, out any) error {
	client := &http.Client{Transport: &httpfn.Transport{Handler: s.api, Source: httpfn.FunctionURL}}
	var last string
	for attempt := range 8 {
		if attempt > 0 {
			s.mu.Lock()
			s.apiRetries++
			s.mu.Unlock()
			wait := time.NewTimer(time.Duration(attempt) * 20 * time.Millisecond)
			select {
			case <-wait.C:
			case <-ctx.Done():
				wait.Stop()
				return ctx.Err()
			}
		}
		var body io.Reader
		if in != nil {
			b, err := json.Marshal(in)
			if err != nil {
				return err
			}
			body = bytes.NewReader(b)
		}
		req, err := http.NewRequestWithContext(ctx, method, apiURL+path, body)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		if in != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := client.Do(req)
		if err != nil {
			last = err.Error()
			continue
		}
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			last = err.Error()
			continue
		}
		switch {
		case res.StatusCode == want:
			if out != nil {
				return json.Unmarshal(b, out)
			}
			return nil
		case method == http.MethodDelete && attempt > 0 && res.StatusCode == http.StatusNotFound:
			return nil
		case res.StatusCode >= 500 || res.StatusCode == http.StatusTooManyRequests:
			last = fmt.Sprintf("%s: %s", res.Status, b)
			continue
		}
		return fmt.Errorf("%s %s: %s, want %d: %s", method, path, res.Status, want, b)
	}
	return fmt.Errorf("%s %s: gave up after 8 attempts: %s", method, path, last)
}

// drain waits until nothing moves: no delivery under way, every job ended, and every job end
// received delivered. A job that ends publishes its event after it is marked ended, so the
// state must hold for a while to count.
func (s *soak) drain(ctx context.Context) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	quiet := 0
	for quiet < 10 {
		select {
		case <-tick.C:
		case <-ctx.Done():
			return fmt.Errorf("%w: %d deliveries under way, %d job events queued", ctx.Err(), s.pending.Load(), len(s.jobEvents))
		}
		unfinished := 0
		for _, j := range s.mc.Jobs() {
			if !j.State.Final() {
				unfinished++
			}
		}
		if unfinished == 0 && s.pending.Load() == 0 && len(s.jobEvents) == 0 {
			quiet++
		} else {
			quiet = 0
		}
	}
	s.inflight.Wait()
	return nil
}

// check checks what must hold after the run, whatever the faults did.
func (s *soak) check(t *testing.T, ctx context.Context, plan []*upload) {
	// Records, by video id, for every user who uploaded.
	records := map[string]petu.Video{}
	owners := map[string]bool{}
	for _, up := range plan {
		if up.owner != "" {
			owners[up.owner] = true
		}
	}
	for owner := range owners {
		for v, err := range table.All(ctx, s.videos, table.String(owner), &table.QueryOptions{ConsistentRead: true}) {
			if err != nil {
				t.Fatalf("records of %s: %v", owner, err)
			}
			if _, dup := records[v.ID]; dup {
				t.Errorf("video %s has two records", v.ID)
			}
			records[v.ID] = v
		}
	}
	// Jobs, by video id.
	jobs := map[string][]string{}
	for _, j := range s.mc.Jobs() {
		jobs[j.Metadata["video"]] = append(jobs[j.Metadata["video"]], j.ID+" "+string(j.State))
	}

	var ready, failed, deleted, duplicates int
	for _, up := range plan {
		if up.videoID == "" {
			continue // the upload never happened; the failure is reported
		}
		v, ok := records[up.videoID]
		delete(records, up.videoID)
		switch {
		case up.deleted && ok:
			t.Errorf("upload %d: video %s was deleted, its record is %s: %+v", up.n, up.videoID, v.Status, v)
		case up.deleted:
			deleted++
		case !ok:
			t.Errorf("upload %d: video %s has no record", up.n, up.videoID)
		case v.Status == petu.StatusReady && !up.garbage:
			ready++
		case v.Status == petu.StatusFailed && up.garbage:
			failed++
		default:
			// pending or processing: stuck; or an end the upload should not have had.
			t.Errorf("upload %d (garbage %v): video %s ended %s (job %s): %s", up.n, up.garbage, up.videoID, v.Status, v.JobID, v.Error)
		}
		// One job per upload; none when it was deleted before its job was submitted. An
		// attempt that sent CreateJob and did not get to record the job (it died, or its
		// update failed) leaves the record pending: a later delivery — Lambda's retry a
		// minute later, or a repeat — is past MediaConvert's one-minute window for the
		// job's idempotency token, cannot find the job, and submits another. That many more
		// are counted, not failed.
		switch n := len(jobs[up.videoID]); {
		case n == 1, n == 0 && up.deleteEarly:
		case n > 1 && n <= 1+up.exposed:
			duplicates += n - 1
			t.Logf("upload %d: video %s had %d jobs after %d attempts that sent CreateJob and did not record the job: %v", up.n, up.videoID, n, up.exposed, jobs[up.videoID])
		default:
			t.Errorf("upload %d: video %s had %d transcoding jobs, want 1: %v", up.n, up.videoID, n, jobs[up.videoID])
		}
		delete(jobs, up.videoID)
		if up.deleted {
			if _, err := s.uploads.Head(ctx, up.key); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("upload %d: source of deleted video %s: %v, want not found", up.n, up.videoID, err)
			}
		}
	}
	for id, v := range records {
		t.Errorf("record of video %s that no upload made: %+v", id, v)
	}
	for id, js := range jobs {
		t.Errorf("jobs of video %q that no upload made: %v", id, js)
	}

	// No multipart upload left open in either bucket.
	for _, b := range []string{uploadsBucket, mediaBucket} {
		out, err := s.s3.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(b)})
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) && apiErr.ErrorCode() == "NoSuchUpload" {
			// gofakes3 answers so for a bucket that never had a multipart upload, where S3
			// answers an empty list.
			continue
		}
		if err != nil {
			t.Errorf("list multipart uploads of %s: %v", b, err)
			continue
		}
		for _, u := range out.Uploads {
			t.Errorf("multipart upload left open in %s: %s (%s)", b, aws.ToString(u.Key), aws.ToString(u.UploadId))
		}
	}

	// Every object in the media bucket is a rendition or thumbnail of a ready video; every
	// source in the uploads bucket is a video's that is not deleted.
	owned := map[string]bool{}
	sources := map[string]bool{}
	for _, up := range plan {
		if up.videoID == "" || up.deleted {
			continue
		}
		sources[up.key] = true
		v, err := s.videos.Get(ctx, table.Key{Partition: table.String(up.owner), Sort: table.String(up.videoID)}, &table.GetOptions{ConsistentRead: true})
		if err != nil || v.Status != petu.StatusReady {
			continue
		}
		for _, r := range v.Renditions {
			owned[r.Key] = true
		}
		if v.Thumbnail != "" {
			owned[v.Thumbnail] = true
		}
	}
	for _, key := range objects(t, ctx, s.media, "") {
		if !owned[key] {
			t.Errorf("orphan output in the media bucket: %s", key)
		}
		delete(owned, key)
	}
	for key := range owned {
		t.Errorf("output of a ready video missing from the media bucket: %s", key)
	}
	for _, key := range objects(t, ctx, s.uploads, "") {
		if !sources[key] {
			t.Errorf("source of a deleted video left in the uploads bucket: %s", key)
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	crashes := 0
	for _, n := range s.crashes {
		crashes += n
	}
	if crashes < s.cfg.crashes {
		t.Errorf("%d function crashes, want at least %d", crashes, s.cfg.crashes)
	}
	for _, d := range s.deadLetters {
		t.Errorf("dead-lettered: %s %s after %d attempts: %s", d.Function, d.Event, d.Attempts, d.Response)
	}
	t.Logf("invariants: %d uploads: %d ready, %d failed (not videos), %d deleted; records left pending or processing: none of %d (petu's idempotency is the record's conditional writes and the job's token: no in-progress state outlives the run); jobs beyond one per upload: %d, each after an attempt that sent CreateJob and did not record the job",
		len(plan), ready, failed, deleted, ready+failed, duplicates)
}

// figures prints what the run did.
func (s *soak) figures(t *testing.T, total, drain time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, name := range slices.Sorted(maps.Keys(s.proxies)) {
		p := s.proxies[name]
		counts := p.Counts()
		var parts []string
		sum := 0
		for _, f := range faultproxy.AllFaults {
			parts = append(parts, fmt.Sprintf("%s %d", f, counts[f]))
			sum += counts[f]
		}
		t.Logf("faults: %s: %d requests, %d faulted: %s", name, p.Requests(), sum, strings.Join(parts, ", "))
	}
	crashes := 0
	for _, n := range s.crashes {
		crashes += n
	}
	t.Logf("crashes: %d (crash chance per attempt %.2f)", crashes, s.crashP)
	for _, k := range slices.Sorted(maps.Keys(s.crashes)) {
		t.Logf("  %s: %d", k, s.crashes[k])
	}
	t.Logf("retries of events: %v; events delivered twice: %d; API requests tried again: %d", s.retries, s.repeated, s.apiRetries)
	t.Logf("dead-lettered: %d %v", len(s.deadLetters), s.deadLetters)
	t.Logf("time: %v in all, %v to drain after the last upload", total.Round(time.Millisecond), drain.Round(time.Millisecond))
}
