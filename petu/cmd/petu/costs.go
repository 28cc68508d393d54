package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
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

	mu     sync.RWMutex
	videos map[string]*[phases]*cost.Meter
}

func newMeters() *meters {
	return &meters{all: cost.NewMeter(nil), start: time.Now(), videos: make(map[string]*[phases]*cost.Meter)}
}

// video returns the meters of a video, made on first use.
func (ms *meters) video(id string) *[phases]*cost.Meter {
	ms.mu.RLock()
	v := ms.videos[id]
	ms.mu.RUnlock()
	if v != nil {
		return v
	}
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if v = ms.videos[id]; v == nil {
		v = new([phases]*cost.Meter)
		for i := range v {
			v[i] = cost.NewMeter(nil)
		}
		ms.videos[id] = v
	}
	return v
}

// attribution is what an invocation's context says its units are spent on.
type attribution struct {
	video *[phases]*cost.Meter
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
	ms.video(id)[p].StorageCall(ctx, c)
}

// tableCall meters a table's request, and for an invocation on a video's behalf, that video's.
func (ms *meters) tableCall(ctx context.Context, c table.Call) {
	ms.all.TableCall(ctx, c)
	if a, ok := ctx.Value(attributionKey{}).(attribution); ok {
		a.video[a.phase].TableCall(ctx, c)
	}
}

// function returns middleware metering a function's invocations, and an invocation for a video
// (the one videoOf finds in its event) in that video's phase too.
func (ms *meters) function(name string, p phase, videoOf func(payload []byte) string) runtime.Middleware {
	metered := cost.Lambda(ms.all, cost.Function{Name: name, MemoryMB: functionMemoryMB, Arch: functionArch})
	const gb = float64(functionMemoryMB) / 1024
	return func(next lambda.Handler) lambda.Handler {
		inner := metered(next)
		return runtime.InvokeFunc(func(ctx context.Context, payload []byte) ([]byte, error) {
			id := videoOf(payload)
			if id == "" {
				return inner.Invoke(ctx, payload)
			}
			m := ms.video(id)
			ctx = context.WithValue(ctx, attributionKey{}, attribution{m, p})
			start := time.Now()
			defer func() {
				m[p].Add(cost.Key{Service: cost.ServiceLambda, Resource: name, Unit: cost.UnitRequests}, 1)
				m[p].Add(cost.Key{Service: cost.ServiceLambda, Resource: name, Unit: cost.UnitGBSecondsArm64},
					cost.BilledSeconds(time.Since(start))*gb)
			}()
			return inner.Invoke(ctx, payload)
		})
	}
}

// uploadVideo is the video of the first upload an S3 event announces. It reads only the fields
// it needs from the S3 notification the bucket sends, and the event in any other form with
// events.DecodeObjectEvents.
func uploadVideo(payload []byte) string {
	var n struct {
		Records []struct {
			S3 struct {
				Bucket struct {
					Name string `json:"name"`
				} `json:"bucket"`
				Object struct {
					Key string `json:"key"`
				} `json:"object"`
			} `json:"s3"`
		} `json:"Records"`
	}
	if json.Unmarshal(payload, &n) == nil && len(n.Records) > 0 {
		r := &n.Records[0].S3
		key, err := events.DecodeObjectKey(r.Object.Key)
		if err != nil || r.Bucket.Name != uploadsBucket {
			return ""
		}
		return videoOfKey(key)
	}
	objs, err := events.DecodeObjectEvents(payload)
	if err != nil || len(objs) == 0 || objs[0].Bucket != uploadsBucket {
		return ""
	}
	return videoOfKey(objs[0].Key)
}

// transcodedVideo is the video named in a job's metadata, and meters the outputs of a complete
// job: MediaConvert's state change event is where the job's end arrives, in AWS as here. Only
// a COMPLETE event is decoded in full.
func (ms *meters) transcodedVideo(payload []byte) string {
	var e struct {
		Detail struct {
			Status       string `json:"status"`
			UserMetadata struct {
				Video string `json:"video"`
			} `json:"userMetadata"`
		} `json:"detail"`
	}
	if json.Unmarshal(payload, &e) != nil {
		return ""
	}
	id := e.Detail.UserMetadata.Video
	if e.Detail.Status != "COMPLETE" {
		return id
	}
	s, err := transcode.DecodeEvent(payload)
	if err != nil {
		return ""
	}
	ms.all.JobDone(s)
	if id != "" {
		ms.video(id)[phaseTranscode].JobDone(s)
	}
	return id
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
	ids := make(map[string]*[phases]*cost.Meter, len(ms.videos))
	for id, m := range ms.videos {
		ids[id] = m
	}
	ms.mu.RUnlock()
	for id, m := range ids {
		var c vCost
		stored := cost.Usage{}
		for i, pm := range m {
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
