package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/servous/servous/cost"
	"github.com/servous/servous/events"
	"github.com/servous/servous/runtime"
	"github.com/servous/servous/storage"
	"github.com/servous/servous/table"
	"github.com/servous/servous/transcode"
)

// The functions as the deployment template configures them: provided.al2023 on arm64, with
// its Globals' MemorySize of 256 MB.
const (
	apiFunction          = "petu-api"
	onUploadFunction     = "petu-on-upload"
	onTranscodedFunction = "petu-on-transcoded"
	functionMemoryMB     = 256
	functionArch         = "arm64"
)

// A phase is what a video's units were spent on.
type phase int

const (
	phaseUpload    phase = iota // the source's upload, and on-upload's work on it
	phaseTranscode              // the job's outputs, written and recorded
	phasePlayback               // the renditions and thumbnail sent to browsers
	phases
)

// meters meters the local run as AWS would bill it: one meter for everything, and for each
// video a meter per phase, for the units that can be told to be spent on it:
//
//   - S3 requests and stored bytes under the video's keys (uploads/<owner>/<id>/ in the
//     uploads bucket: its upload phase; videos/<owner>/<id>/ in the media bucket: transcode,
//     or playback for the objects sent through signed URLs);
//   - the transcoding job whose metadata names the video (MediaConvert output minutes);
//   - the on-upload and on-transcoded invocations for the video (Lambda requests and
//     GB-seconds) and the DynamoDB request units they consume.
//
// API requests (sign-in, listing, signing forms and URLs) serve users, not one video: they
// count in the total only.
type meters struct {
	all   *cost.Meter
	start time.Time
	// jobs is the transcoder, metered by all.
	jobs transcode.Transcoder

	mu     sync.RWMutex
	videos map[string]*videoMeters
}

// videoMeters are a video's meters, one per phase, made on first use.
type videoMeters [phases]atomic.Pointer[cost.Meter]

// phase returns the meter of phase p.
func (v *videoMeters) phase(p phase) *cost.Meter {
	if m := v[p].Load(); m != nil {
		return m
	}
	v[p].CompareAndSwap(nil, cost.NewMeter(nil))
	return v[p].Load()
}

func newMeters() *meters {
	return &meters{all: cost.NewMeter(nil), start: time.Now(), videos: make(map[string]*videoMeters)}
}

// video returns the meters of a video, made on first use.
func (ms *meters) video(id string) *videoMeters {
	ms.mu.RLock()
	v := ms.videos[id]
	ms.mu.RUnlock()
	if v != nil {
		return v
	}
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if v = ms.videos[id]; v == nil {
		v = new(videoMeters)
		ms.videos[id] = v
	}
	return v
}

// attribution is what an invocation's context says its units are spent on.
type attribution struct {
	video *videoMeters
	phase phase
}

type attributionKey struct{}

// videoOfKey returns the video id in a key petu writes, uploads/<owner>/<id>/<file> or
// videos/<owner>/<id>/<file>, or "". It does not validate the parts (metering must not refuse
// anything; the functions do): an id is just what sits in its place.
func videoOfKey(key string) string {
	var rest string
	switch {
	case strings.HasPrefix(key, "uploads/"):
		rest = key[len("uploads/"):]
	case strings.HasPrefix(key, "videos/"):
		rest = key[len("videos/"):]
	default:
		return ""
	}
	_, rest, ok := strings.Cut(rest, "/")
	if !ok {
		return ""
	}
	id, _, ok := strings.Cut(rest, "/")
	if !ok {
		return ""
	}
	return id
}

// storageCall meters a bucket's request, and for a key of a video, that video's.
func (ms *meters) storageCall(ctx context.Context, c storage.Call) {
	ms.all.StorageCall(ctx, c)
	id := videoOfKey(c.Key)
	if id == "" {
		return
	}
	p := phaseUpload
	if c.Bucket == mediaBucket {
		p = phaseTranscode
		if c.Signed && c.Op == "GetObject" {
			p = phasePlayback
		}
	}
	ms.video(id).phase(p).StorageCall(ctx, c)
}

// tableCall meters a table's request, and for an invocation on a video's behalf, that video's.
func (ms *meters) tableCall(ctx context.Context, c table.Call) {
	ms.all.TableCall(ctx, c)
	if a, ok := ctx.Value(attributionKey{}).(attribution); ok {
		a.video.phase(a.phase).TableCall(ctx, c)
	}
}

// function returns middleware metering a function's invocations, and an invocation for a video
// (the one videoOf finds in its event) in that video's phase too.
func (ms *meters) function(name string, p phase, videoOf func(ctx context.Context, payload []byte) string) runtime.Middleware {
	metered := cost.Lambda(ms.all, cost.Function{Name: name, MemoryMB: functionMemoryMB, Arch: functionArch})
	const gb = float64(functionMemoryMB) / 1024
	return func(next lambda.Handler) lambda.Handler {
		inner := metered(next)
		return runtime.InvokeFunc(func(ctx context.Context, payload []byte) ([]byte, error) {
			id := videoOf(ctx, payload)
			if id == "" {
				return inner.Invoke(ctx, payload)
			}
			v := ms.video(id)
			ctx = context.WithValue(ctx, attributionKey{}, attribution{v, p})
			start := time.Now()
			defer func() {
				m := v.phase(p)
				m.Add(cost.Key{Service: cost.ServiceLambda, Resource: name, Unit: cost.UnitRequests}, 1)
				m.Add(cost.Key{Service: cost.ServiceLambda, Resource: name, Unit: cost.UnitGBSecondsArm64},
					cost.BilledSeconds(time.Since(start))*gb)
			}()
			return inner.Invoke(ctx, payload)
		})
	}
}

// uploadVideo is the video of the upload an S3 event announces. It looks for the object's key
// in the payload without decoding it (on-upload decodes it anyway), and decodes the event only
// when that fails.
func uploadVideo(_ context.Context, payload []byte) string {
	if k, ok := jsonString(payload, "key"); ok {
		if key, err := events.DecodeObjectKey(k); err == nil {
			return videoOfKey(key)
		}
	}
	objs, err := events.DecodeObjectEvents(payload)
	if err != nil || len(objs) == 0 || objs[0].Bucket != uploadsBucket {
		return ""
	}
	return videoOfKey(objs[0].Key)
}

// transcodedVideo is the video named in a job's metadata, and meters the outputs of a complete
// job: MediaConvert's state change event is where the job's end arrives, in AWS as here. Of an
// event that may report a complete job, it asks the transcoder for the job's status (through
// cost.Transcoder, which meters a complete job's outputs) rather than decoding the whole event;
// of others, it looks for the video in the payload.
func (ms *meters) transcodedVideo(ctx context.Context, payload []byte) string {
	if !bytes.Contains(payload, []byte(`COMPLETE`)) {
		id, _ := jsonString(payload, "video")
		return id
	}
	var s *transcode.Status
	if job, ok := jsonString(payload, "jobId"); ok && ms.jobs != nil {
		s, _ = ms.jobs.Get(ctx, job)
	}
	if s == nil || s.State != transcode.StateComplete {
		var err error
		if s, err = transcode.DecodeEvent(payload); err != nil {
			return ""
		}
		ms.all.JobDone(s)
	}
	id := s.Metadata["video"]
	if id != "" {
		ms.video(id).phase(phaseTranscode).JobDone(s)
	}
	return id
}

// jsonString finds the first member called name in a JSON document and returns its string
// value, if it has one without escapes: a quick look that spares decoding a whole event for one
// field. It reports false when it finds no such value.
func jsonString(doc []byte, name string) (string, bool) {
	quoted := `"` + name + `"`
	for i := 0; ; {
		j := bytes.Index(doc[i:], []byte(quoted))
		if j < 0 {
			return "", false
		}
		i += j + len(quoted)
		rest := bytes.TrimLeft(doc[i:], " \t\r\n")
		if len(rest) == 0 || rest[0] != ':' {
			continue // a value, not a member's name
		}
		rest = bytes.TrimLeft(rest[1:], " \t\r\n")
		if len(rest) == 0 || rest[0] != '"' {
			return "", false
		}
		end := bytes.IndexByte(rest[1:], '"')
		if end < 0 || bytes.IndexByte(rest[1:1+end], '\\') >= 0 {
			return "", false
		}
		return string(rest[1 : 1+end]), true
	}
}

type serveKey struct{}

// api meters the API as its function would be: an HTTP request is an invocation.
func (ms *meters) api(h http.Handler) http.Handler {
	fn := cost.Lambda(ms.all, cost.Function{Name: apiFunction, MemoryMB: functionMemoryMB, Arch: functionArch})(
		runtime.InvokeFunc(func(ctx context.Context, _ []byte) ([]byte, error) {
			ctx.Value(serveKey{}).(func())()
			return nil, nil
		}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serve := func() { h.ServeHTTP(w, r) }
		_, _ = fn.Invoke(context.WithValue(r.Context(), serveKey{}, serve), nil)
	})
}

// costsView is GET /costs: what the run has cost so far on AWS, and what each video did.
type costsView struct {
	Region string    `json:"region"`
	AsOf   string    `json:"asOf"`
	Since  time.Time `json:"since"`
	// Total is the cost of everything metered since the run started; IdlePerMonth what the bytes
	// stored now cost a month.
	Total        float64          `json:"total"`
	IdlePerMonth float64          `json:"idlePerMonth"`
	Services     []cost.Subtotal  `json:"services"`
	Videos       map[string]vCost `json:"videos"`
	Includes     string           `json:"includes"`
}

// vCost is a video's cost by phase, in US dollars; Storage is per month.
type vCost struct {
	Upload    float64 `json:"upload"`
	Transcode float64 `json:"transcode"`
	Storage   float64 `json:"storagePerMonth"`
	Playback  float64 `json:"playback"`
}

// includes says what a video's figures count, for the page to show.
const includes = "Per video, upload counts the form's POST and every request for the source (the " +
	"transcoder's read included) and on-upload's invocation; transcode the job's output minutes, " +
	"the writes of its outputs and on-transcoded's invocations; playback the renditions and " +
	"thumbnail sent to browsers; storage what its objects cost a month; the functions' DynamoDB " +
	"requests count where they run. API requests (sign-in, lists, signing) count in the total only. " +
	"On-demand prices, without free tiers."

// costs computes the view with prices p.
func (ms *meters) costs(p *cost.Prices) costsView {
	r := ms.all.Report(p)
	v := costsView{
		Region: r.Region, AsOf: r.AsOf, Since: ms.start, Total: r.Total, IdlePerMonth: r.IdlePerMonth,
		Services: r.Services, Videos: map[string]vCost{}, Includes: includes,
	}
	ms.mu.RLock()
	ids := make(map[string]*videoMeters, len(ms.videos))
	for id, m := range ms.videos {
		ids[id] = m
	}
	ms.mu.RUnlock()
	for id, m := range ids {
		var c vCost
		stored := cost.Usage{}
		for i := range m {
			pm := m[i].Load()
			if pm == nil {
				continue
			}
			u := pm.Usage()
			stored = stored.Add(u)
			spent := spentFor(u.Report(p))
			switch phase(i) {
			case phaseUpload:
				c.Upload = spent
			case phaseTranscode:
				c.Transcode = spent
			case phasePlayback:
				c.Playback = spent
			}
		}
		c.Storage = stored.Report(p).IdlePerMonth
		v.Videos[id] = c
	}
	return v
}

// spentFor is what a report's usage cost but for the storage accrued so far, which a video's
// monthly storage figure stands for.
func spentFor(r *cost.Report) float64 {
	t := r.Total
	for _, l := range r.Lines {
		if l.Unit == cost.UnitByteHours {
			t -= l.Cost
		}
	}
	return max(t, 0)
}

// costsHandler serves GET /costs.
func (ms *meters) costsHandler() http.Handler {
	prices := cost.USEast1()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		b, err := json.Marshal(ms.costs(prices))
		if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(b)
	})
}
